"""The persistence the use cases rely on (implemented by ``superbot.store.sql.SqlStore``)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Generic, Protocol, TypeVar
from zoneinfo import ZoneInfo

from superbot.domain.ladder import EscalationDocument, Seen
from superbot.domain.lights import Light
from superbot.domain.mail import TaskName, TaskNames
from superbot.domain.model import (
    Account,
    BulletinIssue,
    Campaign,
    Department,
    Person,
    Plan,
    PlanSettings,
    Report,
    Task,
)
from superbot.domain.review import Request, RequestStatus

T = TypeVar("T")


@dataclass(frozen=True)
class Stored(Generic[T]):
    value: T
    archived: bool = False


@dataclass(frozen=True)
class Snapshot:
    """What the database holds of the plan, archived entries included."""

    settings: PlanSettings | None
    departments: Mapping[str, Stored[Department]] = field(default_factory=dict)
    people: Mapping[str, Stored[Person]] = field(default_factory=dict)
    campaigns: Mapping[str, Stored[Campaign]] = field(default_factory=dict)
    tasks: Mapping[str, Stored[Task]] = field(default_factory=dict)
    report_counts: Mapping[str, int] = field(default_factory=dict)
    order: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # kind → active ids


@dataclass(frozen=True)
class SyncRecord:
    at: datetime
    source: str
    sha256: str
    added: int
    changed: int
    archived: int
    restored: int


@dataclass(frozen=True)
class ActivePlan:
    """The plan as the database holds it now: what every read-side use case starts from."""

    settings: PlanSettings
    departments: Mapping[str, Department]
    people: Mapping[str, Person]
    campaigns: Mapping[str, Campaign]
    tasks: Sequence[Task]  # in plan order
    coordinators: tuple[str, ...]
    # person id → the accounts that reach and identify them: tasks.yaml's first, then those
    # bound with an invite code.
    accounts: Mapping[str, tuple[Account, ...]] = field(default_factory=dict)
    last_sync: SyncRecord | None = None

    def task(self, task_id: str) -> Task | None:
        return self._tasks_by_id.get(task_id)

    @cached_property
    def task_names(self) -> TaskNames:
        """The index a reply naming tasks by id or title is read with."""
        return TaskNames(TaskName(t.id, t.title) for t in self.tasks)

    @cached_property
    def _tasks_by_id(self) -> dict[str, Task]:
        # A reply looks up one task: the same cost with 100 tasks or 100,000.
        return {t.id: t for t in self.tasks}

    @cached_property
    def zone(self) -> ZoneInfo:
        """The plan's timezone: every day and period is read in it."""
        return ZoneInfo(self.settings.timezone)

    def account(self, person_id: str, channel: str) -> str | None:
        """The id that reaches the person on ``channel`` (None: not reachable there)."""
        return next((a.id for a in self.accounts.get(person_id, ()) if a.channel == channel), None)

    def person_of(self, sender: Account) -> Person | None:
        """Whose account this is: the one way anything that arrives is tied to a person."""
        person_id = self._owners.get(Account.of(sender.channel, sender.id))
        return self.people.get(person_id) if person_id is not None else None

    @cached_property
    def _owners(self) -> dict[Account, str]:
        owners: dict[Account, str] = {}
        for person_id in self.people:  # plan order: a shared mailbox speaks for the first
            for account in self.accounts.get(person_id, ()):
                owners.setdefault(account, person_id)
        return owners

    def owners(self, department_id: str) -> list[Person]:
        return [p for p in self.people.values() if p.department_id == department_id]

    def liaisons(self, department_id: str) -> list[Person]:
        """The department's 联络员 (reminders, requests); all its people when it names none."""
        department = self.departments.get(department_id)
        named = (
            [self.people[p] for p in department.liaisons if p in self.people] if department else []
        )
        return named or self.owners(department_id)

    def leaders(self, department_id: str) -> list[Person]:
        """The department's 分管领导 (escalations, the 通报); none when it names none."""
        department = self.departments.get(department_id)
        return (
            [self.people[p] for p in department.leaders if p in self.people] if department else []
        )


@dataclass(frozen=True)
class PlanVersion:
    """One sync that changed the plan: the plan as it stood from ``at`` on."""

    number: int  # 1 for the first sync recorded
    id: int
    at: datetime
    source: str
    sha256: str


@dataclass(frozen=True)
class Mention:
    """A task in one issued 通报."""

    period: str
    year: int
    number: int  # 期号
    issued_on: date
    light: Light
    percent: int


