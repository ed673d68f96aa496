"""No secret in an error: what `send` prints, what the outbox keeps, what the log says and
what the coordinators are told."""

from __future__ import annotations

import logging

import pytest

from superbot.channels.email import SmtpSettings
from superbot.config import Config, DingtalkApp
from superbot.redaction import RedactingFilter, Redactor

TOKEN = "7000000001:AAWrongTokenWrongToken_0123456789"


def test_every_secret_of_the_configuration_is_taken_out() -> None:
    configured = Config(
        telegram_token=TOKEN,
        smtp_url="smtp://duban:p/a#ss?w0rd@mail.example.gov.cn:587",
        imap_url="imaps://duban:imap-secret-1@mail.example.gov.cn",
        dingtalk=DingtalkApp("ding-app-key", "ding-app-secret-xyz"),
        environ={
            "WECOM_URL": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wecom-key-123",
            "DINGTALK_URL": "https://oapi.dingtalk.com/robot/send?access_token=ding-tok-456",
            "DINGTALK_SECRET": "SECabcdef0123",
            "FEISHU_URL": "https://open.feishu.cn/open-apis/bot/v2/hook/feishu-hook-789",
            "HOME": "/root",
        },
    )
    redact = Redactor.of(configured)
    said = (
        f"The token `{TOKEN}` was rejected; bot7000000001%3AAAWrongTokenWrongToken_0123456789; "
        "password p/a#ss?w0rd; imap-secret-1; ding-app-secret-xyz; key=wecom-key-123; "
        "ding-tok-456; SECabcdef0123; hook/feishu-hook-789; /root stays"
    )

    cleaned = redact(said)

    for secret in (
        "AAWrongTokenWrongToken",
        "p/a#ss?w0rd",
        "imap-secret-1",
        "ding-app-secret-xyz",
        "wecom-key-123",
        "ding-tok-456",
        "SECabcdef0123",
        "feishu-hook-789",
    ):
        assert secret not in cleaned
    assert "/root stays" in cleaned


def test_an_smtp_url_that_fails_to_parse_does_not_show_its_password() -> None:
    with pytest.raises(ValueError, match="SMTP_URL") as refused:
        SmtpSettings.from_url("smtp://duban:9p/ass@mail.example.gov.cn:587")
    assert "9p" not in str(refused.value)
    assert "SMTP_URL" in str(refused.value)


def test_the_log_handler_takes_secrets_out() -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter(Redactor([TOKEN])))
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "rejected: %s", (TOKEN,), None)
    handler.filter(record)
    assert record.getMessage() == "rejected: ***"
