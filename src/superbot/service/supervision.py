"""督查科 in the chat: the lights, what is overdue, who has not reported, nudges, a preview
of the 通报, and re-reading tasks.yaml. Only coordinators may use these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from superbot.domain.lights import Light, is_overdue
from superbot.domain.model import Account, Campaign, Department, Person, ScheduleKind
from superbot.domain.periods import Period, local_day, month_of, start_of_day
from superbot.domain.suggest import closest
from superbot.domain.text import Text
from superbot.service.bulletin import build_bulletin, issue_of, silences
from superbot.service.conversation import NotBound
from superbot.service.delivery import Delivery, round_for
from superbot.service.digest import silent_since
from superbot.service.errors import ServiceError
from superbot.service.people import Member, bound_people, find_department, member
from superbot.service.status import TaskStatus, load_plan, task_statuses
from superbot.service.store import ActivePlan, Store
from superbot.service.sync import SyncResult
from superbot.service.views import Bulletin, CampaignSummary, LightCounts, Silence


@dataclass(frozen=True)
class StatusView:
    as_of: date
    counts: LightCounts
    campaign: Campaign | None  # /status CAMPAIGN: that campaign's tasks
    campaigns: tuple[CampaignSummary, ...]  # /status: counts per campaign
    statuses: tuple[TaskStatus, ...]  # the campaign's tasks, or every red and yellow one


@dataclass(frozen=True)
class OverdueView:
    as_of: date
    statuses: tuple[TaskStatus, ...]  # open and past due, longest overdue first


@dataclass(frozen=True)
class SilentView:
    """Owners who have not reported since the latest monthly reminder."""

    as_of: date
    since: date
    silences: tuple[Silence, ...]
    bound: frozenset[str]  # people the bot can reach (a /remind goes to them)


@dataclass(frozen=True)
class Nudged:
    as_of: date
    department: Department | None  # /remind DEPT
    sent: tuple[Person, ...]  # nudged now
    repeated: tuple[Person, ...]  # nudged earlier today already: nothing sent again
    unreachable: tuple[Person, ...]  # neither Telegram nor email
    silences: tuple[Silence, ...]


@dataclass(frozen=True)
class PlanProblem:
    line: int
    col: int
    text: Text


@dataclass(frozen=True)
class Retried:
    """/retry: a round's failed messages queued again."""

    kind: str  # reminder | bulletin | digest
    period: str
    requeued: int


RETRY_KINDS = {
    "reminders": ScheduleKind.REMINDER,
    "bulletin": ScheduleKind.BULLETIN,
    "digest": ScheduleKind.DIGEST,
}


@dataclass(frozen=True)
class Reloaded:
    """tasks.yaml read again: applied (``result``), or refused with its errors."""

    path: str
    problems: tuple[PlanProblem, ...]
    result: SyncResult | None


class PlanReloader(Protocol):
    async def __call__(self, now: datetime) -> Reloaded: ...


