"""The outbox on SQL: unique dedupe keys, claims with SKIP LOCKED where the database has it."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterator, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from superbot.service.outbox import UNREACHABLE, Failure, Item, NewItem, RoundState, Status
from superbot.service.ports import Attachment, Button, Message, Receipt
from superbot.store.db import SqlRepository
from superbot.store.tables import MessageAttachmentRow, MessageContentRow, OutboxRow

_T = TypeVar("_T")
ROWS_PER_INSERT = 400  # SQLite allows 32,766 parameters a statement; 16 columns a row


class SqlOutbox(SqlRepository):
    def enqueue(self, items: Sequence[NewItem], now: datetime) -> int:
        insert = postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        contents = {content_id(item.message): item.message for item in items}
        rows = [
            {
                "dedupe_key": item.dedupe_key,
                "kind": item.kind,
                "period": item.period,
                "channel": item.channel,
                "recipient": item.recipient,
                "person_id": item.person_id,
                "task_id": item.task_id,
                "seq": item.seq,
                "content_id": content_id(item.message),
                "status": Status.FAILED.value if item.failed_reason else Status.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
                "claimed_at": None,
                "created_at": now,
                "failed_at": now if item.failed_reason else None,
                "last_error": item.failed_reason,
            }
            for item in items
        ]
        added = 0
        with self.session() as s:
            self._store_contents(s, contents)
            for chunk in _chunks(rows, ROWS_PER_INSERT):
                statement = (
                    insert(OutboxRow)
                    .values(chunk)
                    .on_conflict_do_nothing(index_elements=["dedupe_key"])
                    .returning(col(OutboxRow.id))
                )
                added += len(s.execute(statement).all())
        return added

    def _store_contents(self, s: Session, contents: dict[str, Message]) -> None:
        known: set[str] = set()
        for chunk in _chunks(list(contents), ROWS_PER_INSERT):
            known |= set(
                s.scalars(
                    select(col(MessageContentRow.id)).where(col(MessageContentRow.id).in_(chunk))
                )
            )
        fresh = {ident: message for ident, message in contents.items() if ident not in known}
        s.add_all(
            MessageContentRow(
                id=ident,
                subject=message.subject,
                body=message.body,
                html=message.html,
                buttons=[[[b.label, b.data] for b in row] for row in message.buttons] or None,
                reply_to=message.reply_to,
                reply_address=message.reply_address,
            )
            for ident, message in fresh.items()
        )
        s.flush()  # the contents first: attachments point at them
        s.add_all(
            MessageAttachmentRow(
                content_id=ident,
                position=position,
                filename=attachment.filename,
                mime=attachment.mime,
                content=attachment.content,
            )
            for ident, message in fresh.items()
            for position, attachment in enumerate(message.attachments)
        )
        s.flush()

    def claim(
        self,
        now: datetime,
        limit: int,
        lease: timedelta,
        owner: str,
        *,
        channel: str | None = None,
        other_than: Collection[str] = (),
        held: bool = False,
        recipient: str | None = None,
    ) -> list[Item]:
        """Up to ``limit`` due rows for ``owner``: pending ones, and ones whose holder let the
        lease run out. Only the first unfinished part of a round to a recipient is due, so a
        claim holds at most one message per recipient and round."""
        due = or_(
            and_(
                col(OutboxRow.status) == Status.PENDING.value, col(OutboxRow.next_attempt_at) <= now
            ),
            and_(
                col(OutboxRow.status) == Status.SENDING.value,
                col(OutboxRow.claimed_at) < now - lease,
            ),
            and_(
                col(OutboxRow.status) == Status.HELD.value,
                or_(col(OutboxRow.next_attempt_at) <= now, true() if held else false()),
            ),
        )
        # A later part of a round never overtakes an earlier one to the same recipient: not
        # while it waits for its retry, nor while it is being sent (by anyone).
        earlier = aliased(OutboxRow)
        waiting = (
            select(col(earlier.id))
            .where(
                col(earlier.channel) == col(OutboxRow.channel),
                col(earlier.recipient) == col(OutboxRow.recipient),
                col(earlier.kind) == col(OutboxRow.kind),
                col(earlier.period) == col(OutboxRow.period),
                col(earlier.id) < col(OutboxRow.id),
                col(earlier.status).in_(
                    [Status.PENDING.value, Status.SENDING.value, Status.HELD.value]
                ),
            )
            .exists()
        )
        query = select(OutboxRow).where(due, ~waiting)
        if channel is not None:
            query = query.where(col(OutboxRow.channel) == channel)
        if recipient is not None:
            query = query.where(col(OutboxRow.recipient) == recipient)
        if other_than:
            query = query.where(col(OutboxRow.channel).not_in(list(other_than)))
        query = query.order_by(col(OutboxRow.id)).limit(limit).with_for_update(skip_locked=True)
        with self.session() as s:
            rows = list(s.scalars(query).all())
            if not rows:
                return []
            ids = [r.id for r in rows]
            s.execute(
                update(OutboxRow)
                .where(col(OutboxRow.id).in_(ids))
                .values(
                    status=Status.SENDING.value,
                    claimed_at=now,
                    claimed_by=owner,
                    attempts=OutboxRow.attempts + 1,
                )
                .execution_options(synchronize_session=False)  # rows keep their attempts so far
            )
            messages = _messages(s, {r.content_id for r in rows})
        return [_item(row, messages[row.content_id], owner) for row in rows]

    def renew(self, owner: str, ids: Collection[int], now: datetime) -> int:
        """The heartbeat: ``owner`` still works on these rows; their lease starts again."""
        if not ids:
            return 0
        with self.session() as s:
            result = s.execute(
                update(OutboxRow)
                .where(col(OutboxRow.id).in_(list(ids)), _held_by(owner))
                .values(claimed_at=now)
                .execution_options(synchronize_session=False)
            )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def mark_sent(self, item: Item, receipt: Receipt, now: datetime) -> bool:
        return self._mark(
            item,
            status=Status.SENT.value,
            sent_at=now,
            receipt=_cut(receipt.ref),
            last_error=None,
            claimed_by=None,
        )

    def mark_retry(self, item: Item, error: str, at: datetime) -> bool:
        return self._mark(
            item,
            status=Status.PENDING.value,
            next_attempt_at=at,
            last_error=error,
            claimed_at=None,
            claimed_by=None,
        )

    def mark_failed(self, item: Item, error: str, now: datetime) -> bool:
        return self._mark(
            item, status=Status.FAILED.value, last_error=error, failed_at=now, claimed_by=None
        )

    def mark_held(self, item: Item, error: str, until: datetime) -> bool:
        return self._mark(
            item,
            status=Status.HELD.value,
            next_attempt_at=until,
            last_error=error,
            claimed_at=None,
            claimed_by=None,
            attempts=OutboxRow.attempts - 1,  # not the recipient's failure
        )

    def requeue_failed(self, kind: str, period: str, now: datetime) -> int:
        with self.session() as s:
            result = s.execute(
                update(OutboxRow)
                .where(
                    col(OutboxRow.kind) == kind,
                    col(OutboxRow.period) == period,
                    col(OutboxRow.status) == Status.FAILED.value,
                    col(OutboxRow.channel) != UNREACHABLE,  # nothing to send it through
                )
                .values(
                    status=Status.PENDING.value,
                    attempts=0,
                    next_attempt_at=now,
                    failed_at=None,
                )
                .execution_options(synchronize_session=False)
            )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def release(self, items: Sequence[Item]) -> None:
        for owner in {i.owner for i in items}:
            with self.session() as s:
                s.execute(
                    update(OutboxRow)
                    .where(
                        col(OutboxRow.id).in_([i.id for i in items if i.owner == owner]),
                        _held_by(owner),
                    )
                    .values(
                        status=Status.PENDING.value,
                        claimed_at=None,
                        claimed_by=None,
                        attempts=OutboxRow.attempts - 1,
                    )
                    .execution_options(synchronize_session=False)
                )

    def _mark(self, item: Item, **values: object) -> bool:
        """A mark counts only while the caller still holds the row: a holder whose lease ran
        out (and whose row another dispatcher took over) changes nothing."""
        with self.session() as s:
            result = s.execute(
                update(OutboxRow)
                .where(col(OutboxRow.id) == item.id, _held_by(item.owner))
                .values(**values)
                .execution_options(synchronize_session=False)
            )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def next_attempt(
        self,
        kind: str | None = None,
        period: str | None = None,
        after: datetime | None = None,
        lease: timedelta | None = None,
    ) -> datetime | None:
        query = select(func.min(col(OutboxRow.next_attempt_at))).where(
            col(OutboxRow.status) == Status.PENDING.value
        )
        if after is not None:
            query = query.where(col(OutboxRow.next_attempt_at) > after)
        held = select(func.min(col(OutboxRow.claimed_at))).where(
            col(OutboxRow.status) == Status.SENDING.value
        )
        if kind is not None:
            query = query.where(col(OutboxRow.kind) == kind)
            held = held.where(col(OutboxRow.kind) == kind)
        if period is not None:
            query = query.where(col(OutboxRow.period) == period)
            held = held.where(col(OutboxRow.period) == period)
        with self.session() as s:
            value = _aware(s.execute(query).scalar())
            claimed = _aware(s.execute(held).scalar()) if lease is not None else None
        # A row another process holds comes up when its lease would run out unrenewed.
        candidates = [t for t in (value, claimed and claimed + (lease or timedelta())) if t]
        if after is not None:
            candidates = [t for t in candidates if t > after]
        return min(candidates, default=None)

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

    def waiting_reason(self, kind: str, period: str) -> str | None:
        with self.session() as s:
            return s.scalars(
                select(col(OutboxRow.last_error))
                .where(
                    col(OutboxRow.kind) == kind,
                    col(OutboxRow.period) == period,
                    col(OutboxRow.status) == Status.PENDING.value,
                )
                .order_by(col(OutboxRow.next_attempt_at))
                .limit(1)
            ).first()

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


def _cut(ref: str | None) -> str | None:
    """Receipts are for people reading the table: an email's Message-ID may be long."""
    return ref[:255] if ref is not None else None


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


