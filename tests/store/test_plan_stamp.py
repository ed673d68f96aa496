"""The active plan is read once and kept until a sync or a binding changes it, in this process
or any other (issue 15: a reply costs the same at any plan size). SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

from superbot.domain.model import Account, Plan
from superbot.plan.load import read_plan_file
from superbot.service.store import ActivePlan
from superbot.service.sync import sync
from superbot.store.accounts import SqlAccounts
from superbot.store.db import make_engine
from superbot.store.sql import SqlStore

SHIPPED = Path(__file__).resolve().parents[2] / "tasks.yaml"
NOW = datetime(2022, 6, 15, 2, 0, tzinfo=UTC)


def shipped_plan() -> Plan:
    plan = read_plan_file(SHIPPED).plan
    assert plan is not None
    return plan


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements run on ``engine`` inside the block (BEGIN and COMMIT not counted)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def active(store: SqlStore) -> ActivePlan:
    plan = store.active_plan()
    assert plan is not None
    return plan


def test_an_unchanged_plan_costs_one_small_query(store: SqlStore) -> None:
    plan = shipped_plan()
    sync(store, plan, now=NOW, source="tasks.yaml", sha256="a" * 64, dry_run=False)
    first = active(store)
    with statements(store.engine) as seen:
        again = active(store)
    assert len(seen) == 1, seen
    assert again.tasks == first.tasks


def test_a_sync_by_another_process_is_seen_at_once(store: SqlStore, database_url: str) -> None:
    plan = shipped_plan()
    sync(store, plan, now=NOW, source="tasks.yaml", sha256="a" * 64, dry_run=False)
    task = plan.tasks[0]
    assert active(store).task(task.id).title == task.title  # type: ignore[union-attr]

    other = SqlStore(make_engine(database_url))  # `superbot sync` while the bot runs
    try:
        edited = replace(
            plan,
            tasks=(replace(task, title="科技企业培育（改）"), *plan.tasks[1:]),
        )
        sync(other, edited, now=NOW, source="tasks.yaml", sha256="b" * 64, dry_run=False)
    finally:
        other.engine.dispose()

    assert active(store).task(task.id).title == "科技企业培育（改）"  # type: ignore[union-attr]


def test_an_account_bound_elsewhere_is_known_at_once(store: SqlStore, database_url: str) -> None:
    plan = shipped_plan()
    sync(store, plan, now=NOW, source="tasks.yaml", sha256="a" * 64, dry_run=False)
    person = plan.people[0]
    phone = Account("telegram", "987654321")
    assert active(store).person_of(phone) is None

    engine = make_engine(database_url)  # the bot of another instance takes the invite
    try:
        SqlAccounts(engine).bind(person.id, phone, NOW)
    finally:
        engine.dispose()

    found = active(store).person_of(phone)
    assert found is not None
    assert found.id == person.id
