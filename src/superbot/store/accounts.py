"""Accounts on every channel and the invites that bind them."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlmodel import col

from superbot.domain.model import Account
from superbot.service.people import Invite
from superbot.store.db import SqlRepository
from superbot.store.stamp import touch_plan
from superbot.store.tables import AccountRow, InviteRow, PersonRow, WrongCodeRow

PLAN, INVITE = "plan", "invite"


def code_hash(code: str) -> str:
    """What the database keeps of an invite code: a copy of the table binds nobody. The code
    is random and used once, so a plain SHA-256 is enough (there is no word list to try)."""
    return hashlib.sha256(code.encode()).hexdigest()[:32]


class SqlAccounts(SqlRepository):
    def add_invite(self, invite: Invite, now: datetime) -> None:
        with self.session() as s:
            s.add(
                InviteRow(
                    code=code_hash(invite.code),
                    person_id=invite.person_id,
                    created_at=now,
                    expires_at=invite.expires_at,
                )
            )

    def invite(self, code: str) -> Invite | None:
        with self.session() as s:
            row = s.get(InviteRow, code_hash(code))
            return None if row is None else Invite(code, row.person_id, row.expires_at, row.used_at)

    def wrong_codes(self, sender: Account, since: datetime) -> list[datetime]:
        key = f"{sender.channel}:{sender.id}"
        with self.session() as s:
            query = select(col(WrongCodeRow.at)).where(
                col(WrongCodeRow.sender) == key, col(WrongCodeRow.at) > since
            )
            return list(s.scalars(query).all())

    def add_wrong_code(self, sender: Account, at: datetime) -> None:
        with self.session() as s:
            s.add(WrongCodeRow(sender=f"{sender.channel}:{sender.id}", at=at))

    def use_invite(self, code: str, sender: Account, now: datetime) -> bool:
        with self.session() as s:
            result = s.execute(
                update(InviteRow)
                .where(col(InviteRow.code) == code_hash(code), col(InviteRow.used_at).is_(None))
                .values(used_at=now, used_by=f"{sender.channel}:{sender.id}")
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def bind(self, person_id: str, account: Account, now: datetime) -> None:
        account = Account.of(account.channel, account.id)
        with self.session() as s:
            # One account, one person: bound again elsewhere, it leaves its old person; and a
            # person keeps one invited account per channel (a new phone replaces the old one).
            s.execute(
                delete(AccountRow).where(
                    col(AccountRow.origin) == INVITE,
                    col(AccountRow.channel) == account.channel,
                    (col(AccountRow.id) == account.id) | (col(AccountRow.person_id) == person_id),
                )
            )
            s.flush()
            if s.get(AccountRow, (account.channel, account.id, person_id)) is None:
                s.add(
                    AccountRow(
                        channel=account.channel,
                        id=account.id,
                        person_id=person_id,
                        origin=INVITE,
                        bound_at=now,
                    )
                )
            touch_plan(s)  # the plan's accounts changed

    def person_for(self, account: Account) -> str | None:
        account = Account.of(account.channel, account.id)
        with self.session() as s:
            row = s.scalars(
                select(AccountRow)
                .join(PersonRow, col(PersonRow.id) == col(AccountRow.person_id))
                .where(
                    col(AccountRow.channel) == account.channel,
                    col(AccountRow.id) == account.id,
                    col(PersonRow.archived_at).is_(None),
                )
                .order_by(col(PersonRow.position))
            ).first()
            return row.person_id if row else None
