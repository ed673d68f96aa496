"""What the web view's pages show, as values: the 总览, the task table, a department's page.

Lights are those of :mod:`superbot.service.status` (the rules of ``superbot status``); what a
person may see is :class:`~superbot.service.access.Viewer`'s to decide, here applied once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from superbot.domain.lights import Light
from superbot.domain.model import Campaign, Department, Person
from superbot.domain.periods import Period, month_of, parse_month, previous_month
from superbot.domain.ranking import Score
from superbot.service.access import Viewer
from superbot.service.bulletin import build_bulletin
from superbot.service.status import TaskStatus, read_statuses
from superbot.service.store import ActivePlan, Mention, Store
from superbot.service.views import LightCounts

UPCOMING_DAYS = 14
SORTS = ("plan", "due", "light", "percent", "lead", "campaign")
OPEN = (Light.RED, Light.YELLOW, Light.GREEN, Light.PENDING)


@dataclass(frozen=True)
class Group:
    """Lights of one campaign or department, now and at the end of last month."""

    id: str
    name: str
    now: LightCounts
    before: LightCounts


@dataclass(frozen=True)
class MonthLights:
    period: Period
    counts: LightCounts


@dataclass(frozen=True)
class Overview:
    as_of: date
    last_month: Period
    counts: LightCounts
    before: LightCounts
    campaigns: tuple[Group, ...]
    departments: tuple[Group, ...]
    trend: tuple[MonthLights, ...]  # the plan's months up to this one
    upcoming: tuple[TaskStatus, ...]  # open, due in the next two weeks, soonest first


@dataclass(frozen=True)
class TaskFilter:
    campaign: str | None = None
    lead: str | None = None
    light: str | None = None
    sort: str = "plan"
    descending: bool = False


@dataclass(frozen=True)
class DepartmentMonth:
    """A department in one issued 通报: how many of its tasks had each light (as issued), and
    its score and rank (the 通报's ranking, computed from that month's records)."""

    mention: Mention
    counts: LightCounts
    score: Score | None = None
    ranked: int = 0  # departments in that ranking


@dataclass(frozen=True)
class DepartmentPage:
    department: Department
    statuses: tuple[TaskStatus, ...]  # tasks it leads
    supported: tuple[TaskStatus, ...]  # tasks it supports (配合)
    counts: LightCounts
    history: tuple[DepartmentMonth, ...]  # one per issued 通报, oldest first
    people: tuple[Person, ...]
    liaisons: frozenset[str]
    leaders: tuple[Person, ...]


def overview(store: Store, plan: ActivePlan, viewer: Viewer, today: date) -> Overview:
    now = _seen(viewer, read_statuses(store, plan, today))
    last = previous_month(today)
    before = _seen(viewer, read_statuses(store, plan, last.last))
    campaigns = [
        _group(c.id, c.name, [s for s in now if s.task.campaign_id == c.id], before, "campaign")
        for c in plan.campaigns.values()
    ]
    departments = [
        _group(d.id, d.name, [s for s in now if s.task.lead == d.id], before, "lead")
        for d in plan.departments.values()
    ]
    horizon = today + timedelta(days=UPCOMING_DAYS)
    upcoming = sorted(
        (s for s in now if s.light in OPEN and today <= s.task.due <= horizon),
        key=lambda s: (s.task.due, s.light.severity),
    )
    return Overview(
        as_of=today,
        last_month=last,
        counts=LightCounts.of(now),
        before=LightCounts.of(before),
        campaigns=tuple(g for g in campaigns if g.now.total or g.before.total),
        departments=tuple(g for g in departments if g.now.total or g.before.total),
        trend=tuple(trend(store, plan, viewer, today)),
        upcoming=tuple(upcoming),
    )


def trend(store: Store, plan: ActivePlan, viewer: Viewer, today: date) -> list[MonthLights]:
    """Lights at the end of each month from the plan's start to this one (this one: today)."""
    if not plan.tasks:
        return []
    first = min(t.start for t in plan.tasks)
    last_due = max(t.due for t in plan.tasks)
    end = min(today, last_due) if today >= first else first
    months: list[MonthLights] = []
    period = month_of(first)
    while period.first <= end:
        day = min(period.last, today)
        seen = _seen(viewer, read_statuses(store, plan, day))
        months.append(MonthLights(period, LightCounts.of(seen)))
        period = month_of(period.last + timedelta(days=1))
    return months


