"""send · bulletin · run: getting reminders, 通报 and digests to people."""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from superbot.cli import cli
from superbot.cli.params import DAY
from superbot.cli.runtime import Runtime
from superbot.domain.model import ScheduleKind
from superbot.domain.periods import Period, parse_month, previous_month
from superbot.scheduler import PlanFile, Runner
from superbot.service.bulletin import build_bulletin
from superbot.service.delivery import round_for
from superbot.service.errors import ServiceError
from superbot.service.status import load_plan
from superbot.store.db import LeaderLock

KINDS = {
    "reminders": ScheduleKind.REMINDER,
    "bulletin": ScheduleKind.BULLETIN,
    "digest": ScheduleKind.DIGEST,
}
# `send` waits this long for retries before leaving them to `superbot run`.
CLI_MAX_WAIT = timedelta(minutes=3)


@cli.command()
@click.argument("what", type=click.Choice(list(KINDS)))
@click.option("--as-of", type=DAY, default=None, help="按哪一天发送（默认今天）：决定是哪一期")
@click.option("--dry-run", is_flag=True, help="只列出将发给谁、经哪个渠道，不发送")
@click.pass_obj
def send(runtime: Runtime, what: str, as_of: date | None, dry_run: bool) -> int:
    """立即发送一期提醒 / 通报 / 周报；同一期再次发送不会重复。"""
    try:
        plan = load_plan(runtime.store)
    except ServiceError as error:
        runtime.echo(runtime.say(error.text), err=True)
        return 1
    zone = ZoneInfo(plan.settings.timezone)
    day = as_of or runtime.now().astimezone(zone).date()
    round_ = round_for(KINDS[what], day)
    now = runtime.now()
    enqueued = runtime.delivery.enqueue(round_, now, dry_run=dry_run)
    if dry_run:
        runtime.echo(runtime.render("cli/send_dry_run.txt", enqueued=enqueued, people=plan.people))
        return 0
    report = asyncio.run(_drain(runtime, round_.kind.value, round_.period.key))
    state = runtime.outbox.round_state(round_.kind.value, round_.period.key)
    runtime.echo(
        runtime.render(
            "cli/send.txt", enqueued=enqueued, report=report, state=state, people=plan.people
        )
    )
    return 0 if not state.failures else 1


async def _drain(runtime: Runtime, kind: str, period: str):  # type: ignore[no-untyped-def]
    try:
        return await runtime.dispatcher().drain(kind, period, CLI_MAX_WAIT)
    finally:
        await runtime.aclose()


@cli.command()
@click.option("--month", default=None, help="哪个月的通报，YYYY-MM（默认上个月）")
@click.option(
    "--format", "fmt", type=click.Choice(["html", "md", "xlsx"]), default="html", show_default=True
)
@click.option(
    "-o",
    "output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="输出文件（默认 督查通报-YYYY-MM.格式；- 为标准输出）",
)
@click.pass_obj
def bulletin(runtime: Runtime, month: str | None, fmt: str, output: Path | None) -> int:
    """把某月的督查通报写成文件（HTML、Markdown 或 Excel），与发送的内容相同。"""
    try:
        plan = load_plan(runtime.store)
        zone = ZoneInfo(plan.settings.timezone)
        today = runtime.now().astimezone(zone).date()
        period: Period = parse_month(month) if month else previous_month(today)
    except ValueError:
        raise click.BadParameter(
            runtime.say(_text("cli.bad_month", value=month)), param_hint="--month"
        ) from None
    except ServiceError as error:
        runtime.echo(runtime.say(error.text), err=True)
        return 1
    view = build_bulletin(runtime.store, period, today)
    document = runtime.renderer.bulletin_document(view, fmt)
    if output is not None and str(output) == "-":
        if isinstance(document, bytes):
            raise click.BadParameter(runtime.say(_text("cli.binary_to_stdout")), param_hint="-o")
        runtime.echo(document)
        return 0
    target = output or Path(runtime.say(_text("cli.bulletin_filename", month=period.key, ext=fmt)))
    if isinstance(document, bytes):
        target.write_bytes(document)
    else:
        target.write_text(document, encoding="utf-8")
    runtime.echo(runtime.say(_text("cli.written", path=str(target))))
    return 0


@cli.command()
@click.pass_obj
def run(runtime: Runtime) -> int:
    """运行机器人：定时提醒、通报、周报，发送队列，以及任务清单的自动更新。"""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return asyncio.run(_run(runtime))


async def _run(runtime: Runtime) -> int:
    plan_file = PlanFile(runtime.config.tasks_path)
    runner = Runner(
        store=runtime.store,
        delivery=runtime.delivery,
        dispatcher=runtime.dispatcher(),
        plan_file=plan_file,
        say=runtime.say,
        clock=runtime.now,
        leader=LeaderLock(runtime.store.engine),
    )
    first = runner.reload_plan()
    if runtime.store.active_plan() is None:
        runtime.echo(runtime.render("cli/run_no_plan.txt", path=str(plan_file.path)), err=True)
        return 1
    del first
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    runtime.echo(
        runtime.render(
            "cli/run_started.txt",
            config=runtime.config,
            reach=runtime.reach,
            channels=sorted(runtime.channels),
        )
    )
    try:
        await runner.run(stop)
    finally:
        await runtime.aclose()
    runtime.echo(runtime.render("cli/run_stopped.txt"))
    return 0


def _text(key: str, **params: object):  # type: ignore[no-untyped-def]
    from superbot.domain.text import Text

    return Text.of(key, **params)
