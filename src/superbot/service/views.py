"""What a reminder, a 督查通报 and a digest say, as values for the templates to word."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from superbot.domain import indicators
from superbot.domain.ladder import EscalationDocument
from superbot.domain.lights import Assessment, Light
from superbot.domain.model import (
    BulletinIssue,
    Campaign,
    Department,
    Indicator,
    IndicatorKind,
    Person,
    Report,
    Rules,
    Task,
)
from superbot.domain.periods import Period
from superbot.domain.ranking import Score
from superbot.domain.scoring import Scoring
from superbot.domain.text import Text
from superbot.service.history import TaskChange
from superbot.service.mail import RefusedMail, ReplyWay
from superbot.service.review import Waiting
from superbot.service.status import TaskStatus


@dataclass(frozen=True)
class LightCounts:
    red: int = 0
    yellow: int = 0
    green: int = 0
    done: int = 0
    pending: int = 0  # 待审核: not done until approved

    @classmethod
    def of(cls, statuses: Sequence[TaskStatus]) -> LightCounts:
        lights = [s.light for s in statuses]
        return cls(
            lights.count(Light.RED),
            lights.count(Light.YELLOW),
            lights.count(Light.GREEN),
            lights.count(Light.DONE),
            lights.count(Light.PENDING),
        )

    @property
    def total(self) -> int:
        return self.red + self.yellow + self.green + self.done + self.pending

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
    tied: bool = False  # another department has the same score (并列)


@dataclass(frozen=True)
class IndicatorReading:
    task: Task
    indicator: Indicator
    value: float | None
    reported_on: date | None

    as_of: date | None = None  # the day it is read on (a quarterly target's quarter)

    @property
    def attainment(self) -> float | None:
        """An amount's value as a share of its target, in percent (None without both, and for
        a rate or a rank, which are compared in points)."""
        return indicators.attainment(self.indicator, self.value)

    @property
    def target(self) -> float | None:
        """The target in force: the quarter's when the plan sets one."""
        if self.as_of is None:
            return self.indicator.target
        return indicators.target_on(self.indicator, self.as_of)

    @property
    def met(self) -> bool | None:
        if self.as_of is None:
            return None if self.attainment is None else self.attainment >= 100
        return indicators.is_met(self.indicator, self.value, self.as_of)

    @property
    def gap(self) -> float | None:
        """A rate's or a rank's distance from its target in points (negative: short of it)."""
        target = self.target
        if self.value is None or target is None or self.indicator.kind is IndicatorKind.AMOUNT:
            return None
        if indicators.smaller_is_better(self.indicator):
            return target - self.value
        return self.value - target


@dataclass(frozen=True)
class Silence:
    """A department that owed progress reports and sent none for these tasks."""

    department: Department
    people: tuple[Person, ...]
    tasks: tuple[Task, ...]


@dataclass(frozen=True)
class Deadline:
    """A due date seen from the day a document is dated, not from the end of its month."""

    due: date
    days_late: int  # > 0 overdue by that many days, 0 due that day, < 0 days still to go


@dataclass(frozen=True)
class BulletinItem:
    """A task as the 通报 lists it. ``reasons`` say nothing relative to the month's end: the
    deadline is worded from the 通报's own date (9月30日截止（已逾期 8 天）)."""

    status: TaskStatus
    deadline: Deadline
    reasons: tuple[Text, ...]
    lag: float  # percentage points behind the expected progress at the month's end

    @property
    def task(self) -> Task:
        return self.status.task

    @property
    def campaign(self) -> Campaign:
        return self.status.campaign

    @property
    def lead(self) -> Department:
        return self.status.lead

    @property
    def support(self) -> tuple[Department, ...]:
        return self.status.support

    @property
    def latest(self) -> Report | None:
        return self.status.latest

    @property
    def assessment(self) -> Assessment:
        return self.status.assessment

    @property
    def light(self) -> Light:
        return self.status.light


@dataclass(frozen=True)
class DepartmentItems:
    """One lead department's entries in a list of the 通报, worst first."""

    department: Department
    items: tuple[BulletinItem, ...]


@dataclass(frozen=True)
class IndicatorGroup:
    """One lead department's indicators: a long run without any report is one line."""

    department: Department
    readings: tuple[IndicatorReading, ...]  # listed one by one
    unreported: tuple[IndicatorReading, ...]  # said together: "5 项指标未报送"


@dataclass(frozen=True)
class Escalation:
    """A 督办单, 专函 or 约谈 proposal the 通报 fired, with the task as the 通报 lists it; the
    通报 has a 督办事项 section only when there are some."""

    item: BulletinItem
    document: EscalationDocument


@dataclass(frozen=True)
class Letterhead:
    """The 公文 parts of the 通报: who issues it, its 期号, to whom it goes."""

    issue: BulletinIssue
    issuer: str
    to: tuple[str, ...]  # 主送
    cc: tuple[str, ...]  # 抄送
    requirements: tuple[str, ...]  # 下步工作要求, paragraphs; empty: the template's own words


@dataclass(frozen=True)
class Bulletin:
    plan_name: str
    period: Period  # the month covered
    as_of: date  # lights are those at the end of the month
    issued_on: date  # the 通报's own date: every relative word is relative to it
    rules: Rules
    counts: LightCounts
    campaigns: tuple[CampaignSummary, ...]
    ranking: tuple[DepartmentRank, ...]
    red: tuple[BulletinItem, ...]  # worst first
    yellow: tuple[BulletinItem, ...]  # worst first
    completed: tuple[TaskStatus, ...]  # done within the month
    indicators: tuple[IndicatorReading, ...]
    silent: tuple[Silence, ...]  # people only when rules.name_people_in_bulletin
    statuses: tuple[TaskStatus, ...]  # every task in scope, for the full table
    scoring: Scoring = field(default_factory=Scoring)  # the scheme the ranking was scored by
    letterhead: Letterhead | None = None  # None: a preview that is not issued
    red_by_department: tuple[DepartmentItems, ...] = ()
    yellow_by_department: tuple[DepartmentItems, ...] = ()
    indicator_groups: tuple[IndicatorGroup, ...] = ()
    escalations: tuple[Escalation, ...] = ()
    items: tuple[BulletinItem, ...] = ()  # every task in scope, worded from the issue date
    pending: tuple[BulletinItem, ...] = ()  # 待审核 at the month's end, oldest request first
    changes: tuple[TaskChange, ...] = ()  # tasks.yaml edits since the previous 通报


@dataclass(frozen=True)
class ReminderView:
    person: Person
    department: Department
    period: Period
    as_of: date
    tasks: tuple[TaskStatus, ...]  # open tasks the department leads, red first
    coordinators: tuple[Person, ...]
    reply: ReplyWay | None = None  # by email: how to answer it (token, addresses)
    report_link: str | None = None  # the person's own 填报 page for the round (the web view)


@dataclass(frozen=True)
class LoginLinkView:
    """A login link for the web view, to the person who asked for it."""

    person: Person
    url: str
    expires_at: datetime  # in the plan's zone


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
    plan_changes: tuple[TaskChange, ...] = ()  # what tasks.yaml edits changed in the week
    waiting: tuple[Waiting, ...] = ()  # 办结 and 延期 requests waiting for review, oldest first
    refused: tuple[RefusedMail, ...] = ()  # mails that recorded nothing, and why
