"""Recording progress: from the command line and the bot.

With ``rules.review_done`` a report of "done" is a 办结申请: the task is 待审核 until a
coordinator decides (``service.review``); any other progress withdraws a pending one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

from superbot.domain.model import Person, Report, State, Task
from superbot.domain.periods import local_day
from superbot.domain.progress import NOTE_LIMIT
from superbot.domain.review import Request, RequestStatus
from superbot.domain.suggest import closest
from superbot.service.errors import ServiceError
from superbot.service.people import Right, find_person, member_of, right
from superbot.service.status import TaskStatus, load_plan, task_status
from superbot.service.store import ActivePlan, Store


@dataclass(frozen=True)
class ReportRequest:
    task_id: str
    percent: int | None = None
    done: bool = False
    state: State | None = None
    note: str | None = None
    by: str | None = None
    at: datetime | None = None  # aware; defaults to now
    values: Mapping[str, float] = field(default_factory=dict)
    source: str = "cli"
    source_ref: str | None = None


@dataclass(frozen=True)
class Recorded:
    report: Report
    status: TaskStatus  # the task's light right after the report
    claim: Request | None = None  # the 办结申请 the report made (待审核)


def record_report(
    store: Store, request: ReportRequest, *, now: datetime, plan: ActivePlan | None = None
) -> Recorded:
    """Validate and store; ``plan``, when the caller has just loaded it, is not read again."""
    plan = plan or load_plan(store)
    report = validated_report(store, plan, request, now)
    if request.source_ref is None:
        _refuse_a_repeat(store, plan, report, now)
    saved, claim = store.add_progress(
        report, source_ref=request.source_ref, review=plan.settings.rules.review_done
    )
    # The light on the day the report speaks of: a report typed in late is judged then.
    zone_day = local_day(saved.at, _zone(plan))
    return Recorded(saved, task_status(store, plan, saved.task_id, zone_day), claim)


# The same report entered again this soon is a double Enter or a second coordinator typing
# the same phone call, not news.
REPEAT_WINDOW = timedelta(minutes=1)


def _refuse_a_repeat(store: Store, plan: ActivePlan, report: Report, now: datetime) -> None:
    for earlier in reversed(store.task_reports(report.task_id)):
        if earlier.recorded_at is None or now - earlier.recorded_at > REPEAT_WINDOW:
            continue
        same = (
            earlier.at == report.at
            and earlier.percent == report.percent
            and earlier.state == report.state
            and earlier.note == report.note
            and earlier.person_id == report.person_id
            and dict(earlier.values) == dict(report.values)
        )
        if same:
            raise ServiceError(
                "report.repeated", id=earlier.id, at=earlier.recorded_at.astimezone(_zone(plan))
            )


def lower_than_last(
    store: Store, plan: ActivePlan, request: ReportRequest, now: datetime
) -> Report | None:
    """The latest report before this one when this one's percent is lower: a typo, or progress
    really lost, which the coordinator confirms before it counts."""
    if request.percent is None or request.done:
        return None
    task = plan.task(request.task_id)
    if task is None:
        return None
    at = request.at or now
    previous = store.latest_progress(at, task_ids=[task.id]).get(task.id)
    if previous is None or previous.percent is None or previous.percent <= request.percent:
        return None
    return previous


@dataclass(frozen=True)
class History:
    task: Task
    reports: list[Report]  # oldest first, withdrawn ones marked


def report_history(store: Store, task_id: str) -> History:
    plan = load_plan(store)
    word = task_id.strip().lstrip("#＃")
    task = plan.task(word) or _archived_task(store, word)
    if task is None:
        raise ServiceError(
            "report.unknown_task", id=task_id, suggestion=closest(word, [t.id for t in plan.tasks])
        )
    return History(task, store.task_reports(task.id, withdrawn=True))


def _archived_task(store: Store, task_id: str) -> Task | None:
    if not store.task_archived(task_id):
        return None
    stored = store.snapshot().tasks.get(task_id)
    return stored.value if stored is not None else None


def undo_report(store: Store, report_id: int, now: datetime) -> Report:
    """Withdraw a mistaken report: kept in the history, marked, and counted nowhere else."""
    report = store.report(report_id)
    if report is None:
        raise ServiceError("report.no_such_report", id=report_id)
    if report.withdrawn_at is not None:
        raise ServiceError(
            "report.already_withdrawn",
            id=report_id,
            at=report.withdrawn_at.astimezone(_zone(load_plan(store))),
        )
    approved = [
        r
        for r in store.requests([report.task_id])
        if r.report_id == report_id and r.status is RequestStatus.APPROVED
    ]
    if approved:  # 销号 is a coordinator's decision on record: undone by a new report
        raise ServiceError("report.approved_claim", id=report_id, task=report.task_id)
    return store.withdraw_report(report_id, now)


def bounded_note(note: str | None) -> None:
    """A note too long is refused whole, before anything is stored: the person shortens it
    (every channel, the CLI and the 填报 Excel alike)."""
    if note is not None and len(note) > NOTE_LIMIT:
        raise ServiceError("report.note_too_long", limit=NOTE_LIMIT, length=len(note))


def validated_report(
    store: Store, plan: ActivePlan, request: ReportRequest, now: datetime
) -> Report:
    bounded_note(request.note)
    task = plan.task(request.task_id)
    if task is None:
        if store.task_archived(request.task_id):
            raise ServiceError("report.archived_task", id=request.task_id)
        raise ServiceError(
            "report.unknown_task",
            id=request.task_id,
            suggestion=closest(request.task_id, [t.id for t in plan.tasks]),
        )
    percent, state = _progress(request)
    if percent is None and state is not None:
        # "受阻" without a number keeps the last percent: the light needs one.
        previous = store.latest_progress(request.at or now, task_ids=[task.id]).get(task.id)
        percent = previous.percent if previous is not None and previous.percent is not None else 0
    by = find_person(plan, request.by) if request.by is not None else None
    if by is not None and not may_report_for(plan, by, task, progress=percent is not None):
        raise ServiceError(
            "report.not_their_task",
            name=by.name,
            department=plan.departments[by.department_id].name,
            task=task.id,
            lead=plan.departments[task.lead].name if task.lead in plan.departments else task.lead,
        )
    known = {i.id for i in task.indicators}
    for indicator in request.values:
        if indicator not in known:
            raise ServiceError(
                "report.unknown_indicator", id=indicator, task=task.id, choices=sorted(known)
            )
    at = request.at or now
    if at.tzinfo is None:
        raise ValueError("report times must be aware")
    if at > now:
        raise ServiceError("report.in_future", at=at.astimezone(_zone(plan)))
    note = request.note.strip() if request.note and request.note.strip() else None
    return Report(
        task_id=task.id,
        at=at,
        percent=percent,
        state=state,
        note=note,
        person_id=by.id if by else None,
        values=MappingProxyType(dict(request.values)),
        source=request.source,
        recorded_at=now,
    )


def may_report_for(plan: ActivePlan, person: Person, task: Task, *, progress: bool) -> bool:
    """Who may be named as a task's reporter: the lead department's people, its 分管领导 and
    the coordinators for progress; a support department's people for notes only. Anyone else
    is a typo for someone, and a report in their name would be wrong in the 通报."""
    if person in plan.leaders(task.lead):
        return True
    allowed = right(member_of(plan, person), task)
    return allowed is Right.PROGRESS or (allowed is Right.NOTES and not progress)


def _progress(request: ReportRequest) -> tuple[int | None, State | None]:
    percent, state = request.percent, request.state
    if percent is not None and not 0 <= percent <= 100:
        raise ServiceError("report.percent_range", value=percent)
    finished = request.done or state is State.DONE or percent == 100
    if finished and state in (State.AT_RISK, State.BLOCKED):
        raise ServiceError("report.finished_but", state=state.value)
    if finished:
        if percent is not None and percent < 100:
            raise ServiceError("report.done_below_100", percent=percent)
        return 100, State.DONE
    if percent is None:
        return None, state
    return percent, state or State.ON_TRACK


def _zone(plan: ActivePlan) -> ZoneInfo:
    return ZoneInfo(plan.settings.timezone)
