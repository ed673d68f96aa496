"""The monthly reminder: each owner of a lead department gets its open tasks."""

from __future__ import annotations

from datetime import date

from superbot.domain.lights import Light
from superbot.domain.periods import Period
from superbot.service.status import TaskStatus, read_statuses
from superbot.service.store import ActivePlan, Store
from superbot.service.views import ReminderView

# Nothing to report on: done, or waiting for the coordinators to review it.
SETTLED = (Light.DONE, Light.PENDING)


def open_tasks_by_lead(plan: ActivePlan, store: Store, as_of: date) -> dict[str, list[TaskStatus]]:
    by_lead: dict[str, list[TaskStatus]] = {}
    for status in read_statuses(store, plan, as_of):
        if status.light not in SETTLED and status.task.start <= as_of:
            by_lead.setdefault(status.task.lead, []).append(status)
    for statuses in by_lead.values():
        statuses.sort(key=lambda s: (s.light.severity, s.task.due))
    return by_lead


def build_reminders(
    plan: ActivePlan, store: Store, period: Period, as_of: date
) -> list[ReminderView]:
    coordinators = tuple(plan.people[p] for p in plan.coordinators if p in plan.people)
    views = []
    for lead, statuses in open_tasks_by_lead(plan, store, as_of).items():
        department = plan.departments[lead]
        for person in plan.liaisons(lead):
            views.append(
                ReminderView(person, department, period, as_of, tuple(statuses), coordinators)
            )
    return views
