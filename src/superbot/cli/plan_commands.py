"""check · sync · schedule: the coordinator's commands around tasks.yaml."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import click

from superbot.cli import cli
from superbot.cli.params import DAY

if TYPE_CHECKING:
    from superbot.cli.runtime import Runtime
    from superbot.plan.load import LoadResult
    from superbot.store.sql import SqlStore

tasks_option = click.option(
    "--tasks",
    "tasks_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="任务清单文件（默认 $SUPERBOT_TASKS 或 tasks.yaml）",
)


def load_tasks(runtime: Runtime, tasks_path: Path | None, *, err: bool = False) -> LoadResult:
    """Load tasks.yaml and print every problem as ``PATH:LINE:COL: message``."""
    from superbot.plan.load import Severity, read_plan_file

    result = read_plan_file(tasks_path or runtime.config.tasks_path)
    for problem in result.problems:
        message = runtime.say(problem.text)
        if problem.severity is Severity.WARNING:
            message = runtime.paint(message, "yellow")
        runtime.echo(f"{result.path}:{problem.line}:{problem.col}: {message}", err=err)
    return result


@cli.command()
@tasks_option
@click.pass_obj
def check(runtime: Runtime, tasks_path: Path | None) -> int:
    """校验任务清单：列出全部错误（文件:行:列），有错误时退出码为 1。

    \b
    例：superbot check --tasks tasks.yaml
    """
    result = load_tasks(runtime, tasks_path)
    runtime.echo(runtime.render("cli/check.txt", result=result))
    return 0 if result.ok else 1


@cli.command()
@tasks_option
@click.option(
    "--dry-run", is_flag=True, help="只显示将要发生的变化，不修改数据库（也不创建数据库文件）"
)
@click.option("--yes", "-y", is_flag=True, help="看起来像改了任务编号时不再询问，直接同步")
@click.pass_obj
def sync(runtime: Runtime, tasks_path: Path | None, dry_run: bool, yes: bool) -> int:
    """把任务清单同步到数据库：+ 新增 / ~ 修改 / - 归档，一次性生效。

    \b
    例：superbot sync --dry-run
    例：superbot sync
    """
    from superbot.service.sync import SyncResult, looks_renamed
    from superbot.service.sync import sync as sync_plan

    result = load_tasks(runtime, tasks_path)
    if result.plan is None:
        runtime.echo(runtime.render("cli/check.txt", result=result))
        return 1
    # A dry run on a database not made yet compares with an empty one, and leaves no file.
    store = runtime.store if runtime.database_exists() or not dry_run else empty_store()

    def run(dry: bool) -> SyncResult:
        return sync_plan(
            store,
            result.plan,  # type: ignore[arg-type]
            now=runtime.now(),
            source=result.path,
            sha256=result.sha256,
            dry_run=dry,
        )

    outcome = run(dry=True)
    renames = looks_renamed(outcome)
    if renames and not dry_run and not yes:
        asked = runtime.render("cli/sync_renamed.txt", renames=renames, ask=True)
        answer = runtime.confirm(asked)
        if answer is None:
            runtime.echo(asked, err=True)
            runtime.echo(runtime.text("cli.renamed_needs_yes"), err=True)
            return 1
        if not answer:
            runtime.echo(runtime.text("cli.nothing_synced"), err=True)
            return 1
    if not dry_run:
        outcome = run(dry=False)
    runtime.echo(runtime.render("cli/sync.txt", result=outcome, dry_run=dry_run))
    if dry_run and renames:
        runtime.echo(runtime.render("cli/sync_renamed.txt", renames=renames, ask=False))
    return 0


def empty_store() -> SqlStore:
    from superbot.store.db import make_engine, migrate
    from superbot.store.sql import SqlStore

    engine = make_engine("sqlite://")
    migrate(engine)
    return SqlStore(engine)


@cli.command()
@tasks_option
@click.option("--from", "start", type=DAY, default=None, help="从哪天开始算（默认今天）")
@click.option(
    "-n",
    "count",
    type=click.IntRange(1, 100),
    default=5,
    show_default=True,
    help="每个日程显示几次",
)
@click.pass_obj
def schedule(runtime: Runtime, tasks_path: Path | None, start: object, count: int) -> int:
    """显示提醒、通报、周报接下来的发送时间（遇节假日顺延到下一个工作日）。

    \b
    例：superbot schedule --from 2022-9-25 -n 3
    """
    from superbot.domain.crontab import Crontab, Schedule
    from superbot.domain.model import ScheduleKind
    from superbot.service.status import workday_calendar

    result = load_tasks(runtime, tasks_path)
    if result.plan is None:
        runtime.echo(runtime.render("cli/check.txt", result=result))
        return 1
    settings = result.plan.settings
    zone = ZoneInfo(settings.timezone)
    calendar = workday_calendar(settings.calendar)
    begin = (
        datetime.combine(start, time(), zone)  # type: ignore[arg-type]
        if start is not None
        else runtime.now().astimezone(zone)
    )
    rows = []
    for kind in ScheduleKind:
        expression = settings.schedules[kind]
        plan_schedule = Schedule(Crontab.parse(expression), zone, calendar)
        fires = []
        for fire in plan_schedule.fires_after(begin - _just_before):
            fires.append(fire)
            if len(fires) == count:
                break
        rows.append((kind, expression, fires))
    runtime.echo(
        runtime.render(
            "cli/schedule.txt",
            rows=rows,
            zone=settings.timezone,
            begin=begin,
            warnings=calendar.warnings_for(
                begin.date(), (rows[0][2][-1].at.date() if rows[0][2] else begin.date())
            ),
        )
    )
    return 0


from datetime import timedelta  # noqa: E402

_just_before = timedelta(microseconds=1)  # a fire exactly at --from 00:00 counts
