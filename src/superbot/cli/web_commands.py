"""login · web: the web view's login links, and the web view served on its own."""

from __future__ import annotations

import asyncio
import signal

import click

from superbot.cli import cli
from superbot.cli.loop_commands import deliver
from superbot.cli.runtime import Runtime
from superbot.server import HttpServer
from superbot.service.access import LOGIN_VALIDITY
from superbot.service.delivery import LOGIN
from superbot.service.errors import ServiceError
from superbot.service.people import find_person
from superbot.service.status import load_plan


@cli.command()
@click.argument("person")
@click.pass_obj
def login(runtime: Runtime, person: str) -> int:
    """把一次性网页登录链接发到此人绑定的渠道（15 分钟内有效，只能用一次）。

    PERSON 为人员编号或姓名。

    \b
    例：superbot login 王丽
    例：superbot login wangli
    """
    try:
        plan = load_plan(runtime.store)
    except ServiceError as error:
        runtime.echo(runtime.say(error.text), err=True)
        return 1
    if not runtime.config.web:
        runtime.echo(runtime.text("cli.web_off"), err=True)
        return 1
    try:
        found = find_person(plan, person, unknown="invite.unknown_person")
    except ServiceError as error:
        runtime.echo(runtime.say(error.text), err=True)
        return 2
    try:
        key = runtime.access.send_login_link(plan, found, runtime.now())
    except ServiceError as error:
        runtime.echo(runtime.say(error.text), err=True)
        return 1
    report, state = deliver(runtime, LOGIN, key)
    runtime.echo(
        runtime.render(
            "cli/login.txt",
            person=found,
            report=report,
            state=state,
            people=plan.people,
            minutes=int(LOGIN_VALIDITY.total_seconds() // 60),
            base=runtime.config.web_base,
        )
    )
    return 0 if state.total and not state.failures else 1


@cli.command()
@click.pass_obj
def web(runtime: Runtime) -> int:
    """只运行网页（总览、任务、一事一档、审核、通报、填报页），不运行机器人和定时发送。

    地址见 SUPERBOT_HTTP，链接里的网址见 SUPERBOT_WEB_URL。

    \b
    例：superbot web（地址为 SUPERBOT_HTTP，默认 127.0.0.1:8080）
    """
    try:
        load_plan(runtime.store)
    except ServiceError as error:
        runtime.echo(runtime.say(error.text), err=True)
        return 1
    return asyncio.run(serve_web(runtime))


async def serve_web(runtime: Runtime, stop: asyncio.Event | None = None) -> int:
    """The web view until ``stop`` (SIGINT/SIGTERM when not given). Login links and answers
    it queues are sent from here too, so it works without ``superbot run``."""
    dispatcher = runtime.dispatcher()
    server = HttpServer(runtime.config.http_address, runtime.web_view(dispatcher.dispatch).routes())
    try:
        await server.start()
    except OSError:
        runtime.echo(runtime.text("cli.http_failed", address=server.address), err=True)
        await runtime.aclose()
        return 1
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
    runtime.echo(
        runtime.render("cli/web_started.txt", base=runtime.config.web_base, address=server.address)
    )
    try:
        await server.run(stop)
    finally:
        await runtime.aclose()
    runtime.echo(runtime.render("cli/run_stopped.txt"))
    return 0
