"""The supervision loop's tables: requests and decisions, escalation documents, the lights of
issued 通报, issued copies of every document, plan versions, what each reminder covered."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from superbot.domain.ladder import EscalationDocument, Seen
from superbot.domain.lights import Light
from superbot.domain.model import DocumentKind, EscalationRule, Plan, Role, State
from superbot.domain.review import Request, RequestKind, RequestStatus
from superbot.service.store import Mention, PlanVersion, ReminderSent, SyncRecord
from superbot.store.codec import plan_from_json, plan_to_json, text_from_json, text_to_json
from superbot.store.db import SqlRepository
from superbot.store.tables import (
    AcceptedReasonRow,
    BulletinIssueRow,
    BulletinLightRow,
    DepartmentRow,
    DocumentCopyRow,
    EscalationRow,
    OutboxRow,
    PersonRow,
    PlanVersionRow,
    ReportRow,
    RequestRow,
    RoundTaskRow,
)

REVIEW_KIND = "review"  # the outbox kind of the messages about requests (service.delivery)


def unaccepted_claim() -> ColumnElement[bool]:
    """A report that said "done" and whose 办结申请 is not approved: not progress."""
    return exists().where(
        and_(
            col(RequestRow.report_id) == col(ReportRow.id),
            col(RequestRow.status) != RequestStatus.APPROVED.value,
        )
    )


def department_roles(row: DepartmentRow) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return tuple(row.liaisons or ()), tuple(row.leaders or ())


def settle_claims(s: Session, report: ReportRow, *, review: bool, at: datetime) -> Request | None:
    """After ``report`` is saved: a "done" under review is a pending 办结申请 (one per report,
    however often the message arrives); it withdraws a pending 延期申请. Any other progress
    withdraws a pending 办结申请 made before it: the owner's latest word is that it is not done.
    """
    assert report.id is not None
    pending = s.scalars(
        select(RequestRow).where(
            col(RequestRow.task_id) == report.task_id,
            col(RequestRow.status) == RequestStatus.PENDING.value,
        )
    ).all()
    if report.percent is None:
        return None
    if review and report.state == State.DONE.value:
        mine = s.scalars(select(RequestRow).where(col(RequestRow.report_id) == report.id)).first()
        for other in pending:
            if other is not mine:
                other.status = RequestStatus.WITHDRAWN.value
                other.decided_at = at
                s.add(other)
        if mine is None:
            mine = RequestRow(
                kind=RequestKind.DONE.value,
                task_id=report.task_id,
                requested_at=report.reported_at,
                person_id=report.person_id,
                source=report.source,
                report_id=report.id,
            )
        elif mine.status != RequestStatus.PENDING.value:
            return _request(mine)  # already decided: an edit does not reopen it
        mine.requested_at = report.reported_at
        s.add(mine)
        s.flush()
        return _request(mine)
    for other in pending:
        if other.kind == RequestKind.DONE.value and other.report_id != report.id:
            other.status = RequestStatus.WITHDRAWN.value
            other.decided_at = at
            s.add(other)
    return None


class LoopStore(SqlRepository):
    # -- requests and decisions --------------------------------------------------------------

    def requests(self, task_ids: Collection[str] | None = None) -> list[Request]:
        query = select(RequestRow).order_by(col(RequestRow.requested_at), col(RequestRow.id))
        if task_ids is not None:
            query = query.where(col(RequestRow.task_id).in_(list(task_ids)))
        with self.session() as s:
            return [_request(row) for row in s.scalars(query).all()]

    def accept_reason(
        self, task_id: str, at: datetime, person_id: str | None, note: str | None
    ) -> None:
        with self.session() as s:
            s.add(AcceptedReasonRow(task_id=task_id, at=at, person_id=person_id, note=note))

    def accepted_reasons(self, until: datetime) -> dict[str, list[datetime]]:
        query = (
            select(AcceptedReasonRow)
            .where(col(AcceptedReasonRow.at) <= until)
            .order_by(col(AcceptedReasonRow.at))
        )
        found: dict[str, list[datetime]] = {}
        with self.session() as s:
            for row in s.scalars(query).all():
                found.setdefault(row.task_id, []).append(row.at)
        return found

    def add_request(self, request: Request) -> Request:
        with self.session() as s:
            row = RequestRow(
                kind=request.kind.value,
                task_id=request.task_id,
                requested_at=request.requested_at,
                person_id=request.person_id,
                source=request.source,
                report_id=request.report_id,
                due_from=request.due_from,
                due_to=request.due_to,
                reason=request.reason,
                status=request.status.value,
            )
            s.add(row)
            s.flush()
            return _request(row)

    def unannounced_requests(self) -> list[int]:
        """Pending requests with no message to the coordinators queued yet."""
        told = exists().where(
            and_(
                col(OutboxRow.kind) == REVIEW_KIND,
                col(OutboxRow.period) == cast(col(RequestRow.id), String),
            )
        )
        with self.session() as s:
            found = s.scalars(
                select(col(RequestRow.id)).where(
                    col(RequestRow.status) == RequestStatus.PENDING.value, ~told
                )
            ).all()
        return [ident for ident in found if ident is not None]

    def decide(
        self, request_id: int, status: RequestStatus, at: datetime, by: str | None, note: str | None
    ) -> Request | None:
        """Decide a pending request; None when it is no longer pending (someone was faster)."""
        with self.session() as s:
            row = s.get(RequestRow, request_id, with_for_update=True)
            if row is None or row.status != RequestStatus.PENDING.value:
                return None
            row.status = status.value
            row.decided_at = at
            row.decided_by = by
            row.decision_note = note
            s.add(row)
            s.flush()
            return _request(row)

    # -- escalation documents -----------------------------------------------------------------

    def escalations(
        self, task_ids: Collection[str] | None = None, period: str | None = None
    ) -> list[EscalationDocument]:
        query = select(EscalationRow).order_by(col(EscalationRow.issued_on), col(EscalationRow.id))
        if task_ids is not None:
            query = query.where(col(EscalationRow.task_id).in_(list(task_ids)))
        if period is not None:
            query = query.where(col(EscalationRow.period) == period)
        with self.session() as s:
            return [_document(row) for row in s.scalars(query).all()]

    def next_escalation_number(self, year: int) -> int:
        with self.session() as s:
            return _next_number(s, year)

    def add_escalations(
        self, documents: Sequence[EscalationDocument], now: datetime
    ) -> list[EscalationDocument]:
        """Number and keep documents fired by one 通报; one per task and 通报, so a 通报 sent
        twice fires nothing the second time (its documents are returned as kept)."""
        for _ in range(5):  # another instance may take the same numbers at the same moment
            try:
                with self.session() as s:
                    return [self._add_escalation(s, document, now) for document in documents]
            except IntegrityError:
                continue
        raise RuntimeError("could not number the escalation documents")

    @staticmethod
    def _add_escalation(
        s: Session, document: EscalationDocument, now: datetime
    ) -> EscalationDocument:
        found = s.scalars(
            select(EscalationRow).where(
                col(EscalationRow.task_id) == document.task_id,
                col(EscalationRow.period) == document.period,
            )
        ).first()
        if found is not None:
            return _document(found)
        year = document.issued_on.year
        row = EscalationRow(
            year=year,
            number=_next_number(s, year),
            kind=document.kind.value,
            rung=document.rung,
            task_id=document.task_id,
            department_id=document.department_id,
            period=document.period,
            issued_on=document.issued_on,
            reply_by=document.reply_by,
            light=document.light.value,
            streak=document.streak,
            percent=document.percent,
            due=document.due,
            rule=_rule_to_json(document.rule),
            reasons=[text_to_json(t) for t in document.reasons],
            created_at=now,
        )
        s.add(row)
        s.flush()
        return _document(row)

    # -- the lights of issued 通报 -------------------------------------------------------------

    def save_bulletin_lights(
        self, period: str, lights: Iterable[tuple[str, Light, Light, int]]
    ) -> None:
        """(task, light shown, light scored, percent) for each task of an issued 通报; kept
        as first written (by whichever instance issued it first)."""
        try:
            with self.session() as s:
                if s.scalars(
                    select(BulletinLightRow).where(col(BulletinLightRow.period) == period).limit(1)
                ).first():
                    return
                s.add_all(
                    BulletinLightRow(
                        period=period,
                        task_id=task_id,
                        light=light.value,
                        standing=standing.value,
                        percent=percent,
                    )
                    for task_id, light, standing, percent in lights
                )
        except IntegrityError:
            return

    def seen(self, task_ids: Collection[str] | None = None) -> dict[str, list[Seen]]:
        """Per task, its scored light in each issued 通报, oldest first."""
        query = (
            select(BulletinLightRow, col(BulletinIssueRow.issued_on))
            .join(BulletinIssueRow, col(BulletinIssueRow.period) == col(BulletinLightRow.period))
            .order_by(col(BulletinLightRow.period))
        )
        if task_ids is not None:
            query = query.where(col(BulletinLightRow.task_id).in_(list(task_ids)))
        found: dict[str, list[Seen]] = defaultdict(list)
        with self.session() as s:
            for row, issued_on in s.execute(query).all():
                found[row.task_id].append(Seen(row.period, issued_on, Light(row.standing)))
        return dict(found)

    def mentions(self, task_id: str) -> list[Mention]:
        query = (
            select(BulletinLightRow, BulletinIssueRow)
            .join(BulletinIssueRow, col(BulletinIssueRow.period) == col(BulletinLightRow.period))
            .where(col(BulletinLightRow.task_id) == task_id)
            .order_by(col(BulletinLightRow.period))
        )
        with self.session() as s:
            return [
                Mention(
                    row.period,
                    issue.year,
                    issue.number,
                    issue.issued_on,
                    Light(row.light),
                    row.percent,
                )
                for row, issue in s.execute(query).all()
            ]

    # -- issued copies --------------------------------------------------------------------------

    def copies(self, key: str) -> dict[str, bytes]:
        with self.session() as s:
            rows = s.scalars(select(DocumentCopyRow).where(col(DocumentCopyRow.key) == key)).all()
            return {row.format: row.content for row in rows}

    def save_copies(self, key: str, documents: Mapping[str, bytes], now: datetime) -> bool:
        """Keep the issued copies of ``key``; False (and nothing written) when it has some."""
        try:
            with self.session() as s:
                if s.scalars(
                    select(DocumentCopyRow).where(col(DocumentCopyRow.key) == key).limit(1)
                ).first():
                    return False
                s.add_all(
                    DocumentCopyRow(
                        key=key,
                        format=fmt,
                        content=content,
                        sha256=hashlib.sha256(content).hexdigest(),
                        created_at=now,
                    )
                    for fmt, content in documents.items()
                )
        except IntegrityError:  # another instance issued it at the same moment
            return False
        return True

    def issued_keys(self, prefix: str) -> set[str]:
        with self.session() as s:
            return set(
                s.scalars(
                    select(col(DocumentCopyRow.key))
                    .where(col(DocumentCopyRow.key).startswith(prefix))
                    .distinct()
                ).all()
            )

    # -- plan versions ----------------------------------------------------------------------

    @staticmethod
    def _add_version(s: Session, plan: Plan, record: SyncRecord) -> None:
        s.add(
            PlanVersionRow(
                at=record.at, source=record.source, sha256=record.sha256, content=plan_to_json(plan)
            )
        )

    def plan_versions(self) -> list[PlanVersion]:
        with self.session() as s:
            rows = s.execute(
                select(
                    col(PlanVersionRow.id),
                    col(PlanVersionRow.at),
                    col(PlanVersionRow.source),
                    col(PlanVersionRow.sha256),
                ).order_by(col(PlanVersionRow.at), col(PlanVersionRow.id))
            ).all()
        return [
            PlanVersion(number, ident, at, source, sha)
            for number, (ident, at, source, sha) in enumerate(rows, start=1)
        ]

    def plan_of_version(self, version_id: int) -> Plan:
        with self.session() as s:
            row = s.get(PlanVersionRow, version_id)
            if row is None:
                raise LookupError(version_id)
            return plan_from_json(row.content)

    # -- what reminders covered ---------------------------------------------------------------

    def record_round_tasks(
        self, kind: str, period: str, covered: Iterable[tuple[str, str]]
    ) -> None:
        """(person, task) pairs of a round just enqueued; a second enqueue adds nothing."""
        wanted = set(covered)
        if not wanted:
            return
        with self.session() as s:
            known = set(
                s.execute(
                    select(col(RoundTaskRow.person_id), col(RoundTaskRow.task_id)).where(
                        col(RoundTaskRow.kind) == kind, col(RoundTaskRow.period) == period
                    )
                ).all()
            )
            s.add_all(
                RoundTaskRow(kind=kind, period=period, person_id=person, task_id=task)
                for person, task in sorted(wanted - {tuple(k) for k in known})
            )

    def reminders_of(self, task_id: str) -> list[ReminderSent]:
        """Every reminder and nudge message that spoke about the task, with how it went."""
        query = (
            select(OutboxRow, col(PersonRow.name))
            .join(
                RoundTaskRow,
                and_(
                    col(RoundTaskRow.kind) == col(OutboxRow.kind),
                    col(RoundTaskRow.period) == col(OutboxRow.period),
                    col(RoundTaskRow.person_id) == col(OutboxRow.person_id),
                ),
            )
            .outerjoin(PersonRow, col(PersonRow.id) == col(OutboxRow.person_id))
            .where(
                col(RoundTaskRow.task_id) == task_id,
                # A Telegram reminder is a head and one message per task: this task's only.
                (col(OutboxRow.task_id).is_(None)) | (col(OutboxRow.task_id) == task_id),
            )
            .order_by(col(OutboxRow.created_at), col(OutboxRow.id))
        )
        with self.session() as s:
            return [
                ReminderSent(
                    kind=row.kind,
                    period=row.period,
                    person_id=row.person_id,
                    person_name=name,
                    channel=row.channel,
                    queued_at=row.created_at,
                    status=row.status,
                    sent_at=row.sent_at,
                    failed_at=row.failed_at,
                    error=row.last_error,
                )
                for row, name in s.execute(query).all()
            ]


def _next_number(s: Session, year: int) -> int:
    query = select(func.max(EscalationRow.number)).where(col(EscalationRow.year) == year)
    return int(s.execute(query).scalar() or 0) + 1


def _request(row: RequestRow) -> Request:
    return Request(
        kind=RequestKind(row.kind),
        task_id=row.task_id,
        requested_at=row.requested_at,
        person_id=row.person_id,
        source=row.source,
        report_id=row.report_id,
        due_from=row.due_from,
        due_to=row.due_to,
        reason=row.reason,
        status=RequestStatus(row.status),
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        decision_note=row.decision_note,
        id=row.id,
    )


def _rule_to_json(rule: EscalationRule) -> dict[str, Any]:
    return {
        "light": rule.light,
        "consecutive": rule.consecutive,
        "document": rule.document.value,
        "to": [r.value for r in rule.to],
        "reply_workdays": rule.reply_workdays,
    }


def _rule_from_json(data: dict[str, Any]) -> EscalationRule:
    return EscalationRule(
        data["light"],
        data["consecutive"],
        DocumentKind(data["document"]),
        tuple(Role(r) for r in data["to"]),
        data["reply_workdays"],
    )


def _document(row: EscalationRow) -> EscalationDocument:
    return EscalationDocument(
        kind=DocumentKind(row.kind),
        rung=row.rung,
        task_id=row.task_id,
        department_id=row.department_id,
        period=row.period,
        issued_on=row.issued_on,
        reply_by=row.reply_by,
        light=Light(row.light),
        streak=row.streak,
        percent=row.percent,
        due=row.due,
        rule=_rule_from_json(row.rule),
        reasons=tuple(text_from_json(t) for t in row.reasons),
        year=row.year,
        number=row.number,
        id=row.id,
    )
