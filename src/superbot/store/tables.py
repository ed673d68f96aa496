"""The database tables. Rows are translated to domain values in ``store/sql.py``; nothing
outside ``store/`` sees these classes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Dialect,
    Index,
    LargeBinary,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC in Python; naive UTC on SQLite, timestamptz on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; times are aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _time(nullable: bool = True, **kwargs: Any) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, **kwargs))


def _big(nullable: bool = True, **kwargs: Any) -> Any:
    return Field(default=None, sa_column=Column(BigInteger(), nullable=nullable, **kwargs))


class DepartmentRow(SQLModel, table=True):
    __tablename__ = "department"

    id: str = Field(primary_key=True, max_length=64)
    name: str
    position: int = 0
    archived_at: datetime | None = _time()
    liaisons: Any = Field(default=None, sa_column=Column(JSON(), nullable=True))  # person ids
    leaders: Any = Field(default=None, sa_column=Column(JSON(), nullable=True))  # person ids
    category: str | None = Field(default=None, max_length=64)  # ranked within it


class PersonRow(SQLModel, table=True):
    __tablename__ = "person"

    id: str = Field(primary_key=True, max_length=64)
    name: str
    department_id: str = Field(foreign_key="department.id", index=True, max_length=64)
    title: str | None = None  # 职务
    email: str | None = None
    plan_telegram: int | None = _big()  # from tasks.yaml (its accounts are in ``account``)
    # tasks.yaml's 钉钉/企业微信/飞书 ids ([[channel, id], …]) and the person's own order of
    # channels, kept to tell a changed person from an unchanged one.
    plan_apps: Any = Field(default=None, sa_column=Column(JSON(), nullable=True))
    channels: Any = Field(default=None, sa_column=Column(JSON(), nullable=True))
    is_coordinator: bool = False
    position: int = 0
    archived_at: datetime | None = _time()


class CampaignRow(SQLModel, table=True):
    __tablename__ = "campaign"

    id: str = Field(primary_key=True, max_length=64)
    name: str
    description: str | None = None
    position: int = 0
    archived_at: datetime | None = _time()


class TaskRow(SQLModel, table=True):
    __tablename__ = "task"

    id: str = Field(primary_key=True, max_length=64)
    campaign_id: str = Field(foreign_key="campaign.id", index=True, max_length=64)
    title: str
    description: str | None = None
    lead_id: str = Field(foreign_key="department.id", index=True, max_length=64)
    start: date
    due: date
    position: int = 0
    archived_at: datetime | None = _time()
    weight: float | None = None  # None: 1
    milestones: Any = Field(default=None, sa_column=Column(JSON(), nullable=True))


class TaskSupportRow(SQLModel, table=True):
    __tablename__ = "task_support"

    task_id: str = Field(foreign_key="task.id", primary_key=True, max_length=64)
    department_id: str = Field(foreign_key="department.id", primary_key=True, max_length=64)
    position: int = 0


class IndicatorRow(SQLModel, table=True):
    __tablename__ = "indicator"

    task_id: str = Field(foreign_key="task.id", primary_key=True, max_length=64)
    id: str = Field(primary_key=True, max_length=64)
    name: str
    unit: str = ""
    target: float | None = None
    position: int = 0
    archived_at: datetime | None = _time()
    direction: str | None = Field(default=None, max_length=8)  # None: up
    kind: str | None = Field(default=None, max_length=8)  # None: amount
    quarterly: Any = Field(default=None, sa_column=Column(JSON(), nullable=True))


class ReportRow(SQLModel, table=True):
    __tablename__ = "report"
    __table_args__ = (Index("ix_report_task_time", "task_id", "reported_at"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: str = Field(foreign_key="task.id", max_length=64)
    person_id: str | None = Field(default=None, foreign_key="person.id", max_length=64)
    reported_at: datetime = _time(nullable=False)
    recorded_at: datetime = _time(nullable=False)
    percent: int | None = None
    state: str | None = Field(default=None, max_length=16)
    note: str | None = Field(default=None, sa_column=Column(Text()))
    source: str = Field(default="cli", max_length=16)
    # Where the report came from (e.g. a Telegram message): a redelivered update finds its
    # report here, and an edited message updates it instead of adding another.
    source_ref: str | None = Field(default=None, unique=True, max_length=128)
    # superbot undo: kept in the history, left out of lights, 通报 and digests.
    withdrawn_at: datetime | None = _time()


class ReportValueRow(SQLModel, table=True):
    __tablename__ = "report_value"

    report_id: int = Field(foreign_key="report.id", primary_key=True)
    indicator_id: str = Field(primary_key=True, max_length=64)
    value: float


class SettingRow(SQLModel, table=True):
    __tablename__ = "setting"

    key: str = Field(primary_key=True, max_length=64)
    value: Any = Field(sa_column=Column(JSON(), nullable=False))


class SyncRunRow(SQLModel, table=True):
    __tablename__ = "sync_run"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _time(nullable=False)
    source: str
    sha256: str = Field(max_length=64)
    added: int = 0
    changed: int = 0
    archived: int = 0
    restored: int = 0
    summary: Any = Field(default=None, sa_column=Column(JSON(), nullable=True))


class MessageContentRow(SQLModel, table=True):
    """What a message says, stored once however many recipients get it (a 通报 to 400
    people is one row here): ``id`` is the SHA-256 of the content."""

    __tablename__ = "message_content"

    id: str = Field(primary_key=True, max_length=64)
    subject: str
    body: str = Field(sa_column=Column(Text(), nullable=False))
    html: str | None = Field(default=None, sa_column=Column(Text()))
    buttons: Any = Field(default=None, sa_column=Column(JSON(), nullable=True))
    reply_to: str | None = Field(default=None, max_length=998)  # an opaque message reference
    reply_address: str | None = Field(default=None, max_length=255)


class MessageAttachmentRow(SQLModel, table=True):
    __tablename__ = "message_attachment"

    content_id: str = Field(foreign_key="message_content.id", primary_key=True, max_length=64)
    position: int = Field(primary_key=True)
    filename: str
    mime: str
    content: bytes = Field(sa_column=Column(LargeBinary(), nullable=False))


class OutboxRow(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        # Claims look for an earlier part of the same round to the same recipient.
        Index("ix_outbox_round_recipient", "channel", "recipient", "kind", "period", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(unique=True, max_length=255)
    kind: str = Field(max_length=16)
    period: str = Field(max_length=32, index=True)
    channel: str = Field(max_length=16)
    recipient: str = Field(max_length=255)
    person_id: str | None = Field(default=None, max_length=64)
    task_id: str | None = Field(default=None, max_length=64)
    seq: int = 0
    content_id: str = Field(foreign_key="message_content.id", max_length=64)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = _time(nullable=False)
    # Who holds a "sending" row (a dispatcher's token) and when it last said it still does:
    # a claim whose holder stops renewing it is taken over once the lease runs out.
    claimed_at: datetime | None = _time()
    claimed_by: str | None = Field(default=None, max_length=64)
    created_at: datetime = _time(nullable=False)
    sent_at: datetime | None = _time()
    failed_at: datetime | None = _time()
    last_error: str | None = Field(default=None, sa_column=Column(Text()))
    receipt: str | None = Field(default=None, max_length=255)


class InviteRow(SQLModel, table=True):
    __tablename__ = "invite"

    code: str = Field(primary_key=True, max_length=32)
    person_id: str = Field(foreign_key="person.id", max_length=64)
    created_at: datetime = _time(nullable=False)
    expires_at: datetime = _time(nullable=False)
    used_at: datetime | None = _time()
    used_by: str | None = Field(default=None, max_length=300)  # channel:account


class SchedulerStateRow(SQLModel, table=True):
    __tablename__ = "scheduler_state"

    kind: str = Field(primary_key=True, max_length=16)
    watermark: datetime = _time(nullable=False)


class AccountRow(SQLModel, table=True):
    """Where a person is reached and recognised: from tasks.yaml (``origin`` plan) or bound
    with an invite code on that channel (``origin`` invite)."""

    __tablename__ = "account"

    channel: str = Field(primary_key=True, max_length=16)
    id: str = Field(primary_key=True, max_length=255)
    person_id: str = Field(foreign_key="person.id", primary_key=True, index=True, max_length=64)
    origin: str = Field(max_length=16)
    bound_at: datetime = _time(nullable=False)


class SentMessageRow(SQLModel, table=True):
    """A message superbot sent, by the reference its channel gave it: a reply to it reports
    on its task, or (for an email reminder) on the tasks of its reply token."""

    __tablename__ = "sent_message"

    channel: str = Field(primary_key=True, max_length=16)
    ref: str = Field(primary_key=True, max_length=255)
    task_id: str | None = Field(default=None, foreign_key="task.id", max_length=64)
    token: str | None = Field(default=None, max_length=32)
    outbox_id: int | None = Field(default=None, foreign_key="outbox.id")
    sent_at: datetime = _time(nullable=False)


class InboundMessageRow(SQLModel, table=True):
    """Messages already handled, by the reference their channel gives them (a Telegram
    update id, an email's Message-ID): a second delivery is not handled again."""

    __tablename__ = "inbound_message"

    channel: str = Field(primary_key=True, max_length=16)
    ref: str = Field(primary_key=True, max_length=255)
    received_at: datetime = _time(nullable=False)


class ConversationStepRow(SQLModel, table=True):
    """Where a person is in a conversation (kept here so any instance can continue it)."""

    __tablename__ = "conversation_step"

    channel: str = Field(primary_key=True, max_length=16)
    account: str = Field(primary_key=True, max_length=255)
    step: str = Field(max_length=32)
    task_id: str | None = Field(default=None, max_length=64)
    report_id: int | None = None
    message_ref: str | None = Field(default=None, max_length=255)
    expires_at: datetime = _time(nullable=False)


class ReplyTokenRow(SQLModel, table=True):
    """The unguessable token in one person's reminder email: a reply must carry it."""

    __tablename__ = "reply_token"
    __table_args__ = (Index("ux_reply_token_round", "person_id", "kind", "period", unique=True),)

    token: str = Field(primary_key=True, max_length=32)
    person_id: str = Field(foreign_key="person.id", max_length=64)
    kind: str = Field(max_length=16)
    period: str = Field(max_length=32)
    task_ids: Any = Field(sa_column=Column(JSON(), nullable=False))
    created_at: datetime = _time(nullable=False)
    expires_at: datetime = _time(nullable=False)


class EvidenceFileRow(SQLModel, table=True):
    """A file kept as evidence (佐证), stored once under SUPERBOT_FILES_DIR by its SHA-256."""

    __tablename__ = "evidence_file"

    sha256: str = Field(primary_key=True, max_length=64)
    size: int
    mime: str = Field(max_length=255)
    stored_at: datetime = _time(nullable=False)


class ReportEvidenceRow(SQLModel, table=True):
    __tablename__ = "report_evidence"

    report_id: int = Field(foreign_key="report.id", primary_key=True)
    sha256: str = Field(foreign_key="evidence_file.sha256", primary_key=True, max_length=64)
    filename: str = Field(max_length=255)


class RefusedMailRow(SQLModel, table=True):
    """A mail that recorded nothing, for the coordinators' weekly digest."""

    __tablename__ = "refused_mail"

    id: int | None = Field(default=None, primary_key=True)
    received_at: datetime = _time(nullable=False, index=True)
    sender: str = Field(max_length=255)
    subject: str = Field(sa_column=Column(Text(), nullable=False))
    reason: str = Field(max_length=32)
    message_id: str = Field(max_length=998)


class BulletinIssueRow(SQLModel, table=True):
    """The 期号 a month's 督查通报 was issued under: a re-rendered month keeps its number."""

    __tablename__ = "bulletin_issue"
    __table_args__ = (UniqueConstraint("year", "number", name="uq_bulletin_issue_number"),)

    period: str = Field(primary_key=True, max_length=32)  # the month covered, 2022-09
    year: int
    number: int
    issued_on: date
    created_at: datetime = _time(nullable=False)


# -- the supervision loop ------------------------------------------------------------------------


class PlanVersionRow(SQLModel, table=True):
    """The whole plan as one sync left it: statuses for a past day read the plan of that day."""

    __tablename__ = "plan_version"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _time(nullable=False, index=True)
    source: str
    sha256: str = Field(max_length=64)
    content: Any = Field(sa_column=Column(JSON(), nullable=False))


class RequestRow(SQLModel, table=True):
    """A 办结申请 or 延期申请 and the coordinators' decision on it."""

    __tablename__ = "review_request"
    __table_args__ = (Index("ix_review_request_task", "task_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    task_id: str = Field(foreign_key="task.id", max_length=64)
    requested_at: datetime = _time(nullable=False)
    person_id: str | None = Field(default=None, foreign_key="person.id", max_length=64)
    source: str = Field(default="cli", max_length=16)
    report_id: int | None = Field(default=None, foreign_key="report.id", unique=True)
    due_from: date | None = None
    due_to: date | None = None
    reason: str | None = Field(default=None, sa_column=Column(Text()))
    status: str = Field(default="pending", max_length=16)
    decided_at: datetime | None = _time()
    decided_by: str | None = Field(default=None, max_length=64)
    decision_note: str | None = Field(default=None, sa_column=Column(Text()))


class EscalationRow(SQLModel, table=True):
    """A 督办单, 专函 or 约谈 proposal: numbered per year, fired by one issued 通报."""

    __tablename__ = "escalation"
    __table_args__ = (
        UniqueConstraint("year", "number", name="uq_escalation_number"),
        UniqueConstraint("task_id", "period", name="uq_escalation_task_period"),
    )

    id: int | None = Field(default=None, primary_key=True)
    year: int
    number: int
    kind: str = Field(max_length=16)
    rung: int
    task_id: str = Field(foreign_key="task.id", max_length=64, index=True)
    department_id: str = Field(max_length=64)
    period: str = Field(max_length=32)  # the 通报 that fired it
    issued_on: date
    reply_by: date
    light: str = Field(max_length=16)
    streak: int
    percent: int
    due: date
    rule: Any = Field(sa_column=Column(JSON(), nullable=False))
    reasons: Any = Field(sa_column=Column(JSON(), nullable=False))
    created_at: datetime = _time(nullable=False)


class BulletinLightRow(SQLModel, table=True):
    """Each task's light in an issued 通报: what the escalation ladder counts."""

    __tablename__ = "bulletin_light"

    period: str = Field(primary_key=True, max_length=32)
    task_id: str = Field(primary_key=True, max_length=64)
    light: str = Field(max_length=16)  # as the 通报 showed it
    standing: str = Field(max_length=16)  # as the ranking scored it
    percent: int


class DocumentCopyRow(SQLModel, table=True):
    """An issued document in one format, exactly as it went out (``bulletin:2022-09``,
    ``escalation:17``)."""

    __tablename__ = "document_copy"

    key: str = Field(primary_key=True, max_length=64)
    format: str = Field(primary_key=True, max_length=8)
    content: bytes = Field(sa_column=Column(LargeBinary(), nullable=False))
    sha256: str = Field(max_length=64)
    created_at: datetime = _time(nullable=False)


class RoundTaskRow(SQLModel, table=True):
    """Which tasks a person's reminder (or nudge) of a round spoke about."""

    __tablename__ = "round_task"

    kind: str = Field(primary_key=True, max_length=16)
    period: str = Field(primary_key=True, max_length=32)
    person_id: str = Field(primary_key=True, max_length=64)
    task_id: str = Field(primary_key=True, max_length=64, index=True)


class AcceptedReasonRow(SQLModel, table=True):
    """A coordinator accepted the reason a task is 受阻 (正当理由): the ranking may leave it out
    while it stays blocked."""

    __tablename__ = "accepted_reason"
    __table_args__ = (Index("ix_accepted_reason_task", "task_id"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: str = Field(foreign_key="task.id", max_length=64)
    at: datetime = _time(nullable=False)
    person_id: str | None = Field(default=None, max_length=64)
    note: str | None = Field(default=None, sa_column=Column(Text()))


class WebLinkRow(SQLModel, table=True):
    """A link the web view sent: a login link (single use) or a person's 填报 link for a
    round (used until it expires). Only the SHA-256 of its code is kept: a copy of the
    database opens nothing."""

    __tablename__ = "web_link"

    code_hash: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=16)  # login | report
    person_id: str = Field(max_length=64, index=True)
    period: str | None = Field(default=None, max_length=32)  # report: the round's month
    created_at: datetime = _time(nullable=False)
    expires_at: datetime = _time(nullable=False)
    used_at: datetime | None = _time()


class WebSessionRow(SQLModel, table=True):
    """A signed-in browser, by the SHA-256 of its cookie."""

    __tablename__ = "web_session"

    token_hash: str = Field(primary_key=True, max_length=64)
    person_id: str = Field(max_length=64, index=True)
    created_at: datetime = _time(nullable=False)
    expires_at: datetime = _time(nullable=False)


class WrongCodeRow(SQLModel, table=True):
    """A wrong invite code an account sent: counted here, not in memory, so the pause holds
    across instances and restarts."""

    __tablename__ = "wrong_code"
    __table_args__ = (Index("ix_wrong_code_sender_at", "sender", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    sender: str = Field(max_length=160)  # channel:account id
    at: datetime = _time(nullable=False)
