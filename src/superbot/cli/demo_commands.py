"""demo: a first run that shows something — the shipped plan with a year of 示例 progress.

The illustrative progress (``examples/progress.yaml``) goes into a database of its own under
``demo/``, never the real one, with the plan renamed 【示例】 so that every document and
message it produces says what it is. The clock is the example's: reports are recorded on
their own days, and the September 通报 is issued on the day the example says.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import click
import yaml

from superbot.cli import cli

if TYPE_CHECKING:
    from superbot.cli.runtime import Runtime

FORMATS = ("docx", "pdf", "xlsx", "html", "md")


@dataclass(frozen=True)
class Event:
    """One line of the example: a progress report, an approval, an accepted reason."""

    at: datetime
    task: str
    kind: str  # report | approve | accept
    fields: dict[str, Any]


@cli.command()
@click.option(
    "--dir",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("demo"),
    show_default=True,
    help="示例数据库、通报和发件箱放在这里（每次重建）",
)
@click.option(
    "--progress",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=Path("examples/progress.yaml"),
    show_default=True,
    help="示例进度文件",
)
@click.option(
    "--tasks", "tasks_path", type=click.Path(path_type=Path), default=None, help="任务清单文件"
)
@click.pass_obj
def demo(runtime: Runtime, folder: Path, progress: Path, tasks_path: Path | None) -> int:
    """示例：把一年的示例进度载入单独的数据库，显示 9 月底的红黄绿灯，
    写出 9 月督查通报（各种格式），并发到文件发件箱。

    \b
    例：superbot demo
    例：superbot demo --dir /tmp/demo
    """
    from superbot.cli.runtime import Runtime
    from superbot.config import Config
    from superbot.domain.periods import parse_month
    from superbot.plan.load import read_plan_file
    from superbot.service.errors import ServiceError
    from superbot.service.sync import sync

    source = tasks_path or runtime.config.tasks_path
    example = yaml.safe_load(progress.read_text(encoding="utf-8"))
    label = str(example["label"])
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "superbot-demo.db"
    for stale in folder.glob("superbot-demo.db*"):
        stale.unlink()  # a fresh example every run: the same picture every time
    labelled = folder / "tasks.yaml"
    labelled.write_text(_labelled(source.read_text(encoding="utf-8"), label), encoding="utf-8")
    loaded = read_plan_file(labelled)
    if loaded.plan is None:
        runtime.echo(runtime.render("cli/check.txt", result=loaded), err=True)
        return 1
    zone = ZoneInfo(loaded.plan.settings.timezone)
    clock = _Clock(datetime.combine(loaded.plan.settings.start or date.today(), time(9), zone))
    quiet = Runtime(
        Config(
            database_url=f"sqlite:///{database}",
            tasks_path=labelled,
            outbox_dir=folder / "outbox",
            environ={},  # the file channel only: an example never reaches a real person
        ),
        out=io.StringIO(),
        clock=clock,
    )
    store = quiet.store
    sync(
        store,
        loaded.plan,
        now=clock(),
        source=str(labelled),
        sha256=loaded.sha256,
        dry_run=False,
    )
    for event in sorted(_events(example, zone), key=lambda e: e.at):
        clock.now = event.at
        try:
            _apply(quiet, event)
        except ServiceError as error:
            runtime.echo(
                runtime.text(
                    "cli.demo_bad_event",
                    task=event.task,
                    at=f"{event.at:%Y-%m-%d %H:%M}",
                    reason=quiet.say(error.text),
                ),
                err=True,
            )
            return 1
    month, issued_on = str(example["month"]), _day(example["issued_on"])
    clock.now = datetime.combine(issued_on, time(9), zone)
    shown = Runtime(quiet.config, out=runtime.out, clock=clock)
    runtime.echo(runtime.text("cli.demo_intro", label=label, database=str(database)))
    from superbot.cli import main  # the commands, as a person would type them

    as_of = parse_month(month).last
    if main(["status", "--as-of", as_of.isoformat()], runtime=shown) != 0:
        return 1
    written = []
    for fmt in FORMATS:
        target = folder / f"{quiet.renderer.bulletin_stem()}-{month}.{fmt}"
        status = main(
            [
                "bulletin",
                "--month",
                month,
                "--format",
                fmt,
                "--date",
                issued_on.isoformat(),
                "-o",
                str(target),
            ],
            runtime=quiet,
        )
        if status == 0:
            written.append(str(target))
        elif fmt != "pdf":  # without LibreOffice there is no PDF, and the command said so
            return status
    if main(["send", "bulletin", "--as-of", issued_on.isoformat()], runtime=quiet) != 0:
        return 1
    outbox = folder / "outbox"
    runtime.echo(
        runtime.text(
            "cli.demo_done",
            label=label,
            month=month,
            files=written,
            outbox=str(outbox),
            messages=sum(1 for _ in outbox.rglob("*.txt")),
        )
    )
    return 0


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _labelled(text: str, label: str) -> str:
    """The plan's name and the 通报's issuer marked 【示例】, wherever they appear."""
    mark = f"【{label}】"
    plan_name = r"^(plan:\n(?:[ \t#].*\n|\n)*?  name: )(.*)$"
    text = re.sub(plan_name, rf"\g<1>{mark}\g<2>", text, count=1, flags=re.M)
    return re.sub(r"^(  issuer: )(.*)$", rf"\g<1>{mark}\g<2>", text, count=1, flags=re.M)


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _moment(value: object, zone: ZoneInfo) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def _events(example: dict[str, Any], zone: ZoneInfo) -> Iterator[Event]:
    """Monthly percents on ``report_day`` at 10:00 (``~``: not reported that month), then
    the events written one by one."""
    year, day = int(example["year"]), int(example.get("report_day", 20))
    for task, percents in (example.get("monthly") or {}).items():
        for month, percent in enumerate(percents, start=1):
            if percent is not None:
                at = datetime(year, month, day, 10, tzinfo=zone)
                yield Event(at, str(task), "report", {"percent": int(percent)})
    for item in example.get("events") or ():
        at = _moment(item["at"], zone)
        for kind in ("approve", "accept"):
            if kind in item:
                yield Event(at, str(item[kind]), kind, item)
                break
        else:
            yield Event(at, str(item["task"]), "report", item)


def _apply(runtime: Runtime, event: Event) -> None:
    from superbot.domain.model import State
    from superbot.service.report import ReportRequest, record_report
    from superbot.service.review import accept_reason

    store, now, f = runtime.store, runtime.now(), event.fields
    if event.kind == "approve":
        runtime.review.approve(event.task, f.get("note"), f.get("by"), now)
    elif event.kind == "accept":
        accept_reason(store, event.task, f.get("reason"), f.get("by"), now)
    else:
        recorded = record_report(
            store,
            ReportRequest(
                task_id=event.task,
                percent=f.get("percent"),
                done=bool(f.get("done")),
                state=State(f["state"]) if f.get("state") else None,
                note=f.get("note"),
                by=f.get("by"),
                at=event.at,
                values={str(k): float(v) for k, v in (f.get("values") or {}).items()},
            ),
            now=now,
        )
        if recorded.claim is not None:  # 待审核: the coordinators are told, as in real use
            runtime.review.announce(recorded.claim, now)
