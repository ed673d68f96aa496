"""Invite codes are kept hashed: a copy of the database binds nobody. Codes handed out before
the change keep working. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from tests.conftest import SHIPPED_TASKS

from superbot.domain.model import Account
from superbot.plan.load import read_plan_file
from superbot.service.people import create_invite, redeem_invite
from superbot.service.status import load_plan
from superbot.service.sync import sync
from superbot.store.accounts import SqlAccounts, code_hash
from superbot.store.db import MIGRATIONS, migrate
from superbot.store.sql import SqlStore

NOW = datetime(2022, 6, 22, 2, 0, tzinfo=UTC)


def synced(store: SqlStore) -> None:
    loaded = read_plan_file(SHIPPED_TASKS)
    assert loaded.plan is not None
    sync(store, loaded.plan, now=NOW, source="tasks.yaml", sha256=loaded.sha256, dry_run=False)


def back_to(store: SqlStore, revision: str) -> None:
    """The schema as it was at ``revision``: every later migration's downgrade run."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_the_database_never_holds_the_code(store: SqlStore) -> None:
    synced(store)
    accounts = SqlAccounts(store.engine)
    made = create_invite(accounts, load_plan(store), "limh", NOW)
    with store.engine.connect() as db:
        kept = db.execute(text("SELECT code FROM invite")).scalars().all()
    assert kept == [code_hash(made.code)]
    assert made.code not in kept[0]

    member = redeem_invite(
        accounts, load_plan(store), made.code.lower(), Account.of("telegram", 42), NOW
    )
    assert member.person.id == "limh"
    assert accounts.person_for(Account.of("telegram", 42)) == "limh"


def test_a_code_handed_out_before_the_upgrade_still_binds(store: SqlStore) -> None:
    synced(store)
    back_to(store, "0003_web")
    with store.engine.begin() as db:  # as 0003_web kept it: the code itself
        db.execute(
            text(
                "INSERT INTO invite (code, person_id, created_at, expires_at)"
                " VALUES ('K7P2QW9X', 'limh', :now, :later)"
            ),
            {"now": NOW.replace(tzinfo=None), "later": datetime(2022, 7, 1)},
        )
    migrate(store.engine)
    with store.engine.connect() as db:
        kept = db.execute(text("SELECT code FROM invite")).scalars().all()
    assert kept == [code_hash("K7P2QW9X")]
    accounts = SqlAccounts(store.engine)
    member = redeem_invite(
        accounts, load_plan(store), "k7p2qw9x", Account.of("email", "a@b.cn"), NOW
    )
    assert member.person.id == "limh"
