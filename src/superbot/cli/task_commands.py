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
@click.option("--lead", default=None, help="只看某个牵头单位（单位编号或名称）")
@click.option(
    "--light",
    "lights",
    type=ValuesOf("superbot.domain.lights.Light"),
    multiple=True,
    help="只看某种灯，可重复",
)
@click.option(
    "--sort",
    "order",
    type=click.Choice(["worst", "file"]),
    default="worst",
    show_default=True,
    help="worst 按灯从红到办结（同灯先到期的在前）；file 按任务清单中的顺序",
)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_obj
def status(
    runtime: Runtime,
    as_of: date | None,
    campaign: str | None,
    lead: str | None,
    lights: tuple[str, ...],
    order: str,
    as_json: bool,
) -> int:
    """全部任务的红黄绿灯：进度、截止日期和理由。

    \b
    例：superbot status --lead 高新科 --light red
    例：superbot status --as-of 2022-6-30 --json
    """
    from superbot.domain.lights import Light
    from superbot.service.errors import NotSynced, ServiceError
    from superbot.service.status import by_urgency, load_plan, task_statuses

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
    if order == "worst":
        statuses = by_urgency(statuses)
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
@click.option(
    "--state",
    type=ValuesOf("superbot.domain.model.State", but=("done",)),
    default=None,
    help="on_track 正常、at_risk 有风险、blocked 受阻；只报状态时可不写 --percent（沿用上次进度）",
)
@click.option("--note", default=None, help="进展说明")
@click.option("--by", default=None, help="报送人（人员编号或姓名）")
@click.option(
    "--at", "at", type=MOMENT, default=None, help="报送时间，补录时用（默认现在）；灯按这一天评"
)
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
@click.option("--yes", "-y", is_flag=True, help="进度比上次低时不再询问，直接登记")
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
    yes: bool,
) -> int:
    """登记一条进度（电话、当面报送的由督查科代为录入），可附佐证材料。

    \b
    例：superbot report zcq8-1 --percent 60 --by 李明辉 --at 2022-9-20 --note "土地指标待落实"
    例：superbot report zcq8-3 --state blocked --note 资金未到位
    """
    # "受阻" or "有风险" alone is a report, as in the bot: the last percent stands.
    from superbot.cli.loop_commands import deliver
    from superbot.domain.model import State
    from superbot.domain.periods import local_day
    from superbot.service.delivery import REVIEW
    from superbot.service.errors import ServiceError
    from superbot.service.report import (
        ReportRequest,
        lower_than_last,
        record_report,
        validated_report,
    )
    from superbot.service.status import load_plan

    state_alone = percent is None and not done and state in (State.BLOCKED, State.AT_RISK)
    if (percent is None) == (not done) and not state_alone:
        raise click.UsageError(runtime.text("cli.percent_or_done"))
    files = _evidence_files(runtime, evidence)  # checked before anything is recorded
    if files is None:
        return 2
    try:
        plan = load_plan(runtime.store)
        zone = ZoneInfo(plan.settings.timezone)
        request = ReportRequest(
            task_id=task,
            percent=percent,
            done=done,
            state=State(state) if state else None,
            note=note,
            by=by,
            at=in_zone(at, zone) if at else None,
            values=dict(values),
        )
        validated_report(runtime.store, plan, request, runtime.now())  # refusals come first
        previous = lower_than_last(runtime.store, plan, request, runtime.now())
        if previous is not None and not yes:
            asked = runtime.text(
                "cli.lower_than_last",
                percent=percent,
                last=previous.percent,
                at=previous.at.astimezone(zone),
            )
            answer = runtime.confirm(asked)
            if answer is None:
                runtime.echo(runtime.text("cli.lower_needs_yes", question=asked), err=True)
                return 2
            if not answer:
                runtime.echo(runtime.text("cli.nothing_recorded"), err=True)
                return 1
        recorded = record_report(runtime.store, request, now=runtime.now(), plan=plan)
    except ServiceError as error:
        return _refuse(runtime, error, 1 if error.text.key == "status.not_synced" else 2)
    by_id = recorded.report.person_id
    person = plan.people.get(by_id) if by_id else None
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
            judged_on=local_day(recorded.report.at, zone) if at else None,
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


@cli.command()
@click.argument("task")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_obj
def history(runtime: Runtime, task: str, as_json: bool) -> int:
    """列出一项任务的全部报送（含已撤回的），编号可用于 superbot undo。

    \b
    例：superbot history zcq8-1
    """
    from superbot.service.errors import ServiceError
    from superbot.service.report import report_history
    from superbot.service.status import load_plan

    try:
        plan = load_plan(runtime.store)
        found = report_history(runtime.store, task)
    except ServiceError as error:
        return _refuse(runtime, error, 1 if error.text.key == "status.not_synced" else 2)
    zone = plan.zone
    if as_json:
        runtime.echo(
            json.dumps(
                [
                    {
                        "id": r.id,
                        "at": r.at.astimezone(zone).isoformat(),
                        "by": r.person_id,
                        "channel": r.source,
                        "percent": r.percent,
                        "state": r.state.value if r.state else None,
                        "note": r.note,
                        "withdrawn_at": (
                            r.withdrawn_at.astimezone(zone).isoformat() if r.withdrawn_at else None
                        ),
                    }
                    for r in found.reports
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    runtime.echo(runtime.render("cli/history.txt", history=found, people=plan.people, zone=zone))
    return 0


@cli.command()
@click.argument("report_id", metavar="REPORT_ID", type=int)
@click.pass_obj
def undo(runtime: Runtime, report_id: int) -> int:
    """撤回一条登记错的报送：留在记录里并标明已撤回，红黄绿灯和通报不再计入。

    \b
    例：superbot undo 42（编号见 superbot history）
    """
    from superbot.domain.periods import local_day
    from superbot.service.errors import ServiceError
    from superbot.service.report import undo_report
    from superbot.service.status import load_plan, task_status

    try:
        plan = load_plan(runtime.store)
        withdrawn = undo_report(runtime.store, report_id, runtime.now())
        today = local_day(runtime.now(), plan.zone)
        status = (
            task_status(runtime.store, plan, withdrawn.task_id, today)
            if plan.task(withdrawn.task_id)
            else None  # archived: no light any more
        )
    except ServiceError as error:
        return _refuse(runtime, error, 1 if error.text.key == "status.not_synced" else 2)
    runtime.echo(
        runtime.render(
            "cli/undo.txt", report=withdrawn, status=status, people=plan.people, zone=plan.zone
        )
    )
    return 0
