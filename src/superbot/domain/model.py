"""The plan's nouns as plain values: what tasks.yaml says and what the database keeps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType

from superbot.domain.calendar import CalendarSpec
from superbot.domain.scoring import DueSoon, Scoring


class State(StrEnum):
    """What an owner says about a task, besides the percent."""

    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BLOCKED = "blocked"
    DONE = "done"


@dataclass(frozen=True)
class Department:
    id: str
    name: str
    liaisons: tuple[str, ...] = ()  # 联络员 (person ids): get the reminders, report progress
    leaders: tuple[str, ...] = ()  # 分管领导 (person ids, any department): escalations, 通报
    category: str | None = None  # 科室 / 区级部门 / 平台与企业: ranked among its own kind


@dataclass(frozen=True)
class Account:
    """Where a person is reached and recognised: a channel (``telegram``, ``email``, later
    ``dingtalk``, ``wecom``, ``feishu``, ``web``) and the id that channel knows them by."""

    channel: str
    id: str

    @classmethod
    def of(cls, channel: str, id_: str | int) -> Account:
        # Addresses are compared as people type them: Zhang@Example.gov.cn is zhang@example.gov.cn.
        text = str(id_).strip()
        return cls(channel, text.lower() if channel == "email" else text)


# The chat apps a person may be bound on in tasks.yaml besides Telegram and email, by the
# user id each platform gives them: 钉钉 userId, 企业微信 UserID, 飞书 user_id or open_id.
APP_CHANNELS = ("dingtalk", "wecom", "feishu")
# Where a person's own messages go when the plan says nothing: the first of these they are
# bound on and superbot is configured for (tasks.yaml ``plan.channels``, ``channels`` on a person).
PERSONAL_CHANNELS = (*APP_CHANNELS, "telegram", "email")


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    department_id: str
    position: str | None = None
    email: str | None = None
    telegram: int | None = None  # bound in tasks.yaml; invites bind in the database
    apps: tuple[tuple[str, str], ...] = ()  # (dingtalk, its user id), …
    channels: tuple[str, ...] = ()  # this person's order of channels, when not the plan's

    @property
    def accounts(self) -> tuple[Account, ...]:
        """The accounts tasks.yaml gives this person."""
        found = []
        if self.telegram is not None:
            found.append(Account.of("telegram", self.telegram))
        if self.email:
            found.append(Account.of("email", self.email))
        found.extend(Account.of(channel, ident) for channel, ident in self.apps)
        return tuple(found)


@dataclass(frozen=True)
class Campaign:
    id: str
    name: str
    description: str | None = None


class Direction(StrEnum):
    UP = "up"  # more is better: 投资增速, 新增企业数
    DOWN = "down"  # less is better: 能耗, 排名的名次


class IndicatorKind(StrEnum):
    AMOUNT = "amount"  # 数量: met when the value reaches the target
    RATE = "rate"  # 增速、比重 (%): compared in percentage points, never as a share of the target
    RANK = "rank"  # 排名前 x% (or 第 x 名): a smaller value is better


@dataclass(frozen=True)
class Indicator:
    id: str
    name: str
    unit: str = ""
    target: float | None = None  # the year's target
    direction: Direction = Direction.UP
    kind: IndicatorKind = IndicatorKind.AMOUNT
    quarterly: tuple[float | None, ...] = ()  # 一季度…四季度 targets, when the plan sets them


@dataclass(frozen=True)
class Milestone:
    """节点: by ``day``, ``percent`` of the task should be done."""

    day: date
    description: str
    percent: int


@dataclass(frozen=True)
class Task:
    id: str
    campaign_id: str
    title: str
    lead: str  # 牵头单位
    start: date
    due: date
    support: tuple[str, ...] = ()  # 配合单位
    description: str | None = None
    indicators: tuple[Indicator, ...] = ()
    weight: float = 1.0  # its part in the department's score, against the others' 1
    milestones: tuple[Milestone, ...] = ()  # 节点, in date order


@dataclass(frozen=True)
class Report:
    """One progress report. ``percent`` is None for a note-only report (配合单位)."""

    task_id: str
    at: datetime  # aware; when the progress was reported
    percent: int | None
    state: State | None = None
    note: str | None = None
    person_id: str | None = None
    values: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    source: str = "cli"
    id: int | None = None
    recorded_at: datetime | None = None  # when it was entered; ``at`` may be back-dated
    withdrawn_at: datetime | None = None  # withdrawn (superbot undo): history only

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def is_progress(self) -> bool:
        return self.percent is not None


@dataclass(frozen=True)
class BulletinIssue:
    """The 期号 of one month's 督查通报: numbered per year, kept once issued."""

    period: str  # the month covered, 2022-09
    year: int
    number: int
    issued_on: date


