"""The weekly digest for coordinators: what moved, who is silent, what is due, what failed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from superbot.domain.crontab import Crontab, Schedule
from superbot.domain.lights import Light
from superbot.domain.model import ScheduleKind
from superbot.domain.periods import Period, end_of_day, local_day, start_of_day
from superbot.service.bulletin import silences
from superbot.service.history import task_changes
from superbot.service.outbox import Failure
from superbot.service.review import review_queue
from superbot.service.status import PlanClock, load_plan, read_statuses
from superbot.service.store import ActivePlan, Store
from superbot.service.views import DigestView, FailedDelivery, LightCounts, ReportLine

UPCOMING_DAYS = 14


def build_digest(
    store: Store, period: Period, as_of: date, failures: Sequence[Failure]
) -> DigestView:
    plan = load_plan(store)
    zone = ZoneInfo(plan.settings.timezone)
    before_day = period.first - timedelta(days=1)
    before = {s.task.id: s for s in read_statuses(store, plan, before_day)}
    now = [s for s in read_statuses(store, plan, period.last) if s.task.start <= period.last]
    reports = store.reports_between(start_of_day(period.first, zone), end_of_day(period.last, zone))
    tasks = {t.id: t for t in plan.tasks}

    def was(task_id: str) -> Light | None:
        previous = before.get(task_id)
        return (
            previous.light if previous is not None and previous.task.start <= before_day else None
        )

    since = silent_since(plan, period, as_of)
    recent = store.reports_between(start_of_day(since, zone), end_of_day(period.last, zone))
    owed = {s.task.id for s in now if s.light is not Light.DONE and s.task.start < since}
    return DigestView(
        plan_name=plan.settings.name,
        period=period,
        as_of=as_of,
        counts=LightCounts.of(now),
        reports=tuple(
            ReportLine(
                r,
                tasks[r.task_id],
                plan.people.get(r.person_id or ""),
                plan.departments.get(tasks[r.task_id].lead),
                local_day(r.at, zone),
            )
            for r in reports
            if r.task_id in tasks
        ),
        new_red=tuple(s for s in now if s.light is Light.RED and was(s.task.id) is not Light.RED),
        new_yellow=tuple(
            s
            for s in now
            if s.light is Light.YELLOW and was(s.task.id) not in (Light.RED, Light.YELLOW)
        ),
        completed=tuple(
            s for s in now if s.light is Light.DONE and was(s.task.id) is not Light.DONE
        ),
        silent=tuple(silences(plan, now, owed, {r.task_id for r in recent})),
        silent_since=since,
        upcoming=tuple(
            sorted(
                (
                    s
                    for s in now
                    if s.light is not Light.DONE
                    and as_of <= s.task.due < as_of + timedelta(days=UPCOMING_DAYS)
                ),
                key=lambda s: s.task.due,
            )
        ),
        failed=tuple(
            FailedDelivery(
                f.kind,
                f.period,
                f.channel,
                f.recipient,
                plan.people[f.person_id].name
                if f.person_id and f.person_id in plan.people
                else None,
                f.error,
                f.at,
            )
            for f in failures
        ),
        plan_changes=tuple(
            task_changes(
                store,
                zone,
                since=start_of_day(period.first, zone) - timedelta(microseconds=1),
                until=end_of_day(period.last, zone),
            )
        ),
        waiting=tuple(review_queue(store, plan, end_of_day(period.last, zone))),
    )


def silent_since(plan: ActivePlan, period: Period, as_of: date) -> date:
    """Silence counts from the latest monthly reminder; without one, over the period."""
    clock = PlanClock.of(plan.settings)
    schedule = Schedule(
        Crontab.parse(plan.settings.schedules[ScheduleKind.REMINDER]), clock.zone, clock.calendar
    )
    fires = schedule.fires_between(
        start_of_day(as_of - timedelta(days=40), clock.zone), end_of_day(period.last, clock.zone)
    )
    return fires[-1].at.astimezone(clock.zone).date() if fires else period.first
