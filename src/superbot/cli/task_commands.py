"""status · report: reading the lights and entering progress."""

from __future__ import annotations

import json
import mimetypes
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import click

from superbot.cli import cli
from superbot.cli.params import DAY, INDICATOR_VALUE, MOMENT, ValuesOf, in_zone

if TYPE_CHECKING:
    from superbot.cli.runtime import Runtime
    from superbot.service.errors import ServiceError
    from superbot.service.status import TaskStatus


def _refuse(runtime: Runtime, error: ServiceError, status: int) -> int:
    runtime.echo(runtime.say(error.text), err=True)
    return status


@cli.command()
@click.option("--as-of", type=DAY, default=None, help="按哪一天评灯（默认今天）")
@click.option("--campaign", default=None, help="只看某个专项（编号）")
@click.option("--lead", default=None, help="只看某个牵头单位（编号）")
@click.option(
    "--light",
    "lights",
    type=ValuesOf("superbot.domain.lights.Light"),
    multiple=True,
    help="只看某种灯，可重复",
)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_obj
def status(
    runtime: Runtime,
    as_of: date | None,
    campaign: str | None,
    lead: str | None,
    lights: tuple[str, ...],
    as_json: bool,
) -> int:
    """全部任务的红黄绿灯：进度、截止日期和理由。"""
    from superbot.domain.lights import Light
    from superbot.service.errors import NotSynced, ServiceError
    from superbot.service.status import load_plan, task_statuses

    try:
        plan = load_plan(runtime.store)
        zone = ZoneInfo(plan.settings.timezone)
        day = as_of or runtime.now().astimezone(zone).date()
        # The plan as it stood that day: a past day keeps its due dates and titles.
        plan, statuses = task_statuses(runtime.store, day, campaign=campaign, lead=lead)
    except NotSynced as error:
        return _refuse(runtime, error, 1)
    except ServiceError as error:  # an unknown --campaign or --lead
        return _refuse(runtime, error, 2)
    if lights:
        statuses = [s for s in statuses if s.light.value in lights]
    if as_json:
        runtime.echo(
            json.dumps([_as_json(runtime, s, zone) for s in statuses], ensure_ascii=False, indent=2)
        )
        return 0
    counts = Counter(s.light.value for s in statuses)
    runtime.echo(
        runtime.render(
            "cli/status.txt",
            plan=plan,
            statuses=statuses,
            as_of=day,
            counts={light.value: counts.get(light.value, 0) for light in Light},
        )
    )
    return 0


def _as_json(runtime: Runtime, s: TaskStatus, zone: ZoneInfo) -> dict[str, Any]:
    latest = s.latest
    return {
        "id": s.task.id,
        "title": s.task.title,
        "campaign": s.task.campaign_id,
        "campaign_name": s.campaign.name,
        "lead": s.task.lead,
        "lead_name": s.lead.name,
        "support": list(s.task.support),
        "start": s.task.start.isoformat(),
        "due": s.task.due.isoformat(),
        "original_due": (
            s.assessment.original_due.isoformat() if s.assessment.original_due else None
        ),
        "claimed_on": s.assessment.claimed_on.isoformat() if s.assessment.claimed_on else None,
        "percent": s.assessment.percent,
        "expected": round(s.assessment.expected, 1),
        "state": s.assessment.state.value if s.assessment.state else None,
        "light": s.light.value,
        "reasons": [runtime.say(r) for r in s.assessment.reasons],
        "reason_codes": [r.key.removeprefix("light.") for r in s.assessment.reasons],
        "last_report": latest.at.astimezone(zone).isoformat() if latest else None,
        "last_report_by": latest.person_id if latest else None,
        "last_report_note": latest.note if latest else None,
    }


@cli.command()
@click.argument("task")
@click.option("--percent", type=int, default=None, help="进度百分比 0–100")
@click.option(
    "--done", is_flag=True, help="已办结（等同于 100%；规则要求审核时为办结申请，待督查科审核）"
)
@click.option("--state", type=ValuesOf("superbot.domain.model.State", but=("done",)), default=None)
@click.option("--note", default=None, help="进展说明")
@click.option("--by", default=None, help="报送人（人员编号）")
@click.option("--at", "at", type=MOMENT, default=None, help="报送时间，补录时用（默认现在）")
@click.option(
    "--value", "values", type=INDICATOR_VALUE, multiple=True, help="指标值，如 invest=12.5，可重复"
)
@click.option(
    "--evidence",
    "evidence",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    multiple=True,
    help="佐证材料（照片、文件），可重复；每个不超过 20MB，最多 10 个",
)
@click.pass_obj
def report(
    runtime: Runtime,
    task: str,
    percent: int | None,
    done: bool,
    state: str | None,
    note: str | None,
    by: str | None,
    at: datetime | None,
    values: tuple[tuple[str, float], ...],
    evidence: tuple[Path, ...],
) -> int:
    """登记一条进度（电话、当面报送的由督查科代为录入），可附佐证材料。"""
    from superbot.cli.loop_commands import deliver
    from superbot.domain.model import State
    from superbot.service.delivery import REVIEW
    from superbot.service.errors import ServiceError
    from superbot.service.report import ReportRequest, record_report
    from superbot.service.status import load_plan

    if (percent is None) == (not done):
        raise click.UsageError(runtime.text("cli.percent_or_done"))
    files = _evidence_files(runtime, evidence)  # checked before anything is recorded
    if files is None:
        return 2
    try:
        plan = load_plan(runtime.store)
        zone = ZoneInfo(plan.settings.timezone)
        recorded = record_report(
            runtime.store,
            ReportRequest(
                task_id=task,
                percent=percent,
                done=done,
                state=State(state) if state else None,
                note=note,
                by=by,
                at=in_zone(at, zone) if at else None,
                values=dict(values),
            ),
            now=runtime.now(),
        )
    except ServiceError as error:
        return _refuse(runtime, error, 1 if error.text.key == "status.not_synced" else 2)
    person = plan.people.get(by) if by else None
    task_ = recorded.status.task
    kept = []
    for path, content in files:
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        found = runtime.evidence.keep(content, path.name, mime, runtime.now())
        assert recorded.report.id is not None
        runtime.evidence.attach(recorded.report.id, found)
        kept.append(found)
    notice = None
    if recorded.claim is not None:  # 待审核: the coordinators are asked to review it
        runtime.review.announce(recorded.claim, runtime.now())
        notice = deliver(runtime, REVIEW, str(recorded.claim.id))
    runtime.echo(
        runtime.render(
            "cli/report.txt",
            recorded=recorded,
            person=person,
            zone=zone,
            indicator_names={i.id: i.name for i in task_.indicators},
            notice=notice,
            people=plan.people,
            kept=kept,
        )
    )
    return 0


def _evidence_files(runtime: Runtime, paths: tuple[Path, ...]) -> list[tuple[Path, bytes]] | None:
    """The files' contents; None (and why, on stderr) when one is too big or too many."""
    from superbot.service.mail import MAX_FILE_BYTES, MAX_FILES

    if len(paths) > MAX_FILES:
        runtime.echo(
            runtime.text("cli.evidence_too_many", count=len(paths), limit=MAX_FILES), err=True
        )
        return None
    found = []
    for path in paths:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            megabytes = round(size / 2**20, 1)
            limit = MAX_FILE_BYTES // 2**20
            runtime.echo(
                runtime.text("cli.evidence_too_big", path=str(path), size=megabytes, limit=limit),
                err=True,
            )
            return None
        found.append((path, path.read_bytes()))
    return found