def content_id(message: Message) -> str:
    """The SHA-256 of everything a message says: equal messages are stored once."""
    digest = hashlib.sha256()
    parts = (message.subject, message.body, message.html or "", str(message.reply_to))
    for part in (*parts, message.reply_address or ""):
        digest.update(part.encode())
        digest.update(b"\x00")
    for row in message.buttons:
        for button in row:
            digest.update(f"{button.label}\x01{button.data}\x02".encode())
        digest.update(b"\x03")
    for attachment in message.attachments:
        digest.update(f"{attachment.filename}\x01{attachment.mime}\x01".encode())
        digest.update(hashlib.sha256(attachment.content).digest())
    return digest.hexdigest()


def _messages(s: Session, ids: set[str]) -> dict[str, Message]:
    contents = s.scalars(select(MessageContentRow).where(col(MessageContentRow.id).in_(ids))).all()
    files: dict[str, list[Attachment]] = {}
    for a in s.scalars(
        select(MessageAttachmentRow)
        .where(col(MessageAttachmentRow.content_id).in_(ids))
        .order_by(col(MessageAttachmentRow.content_id), col(MessageAttachmentRow.position))
    ):
        files.setdefault(a.content_id, []).append(Attachment(a.filename, a.content, a.mime))
    return {
        c.id: Message(
            subject=c.subject,
            body=c.body,
            html=c.html,
            attachments=tuple(files.get(c.id, ())),
            buttons=tuple(
                tuple(Button(label, data) for label, data in r) for r in (c.buttons or [])
            ),
            reply_to=c.reply_to,
            reply_address=c.reply_address,
        )
        for c in contents
    }


def _chunks(values: list[_T], size: int) -> Iterator[list[_T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _held_by(owner: str) -> ColumnElement[bool]:
    return and_(col(OutboxRow.status) == Status.SENDING.value, col(OutboxRow.claimed_by) == owner)


def _item(row: OutboxRow, message: Message, owner: str) -> Item:
    assert row.id is not None
    return Item(
        id=row.id,
        dedupe_key=row.dedupe_key,
        kind=row.kind,
        period=row.period,
        channel=row.channel,
        recipient=row.recipient,
        message=message,
        attempts=row.attempts + 1,
        person_id=row.person_id,
        task_id=row.task_id,
        owner=owner,
    )