@dataclass(frozen=True)
class ReminderSent:
    """A reminder or nudge message that spoke about a task, and how its delivery went."""

    kind: str
    period: str
    person_id: str | None
    person_name: str | None
    channel: str
    queued_at: datetime
    status: str  # pending | sending | sent | failed
    sent_at: datetime | None
    failed_at: datetime | None
    error: str | None


class Store(Protocol):
    def snapshot(self) -> Snapshot: ...

    def apply_plan(self, plan: Plan, record: SyncRecord) -> None: ...

    def active_plan(self) -> ActivePlan | None: ...

    def task_archived(self, task_id: str) -> bool | None:
        """True if archived, False if active, None if never known."""
        ...

    def latest_progress(
        self,
        until: datetime,
        task_ids: Collection[str] | None = None,
        *,
        archived: bool = False,
    ) -> dict[str, Report]:
        """Per active task (or only ``task_ids``; archived ones too with ``archived``), the
        newest report carrying a percent at or before ``until``. A "done" whose 办结申请 is
        not approved is not progress."""
        ...

    def reports_between(self, since: datetime, until: datetime) -> list[Report]:
        """Reports made at or after ``since`` and at or before ``until``, oldest first;
        withdrawn ones left out, as everywhere but a task's history."""
        ...

    def task_reports(self, task_id: str, *, withdrawn: bool = False) -> list[Report]:
        """A task's reports, oldest first; with ``withdrawn``, those withdrawn too (marked)."""
        ...

    def report(self, report_id: int) -> Report | None: ...

    def withdraw_report(self, report_id: int, now: datetime) -> Report: ...

    def add_report(self, report: Report, source_ref: str | None = None) -> Report: ...

    def report_by_ref(self, source_ref: str) -> Report | None:
        """The report made from ``source_ref`` (a message, a form row), if any."""
        ...

    def latest_values(
        self, until: datetime, task_ids: Collection[str] | None = None
    ) -> dict[tuple[str, str], tuple[float, datetime]]: ...

    def bulletin_issue(self, period: str) -> BulletinIssue | None: ...

    def next_bulletin_number(self, year: int) -> int: ...

    def save_bulletin_issue(
        self, period: str, year: int, issued_on: date, now: datetime
    ) -> BulletinIssue:
        """The month's issue: numbered next in ``year`` the first time, its number kept (and
        its date set to ``issued_on``) after that."""
        ...

    def watermark(self, kind: str) -> datetime | None: ...

    def set_watermark(self, kind: str, at: datetime) -> None: ...

    # -- the supervision loop ----------------------------------------------------------------

    def add_progress(
        self, report: Report, source_ref: str | None = None, *, review: bool
    ) -> tuple[Report, Request | None]:
        """``add_report``, and in the same transaction: a "done" under ``review`` is a pending
        办结申请 (returned); other progress withdraws a pending one."""
        ...

    def accept_reason(
        self, task_id: str, at: datetime, person_id: str | None, note: str | None
    ) -> None:
        """A coordinator accepted the reason ``task_id`` is 受阻 (正当理由)."""

    def accepted_reasons(self, until: datetime) -> dict[str, list[datetime]]:
        """When each task's reasons were accepted, up to ``until``."""
        ...

    def requests(self, task_ids: Collection[str] | None = None) -> list[Request]: ...

    def unannounced_requests(self) -> list[int]:
        """Ids of pending requests no coordinator has a message about yet."""
        ...

    def add_request(self, request: Request) -> Request: ...

    def decide(
        self, request_id: int, status: RequestStatus, at: datetime, by: str | None, note: str | None
    ) -> Request | None: ...

    def escalations(
        self, task_ids: Collection[str] | None = None, period: str | None = None
    ) -> list[EscalationDocument]: ...

    def next_escalation_number(self, year: int) -> int: ...

    def add_escalations(
        self, documents: Sequence[EscalationDocument], now: datetime
    ) -> list[EscalationDocument]: ...

    def save_bulletin_lights(
        self, period: str, lights: Iterable[tuple[str, Light, Light, int]]
    ) -> None: ...

    def seen(self, task_ids: Collection[str] | None = None) -> dict[str, list[Seen]]: ...

    def mentions(self, task_id: str) -> list[Mention]: ...

    def copies(self, key: str) -> dict[str, bytes]: ...

    def save_copies(self, key: str, documents: Mapping[str, bytes], now: datetime) -> bool: ...

    def issued_keys(self, prefix: str) -> set[str]: ...

    def plan_versions(self) -> list[PlanVersion]: ...

    def plan_of_version(self, version_id: int) -> Plan: ...

    def record_round_tasks(
        self, kind: str, period: str, covered: Iterable[tuple[str, str]]
    ) -> None: ...

    def reminders_of(self, task_id: str) -> list[ReminderSent]: ...
