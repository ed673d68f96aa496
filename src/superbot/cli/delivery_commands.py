"""send · bulletin · run: getting reminders, 通报 and digests to people."""

from __future__ import annotations

import logging
import secrets
import signal
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import click

from superbot.cli import cli
from superbot.cli.params import DAY
from superbot.render import DOCUMENT_FORMATS

if TYPE_CHECKING:
    import asyncio

    from superbot.cli.runtime import Runtime
    from superbot.domain.periods import Period

KINDS = {"reminders": "reminder", "bulletin": "bulletin", "digest": "digest"}  # ScheduleKind
BINARY_FORMATS = ("docx", "xlsx", "pdf")
# `send` waits this long for retries before leaving them to `superbot run`.
CLI_MAX_WAIT = timedelta(minutes=3)


@cli.command()
@click.argument("what", type=click.Choice(list(KINDS)))
@click.option("--as-of", type=DAY, default=None, help="按哪一天发送（默认今天）：决定是哪一期")
@click.option("--dry-run", is_flag=True, help="只列出将发给谁、经哪个渠道，不发送")
@click.option(
    "--retry-failed", is_flag=True, help="把这一期发送失败的消息重新排队发送（例如修正配置之后）"
)
@click.pass_obj
def send(runtime: Runtime, what: str, as_of: date | None, dry_run: bool, retry_failed: bool) -> int:
    """立即发送一期提醒 / 通报 / 周报；同一期再次发送不会重复。

    \b
    例：superbot send bulletin --as-of 2022-7-1 --dry-run
    例：superbot send reminders
    例：superbot send reminders --retry-failed
    """
    from superbot.domain.model import ScheduleKind
    from superbot.service.delivery import round_for
    from superbot.service.errors import ServiceError
    from superbot.service.status import load_plan

    try:
        plan = load_plan(runtime.store)
    except ServiceError as error:
        runtime.echo(runtime.say(error.text), err=True)
        return 1
    zone = ZoneInfo(plan.settings.timezone)
    day = as_of or runtime.now().astimezone(zone).date()
    round_ = round_for(ScheduleKind(KINDS[what]), day)
    now = runtime.now()
    enqueued = runtime.delivery.enqueue(round_, now, dry_run=dry_run)
    if dry_run:
        runtime.echo(runtime.render("cli/send_dry_run.txt", enqueued=enqueued, people=plan.people))
        return 0
    import asyncio

    from superbot.service.outbox import Status

    requeued = (
        runtime.outbox.requeue_failed(round_.kind.value, round_.period.key, now)
        if retry_failed
        else 0
    )
    report = asyncio.run(_drain(runtime, round_.kind.value, round_.period.key))
    state = runtime.outbox.round_state(round_.kind.value, round_.period.key)
    runtime.echo(
        runtime.render(
            "cli/send.txt",
            enqueued=enqueued,
            report=report,
            state=state,
            people=plan.people,
            requeued=requeued,
            retry_failed=retry_failed,
        )
    )
    # Anything not delivered — failed, held or still waiting — is a failure of the command.
    return 0 if state.count(Status.SENT) == state.total else 1


async def _drain(runtime: Runtime, kind: str, period: str):  # type: ignore[no-untyped-def]
    from superbot.service.outbox import RetryWait

    def progress(waiting: RetryWait) -> None:  # a line per wait: the person sees why
        runtime.echo(runtime.render("cli/send_wait.txt", waiting=waiting), err=True)

    try:
        return await runtime.dispatcher().drain(kind, period, CLI_MAX_WAIT, on_wait=progress)
    finally:
        await runtime.aclose()


