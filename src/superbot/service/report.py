"""Recording progress: from the command line and the bot.

With ``rules.review_done`` a report of "done" is a 办结申请: the task is 待审核 until a
coordinator decides (``service.review``); any other progress withdraws a pending one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from zoneinfo import ZoneInfo

from superbot.domain.model import Report, State
from superbot.domain.periods import local_day
from superbot.domain.review import Request
from superbot.domain.suggest import closest
from superbot.service.errors import ServiceError
from superbot.service.people import find_person
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
    saved, claim = store.add_progress(
        report, source_ref=request.source_ref, review=plan.settings.rules.review_done
    )
    zone_day = local_day(max(saved.at, now), _zone(plan))
    return Recorded(saved, task_status(store, plan, saved.task_id, zone_day), claim)


def validated_report(
    store: Store, plan: ActivePlan, request: ReportRequest, now: datetime
) -> Report:
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
