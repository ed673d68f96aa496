"""The command line with the chat apps configured: invite codes for them, the HTTP server."""

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


async def test_run_says_when_its_http_address_is_taken(cli: Cli, capsys: object) -> None:
    import socket

    from superbot.cli.delivery_commands import _run
    from superbot.cli.runtime import Runtime

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        assert cli("sync").status == 0
        runtime = Runtime(replace(cli.config, http=address))
        try:
            assert await _run(runtime) == 1
        finally:
            runtime.store.engine.dispose()
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert f"HTTP 服务无法在 {address} 监听" in err