class ExtendedCountsAs(StrEnum):
    """How the ranking scores a task whose deadline was extended by approval."""

    ON_TIME = "on_time"  # the new date is the date
    LATE = "late"  # the original date still counts


@dataclass(frozen=True)
class Rules:
    """Traffic-light thresholds (tasks.yaml ``rules``)."""

    warn_workdays: int = 5
    yellow_lag: int = 10
    red_lag: int = 30
    stale_days: int = 31
    # Documents that go to peer departments name units; people only in the coordinators' digest.
    name_people_in_bulletin: bool = False
    # An owner's "done" is a request (待审核) that coordinators approve (销号) or return (退回).
    review_done: bool = False
    extended_counts_as: ExtendedCountsAs = ExtendedCountsAs.ON_TIME
    due_soon: DueSoon = DueSoon.YELLOW  # tasks.yaml ``scoring.due_soon``
    supervision_start: date | None = None  # 督办起始 (plan.supervision_start)
    # An indicator this many points (of its pro-rata target) behind turns the light yellow /
    # red (tasks.yaml ``rules.indicator_yellow`` / ``indicator_red``); None: indicators don't.
    indicator_yellow: int | None = None
    indicator_red: int | None = None


class DocumentKind(StrEnum):
    """The rungs an escalation ladder is built from."""

    NOTICE = "notice"  # 督办单
    LETTER = "letter"  # 专函, to the department's 分管领导
    INTERVIEW = "interview"  # 约谈 proposal, to the coordinators


class Role(StrEnum):
    """Who an escalation document goes to."""

    LIAISON = "liaison"  # the department's 联络员 (all its people when it names none)
    LEADER = "leader"  # its 分管领导
    COORDINATORS = "coordinators"  # 督查科


@dataclass(frozen=True)
class EscalationRule:
    """One rung of tasks.yaml ``escalation``: "red in 2 consecutive 通报 → 专函"."""

    light: str  # "yellow": a yellow or red light; "red": a red one
    consecutive: int  # in this many consecutive issued 通报, the current one included
    document: DocumentKind
    to: tuple[Role, ...] = (Role.LIAISON,)
    reply_workdays: int = 10  # the reply-by date, in workdays after the 通报 is issued


class ScheduleKind(StrEnum):
    REMINDER = "reminder"
    BULLETIN = "bulletin"
    DIGEST = "digest"


DEFAULT_SCHEDULES: Mapping[ScheduleKind, str] = MappingProxyType(
    {
        ScheduleKind.REMINDER: "0 9 20 * *",
        ScheduleKind.BULLETIN: "0 9 1 * *",
        ScheduleKind.DIGEST: "30 8 * * 1",
    }
)


class RobotKind(StrEnum):
    WECOM = "wecom"
    DINGTALK = "dingtalk"
    FEISHU = "feishu"


@dataclass(frozen=True)
class Webhook:
    kind: RobotKind
    url_env: str
    secret_env: str | None = None

    @property
    def recipient(self) -> str:
        return f"{self.url_env}:{self.secret_env}" if self.secret_env else self.url_env


@dataclass(frozen=True)
class Broadcast:
    telegram_chats: tuple[int, ...] = ()
    emails: tuple[str, ...] = ()
    webhooks: tuple[Webhook, ...] = ()


@dataclass(frozen=True)
class BulletinSettings:
    """How the 督查通报 is issued (tasks.yaml ``bulletin``): who issues it, to whom."""

    issuer: str | None = None  # 印发单位; the coordinators' department when not given
    to: tuple[str, ...] = ()  # 主送
    cc: tuple[str, ...] = ()  # 抄送
    requirements: tuple[str, ...] = ()  # 下步工作要求, one paragraph each


@dataclass(frozen=True)
class PlanSettings:
    """Everything in tasks.yaml that is not a department, person, campaign or task."""

    name: str
    timezone: str = "Asia/Shanghai"
    locale: str = "zh-CN"
    start: date | None = None
    calendar: CalendarSpec = field(default_factory=CalendarSpec)
    rules: Rules = field(default_factory=Rules)
    schedules: Mapping[ScheduleKind, str] = field(default_factory=lambda: dict(DEFAULT_SCHEDULES))
    coordinators: tuple[str, ...] = ()
    broadcast: Broadcast = field(default_factory=Broadcast)
    bulletin: BulletinSettings = field(default_factory=BulletinSettings)
    channels: tuple[str, ...] = PERSONAL_CHANNELS  # personal messages: the first that reaches
    escalation: tuple[EscalationRule, ...] = ()  # the ladder, lowest rung first
    scoring: Scoring = field(default_factory=Scoring)  # how the 通报 ranks departments


@dataclass(frozen=True)
class Plan:
    settings: PlanSettings
    departments: tuple[Department, ...] = ()
    people: tuple[Person, ...] = ()
    campaigns: tuple[Campaign, ...] = ()
    tasks: tuple[Task, ...] = ()
