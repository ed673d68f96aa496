"""The outbox on SQL: unique dedupe keys, claims with SKIP LOCKED where the database has it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import col

from superbot.service.outbox import Failure, Item, NewItem, RoundState, Status
from superbot.service.ports import Attachment, Button, Message, Receipt
from superbot.store.db import SqlRepository
from superbot.store.tables import OutboxAttachmentRow, OutboxRow, TelegramMessageRow


class SqlOutbox(SqlRepository):
    def enqueue(self, items: Sequence[NewItem], now: datetime) -> int:
        insert = postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        added = 0
        with self.session() as s:
            for item in items:
                failed = item.failed_reason is not None
                statement = (
                    insert(OutboxRow)
                    .values(
                        dedupe_key=item.dedupe_key,
                        kind=item.kind,
                        period=item.period,
                        channel=item.channel,
                        recipient=item.recipient,
                        person_id=item.person_id,
                        task_id=item.task_id,
                        seq=item.seq,
                        subject=item.message.subject,
                        body=item.message.body,
                        html=item.message.html,
                        buttons=[[[b.label, b.data] for b in row] for row in item.message.buttons]
                        or None,
                        reply_to=item.message.reply_to,
                        status=Status.FAILED.value if failed else Status.PENDING.value,
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                        failed_at=now if failed else None,
                        last_error=item.failed_reason,
                    )
                    .on_conflict_do_nothing(index_elements=["dedupe_key"])
                    .returning(col(OutboxRow.id))
                )
                new_id = s.execute(statement).scalar()
                if new_id is None:
                    continue
                added += 1
                for attachment in item.message.attachments:
                    s.add(
                        OutboxAttachmentRow(
                            outbox_id=new_id,
                            filename=attachment.filename,
                            mime=attachment.mime,
                            content=attachment.content,
                        )
                    )
        return added

    def claim(self, now: datetime, limit: int, lease: timedelta) -> list[Item]:
        due = or_(
            and_(
                col(OutboxRow.status) == Status.PENDING.value, col(OutboxRow.next_attempt_at) <= now
            ),
            and_(
                col(OutboxRow.status) == Status.SENDING.value,
                col(OutboxRow.claimed_at) < now - lease,
            ),
        )
        # A later part of a round never overtakes an earlier one to the same recipient that is
        # waiting for its retry or still being sent by someone else.
        earlier = aliased(OutboxRow)
        waiting = (
            select(col(earlier.id))
            .where(
                col(earlier.channel) == col(OutboxRow.channel),
                col(earlier.recipient) == col(OutboxRow.recipient),
                col(earlier.kind) == col(OutboxRow.kind),
                col(earlier.period) == col(OutboxRow.period),
                col(earlier.id) < col(OutboxRow.id),
                or_(
                    and_(
                        col(earlier.status) == Status.PENDING.value,
                        col(earlier.next_attempt_at) > now,
                    ),
                    and_(
                        col(earlier.status) == Status.SENDING.value,
                        col(earlier.claimed_at) >= now - lease,
                    ),
                ),
            )
            .exists()
        )
        query = (
            select(OutboxRow)
            .where(due, ~waiting)
            .order_by(col(OutboxRow.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        with self.session() as s:
            rows = list(s.scalars(query).all())
            if not rows:
                return []
            ids = [r.id for r in rows]
            s.execute(
                update(OutboxRow)
                .where(col(OutboxRow.id).in_(ids))
                .values(
                    status=Status.SENDING.value, claimed_at=now, attempts=OutboxRow.attempts + 1
                )
                .execution_options(synchronize_session=False)  # rows keep their attempts so far
            )
            attachments = s.scalars(
                select(OutboxAttachmentRow)
                .where(col(OutboxAttachmentRow.outbox_id).in_(ids))
                .order_by(col(OutboxAttachmentRow.id))
            ).all()
        files: dict[int, list[Attachment]] = {}
        for a in attachments:
            files.setdefault(a.outbox_id, []).append(Attachment(a.filename, a.content, a.mime))
        return [_item(row, files.get(row.id or 0, [])) for row in rows]

    def mark_sent(self, item: Item, receipt: Receipt, now: datetime) -> None:
        with self.session() as s:
            s.execute(
                update(OutboxRow)
                .where(col(OutboxRow.id) == item.id)
                .values(status=Status.SENT.value, sent_at=now, receipt=receipt.ref, last_error=None)
            )
            if (
                item.channel == "telegram"
                and item.task_id
                and receipt.ref
                and receipt.ref.isdigit()
            ):
                s.merge(
                    TelegramMessageRow(
                        chat_id=int(item.recipient),
                        message_id=int(receipt.ref),
                        task_id=item.task_id,
                        outbox_id=item.id,
                        sent_at=now,
                    )
                )

    def mark_retry(self, item: Item, error: str, at: datetime) -> None:
        with self.session() as s:
            s.execute(
                update(OutboxRow)
                .where(col(OutboxRow.id) == item.id)
                .values(
                    status=Status.PENDING.value,
                    next_attempt_at=at,
                    last_error=error,
                    claimed_at=None,
                )
            )

    def mark_failed(self, item: Item, error: str, now: datetime) -> None:
        with self.session() as s:
            s.execute(
                update(OutboxRow)
                .where(col(OutboxRow.id) == item.id)
                .values(status=Status.FAILED.value, last_error=error, failed_at=now)
            )

    def release(self, items: Sequence[Item]) -> None:
        with self.session() as s:
            s.execute(
                update(OutboxRow)
                .where(col(OutboxRow.id).in_([i.id for i in items]))
                .values(
                    status=Status.PENDING.value, claimed_at=None, attempts=OutboxRow.attempts - 1
                )
            )

    def next_attempt(
        self, kind: str | None = None, period: str | None = None, after: datetime | None = None
    ) -> datetime | None:
        query = select(func.min(col(OutboxRow.next_attempt_at))).where(
            col(OutboxRow.status) == Status.PENDING.value
        )
        if after is not None:
            query = query.where(col(OutboxRow.next_attempt_at) > after)
        if kind is not None:
            query = query.where(col(OutboxRow.kind) == kind)
        if period is not None:
            query = query.where(col(OutboxRow.period) == period)
        with self.session() as s:
            value = s.execute(query).scalar()
        return _aware(value)

    def round_state(self, kind: str, period: str) -> RoundState:
        with self.session() as s:
            counts = dict(
                s.execute(
                    select(col(OutboxRow.status), func.count())
                    .where(col(OutboxRow.kind) == kind, col(OutboxRow.period) == period)
                    .group_by(col(OutboxRow.status))
                ).all()
            )
            failed = s.scalars(
                select(OutboxRow).where(
                    col(OutboxRow.kind) == kind,
                    col(OutboxRow.period) == period,
                    col(OutboxRow.status) == Status.FAILED.value,
                )
            ).all()
        return RoundState(counts, tuple(_failure(r) for r in failed))

    def failures_between(self, after: datetime, until: datetime) -> list[Failure]:
        with self.session() as s:
            rows = s.scalars(
                select(OutboxRow)
                .where(
                    col(OutboxRow.status) == Status.FAILED.value,
                    col(OutboxRow.failed_at) > after,
                    col(OutboxRow.failed_at) <= until,
                )
                .order_by(col(OutboxRow.id))
            ).all()
        return [_failure(r) for r in rows]


def _aware(value: datetime | None) -> datetime | None:
    from datetime import UTC

    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _failure(row: OutboxRow) -> Failure:
    return Failure(
        row.kind,
        row.period,
        row.channel,
        row.recipient,
        row.person_id,
        row.last_error or "",
        row.failed_at,
    )


def _item(row: OutboxRow, attachments: list[Attachment]) -> Item:
    assert row.id is not None
    buttons = tuple(tuple(Button(label, data) for label, data in r) for r in (row.buttons or []))
    return Item(
        id=row.id,
        dedupe_key=row.dedupe_key,
        kind=row.kind,
        period=row.period,
        channel=row.channel,
        recipient=row.recipient,
        message=Message(
            subject=row.subject,
            body=row.body,
            html=row.html,
            attachments=tuple(attachments),
            buttons=buttons,
            reply_to=row.reply_to,
        ),
        attempts=row.attempts + 1,
        person_id=row.person_id,
        task_id=row.task_id,
    )