@cli.command()
@click.option("--month", default=None, help="哪个月的通报，YYYY-MM（默认上个月）")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(DOCUMENT_FORMATS)),
    default="html",
    show_default=True,
    help="docx 为公文格式的 Word；pdf 由 LibreOffice 转换 Word 得到",
)
@click.option(
    "--date",
    "issued_on",
    type=DAY,
    default=None,
    help="印发日期（默认：已印发过的沿用原日期，否则今天）；期号不变",
)
@click.option(
    "-o",
    "output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="输出文件（默认 督查通报-YYYY-MM.格式；- 为标准输出）",
)
@click.pass_obj
def bulletin(
    runtime: Runtime, month: str | None, fmt: str, issued_on: date | None, output: Path | None
) -> int:
    """把某月的督查通报写成文件（Word、PDF、Excel、网页或 Markdown），与发送的内容相同。

    \b
    例：superbot bulletin --month 2022-6 --format docx
    """
    from superbot.domain.periods import parse_month, previous_month
    from superbot.render.pdf import ConversionFailed, NoConverter, convert, find_soffice
    from superbot.service.bulletin import issue_of
    from superbot.service.errors import ServiceError
    from superbot.service.issuing import issue_bulletin, issued_copy
    from superbot.service.status import load_plan

    try:
        plan = load_plan(runtime.store)
        zone = ZoneInfo(plan.settings.timezone)
        today = runtime.now().astimezone(zone).date()
        period: Period = parse_month(month) if month else previous_month(today)
    except ValueError:
        raise click.BadParameter(
            runtime.text("cli.bad_month", value=month), param_hint="--month"
        ) from None
    except ServiceError as error:
        runtime.echo(runtime.say(error.text), err=True)
        return 1
    if output is not None and str(output) == "-" and fmt in BINARY_FORMATS:
        raise click.BadParameter(runtime.text("cli.binary_to_stdout"), param_hint="-o")
    if fmt == "pdf" and find_soffice() is None:
        runtime.echo(runtime.text("cli.no_libreoffice"), err=True)
        return 1
    kept = issued_copy(runtime.store, period)
    if kept:  # sent: what went out, byte for byte, whatever changed since
        issue = runtime.store.bulletin_issue(period.key)
        assert issue is not None
        if issued_on is not None and issued_on != issue.issued_on:
            runtime.echo(
                runtime.text(
                    "cli.bulletin_issued",
                    month=period.key,
                    number=issue.number,
                    issued_on=issue.issued_on,
                ),
                err=True,
            )
            return 1
        documents: Mapping[str, bytes] = kept
        written = "cli.written_issued"
    else:
        # Writing an unsent 通报 out gives the month its 期号 for good; the rest is as of today.
        issue = issue_of(
            runtime.store,
            period,
            issued_on or today,
            runtime.now(),
            record=True,
            redate=issued_on is not None,
        )
        documents = issue_bulletin(
            runtime.store,
            runtime.renderer,
            period,
            issue.issued_on,
            runtime.now(),
            record=False,
            formats=("docx",) if fmt == "pdf" else (fmt,),
        ).documents
        written = "cli.written_issue"
    if fmt == "pdf":
        try:
            content = convert(documents["docx"], f"{period.key}.docx")
        except (NoConverter, ConversionFailed) as error:
            runtime.echo(runtime.text("cli.pdf_failed", reason=str(error)), err=True)
            return 1
    else:
        content = documents[fmt]
    if output is not None and str(output) == "-":
        runtime.echo(content.decode())
        return 0
    target = output or Path(f"{runtime.renderer.bulletin_stem()}-{period.key}.{fmt}")
    target.write_bytes(content)
    runtime.echo(
        runtime.text(written, path=str(target), number=issue.number, issued_on=issue.issued_on)
    )
    return 0


@cli.command()
@click.option(
    "--webhook",
    "webhook_url",
    default=None,
    metavar="URL",
    help="用 webhook 接收 Telegram 消息（HTTPS 地址，由反向代理转到 SUPERBOT_HTTP 的 /telegram）；"
    "默认长轮询",
)
@click.pass_obj
def run(runtime: Runtime, webhook_url: str | None) -> int:
    """运行机器人：Telegram 对话、定时提醒、通报、周报，发送队列，以及任务清单的自动更新。

    日志写到标准错误，级别由 SUPERBOT_LOG_LEVEL 设置（默认 INFO）。

    \b
    例：superbot run
    """
    level = (runtime.config.log_level or "INFO").upper()
    if level not in LOG_LEVELS:
        runtime.echo(
            runtime.text("cli.bad_log_level", value=runtime.config.log_level, choices=LOG_LEVELS),
            err=True,
        )
        return 2
    configure_logging(level)
    import asyncio

    from superbot.redaction import RedactingFilter

    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactingFilter(runtime.redactor))
    return asyncio.run(_run(runtime, webhook_url))


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# Libraries that log every poll, tick, connection or migration step at INFO: 64 APScheduler
# lines a minute, one httpx line per getUpdates, eighteen Alembic lines on a first start.
# Their warnings and errors still show.
CHATTY = (
    "alembic",
    "apscheduler",
    "httpx",
    "httpcore",
    "telegram",
    "aiosmtpd",
    "mail.log",
    "websockets",
)


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(level)
    for name in CHATTY:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))


