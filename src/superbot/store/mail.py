"""Reply tokens of reminder emails and the mails that recorded nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from superbot.service.mail import RefusedMail, ReplyToken
from superbot.store.db import SqlRepository
from superbot.store.tables import RefusedMailRow, ReplyTokenRow


class SqlMail(SqlRepository):
    def issue(
        self,
        person_id: str,
        kind: str,
        period: str,
        task_ids: Sequence[str],
        now: datetime,
        expires_at: datetime,
        token: str,
    ) -> str:
        known = self.for_round(person_id, kind, period)
        if known is not None:
            return known
        try:
            with self.session() as s:
                s.add(
                    ReplyTokenRow(
                        token=token,
                        person_id=person_id,
                        kind=kind,
                        period=period,
                        task_ids=list(task_ids),
                        created_at=now,
                        expires_at=expires_at,
                    )
                )
        except IntegrityError:  # another instance issued this round's token a moment ago
            known = self.for_round(person_id, kind, period)
            if known is None:
                raise
            return known
        return token

    def find(self, token: str) -> ReplyToken | None:
        with self.session() as s:
            row = s.get(ReplyTokenRow, token.upper())
            if row is None:
                return None
            return ReplyToken(
                row.token,
                row.person_id,
                row.kind,
                row.period,
                tuple(row.task_ids),
                row.expires_at,
            )

    def for_round(self, person_id: str, kind: str, period: str) -> str | None:
        with self.session() as s:
            return s.scalars(
                select(col(ReplyTokenRow.token)).where(
                    col(ReplyTokenRow.person_id) == person_id,
                    col(ReplyTokenRow.kind) == kind,
                    col(ReplyTokenRow.period) == period,
                )
            ).first()

    def refuse(self, mail: RefusedMail) -> None:
        with self.session() as s:
            known = s.scalars(
                select(RefusedMailRow).where(col(RefusedMailRow.message_id) == mail.message_id)
            ).first()
            if known is None:
                s.add(
                    RefusedMailRow(
                        received_at=mail.received_at,
                        sender=mail.sender[:255],
                        subject=mail.subject,
                        reason=mail.reason,
                        message_id=mail.message_id[:998],
                    )
                )

    def refused_between(self, after: datetime, until: datetime) -> list[RefusedMail]:
        with self.session() as s:
            rows = s.scalars(
                select(RefusedMailRow)
                .where(
                    col(RefusedMailRow.received_at) > after,
                    col(RefusedMailRow.received_at) <= until,
                )
                .order_by(col(RefusedMailRow.received_at), col(RefusedMailRow.id))
            ).all()
        return [
            RefusedMail(r.received_at, r.sender, r.subject, r.reason, r.message_id) for r in rows
        ]
