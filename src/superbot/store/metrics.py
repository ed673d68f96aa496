"""The figures ``/metrics`` shows, read from the database: what every instance did, not what
one process remembers, so that any instance behind a load balancer tells the same story."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, select, text
from sqlmodel import col

from superbot.domain.model import ScheduleKind
from superbot.service.outbox import Status
from superbot.store.db import SqlRepository
from superbot.store.tables import OutboxRow, ReportRow, SchedulerStateRow


@dataclass(frozen=True)
class Figures:
    messages: dict[tuple[str, str], int] = field(default_factory=dict)  # (channel, status) → n
    oldest_waiting: datetime | None = None  # created_at of the oldest pending or sending row
    replies: dict[str, int] = field(default_factory=dict)  # report source → n
    last_rounds: dict[str, datetime] = field(default_factory=dict)  # schedule → newest round
    looked: dict[str, datetime] = field(default_factory=dict)  # schedule → scheduler watermark


class SqlMetrics(SqlRepository):
    def ping(self) -> None:
        """One round trip to the database; raises when it cannot be made."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def figures(self) -> Figures:
        waiting = (Status.PENDING.value, Status.SENDING.value)
        schedules = [kind.value for kind in ScheduleKind]
        with self.session() as s:
            messages = s.execute(
                select(col(OutboxRow.channel), col(OutboxRow.status), func.count()).group_by(
                    col(OutboxRow.channel), col(OutboxRow.status)
                )
            ).all()
            oldest = s.execute(
                select(func.min(col(OutboxRow.created_at))).where(
                    col(OutboxRow.status).in_(waiting)
                )
            ).one()[0]
            replies = s.execute(
                select(col(ReportRow.source), func.count()).group_by(col(ReportRow.source))
            ).all()
            rounds = s.execute(
                select(col(OutboxRow.kind), func.max(col(OutboxRow.created_at)))
                .where(col(OutboxRow.kind).in_(schedules))
                .group_by(col(OutboxRow.kind))
            ).all()
            looked = s.execute(
                select(col(SchedulerStateRow.kind), col(SchedulerStateRow.watermark))
            ).all()
        return Figures(
            messages={(channel, status): n for channel, status, n in messages},
            oldest_waiting=_aware(oldest),
            replies={source: int(n) for source, n in replies},
            last_rounds={kind: at for kind, at in rounds if at is not None},
            looked={str(kind): at for kind, at in looked},
        )


def _aware(value: object) -> datetime | None:
    # An aggregate bypasses the column's type on some backends: SQLite hands back text.
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
