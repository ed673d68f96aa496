"""Telegram accounts, invites, task messages, handled updates and conversation steps."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from superbot.service.people import ChatStep, Invite
from superbot.store.db import SqlRepository
from superbot.store.tables import (
    ChatStateRow,
    InviteRow,
    PersonRow,
    ReportRow,
    TelegramMessageRow,
    TelegramUpdateRow,
)


class SqlBindings(SqlRepository):
    # -- invites and binding ---------------------------------------------------------------

    def add_invite(self, invite: Invite, now: datetime) -> None:
        with self.session() as s:
            s.add(
                InviteRow(
                    code=invite.code,
                    person_id=invite.person_id,
                    created_at=now,
                    expires_at=invite.expires_at,
                )
            )

    def invite(self, code: str) -> Invite | None:
        with self.session() as s:
            row = s.get(InviteRow, code)
            return (
                None
                if row is None
                else Invite(row.code, row.person_id, row.expires_at, row.used_at)
            )

    def use_invite(self, code: str, telegram_id: int, now: datetime) -> bool:
        with self.session() as s:
            result = s.execute(
                update(InviteRow)
                .where(col(InviteRow.code) == code, col(InviteRow.used_at).is_(None))
                .values(used_at=now, used_by=telegram_id)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def bind(self, person_id: str, telegram_id: int, now: datetime) -> None:
        with self.session() as s:
            # One account, one person: an account re-bound elsewhere leaves its old person.
            s.execute(
                update(PersonRow)
                .where(col(PersonRow.bound_telegram) == telegram_id)
                .values(bound_telegram=None, bound_at=None)
            )
            s.execute(
                update(PersonRow)
                .where(col(PersonRow.id) == person_id)
                .values(bound_telegram=telegram_id, bound_at=now)
            )

    def person_for(self, telegram_id: int) -> str | None:
        with self.session() as s:
            row = s.scalars(
                select(PersonRow).where(
                    (col(PersonRow.plan_telegram) == telegram_id)
                    | (col(PersonRow.bound_telegram) == telegram_id),
                    col(PersonRow.archived_at).is_(None),
                )
            ).first()
            return row.id if row else None

    # -- the bot's messages about tasks ------------------------------------------------------

    def task_for_message(self, chat_id: int, message_id: int) -> str | None:
        with self.session() as s:
            row = s.get(TelegramMessageRow, (chat_id, message_id))
            return row.task_id if row else None

    def remember_message(self, chat_id: int, message_id: int, task_id: str, now: datetime) -> None:
        with self.session() as s:
            s.merge(
                TelegramMessageRow(
                    chat_id=chat_id, message_id=message_id, task_id=task_id, sent_at=now
                )
            )

    # -- updates Telegram may deliver twice ----------------------------------------------------

    def first_time(self, update_id: int, now: datetime) -> bool:
        try:
            with self.session() as s:
                s.add(TelegramUpdateRow(update_id=update_id, received_at=now))
        except IntegrityError:
            return False
        return True

    # -- conversation steps ----------------------------------------------------------------------

    def step(self, user_id: int, now: datetime) -> ChatStep | None:
        with self.session() as s:
            row = s.get(ChatStateRow, user_id)
            if row is None or row.expires_at < now:
                return None
            return ChatStep(row.step, row.task_id, row.report_id, row.message_id)

    def set_step(self, user_id: int, step: ChatStep, expires_at: datetime) -> None:
        with self.session() as s:
            s.merge(
                ChatStateRow(
                    user_id=user_id,
                    step=step.step,
                    task_id=step.task_id,
                    report_id=step.report_id,
                    message_id=step.message_id,
                    expires_at=expires_at,
                )
            )

    def clear_step(self, user_id: int) -> None:
        with self.session() as s:
            s.execute(delete(ChatStateRow).where(col(ChatStateRow.user_id) == user_id))

    def add_note(self, report_id: int, note: str) -> None:
        """A note typed after pressing a button joins the report the button made."""
        with self.session() as s:
            row = s.get(ReportRow, report_id)
            if row is not None:
                row.note = f"{row.note}；{note}" if row.note else note
                s.add(row)
