"""Building the monthly 督查通报 from the store: lights at month end, ranking, silences."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from superbot.domain.lights import Light, is_done
from superbot.domain.model import Report, Task
from superbot.domain.periods import Period, end_of_day, start_of_day
from superbot.domain.ranking import (
    POINTS,
    REPORT_WEIGHT,
    TASK_WEIGHT,
    TaskStanding,
    rank,
    score_department,
)
from superbot.service.status import TaskStatus, assess_tasks, load_plan
from superbot.service.store import ActivePlan, Store
from superbot.service.views import (
    Bulletin,
    CampaignSummary,
    DepartmentRank,
    IndicatorReading,
    LightCounts,
    Silence,
)


def build_bulletin(store: Store, period: Period, issued_on: date) -> Bulletin:
    plan = load_plan(store)
    zone = ZoneInfo(plan.settings.timezone)
    before = store.latest_progress(start_of_day(period.first, zone) - timedelta(microseconds=1))
    at_end = store.latest_progress(end_of_day(period.last, zone))
    reports = store.reports_between(start_of_day(period.first, zone), end_of_day(period.last, zone))
    statuses = [s for s in assess_tasks(plan, at_end, period.last) if s.task.start <= period.last]
    reported = {r.task_id for r in reports}
    open_in_period = {s.task.id for s in statuses if not is_done(before.get(s.task.id))}
    completed = [s for s in statuses if s.light is Light.DONE and s.task.id in open_in_period]
    return Bulletin(
        plan_name=plan.settings.name,
        period=period,
        as_of=period.last,
        issued_on=issued_on,
        rules=plan.settings.rules,
        counts=LightCounts.of(statuses),
        campaigns=tuple(
            CampaignSummary(campaign, LightCounts.of(group))
            for campaign, group in _by_campaign(plan, statuses)
        ),
        ranking=tuple(_ranking(plan, statuses, open_in_period, reported)),
        red=tuple(s for s in statuses if s.light is Light.RED),
        yellow=tuple(s for s in statuses if s.light is Light.YELLOW),
        completed=tuple(completed),
        indicators=tuple(
            indicator_readings(statuses, store.latest_values(end_of_day(period.last, zone)), zone)
        ),
        silent=tuple(silences(plan, statuses, open_in_period, reported)),
        statuses=tuple(statuses),
        weights=(TASK_WEIGHT, REPORT_WEIGHT),
        points=dict(POINTS),
    )


def _by_campaign(plan: ActivePlan, statuses: Sequence[TaskStatus]) -> Iterable[tuple]:  # type: ignore[type-arg]
    groups: dict[str, list[TaskStatus]] = defaultdict(list)
    for s in statuses:
        groups[s.task.campaign_id].append(s)
    for campaign_id, campaign in plan.campaigns.items():
        if groups.get(campaign_id):
            yield campaign, groups[campaign_id]


def _ranking(
    plan: ActivePlan,
    statuses: Sequence[TaskStatus],
    open_in_period: set[str],
    reported: set[str],
) -> list[DepartmentRank]:
    by_lead: dict[str, list[TaskStatus]] = defaultdict(list)
    for s in statuses:
        by_lead[s.task.lead].append(s)
    scores = [
        score_department(
            lead,
            [
                TaskStanding(
                    light=s.light,
                    done_late=s.light is Light.DONE
                    and s.assessment.last_report is not None
                    and s.assessment.last_report > s.task.due,
                    open_in_period=s.task.id in open_in_period,
                    reported_in_period=s.task.id in reported,
                )
                for s in group
            ],
        )
        for lead, group in by_lead.items()
    ]
    return [
        DepartmentRank(
            plan.departments[score.department_id],
            score,
            LightCounts.of(by_lead[score.department_id]),
        )
        for score in rank(scores)
    ]


def indicator_readings(
    statuses: Sequence[TaskStatus],
    values: Mapping[tuple[str, str], tuple[float, datetime]],
    zone: ZoneInfo,
) -> list[IndicatorReading]:
    readings = []
    for s in statuses:
        for indicator in s.task.indicators:
            found = values.get((s.task.id, indicator.id))
            value, at = found if found else (None, None)
            readings.append(
                IndicatorReading(
                    s.task,
                    indicator,
                    value,
                    at.astimezone(zone).date() if at is not None else None,
                )
            )
    return readings


def silences(
    plan: ActivePlan,
    statuses: Sequence[TaskStatus],
    owed: set[str],
    reported: set[str],
) -> list[Silence]:
    """Departments with tasks that owed a report (open in the period) and got none."""
    missing: dict[str, list[Task]] = defaultdict(list)
    for s in statuses:
        if s.task.id in owed and s.task.id not in reported and s.light is not Light.DONE:
            missing[s.task.lead].append(s.task)
    return [
        Silence(department, tuple(plan.owners(department_id)), tuple(missing[department_id]))
        for department_id, department in plan.departments.items()
        if missing.get(department_id)
    ]


def reports_by_task(reports: Iterable[Report]) -> dict[str, list[Report]]:
    grouped: dict[str, list[Report]] = defaultdict(list)
    for report in reports:
        grouped[report.task_id].append(report)
    return grouped
