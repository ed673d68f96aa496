"""The web view's links and sessions, kept by the hash of their secret."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlmodel import col

from superbot.service.access import Link
from superbot.store.db import SqlRepository
from superbot.store.tables import WebLinkRow, WebSessionRow


class SqlLinks(SqlRepository):
    def add_link(
        self,
        code_hash: str,
        kind: str,
        person_id: str,
        period: str | None,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        with self.session() as s:
            s.add(
                WebLinkRow(
                    code_hash=code_hash,
                    kind=kind,
                    person_id=person_id,
                    period=period,
                    created_at=now,
                    expires_at=expires_at,
                )
            )

    def link(self, code_hash: str) -> Link | None:
        with self.session() as s:
            row = s.get(WebLinkRow, code_hash)
            if row is None:
                return None
            return Link(row.kind, row.person_id, row.period, row.expires_at, row.used_at)

    def use_link(self, code_hash: str, now: datetime) -> bool:
        with self.session() as s:
            result = s.execute(
                update(WebLinkRow)
                .where(col(WebLinkRow.code_hash) == code_hash, col(WebLinkRow.used_at).is_(None))
                .values(used_at=now)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def links_since(self, kind: str, person_id: str, since: datetime) -> int:
        with self.session() as s:
            return int(
                s.scalar(
                    select(func.count())
                    .select_from(WebLinkRow)
                    .where(
                        col(WebLinkRow.kind) == kind,
                        col(WebLinkRow.person_id) == person_id,
                        col(WebLinkRow.created_at) > since,
                    )
                )
                or 0
            )

    def add_session(
        self, token_hash: str, person_id: str, now: datetime, expires_at: datetime
    ) -> None:
        with self.session() as s:
            # Sessions long expired go when a new one starts: the table stays small.
            s.execute(delete(WebSessionRow).where(col(WebSessionRow.expires_at) < now))
            s.add(
                WebSessionRow(
                    token_hash=token_hash,
                    person_id=person_id,
                    created_at=now,
                    expires_at=expires_at,
                )
            )

    def session_person(self, token_hash: str, now: datetime) -> str | None:
        with self.session() as s:
            row = s.get(WebSessionRow, token_hash)
            return row.person_id if row is not None and row.expires_at > now else None

    def end_session(self, token_hash: str) -> None:
        with self.session() as s:
            s.execute(delete(WebSessionRow).where(col(WebSessionRow.token_hash) == token_hash))
