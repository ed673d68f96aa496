"""Every secret the configuration holds — the bot token, SMTP and IMAP passwords, the chat
apps' secrets, the group robots' keys and signing secret, the webhook secret — is configured,
everything is made to fail (nothing answers), and every output is searched for them: the
command line's words, `--dry-run`, `doctor`, the documents, the log, and every text the
database keeps (the outbox, its errors, the messages)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import inspect, text
from tests.conftest import Cli
from tests.fakes.smtp import unused_port

from superbot.cli.runtime import Runtime
from superbot.config import Config
from superbot.domain.model import ScheduleKind
from superbot.service.delivery import round_for

NOW = datetime(2022, 7, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SECRETS = {
    "token": "7000000001:AAsecretBotTokenXyZ0123456789abcdef",
    "smtp": "smtp-Passw0rd-secret",
    "imap": "imap-Passw0rd-secret",
    "wecom": "wecom-app-secret-VALUE-1",
    "dingtalk": "dingtalk-app-secret-VALUE-2",
    "feishu": "feishu-app-secret-VALUE-3",
    "robot": "robotkey-SECRET-4f1e",
    "robot2": "dingrobot-SECRET-token-9",
    "sign": "SECsign-secret-VALUE-5",
    "webhook": "webhook-secret-VALUE-6",
    "aes": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
}


async def no_sleep(_seconds: float) -> None:
    return None


async def dispatch_once(runtime: Runtime) -> None:
    try:
        await runtime.dispatcher(sleep=no_sleep).dispatch()
    finally:
        await runtime.aclose()


def environ() -> dict[str, str]:
    nowhere = f"127.0.0.1:{unused_port()}"
    return {
        "TELEGRAM_BOT_TOKEN": SECRETS["token"],
        "TELEGRAM_API_URL": f"http://{nowhere}",
        "SMTP_URL": f"smtp://duban:{SECRETS['smtp']}@{nowhere}?timeout=2",
        "SMTP_FROM": "督查科 <duban@example.gov.cn>",
        "IMAP_URL": f"imap://duban:{SECRETS['imap']}@{nowhere}/INBOX",
        "WECOM_CORP_ID": "ww1234567890abcdef",
        "WECOM_AGENT_ID": "1000002",
        "WECOM_SECRET": SECRETS["wecom"],
        "WECOM_TOKEN": "wecom-token-VALUE-7",
        "WECOM_AES_KEY": SECRETS["aes"],
        "WECOM_API_URL": f"http://{nowhere}",
        "DINGTALK_CLIENT_ID": "dingappkey0001",
        "DINGTALK_CLIENT_SECRET": SECRETS["dingtalk"],
        "DINGTALK_API_URL": f"http://{nowhere}",
        "FEISHU_APP_ID": "cli_a1b2c3d4e5f6",
        "FEISHU_APP_SECRET": SECRETS["feishu"],
        "FEISHU_API_URL": f"http://{nowhere}",
        "SUPERBOT_WEBHOOK_SECRET": SECRETS["webhook"],
        "WECOM_URL": f"http://{nowhere}/cgi-bin/webhook/send?key={SECRETS['robot']}",
        "DINGTALK_URL": f"http://{nowhere}/robot/send?access_token={SECRETS['robot2']}",
        "DINGTALK_SECRET": SECRETS["sign"],
    }


def leaked(where: str, said: str) -> list[str]:
    return [f"{name} in {where}" for name, secret in SECRETS.items() if secret in said]


def test_no_secret_in_any_output(
    cli: Cli, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="superbot")
    cli.clock = lambda: NOW
    assert cli("sync").status == 0
    config = replace(
        Config.from_env(environ(), dotenv=None),
        database_url=cli.config.database_url,
        tasks_path=cli.config.tasks_path,
        outbox_dir=tmp_path / "outbox",
        files_dir=tmp_path / "files",
    )
    cli.config = config
    found: list[str] = []
    for args in (
        ("send", "bulletin", "--dry-run"),
        ("send", "reminders", "--dry-run"),
        ("doctor", "--timeout", "3"),
        ("status",),
        ("schedule",),
        ("bulletin", "--format", "md", "-o", "-"),
    ):
        result = cli(*args)
        assert "出错了" not in result.err, result.err
        found += leaked(" ".join(args), result.out + result.err)
    for fmt in ("html", "docx", "xlsx"):
        document = tmp_path / f"bulletin.{fmt}"
        assert cli("bulletin", "--format", fmt, "-o", str(document)).status == 0
        found += leaked(document.name, document.read_bytes().decode("latin-1"))

    # A round goes out through every channel and fails everywhere: the errors are kept.
    runtime = Runtime(config, clock=lambda: NOW)
    for kind in (ScheduleKind.BULLETIN, ScheduleKind.REMINDER):
        runtime.delivery.enqueue(round_for(kind, NOW.date()), NOW)
    asyncio.run(dispatch_once(runtime))
    engine = runtime.store.engine
    tables = inspect(engine).get_table_names()
    with engine.connect() as db:
        errors = db.execute(text("SELECT count(*) FROM outbox WHERE last_error IS NOT NULL"))
        assert errors.scalar_one() > 0  # the failures happened, and said why
        for table in tables:
            for row in db.execute(text(f'SELECT * FROM "{table}"')):
                said = " ".join(
                    v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in row
                )
                found += leaked(f"table {table}", said)
    engine.dispose()
    found += leaked("the log", "\n".join(r.getMessage() for r in caplog.records))
    found += leaked("log tracebacks", caplog.text)
    assert found == []
