"""superbot invite tells how to bind on the chat apps that are configured."""

from __future__ import annotations

from dataclasses import replace

from tests.conftest import Cli

from superbot.config import DingtalkApp, WecomApp


def test_invite_says_to_send_the_code_to_the_configured_apps(cli: Cli) -> None:
    cli.config = replace(
        cli.config,
        dingtalk=DingtalkApp("key", "secret"),
        wecom=WecomApp("ww1", "1000002", "secret"),
    )
    assert cli("sync").status == 0
    result = cli("invite", "limh")
    assert result.status == 0, result.err
    code = result.out.split("绑定码：")[1].split()[0]
    assert (
        f"在钉钉、企业微信里：请本人打开督查应用，把绑定码 {code} 直接发给它即可绑定。"
        in result.out
    )
    assert "TELEGRAM_BOT_TOKEN" not in result.out  # no Telegram needed where the apps are