class Supervision:
    def __init__(
        self, store: Store, delivery: Delivery | None = None, reload: PlanReloader | None = None
    ) -> None:
        self.store = store
        self.delivery = delivery
        self.reloader = reload

    def status(self, sender: Account, campaign: str | None, now: datetime) -> StatusView:
        plan = load_plan(self.store)
        _coordinator(plan, sender)
        today = _today(plan, now)
        wanted = _campaign_id(plan, campaign)
        _, everything = task_statuses(self.store, today, plan=plan)
        started = [s for s in everything if s.task.start <= today]
        if wanted is not None:
            chosen = [s for s in everything if s.task.campaign_id == wanted]
            return StatusView(
                today,
                LightCounts.of(chosen),
                plan.campaigns[wanted],
                (),
                tuple(sorted(chosen, key=lambda s: (s.light.severity, s.task.due))),
            )
        summaries = tuple(
            CampaignSummary(c, LightCounts.of(group))
            for c in plan.campaigns.values()
            if (group := [s for s in started if s.task.campaign_id == c.id])
        )
        urgent = [s for s in started if s.light in (Light.RED, Light.YELLOW)]
        return StatusView(
            today,
            LightCounts.of(started),
            None,
            summaries,
            tuple(sorted(urgent, key=lambda s: (s.light.severity, s.task.due))),
        )

    def overdue(self, sender: Account, now: datetime) -> OverdueView:
        plan = load_plan(self.store)
        _coordinator(plan, sender)
        today = _today(plan, now)
        _, statuses = task_statuses(self.store, today, plan=plan)
        # A task whose owner asked to close it waits in the review queue, not in this list.
        late = [
            s
            for s in statuses
            if s.light not in (Light.DONE, Light.PENDING) and is_overdue(s.task, today)
        ]
        return OverdueView(today, tuple(sorted(late, key=lambda s: (s.task.due, s.task.id))))

    def who(self, sender: Account, now: datetime) -> SilentView:
        plan = load_plan(self.store)
        _coordinator(plan, sender)
        today = _today(plan, now)
        since, silent = self._silences(plan, today, now)
        return SilentView(today, since, tuple(silent), bound_people(plan))

    def remind(self, sender: Account, department: str | None, now: datetime) -> Nudged:
        """Nudge again only the owners who have not reported; at most once a day each."""
        plan = load_plan(self.store)
        _coordinator(plan, sender)
        if self.delivery is None:
            raise ServiceError("conversation.no_delivery")
        wanted = _department_id(plan, department)
        today = _today(plan, now)
        _, silent = self._silences(plan, today, now)
        silent = [s for s in silent if wanted is None or s.department.id == wanted]
        sent: list[Person] = []
        repeated: list[Person] = []
        unreachable: list[Person] = []
        for person, added, reachable in self.delivery.nudge(silent, today, now):
            if not reachable:
                unreachable.append(person)
            elif added:
                sent.append(person)
            else:
                repeated.append(person)
        return Nudged(
            today,
            plan.departments[wanted] if wanted else None,
            tuple(sent),
            tuple(repeated),
            tuple(unreachable),
            tuple(silent),
        )

    def retry(self, sender: Account, what: str | None, now: datetime) -> Retried:
        """Send this period's failed messages of a round again (the reminders unless named),
        as ``superbot send … --retry-failed`` does."""
        plan = load_plan(self.store)
        _coordinator(plan, sender)
        if self.delivery is None:
            raise ServiceError("conversation.no_delivery")
        kind = RETRY_KINDS.get((what or "reminders").strip().lower())
        if kind is None:
            raise ServiceError("conversation.retry_what", given=what or "")
        round_ = round_for(kind, _today(plan, now))
        requeued = self.delivery.outbox.requeue_failed(kind.value, round_.period.key, now)
        return Retried(kind.value, round_.period.key, requeued)

    def bulletin(self, sender: Account, now: datetime) -> Bulletin:
        """This month's 通报 so far, as it would read if the month ended today."""
        plan = load_plan(self.store)
        _coordinator(plan, sender)
        today = _today(plan, now)
        month = month_of(today)
        so_far = Period(month.key, month.first, today)
        issue = issue_of(self.store, so_far, today, now, record=False)
        return build_bulletin(self.store, so_far, issue)

    async def reload(self, sender: Account, now: datetime) -> Reloaded:
        plan = load_plan(self.store)
        _coordinator(plan, sender)
        if self.reloader is None:
            raise ServiceError("conversation.no_reload")
        return await self.reloader(now)

    def _silences(self, plan: ActivePlan, today: date, now: datetime) -> tuple[date, list[Silence]]:
        zone = ZoneInfo(plan.settings.timezone)
        since = silent_since(plan, Period(today.isoformat(), today.replace(day=1), today), today)
        _, statuses = task_statuses(self.store, today, plan=plan)
        started = [s for s in statuses if s.task.start <= today]
        owed = {s.task.id for s in started if s.light is not Light.DONE and s.task.start < since}
        reported = {r.task_id for r in self.store.reports_between(start_of_day(since, zone), now)}
        return since, silences(plan, started, owed, reported)


def _coordinator(plan: ActivePlan, sender: Account) -> Member:
    found = member(plan, sender)
    if found is None:
        raise NotBound()
    if not found.coordinator:
        raise ServiceError("conversation.coordinators_only")
    return found


def _campaign_id(plan: ActivePlan, typed: str | None) -> str | None:
    word = (typed or "").strip().lower()
    if not word:
        return None
    if word in plan.campaigns:
        return word
    by_name = [c.id for c in plan.campaigns.values() if word in c.name.lower()]
    if len(by_name) == 1:
        return by_name[0]
    raise ServiceError(
        "status.unknown_campaign", id=typed, suggestion=closest(word, list(plan.campaigns))
    )


def _department_id(plan: ActivePlan, typed: str | None) -> str | None:
    word = (typed or "").strip()
    return find_department(plan, word).id if word else None


def _today(plan: ActivePlan, now: datetime) -> date:
    return local_day(now, ZoneInfo(plan.settings.timezone))
