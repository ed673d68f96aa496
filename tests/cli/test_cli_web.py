"""superbot login and superbot web; the web view in superbot run."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from pathlib import Path

import httpx
from tests.bot.conftest import free_port
from tests.conftest import Cli

from superbot.cli.runtime import Runtime
from superbot.cli.web_commands import serve_web


def test_login_sends_a_link_to_the_persons_channel(cli: Cli, tmp_path: Path) -> None:
    assert cli("sync").status == 0
    result = cli("login", "王丽")
    assert result.status == 0, result.err
    assert "已为王丽生成网页登录链接（15 分钟内有效，只能使用一次" in result.out
    assert "已通知王丽：送达 1 条" in result.out
    (sent,) = (tmp_path / "outbox" / "wangli").glob("*.txt")
    assert re.search(r"http://127\.0\.0\.1:8080/login/[A-Za-z0-9_-]{43}", sent.read_text())


def test_login_names_an_unknown_person_in_chinese(cli: Cli) -> None:  # as every command does
    cli("sync")
    result = cli("login", "王莉")
    assert result.status == 2
    assert "tasks.yaml 里没有编号或姓名为 王莉 的人员，是不是 wangli？" in result.err


def test_superbot_web_serves_the_pages_alone(cli: Cli) -> None:
    cli("sync")
    port = free_port()
    runtime = Runtime(replace(cli.config, http=f"127.0.0.1:{port}"))

    async def visit() -> tuple[httpx.Response, httpx.Response, int]:
        stop = asyncio.Event()
        served = asyncio.create_task(serve_web(runtime, stop))
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(100):
                try:
                    page = await client.get("/login")
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.05)
            home = await client.get("/")
        stop.set()
        return page, home, await served

    page, home, status = asyncio.run(visit())
    runtime.store.engine.dispose()
    assert page.status_code == 200
    assert "发送登录链接" in page.text
    assert home.status_code == 303  # the overview sends a stranger to /login
    assert home.headers["location"] == "/login"
    assert status == 0


def test_run_serves_the_web_view_and_goes_on_when_its_default_address_is_taken(
    cli: Cli,
) -> None:
    cli("sync")
    plain = Runtime(cli.config).inbound({})
    assert plain.server is not None
    assert "/r/{code}" in plain.web_paths
    assert plain.optional  # nobody asked for the address: taken, run goes on without the web
    asked = Runtime(replace(cli.config, http="127.0.0.1:9")).inbound({})
    assert not asked.optional
    off = Runtime(replace(cli.config, web=False)).inbound({})
    assert off.server is None