def task_table(
    store: Store, plan: ActivePlan, viewer: Viewer, today: date, wanted: TaskFilter
) -> list[TaskStatus]:
    rows = [
        s
        for s in _seen(viewer, read_statuses(store, plan, today))
        if (wanted.campaign is None or s.task.campaign_id == wanted.campaign)
        and (wanted.lead is None or s.task.lead == wanted.lead)
        and (wanted.light is None or s.light.value == wanted.light)
    ]
    order = list(plan.campaigns)
    departments = list(plan.departments)
    keys = {
        "plan": lambda s: 0,
        "due": lambda s: s.task.due,
        "light": lambda s: s.light.severity,
        "percent": lambda s: s.assessment.percent,
        "lead": lambda s: departments.index(s.task.lead),
        "campaign": lambda s: order.index(s.task.campaign_id),
    }
    key = keys.get(wanted.sort, keys["plan"])
    return sorted(rows, key=key, reverse=wanted.descending)


def department_page(
    store: Store, plan: ActivePlan, department_id: str, today: date
) -> DepartmentPage | None:
    department = plan.departments.get(department_id)
    if department is None:
        return None
    statuses = read_statuses(store, plan, today)
    led = tuple(s for s in statuses if s.task.lead == department_id)
    supported = tuple(s for s in statuses if department_id in s.task.support)
    by_period: dict[str, list[Light]] = {}
    mentions: dict[str, Mention] = {}
    for status in led:
        for mention in store.mentions(status.task.id):
            by_period.setdefault(mention.period, []).append(mention.light)
            mentions.setdefault(mention.period, mention)
    history = tuple(
        _month(store, department_id, mentions[p], _counts(by_period[p])) for p in sorted(by_period)
    )
    return DepartmentPage(
        department=department,
        statuses=led,
        supported=supported,
        counts=LightCounts.of(led),
        history=history,
        people=tuple(plan.owners(department_id)),
        liaisons=frozenset(department.liaisons),
        leaders=tuple(plan.leaders(department_id)),
    )


def _month(
    store: Store, department_id: str, mention: Mention, counts: LightCounts
) -> DepartmentMonth:
    issue = store.bulletin_issue(mention.period)
    if issue is None:
        return DepartmentMonth(mention, counts)
    ranking = build_bulletin(store, parse_month(mention.period), issue).ranking
    mine = next((r.score for r in ranking if r.department.id == department_id), None)
    return DepartmentMonth(mention, counts, mine, len(ranking))


def campaigns_seen(plan: ActivePlan, statuses: Sequence[TaskStatus]) -> list[Campaign]:
    ids = {s.task.campaign_id for s in statuses}
    return [c for c in plan.campaigns.values() if c.id in ids]


def _seen(viewer: Viewer, statuses: Sequence[TaskStatus]) -> list[TaskStatus]:
    return [s for s in statuses if viewer.sees_task(s.task)]


def _group(
    id_: str, name: str, now: Sequence[TaskStatus], before: Sequence[TaskStatus], by: str
) -> Group:
    attribute = "campaign_id" if by == "campaign" else "lead"
    earlier = [s for s in before if getattr(s.task, attribute) == id_]
    return Group(id_, name, LightCounts.of(now), LightCounts.of(earlier))


def _counts(lights: Sequence[Light]) -> LightCounts:
    return LightCounts(
        lights.count(Light.RED),
        lights.count(Light.YELLOW),
        lights.count(Light.GREEN),
        lights.count(Light.DONE),
        lights.count(Light.PENDING),
    )
