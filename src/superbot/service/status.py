"""The plan's tasks with their lights on a given day."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from superbot.domain.calendar import CalendarSpec, WorkdayCalendar
from superbot.domain.lights import Assessment, Light, assess
from superbot.domain.model import Campaign, Department, PlanSettings, Report, State, Task
from superbot.domain.periods import end_of_day, local_day
from superbot.domain.review import Due, dues, pending_claims
from superbot.domain.suggest import closest
from superbot.domain.text import Text
from superbot.service.errors import NotSynced, ServiceError
from superbot.service.people import find_department
from superbot.service.store import ActivePlan, Store


@dataclass(frozen=True)
class TaskStatus:
    task: Task
    campaign: Campaign
    lead: Department
    support: tuple[Department, ...]
    latest: Report | None  # newest progress report up to the day assessed
    assessment: Assessment

    @property
    def light(self) -> Light:
        return self.assessment.light

    @property
    def reasons(self) -> tuple[Text, ...]:
        return self.assessment.reasons


@lru_cache(maxsize=16)
def workday_calendar(spec: CalendarSpec) -> WorkdayCalendar:
    return WorkdayCalendar(spec)


@dataclass(frozen=True)
class PlanClock:
    """The plan's zone and workday calendar."""

    zone: ZoneInfo
    calendar: WorkdayCalendar

    @classmethod
    def of(cls, settings: PlanSettings) -> PlanClock:
        return cls(ZoneInfo(settings.timezone), workday_calendar(settings.calendar))


def load_plan(store: Store) -> ActivePlan:
    plan = store.active_plan()
    if plan is None:
        raise NotSynced()
    return plan


@dataclass(frozen=True)
class LoopFacts:
    """What the supervision loop adds to the progress of tasks at a moment."""

    claims: Mapping[str, date] = field(default_factory=dict)  # task → day of a pending 办结申请
    dues: Mapping[str, Due] = field(default_factory=dict)  # task → due moved by an extension
    excused: frozenset[str] = frozenset()  # 受阻 for a reason a coordinator accepted
    # task → indicator → latest value: read only when indicators can change a light
    values: Mapping[str, Mapping[str, float]] = field(default_factory=dict)


def loop_facts(
    store: Store, plan: ActivePlan, until: datetime, tasks: Sequence[Task] | None = None
) -> LoopFacts:
    """For ``tasks`` (default: all of the plan's): a reply's light reads its task's alone."""
    ids = None if tasks is None else [t.id for t in tasks]
    requests = store.requests(ids)
    # Read only where the scheme uses them: a default plan's status costs no extra query.
    excused = (
        excused_tasks(store, until, task_ids=ids)
        if plan.settings.scoring.excuse_accepted
        else frozenset()
    )
    rules = plan.settings.rules
    values: dict[str, dict[str, float]] = {}
    if rules.indicator_yellow is not None or rules.indicator_red is not None:
        for (task_id, indicator_id), (value, _) in store.latest_values(until, ids).items():
            values.setdefault(task_id, {})[indicator_id] = value
    if not requests:
        return LoopFacts(excused=excused, values=values)
    zone = plan.zone
    return LoopFacts(
        excused=excused,
        values=values,
        claims={
            task_id: local_day(r.requested_at, zone)
            for task_id, r in pending_claims(requests, until).items()
        },
        dues=dues({t.id: t.due for t in (plan.tasks if tasks is None else tasks)}, requests, until),
    )


def excused_tasks(
    store: Store,
    until: datetime,
    accepted_by: datetime | None = None,
    task_ids: Collection[str] | None = None,
) -> frozenset[str]:
    """Tasks 受阻 at ``until`` whose reason a coordinator accepted (by ``accepted_by``, ``until``
    when not given) since they last became blocked: an acceptance holds while the task stays
    blocked, not for a later blockage."""
    accepted = store.accepted_reasons(accepted_by or until)
    if task_ids is not None:
        accepted = {t: times for t, times in accepted.items() if t in task_ids}
    excused = set()
    for task_id, times in accepted.items():
        progress = [r for r in store.task_reports(task_id) if r.is_progress and r.at <= until]
        progress.sort(key=lambda r: r.at)
        if not progress or progress[-1].state is not State.BLOCKED:
            continue
        blocked_since = progress[-1].at
        for report in reversed(progress):
            if report.state is not State.BLOCKED:
                break
            blocked_since = report.at
        if any(at >= blocked_since for at in times):
            excused.add(task_id)
    return frozenset(excused)