async def _run(
    runtime: Runtime, webhook_url: str | None = None, stop: asyncio.Event | None = None
) -> int:
    """Scheduler, dispatcher, file watch and the Telegram bot in one loop, until ``stop`` is
    set (by SIGINT/SIGTERM when not given)."""
    import asyncio

    from superbot.bot.app import Webhook, serve
    from superbot.bot.reload import TasksFileReload
    from superbot.cli.plan_commands import load_tasks
    from superbot.scheduler import PlanFile, Runner, next_rounds
    from superbot.service.outbox import DispatchLoop
    from superbot.service.supervision import Supervision

    plan_file = PlanFile(runtime.config.tasks_path)
    # One dispatch loop: the schedules, the watch, the bot, the apps and mail wake it.
    dispatcher = DispatchLoop(runtime.dispatcher())
    runner = Runner(
        store=runtime.store,
        delivery=runtime.delivery,
        dispatcher=dispatcher,
        plan_file=plan_file,
        say=runtime.say,
        clock=runtime.now,
        leader=runtime.leader,
    )
    runner.reload_plan()
    if runtime.store.active_plan() is None:
        load_tasks(runtime, plan_file.path, err=True)  # says what is wrong, line by line
        runtime.echo(runtime.render("cli/run_no_plan.txt", path=str(plan_file.path)), err=True)
        return 1
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
    supervision = Supervision(runtime.store, runtime.delivery, TasksFileReload(runner))
    application = runtime.bot_application(supervision, dispatch=dispatcher.dispatch)
    webhook = None
    if application is not None and webhook_url:
        secret = runtime.config.webhook_secret or secrets.token_urlsafe(32)
        webhook = Webhook(webhook_url, secret)
    apps = runtime.chat_apps(supervision, dispatcher.dispatch)
    inbound = runtime.inbound(apps, application, webhook, dispatch=dispatcher.dispatch)
    if inbound.server is not None:
        try:
            await inbound.server.start()  # listening before run says it is
        except OSError:
            if not inbound.optional:
                runtime.echo(
                    runtime.text("cli.http_failed", address=inbound.server.address), err=True
                )
                await runtime.aclose()
                return 1
            runtime.echo(runtime.text("cli.web_failed", address=inbound.server.address), err=True)
            inbound = replace(inbound, server=None)
    intake = runtime.mail_intake(dispatcher.dispatch)
    inbox, listener = runtime.imap_inbox(intake), runtime.inbound_smtp(intake)
    if listener is not None:
        await listener.start()  # listening before run says it is running
    active = runtime.store.active_plan()
    assert active is not None
    runtime.echo(
        runtime.render(
            "cli/run_started.txt",
            config=runtime.config,
            reach=runtime.reach,
            channels=sorted(runtime.channels),
            next_rounds=next_rounds(active, runtime.now()),
        )
    )
    runtime.echo(
        runtime.render(
            "cli/run_bot.txt",
            bot=application is not None,
            webhook=webhook,
            listen=runtime.config.http_address,
            generated_secret=webhook is not None and not runtime.config.webhook_secret,
        )
    )
    runtime.echo(
        runtime.render(
            "cli/run_http.txt",
            config=runtime.config,
            server=inbound.server,
            apps=sorted(apps),
            web_paths=inbound.web_paths,
        )
    )
    tasks = [
        asyncio.create_task(runner.run(stop), name="scheduler"),
        asyncio.create_task(dispatcher.run(stop), name="dispatcher"),
    ]
    if application is not None:
        bot = serve(application, stop, webhook, another_poller=runtime.another_poller)
        tasks.append(asyncio.create_task(bot, name="bot"))
    if inbound.server is not None:
        tasks.append(asyncio.create_task(inbound.server.run(stop), name="http"))
    for number, stream in enumerate(inbound.streams):
        tasks.append(asyncio.create_task(stream.run(stop), name=f"stream {number}"))
    if inbox is not None:
        tasks.append(asyncio.create_task(inbox.run(stop), name="imap"))
    if listener is not None:
        tasks.append(asyncio.create_task(listener.run(stop), name="smtp listener"))
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        stop.set()  # one part ended (stopped, or failed): stop the other too
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        for app in apps.values():
            await app.drain()  # answers and card updates under way
        await runtime.aclose()
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    for failure in failures:
        logging.getLogger("superbot").error("superbot run failed", exc_info=failure)
    runtime.echo(runtime.render("cli/run_stopped.txt"))
    return 1 if failures else 0
