"""Sync, status and the 通报 run a fixed number of SQL statements, whatever the plan's size
(issue 15: no statement per task). Counted with SQLAlchemy's cursor event on SQLite and
PostgreSQL, for the shipped plan and for the same plan three times over."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from tests.conftest import POSTGRES_URL, postgres_problem

from superbot.domain.model import BulletinIssue, Plan, Report, State
from superbot.domain.periods import month_of
from superbot.plan.load import read_plan_file
from superbot.service.bulletin import build_bulletin
from superbot.service.status import task_statuses
from superbot.service.sync import sync
from superbot.store.db import make_engine, migrate, normalise_url
from superbot.store.sql import SqlStore

SHIPPED = Path(__file__).resolve().parents[2] / "tasks.yaml"
SYNCED = datetime(2022, 1, 1, tzinfo=UTC)
AS_OF = date(2022, 6, 30)


def plan_times(copies: int) -> Plan:
    """The shipped plan with every campaign and task ``copies`` times (new ids)."""
    plan = read_plan_file(SHIPPED).plan
    assert plan is not None
    return replace(
        plan,
        campaigns=tuple(
            replace(c, id=f"{c.id}-{n}") for n in range(copies) for c in plan.campaigns
        ),
        tasks=tuple(
            replace(t, id=f"{t.id}-{n}", campaign_id=f"{t.campaign_id}-{n}")
            for n in range(copies)
            for t in plan.tasks
        ),
    )


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def reports_for(plan: Plan) -> list[Report]:
    """Two reports a task, one with an indicator value, over the first half of the year."""
    found = []
    for n, task in enumerate(plan.tasks):
        for month, percent in ((3, 20), (6, 45)):
            values = {task.indicators[0].id: 1.0 + n} if task.indicators and month == 6 else {}
            found.append(
                Report(
                    task.id,
                    datetime(2022, month, 20, 2, tzinfo=UTC),
                    percent,
                    State.ON_TRACK,
                    None,
                    None,
                    values=MappingProxyType(values),
                )
            )
    return found


def counts(database_url: str, plan: Plan) -> dict[str, int]:
    """Statements of each use case on a fresh database holding ``plan``."""
    engine = make_engine(database_url)
    migrate(engine)
    store = SqlStore(engine)
    found: dict[str, int] = {}

    def count(name: str, work: Callable[[], object]) -> None:
        fresh = SqlStore(engine)  # as a new command would: nothing read before
        with statements(engine) as seen:
            work_on(fresh, work)
        found[name] = len(seen)

    def work_on(on: SqlStore, work: Callable[[], object]) -> None:
        nonlocal store
        store = on
        work()

    def synced(p: Plan, at: datetime) -> Callable[[], object]:
        return lambda: sync(store, p, now=at, source="tasks.yaml", sha256="0" * 64, dry_run=False)

    try:
        count("first sync", synced(plan, SYNCED))
        for report in reports_for(plan):
            store.add_report(report)
        count("no-op sync", synced(plan, SYNCED + timedelta(days=1)))
        edited = replace(plan, tasks=(replace(plan.tasks[0], title="改过的标题"), *plan.tasks[1:]))
        count("one title changed", synced(edited, SYNCED + timedelta(days=2)))
        count("status", lambda: task_statuses(store, AS_OF))
        period = month_of(AS_OF)
        issue = BulletinIssue(period.key, 2022, 6, date(2022, 7, 1))
        count("通报", lambda: build_bulletin(store, period, issue))
    finally:
        engine.dispose()
    return found


@pytest.fixture(params=["sqlite", "postgresql"])
def two_databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two empty databases of one kind: one for each plan."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'small.db'}", f"sqlite:///{tmp_path / 'large.db'}"
        return
    problem = postgres_problem()
    if problem is not None:
        pytest.skip(problem)
    admin = create_engine(normalise_url(POSTGRES_URL))
    schemas = [f"t_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    with admin.begin() as connection:
        for schema in schemas:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    base = make_url(normalise_url(POSTGRES_URL))
    small, large = (
        base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
        for schema in schemas
    )
    try:
        yield small, large
    finally:
        with admin.begin() as connection:
            for schema in schemas:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_sync_status_and_the_bulletin_run_no_statement_per_task(
    two_databases: tuple[str, str],
) -> None:
    small_url, large_url = two_databases
    small = counts(small_url, plan_times(1))
    large = counts(large_url, plan_times(3))
    assert large == small
