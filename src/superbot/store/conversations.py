"""The conversation's memory on SQL: messages sent and received by their channel's opaque
references, conversation steps, and the evidence kept with reports."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from superbot.domain.model import Account
from superbot.service.conversation import ChatStep, SentRef
from superbot.service.outcomes import Evidence
from superbot.store.db import SqlRepository
from superbot.store.tables import (
    ConversationStepRow,
    EvidenceFileRow,
    InboundMessageRow,
    ReportEvidenceRow,
    ReportRow,
    SentMessageRow,
)


class SqlConversations(SqlRepository):
    # -- messages received -------------------------------------------------------------------

    def first_time(self, channel: str, ref: str, now: datetime) -> bool:
        try:
            with self.session() as s:
                s.add(InboundMessageRow(channel=channel, ref=ref, received_at=now))
        except IntegrityError:
            return False
        return True

    def seen(self, channel: str, ref: str) -> bool:
        with self.session() as s:
            return s.get(InboundMessageRow, (channel, ref)) is not None

    # -- messages sent -------------------------------------------------------------------------

    def remember(
        self,
        channel: str,
        ref: str,
        now: datetime,
        *,
        task_id: str | None = None,
        token: str | None = None,
        outbox_id: int | None = None,
    ) -> None:
        with self.session() as s:
            s.merge(
                SentMessageRow(
                    channel=channel,
                    ref=ref,
                    task_id=task_id,
                    token=token,
                    outbox_id=outbox_id,
                    sent_at=now,
                )
            )

    def sent(self, channel: str, ref: str) -> SentRef | None:
        with self.session() as s:
            row = s.get(SentMessageRow, (channel, ref))
            return SentRef(row.task_id, row.token) if row else None

    # -- conversation steps ----------------------------------------------------------------------

    def step(self, sender: Account, now: datetime) -> ChatStep | None:
        with self.session() as s:
            row = s.get(ConversationStepRow, (sender.channel, sender.id))
            if row is None or row.expires_at < now:
                return None
            return ChatStep(row.step, row.task_id, row.report_id, row.message_ref)

    def set_step(self, sender: Account, step: ChatStep, expires_at: datetime) -> None:
        with self.session() as s:
            s.merge(
                ConversationStepRow(
                    channel=sender.channel,
                    account=sender.id,
                    step=step.step,
                    task_id=step.task_id,
                    report_id=step.report_id,
                    message_ref=step.message_ref,
                    expires_at=expires_at,
                )
            )

    def clear_step(self, sender: Account) -> None:
        with self.session() as s:
            s.execute(
                delete(ConversationStepRow).where(
                    col(ConversationStepRow.channel) == sender.channel,
                    col(ConversationStepRow.account) == sender.id,
                )
            )

    def add_note(self, report_id: int, note: str) -> None:
        """A note written after pressing a button joins the report the button made."""
        with self.session() as s:
            row = s.get(ReportRow, report_id)
            if row is not None:
                row.note = f"{row.note}；{note}" if row.note else note
                s.add(row)

    # -- evidence ------------------------------------------------------------------------------

    def evidence(self, report_ids: list[int]) -> dict[int, tuple[Evidence, ...]]:
        if not report_ids:
            return {}
        found: dict[int, list[Evidence]] = defaultdict(list)
        with self.session() as s:
            rows = s.execute(
                select(ReportEvidenceRow, EvidenceFileRow)
                .join(EvidenceFileRow, col(EvidenceFileRow.sha256) == col(ReportEvidenceRow.sha256))
                .where(col(ReportEvidenceRow.report_id).in_(report_ids))
                .order_by(col(ReportEvidenceRow.report_id), col(ReportEvidenceRow.filename))
            ).all()
        for link, stored in rows:
            found[link.report_id].append(Evidence(link.filename, stored.sha256, stored.size))
        return {report_id: tuple(files) for report_id, files in found.items()}
