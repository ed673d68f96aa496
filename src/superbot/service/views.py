"""What a reminder, a 督查通报 and a digest say, as values for the templates to word."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from superbot.domain.lights import Light
from superbot.domain.model import Campaign, Department, Indicator, Person, Report, Rules, Task
from superbot.domain.periods import Period
from superbot.domain.ranking import POINTS, REPORT_WEIGHT, TASK_WEIGHT, Score
from superbot.service.mail import RefusedMail, ReplyWay
from superbot.service.status import TaskStatus


@dataclass(frozen=True)
class LightCounts:
    red: int = 0
    yellow: int = 0
    green: int = 0
    done: int = 0

    @classmethod
    def of(cls, statuses: Sequence[TaskStatus]) -> LightCounts:
        lights = [s.light for s in statuses]
        return cls(
            lights.count(Light.RED),
            lights.count(Light.YELLOW),
            lights.count(Light.GREEN),
            lights.count(Light.DONE),
        )

    @property
    def total(self) -> int:
        return self.red + self.yellow + self.green + self.done

    @property
    def completion_rate(self) -> float:
        """Share of tasks done, 0–100."""
        return 100.0 * self.done / self.total if self.total else 0.0


@dataclass(frozen=True)
class CampaignSummary:
    campaign: Campaign
    counts: LightCounts


@dataclass(frozen=True)
class DepartmentRank:
    department: Department
    score: Score
    counts: LightCounts


@dataclass(frozen=True)
class IndicatorReading:
    task: Task
    indicator: Indicator
    value: float | None
    reported_on: date | None

    @property
    def attainment(self) -> float | None:
        """Value as a share of target, in percent (None without both)."""
        if self.value is None or not self.indicator.target:
            return None
        return 100.0 * self.value / self.indicator.target


@dataclass(frozen=True)
class Silence:
    """A department that owed progress reports and sent none for these tasks."""

    department: Department
    people: tuple[Person, ...]
    tasks: tuple[Task, ...]


@dataclass(frozen=True)
class Bulletin:
    plan_name: str
    period: Period  # the month covered
    as_of: date  # lights are those at the end of the month
    issued_on: date
    rules: Rules
    counts: LightCounts
    campaigns: tuple[CampaignSummary, ...]
    ranking: tuple[DepartmentRank, ...]
    red: tuple[TaskStatus, ...]
    yellow: tuple[TaskStatus, ...]
    completed: tuple[TaskStatus, ...]  # done within the month
    indicators: tuple[IndicatorReading, ...]
    silent: tuple[Silence, ...]
    statuses: tuple[TaskStatus, ...]  # every task in scope, for the full table
    weights: tuple[float, float] = (TASK_WEIGHT, REPORT_WEIGHT)
    points: Mapping[str, int] = field(default_factory=lambda: dict(POINTS))


@dataclass(frozen=True)
class ReminderView:
    person: Person
    department: Department
    period: Period
    as_of: date
    tasks: tuple[TaskStatus, ...]  # open tasks the department leads, red first
    coordinators: tuple[Person, ...]
    reply: ReplyWay | None = None  # by email: how to answer it (token, addresses)


@dataclass(frozen=True)
class ReportLine:
    report: Report
    task: Task
    person: Person | None
    department: Department | None = None  # the task's lead department
    on: date | None = None  # the day it was reported, in the plan's zone


@dataclass(frozen=True)
class FailedDelivery:
    kind: str
    period: str
    channel: str
    recipient: str
    recipient_name: str | None
    error: str
    at: datetime | None


@dataclass(frozen=True)
class DigestView:
    plan_name: str
    period: Period  # the seven days covered
    as_of: date  # the day the digest is for (the day after the period)
    counts: LightCounts
    reports: tuple[ReportLine, ...]
    new_red: tuple[TaskStatus, ...]
    new_yellow: tuple[TaskStatus, ...]
    completed: tuple[TaskStatus, ...]
    silent: tuple[Silence, ...]
    silent_since: date
    upcoming: tuple[TaskStatus, ...]  # open, due within the next two weeks
    failed: tuple[FailedDelivery, ...]
    plan_changes: tuple[str, ...] = ()  # sources of tasks.yaml syncs in the week
    refused: tuple[RefusedMail, ...] = ()  # mails that recorded nothing, and why