def assess_tasks(
    plan: ActivePlan,
    latest: Mapping[str, Report],
    as_of: date,
    loop: LoopFacts | None = None,
) -> list[TaskStatus]:
    clock = PlanClock.of(plan.settings)
    facts = loop or LoopFacts()
    return [_status(plan, task, latest.get(task.id), as_of, clock, facts) for task in plan.tasks]


def read_statuses(store: Store, plan: ActivePlan, as_of: date) -> list[TaskStatus]:
    """Every task of ``plan`` on ``as_of``, from what the store holds at that day's end."""
    until = end_of_day(as_of, plan.zone)
    latest = store.latest_progress(until, archived=True)
    return assess_tasks(plan, latest, as_of, loop_facts(store, plan, until))


def _status(
    plan: ActivePlan,
    task: Task,
    latest: Report | None,
    as_of: date,
    clock: PlanClock,
    facts: LoopFacts,
) -> TaskStatus:
    due = facts.dues.get(task.id)
    if due is not None:
        task = replace(task, due=due.day)
    return TaskStatus(
        task=task,
        campaign=plan.campaigns[task.campaign_id],
        lead=plan.departments[task.lead],
        support=tuple(plan.departments[d] for d in task.support),
        latest=latest,
        assessment=assess(
            task,
            latest,
            as_of,
            plan.settings.rules,
            clock.calendar,
            clock.zone,
            claimed_on=facts.claims.get(task.id),
            original_due=due.original if due is not None else None,
            excused=task.id in facts.excused,
            values=facts.values.get(task.id),
        ),
    )


def task_statuses(
    store: Store,
    as_of: date,
    *,
    campaign: str | None = None,
    lead: str | None = None,
    plan: ActivePlan | None = None,
) -> tuple[ActivePlan, list[TaskStatus]]:
    plan = plan or plan_on(store, as_of)
    if campaign is not None and campaign not in plan.campaigns:
        raise ServiceError(
            "status.unknown_campaign", id=campaign, suggestion=closest(campaign, plan.campaigns)
        )
    if lead is not None:
        lead = find_department(plan, lead).id
    statuses = [
        s
        for s in read_statuses(store, plan, as_of)
        if (campaign is None or s.task.campaign_id == campaign)
        and (lead is None or s.task.lead == lead)
    ]
    return plan, statuses


def by_urgency(statuses: Iterable[TaskStatus]) -> list[TaskStatus]:
    """Worst first: red before yellow … done; the sooner due first within a light."""
    return sorted(statuses, key=lambda s: (s.light.severity, s.task.due))


def task_status(store: Store, plan: ActivePlan, task_id: str, as_of: date) -> TaskStatus:
    """One task's light, without assessing the whole plan (a reply's confirmation)."""
    task = plan.task(task_id)
    if task is None:
        raise LookupError(task_id)
    clock = PlanClock.of(plan.settings)
    until = end_of_day(as_of, clock.zone)
    latest = store.latest_progress(until, task_ids=[task_id])
    facts = loop_facts(store, plan, until, [task])
    return _status(plan, task, latest.get(task_id), as_of, clock, facts)


def plan_on(store: Store, day: date) -> ActivePlan:
    """The plan as the sync in force at the end of ``day`` left it; the current plan when no
    sync came after. A day before the first recorded sync gets the oldest plan known."""
    current = load_plan(store)
    versions = store.plan_versions()
    if not versions:
        return current
    until = end_of_day(day, current.zone)
    if versions[-1].at <= until:
        return current
    earlier = [v for v in versions if v.at <= until]
    version = earlier[-1] if earlier else versions[0]
    plan = store.plan_of_version(version.id)
    people = {p.id: p for p in plan.people}
    return ActivePlan(
        settings=plan.settings,
        departments={d.id: d for d in plan.departments},
        people=people,
        campaigns={c.id: c for c in plan.campaigns},
        tasks=plan.tasks,
        coordinators=tuple(p for p in plan.settings.coordinators if p in people),
        accounts=current.accounts,
        last_sync=current.last_sync,
    )
