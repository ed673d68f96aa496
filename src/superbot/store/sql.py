"""The store on SQLAlchemy/SQLModel: rows in, domain values out."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import delete, func, select, true
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from superbot.domain.model import (
    Account,
    BulletinIssue,
    Campaign,
    Department,
    Direction,
    Indicator,
    IndicatorKind,
    Person,
    Plan,
    Report,
    State,
    Task,
)
from superbot.domain.review import Request, RequestStatus
from superbot.service.store import ActivePlan, Snapshot, Stored, SyncRecord
from superbot.store.codec import (
    milestones_from_json,
    milestones_to_json,
    settings_from_json,
    settings_to_json,
)
from superbot.store.db import SqlRepository
from superbot.store.loop import LoopStore, department_roles, settle_claims, unaccepted_claim
from superbot.store.stamp import plan_stamp, touch_plan
from superbot.store.tables import (
    AccountRow,
    BulletinIssueRow,
    CampaignRow,
    DepartmentRow,
    IndicatorRow,
    PersonRow,
    ReportRow,
    ReportValueRow,
    RequestRow,
    SchedulerStateRow,
    SettingRow,
    SyncRunRow,
    TaskRow,
    TaskSupportRow,
)

PLAN_SETTINGS = "plan"


class SqlStore(LoopStore, SqlRepository):
    # The active plan last read, with the stamp it was read under (store/stamp.py).
    _plan_read: tuple[str | None, ActivePlan] | None = None

    # -- the plan --------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        with self.session() as s:
            setting = s.get(SettingRow, PLAN_SETTINGS)
            departments = s.scalars(
                select(DepartmentRow).order_by(col(DepartmentRow.position))
            ).all()
            people = s.scalars(select(PersonRow).order_by(col(PersonRow.position))).all()
            campaigns = s.scalars(select(CampaignRow).order_by(col(CampaignRow.position))).all()
            tasks = self._tasks(s, active_only=False)
            counts = dict(
                s.execute(
                    select(col(ReportRow.task_id), func.count()).group_by(col(ReportRow.task_id))
                ).all()
            )
        task_rows = {t.id: archived for t, archived in tasks}
        return Snapshot(
            settings=settings_from_json(setting.value) if setting else None,
            departments={
                d.id: Stored(_department(d), d.archived_at is not None) for d in departments
            },
            people={p.id: Stored(_person(p), p.archived_at is not None) for p in people},
            campaigns={c.id: Stored(_campaign(c), c.archived_at is not None) for c in campaigns},
            tasks={t.id: Stored(t, task_rows[t.id]) for t, _ in tasks},
            report_counts=counts,
            order={
                "department": tuple(d.id for d in departments if d.archived_at is None),
                "person": tuple(p.id for p in people if p.archived_at is None),
                "campaign": tuple(c.id for c in campaigns if c.archived_at is None),
                "task": tuple(t.id for t, archived in tasks if not archived),
            },
        )

    def apply_plan(self, plan: Plan, record: SyncRecord) -> None:
        now = record.at
        with self.session() as s:
            setting = s.get(SettingRow, PLAN_SETTINGS) or SettingRow(key=PLAN_SETTINGS, value={})
            setting.value = settings_to_json(plan.settings)
            s.add(setting)
            self._upsert(s, DepartmentRow, plan.departments, now, _department_values)
            coordinators = set(plan.settings.coordinators)
            self._upsert(
                s, PersonRow, plan.people, now, lambda p: _person_values(p, p.id in coordinators)
            )
            s.flush()
            self._plan_accounts(s, plan.people, now)
            self._upsert(s, CampaignRow, plan.campaigns, now, _campaign_values)
            self._upsert(s, TaskRow, plan.tasks, now, _task_values)
            s.flush()
            self._replace_task_details(s, plan.tasks, now)
            s.add(
                SyncRunRow(
                    at=now,
                    source=record.source,
                    sha256=record.sha256,
                    added=record.added,
                    changed=record.changed,
                    archived=record.archived,
                    restored=record.restored,
                )
            )
            self._add_version(s, plan, record)
            touch_plan(s)

    def _upsert(self, s: Session, table: Any, entities: Any, now: datetime, values: Any) -> None:
        existing = {row.id: row for row in s.scalars(select(table)).all()}
        wanted = set()
        for position, entity in enumerate(entities):
            wanted.add(entity.id)
            row = existing.get(entity.id) or table(id=entity.id)
            for key, value in values(entity).items():
                setattr(row, key, value)
            row.position = position
            row.archived_at = None
            s.add(row)
        for ident, row in existing.items():
            if ident not in wanted and row.archived_at is None:
                row.archived_at = now
                s.add(row)

    @staticmethod
    def _plan_accounts(s: Session, people: tuple[Person, ...], now: datetime) -> None:
        """tasks.yaml's accounts (``telegram:``, ``email:``, ``dingtalk:`` …) as the file says
        them now; accounts bound with an invite stay."""
        wanted = {(a.channel, a.id, p.id) for p in people for a in p.accounts}
        rows = s.scalars(select(AccountRow).where(col(AccountRow.origin) == "plan")).all()
        have = {(r.channel, r.id, r.person_id): r for r in rows}
        for key, row in have.items():
            if key not in wanted:
                s.delete(row)
        s.flush()
        for channel, ident, person_id in wanted - have.keys():
            s.add(
                AccountRow(
                    channel=channel, id=ident, person_id=person_id, origin="plan", bound_at=now
                )
            )

    def _replace_task_details(self, s: Session, tasks: tuple[Task, ...], now: datetime) -> None:
        """Support departments and indicators, touching only the tasks whose lists changed."""
        supports: dict[str, list[TaskSupportRow]] = defaultdict(list)
        for row in s.scalars(select(TaskSupportRow).order_by(col(TaskSupportRow.position))):
            supports[row.task_id].append(row)
        indicators: dict[str, dict[str, IndicatorRow]] = defaultdict(dict)
        for ind in s.scalars(select(IndicatorRow)):
            indicators[ind.task_id][ind.id] = ind
        changed = [t for t in tasks if tuple(r.department_id for r in supports[t.id]) != t.support]
        for task in changed:
            for row in supports[task.id]:
                s.delete(row)
        if changed:
            s.flush()  # the old rows go before their keys come back; once, not once a task
        s.add_all(
            TaskSupportRow(task_id=task.id, department_id=department, position=position)
            for task in changed
            for position, department in enumerate(task.support)
        )
        for task in tasks:
            self._replace_indicators(s, task, indicators[task.id], now)

    @staticmethod
    def _replace_indicators(
        s: Session, task: Task, existing: dict[str, IndicatorRow], now: datetime
    ) -> None:
        wanted = {indicator.id for indicator in task.indicators}
        for position, indicator in enumerate(task.indicators):
            row = existing.get(indicator.id) or IndicatorRow(
                task_id=task.id, id=indicator.id, name=indicator.name
            )
            row.name, row.unit, row.target = indicator.name, indicator.unit, indicator.target
            row.direction = None if indicator.direction is Direction.UP else indicator.direction
            row.kind = None if indicator.kind is IndicatorKind.AMOUNT else indicator.kind
            row.quarterly = list(indicator.quarterly) or None
            row.position, row.archived_at = position, None
            s.add(row)
        for ident, old in existing.items():
            if ident not in wanted and old.archived_at is None:
                old.archived_at = now  # its reported values stay readable in history
                s.add(old)

    def active_plan(self) -> ActivePlan | None:
        """The plan as it stands; read again only when a sync or a binding changed it."""
        with self.session() as s:
            stamp = plan_stamp(s)  # first: a plan changed after it is read again next time
            kept = self._plan_read
            if kept is not None and kept[0] == stamp:
                return kept[1]
            plan = self._read_active_plan(s)
        if plan is not None:
            self._plan_read = (stamp, plan)
        return plan

    def _read_active_plan(self, s: Session) -> ActivePlan | None:
        setting = s.get(SettingRow, PLAN_SETTINGS)
        if setting is None:
            return None
        departments = s.scalars(
            select(DepartmentRow)
            .where(col(DepartmentRow.archived_at).is_(None))
            .order_by(col(DepartmentRow.position))
        ).all()
        people = s.scalars(
            select(PersonRow)
            .where(col(PersonRow.archived_at).is_(None))
            .order_by(col(PersonRow.position))
        ).all()
        campaigns = s.scalars(
            select(CampaignRow)
            .where(col(CampaignRow.archived_at).is_(None))
            .order_by(col(CampaignRow.position))
        ).all()
        tasks = [t for t, _ in self._tasks(s, active_only=True)]
        accounts = _accounts(s)
        last = s.scalars(select(SyncRunRow).order_by(col(SyncRunRow.id).desc()).limit(1)).first()
        return ActivePlan(
            settings=settings_from_json(setting.value),
            departments={d.id: _department(d) for d in departments},
            people={p.id: _person(p) for p in people},
            campaigns={c.id: _campaign(c) for c in campaigns},
            tasks=tasks,
            coordinators=tuple(p.id for p in people if p.is_coordinator),
            accounts=accounts,
            last_sync=(
                SyncRecord(
                    last.at,
                    last.source,
                    last.sha256,
                    last.added,
                    last.changed,
                    last.archived,
                    last.restored,
                )
                if last
                else None
            ),
        )

    def _tasks(self, s: Session, *, active_only: bool) -> list[tuple[Task, bool]]:
        query = select(TaskRow).order_by(col(TaskRow.position))
        if active_only:
            query = query.where(col(TaskRow.archived_at).is_(None))
        rows = s.scalars(query).all()
        support: dict[str, list[str]] = defaultdict(list)
        for row in s.scalars(select(TaskSupportRow).order_by(col(TaskSupportRow.position))).all():
            support[row.task_id].append(row.department_id)
        indicators: dict[str, list[Indicator]] = defaultdict(list)
        for ind in s.scalars(
            select(IndicatorRow)
            .where(col(IndicatorRow.archived_at).is_(None))
            .order_by(col(IndicatorRow.position))
        ).all():
            indicators[ind.task_id].append(
                Indicator(
                    ind.id,
                    ind.name,
                    ind.unit,
                    ind.target,
                    Direction(ind.direction or Direction.UP),
                    IndicatorKind(ind.kind or IndicatorKind.AMOUNT),
                    tuple(ind.quarterly or ()),
                )
            )
        return [
            (
                Task(
                    id=row.id,
                    campaign_id=row.campaign_id,
                    title=row.title,
                    lead=row.lead_id,
                    start=row.start,
                    due=row.due,
                    support=tuple(support[row.id]),
                    description=row.description,
                    indicators=tuple(indicators[row.id]),
                    weight=1.0 if row.weight is None else row.weight,
                    milestones=milestones_from_json(row.milestones),
                ),
                row.archived_at is not None,
            )
            for row in rows
        ]

    def task_archived(self, task_id: str) -> bool | None:
        with self.session() as s:
            row = s.get(TaskRow, task_id)
            return None if row is None else row.archived_at is not None

    # -- reports ---------------------------------------------------------------------------

    def latest_progress(
        self,
        until: datetime,
        task_ids: Collection[str] | None = None,
        *,
        archived: bool = False,
    ) -> dict[str, Report]:
        progress = [
            col(ReportRow.reported_at) <= until,
            col(ReportRow.percent).is_not(None),
            col(ReportRow.withdrawn_at).is_(None),
            ~unaccepted_claim(),
        ]
        if task_ids is not None:
            progress.append(col(ReportRow.task_id).in_(list(task_ids)))
        ranked = (
            select(
                col(ReportRow.id),
                func.row_number()
                .over(
                    partition_by=col(ReportRow.task_id),
                    order_by=(col(ReportRow.reported_at).desc(), col(ReportRow.id).desc()),
                )
                .label("rank"),
            )
            .where(*progress)
            .subquery()
        )
        with self.session() as s:
            rows = s.scalars(
                select(ReportRow)
                .join(ranked, ranked.c.id == col(ReportRow.id))
                .join(TaskRow, col(TaskRow.id) == col(ReportRow.task_id))
                .where(
                    ranked.c.rank == 1,
                    true() if archived else col(TaskRow.archived_at).is_(None),
                )
            ).all()
            reports = self._reports(s, list(rows))
        return {r.task_id: r for r in reports}

    def reports_between(self, since: datetime, until: datetime) -> list[Report]:
        with self.session() as s:
            rows = s.scalars(
                select(ReportRow)
                .where(
                    col(ReportRow.reported_at) >= since,
                    col(ReportRow.reported_at) <= until,
                    col(ReportRow.withdrawn_at).is_(None),
                )
                .order_by(col(ReportRow.reported_at), col(ReportRow.id))
            ).all()
            return self._reports(s, list(rows))

    def task_reports(self, task_id: str, *, withdrawn: bool = False) -> list[Report]:
        query = select(ReportRow).where(col(ReportRow.task_id) == task_id)
        if not withdrawn:
            query = query.where(col(ReportRow.withdrawn_at).is_(None))
        with self.session() as s:
            rows = s.scalars(query.order_by(col(ReportRow.reported_at), col(ReportRow.id))).all()
            return self._reports(s, list(rows))

    def report(self, report_id: int) -> Report | None:
        with self.session() as s:
            row = s.get(ReportRow, report_id)
            return self._reports(s, [row])[0] if row is not None else None

    def withdraw_report(self, report_id: int, now: datetime) -> Report:
        """Marked, never deleted; a 办结申请 it made and nobody decided yet goes with it."""
        with self.session() as s:
            row = s.get(ReportRow, report_id)
            assert row is not None
            if row.withdrawn_at is None:
                row.withdrawn_at = now
                s.add(row)
                for request in s.scalars(
                    select(RequestRow).where(
                        col(RequestRow.report_id) == report_id,
                        col(RequestRow.status) == RequestStatus.PENDING.value,
                    )
                ).all():
                    request.status = RequestStatus.WITHDRAWN.value
                    request.decided_at = now
                    s.add(request)
                s.flush()
            return self._reports(s, [row])[0]

    def add_report(self, report: Report, source_ref: str | None = None) -> Report:
        """Insert, or update the report already made from ``source_ref`` (an edited message)."""
        with self.session() as s:
            return self._reports(s, [self._save_report(s, report, source_ref)])[0]

    def add_progress(
        self, report: Report, source_ref: str | None = None, *, review: bool
    ) -> tuple[Report, Request | None]:
        with self.session() as s:
            row = self._save_report(s, report, source_ref)
            request = settle_claims(s, row, review=review, at=report.recorded_at or report.at)
            return self._reports(s, [row])[0], request

    @staticmethod
    def _save_report(s: Session, report: Report, source_ref: str | None) -> ReportRow:
        row = None
        if source_ref is not None:
            row = s.scalars(
                select(ReportRow).where(col(ReportRow.source_ref) == source_ref)
            ).first()
        if row is None:
            row = ReportRow(
                task_id=report.task_id,
                reported_at=report.at,
                recorded_at=report.at,
                source_ref=source_ref,
            )
        row.task_id = report.task_id
        row.person_id = report.person_id
        row.reported_at = report.at
        row.recorded_at = report.recorded_at or report.at
        row.percent = report.percent
        row.state = report.state.value if report.state else None
        row.note = report.note
        row.source = report.source
        s.add(row)
        s.flush()
        assert row.id is not None
        s.execute(delete(ReportValueRow).where(col(ReportValueRow.report_id) == row.id))
        for indicator, value in report.values.items():
            s.add(ReportValueRow(report_id=row.id, indicator_id=indicator, value=value))
        s.flush()
        return row

    def report_by_ref(self, source_ref: str) -> Report | None:
        with self.session() as s:
            row = s.scalars(
                select(ReportRow).where(col(ReportRow.source_ref) == source_ref)
            ).first()
            return self._reports(s, [row])[0] if row is not None else None

    def latest_values(
        self, until: datetime, task_ids: Collection[str] | None = None
    ) -> dict[tuple[str, str], tuple[float, datetime]]:
        """Per (task, indicator; only ``task_ids``'), the newest value at or before ``until``."""
        query = (
            select(
                col(ReportRow.task_id),
                col(ReportValueRow.indicator_id),
                col(ReportValueRow.value),
                col(ReportRow.reported_at),
            )
            .join(ReportRow, col(ReportRow.id) == col(ReportValueRow.report_id))
            .where(col(ReportRow.reported_at) <= until, col(ReportRow.withdrawn_at).is_(None))
            .order_by(col(ReportRow.reported_at), col(ReportRow.id))
        )
        if task_ids is not None:
            query = query.where(col(ReportRow.task_id).in_(list(task_ids)))
        with self.session() as s:
            rows = s.execute(query).all()
        return {(task, indicator): (value, at) for task, indicator, value, at in rows}

    # -- the 通报's issue numbers -------------------------------------------------------------

    def bulletin_issue(self, period: str) -> BulletinIssue | None:
        with self.session() as s:
            row = s.get(BulletinIssueRow, period)
            return _issue(row) if row else None

    def next_bulletin_number(self, year: int) -> int:
        with self.session() as s:
            return self._next_number(s, year)

    def save_bulletin_issue(
        self, period: str, year: int, issued_on: date, now: datetime
    ) -> BulletinIssue:
        for _ in range(5):  # another instance may take the same number at the same moment
            try:
                with self.session() as s:
                    row = s.get(BulletinIssueRow, period)
                    if row is None:
                        number = self._next_number(s, year)
                        row = BulletinIssueRow(
                            period=period,
                            year=year,
                            number=number,
                            issued_on=issued_on,
                            created_at=now,
                        )
                    row.issued_on = issued_on
                    s.add(row)
                    s.flush()
                    return _issue(row)
            except IntegrityError:
                continue
        raise RuntimeError(f"could not number the bulletin of {period}")

    @staticmethod
    def _next_number(s: Session, year: int) -> int:
        query = select(func.max(BulletinIssueRow.number)).where(col(BulletinIssueRow.year) == year)
        return int(s.execute(query).scalar() or 0) + 1

    # -- the scheduler's memory ------------------------------------------------------------

    def watermark(self, kind: str) -> datetime | None:
        with self.session() as s:
            row = s.get(SchedulerStateRow, kind)
            return row.watermark if row else None

    def set_watermark(self, kind: str, at: datetime) -> None:
        with self.session() as s:
            s.merge(SchedulerStateRow(kind=kind, watermark=at))

    def _reports(self, s: Session, rows: list[ReportRow]) -> list[Report]:
        ids = [r.id for r in rows]
        values: dict[int, dict[str, float]] = defaultdict(dict)
        if ids:
            for v in s.scalars(
                select(ReportValueRow).where(col(ReportValueRow.report_id).in_(ids))
            ).all():
                values[v.report_id][v.indicator_id] = v.value
        return [
            Report(
                task_id=r.task_id,
                at=r.reported_at.astimezone(UTC),
                percent=r.percent,
                state=State(r.state) if r.state else None,
                note=r.note,
                person_id=r.person_id,
                values=MappingProxyType(values.get(r.id or 0, {})),
                source=r.source,
                id=r.id,
                recorded_at=r.recorded_at.astimezone(UTC),
                withdrawn_at=r.withdrawn_at.astimezone(UTC) if r.withdrawn_at else None,
            )
            for r in rows
        ]


def _accounts(s: Session) -> dict[str, tuple[Account, ...]]:
    """Per person, tasks.yaml's accounts first, then the invited ones, newest first."""
    found: dict[str, list[Account]] = defaultdict(list)
    rows = s.scalars(
        select(AccountRow).order_by(
            col(AccountRow.person_id),
            (col(AccountRow.origin) != "plan"),
            col(AccountRow.bound_at).desc(),
            col(AccountRow.channel),
        )
    )
    for row in rows:
        found[row.person_id].append(Account(row.channel, row.id))
    return {person_id: tuple(accounts) for person_id, accounts in found.items()}


def _issue(row: BulletinIssueRow) -> BulletinIssue:
    return BulletinIssue(row.period, row.year, row.number, row.issued_on)


def _department(row: DepartmentRow) -> Department:
    return Department(row.id, row.name, *department_roles(row), category=row.category)


def _person(row: PersonRow) -> Person:
    return Person(
        row.id,
        row.name,
        row.department_id,
        row.title,
        row.email,
        row.plan_telegram,
        tuple((str(channel), str(ident)) for channel, ident in row.plan_apps or ()),
        tuple(row.channels or ()),
    )


def _campaign(row: CampaignRow) -> Campaign:
    return Campaign(row.id, row.name, row.description)


def _department_values(d: Department) -> dict[str, Any]:
    return {
        "name": d.name,
        "liaisons": list(d.liaisons),
        "leaders": list(d.leaders),
        "category": d.category,
    }


def _person_values(p: Person, coordinator: bool) -> dict[str, Any]:
    return {
        "name": p.name,
        "department_id": p.department_id,
        "title": p.position,
        "email": p.email,
        "plan_telegram": p.telegram,
        "plan_apps": [list(pair) for pair in p.apps] or None,
        "channels": list(p.channels) or None,
        "is_coordinator": coordinator,
    }


def _campaign_values(c: Campaign) -> dict[str, Any]:
    return {"name": c.name, "description": c.description}


def _task_values(t: Task) -> dict[str, Any]:
    return {
        "campaign_id": t.campaign_id,
        "title": t.title,
        "description": t.description,
        "lead_id": t.lead,
        "start": t.start,
        "due": t.due,
        "weight": None if t.weight == 1 else t.weight,
        "milestones": milestones_to_json(t.milestones) or None,
    }
