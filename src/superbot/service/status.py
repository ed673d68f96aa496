"""The plan's tasks with their lights on a given day."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from zoneinfo import ZoneInfo

from superbot.domain.calendar import CalendarSpec, WorkdayCalendar
from superbot.domain.lights import Assessment, Light, assess
from superbot.domain.model import Campaign, Department, PlanSettings, Report, Task
from superbot.domain.periods import end_of_day
from superbot.domain.suggest import closest
from superbot.domain.text import Text
from superbot.service.errors import NotSynced, ServiceError
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


def assess_tasks(plan: ActivePlan, latest: Mapping[str, Report], as_of: date) -> list[TaskStatus]:
    clock = PlanClock.of(plan.settings)
    return [_status(plan, task, latest.get(task.id), as_of, clock) for task in plan.tasks]


def _status(
    plan: ActivePlan, task: Task, latest: Report | None, as_of: date, clock: PlanClock
) -> TaskStatus:
    return TaskStatus(
        task=task,
        campaign=plan.campaigns[task.campaign_id],
        lead=plan.departments[task.lead],
        support=tuple(plan.departments[d] for d in task.support),
        latest=latest,
        assessment=assess(task, latest, as_of, plan.settings.rules, clock.calendar, clock.zone),
    )


def task_statuses(
    store: Store,
    as_of: date,
    *,
    campaign: str | None = None,
    lead: str | None = None,
    plan: ActivePlan | None = None,
) -> tuple[ActivePlan, list[TaskStatus]]:
    plan = plan or load_plan(store)
    if campaign is not None and campaign not in plan.campaigns:
        raise ServiceError(
            "status.unknown_campaign", id=campaign, suggestion=closest(campaign, plan.campaigns)
        )
    if lead is not None and lead not in plan.departments:
        raise ServiceError(
            "status.unknown_department", id=lead, suggestion=closest(lead, plan.departments)
        )
    latest = store.latest_progress(end_of_day(as_of, ZoneInfo(plan.settings.timezone)))
    statuses = [
        s
        for s in assess_tasks(plan, latest, as_of)
        if (campaign is None or s.task.campaign_id == campaign)
        and (lead is None or s.task.lead == lead)
    ]
    return plan, statuses


def task_status(store: Store, plan: ActivePlan, task_id: str, as_of: date) -> TaskStatus:
    """One task's light, without assessing the whole plan (a reply's confirmation)."""
    task = plan.task(task_id)
    if task is None:
        raise LookupError(task_id)
    clock = PlanClock.of(plan.settings)
    latest = store.latest_progress(end_of_day(as_of, clock.zone), task_ids=[task_id])
    return _status(plan, task, latest.get(task_id), as_of, clock)
