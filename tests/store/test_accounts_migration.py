"""Upgrading a database that already has Telegram bindings: nobody has to bind again, replies
to old task messages still report on their tasks, and an edit of an old reply still updates
its report."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

from superbot.domain.model import Account
from superbot.service.conversation import ChatStep
from superbot.store.accounts import SqlAccounts
from superbot.store.conversations import SqlConversations
from superbot.store.db import MIGRATIONS, make_engine, migrate
from superbot.store.sql import SqlStore

THEN = datetime(2022, 6, 1, 9, 0, tzinfo=UTC)
LATER = datetime(2022, 6, 20, 9, 0, tzinfo=UTC)


def upgrade_to(engine: Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@pytest.fixture
def old_database(database_url: str) -> Engine:
    """A database of the first release, with people bound both ways and a conversation."""
    engine = make_engine(database_url)
    upgrade_to(engine, "0001")
    stamp = THEN.replace(tzinfo=None) if engine.dialect.name == "sqlite" else THEN
    rows = [
        "INSERT INTO department (id, name, position) VALUES ('gxk', '高新科', 0)",
        "INSERT INTO campaign (id, name, position) VALUES ('zcq8', '八大攻坚', 0)",
        "INSERT INTO task (id, campaign_id, title, lead_id, start, due, position) VALUES "
        "('zcq8-1', 'zcq8', '高新技术产业投资攻坚', 'gxk', '2022-01-01', '2022-12-31', 0)",
        # 张建华: tasks.yaml gives his Telegram id; 林思远 bound by invite; 郑晓燕 both.
        "INSERT INTO person (id, name, department_id, email, plan_telegram, bound_telegram, "
        "bound_at, is_coordinator, position) VALUES "
        "('zhangjh', '张建华', 'gxk', 'ZhangJH@example.gov.cn', 1002, NULL, NULL, false, 0), "
        "('linsy', '林思远', 'gxk', NULL, NULL, 1004, :at, false, 1), "
        "('zhengxy', '郑晓燕', 'gxk', NULL, 1005, 1006, :at, false, 2)",
        "INSERT INTO invite (code, person_id, created_at, expires_at, used_at, used_by) VALUES "
        "('ABCDEFGH', 'linsy', :at, :at, :at, 1004)",
        "INSERT INTO telegram_message (chat_id, message_id, task_id, sent_at) VALUES "
        "(1004, 77, 'zcq8-1', :at)",
        "INSERT INTO telegram_update (update_id, received_at) VALUES (9001, :at)",
        "INSERT INTO chat_state (user_id, step, task_id, report_id, message_id, expires_at) "
        "VALUES (1004, 'note', 'zcq8-1', NULL, 77, :at)",
        "INSERT INTO report (task_id, person_id, reported_at, recorded_at, percent, state, "
        "source, source_ref) VALUES "
        "('zcq8-1', 'linsy', :at, :at, 40, 'on_track', 'telegram', 'tg:1004:78')",
    ]
    with engine.begin() as connection:
        for row in rows:
            connection.execute(text(row), {"at": stamp})
    return engine


def test_bindings_and_conversations_carry_over(old_database: Engine) -> None:
    engine = old_database
    migrate(engine)
    accounts, memory = SqlAccounts(engine), SqlConversations(engine)

    assert accounts.person_for(Account("telegram", "1002")) == "zhangjh"  # from tasks.yaml
    assert accounts.person_for(Account("telegram", "1004")) == "linsy"  # from an invite
    assert accounts.person_for(Account("telegram", "1005")) == "zhengxy"
    assert accounts.person_for(Account("telegram", "1006")) == "zhengxy"
    assert accounts.person_for(Account("email", "zhangjh@example.gov.cn")) == "zhangjh"
    assert accounts.person_for(Account("telegram", "1999")) is None

    sent = memory.sent("telegram", "1004:77")
    assert sent is not None
    assert sent.task_id == "zcq8-1"
    assert not memory.first_time("telegram", "9001", LATER)  # handled before the upgrade
    assert memory.first_time("telegram", "9002", LATER)
    step = memory.step(Account("telegram", "1004"), THEN)
    assert step == ChatStep("note", "zcq8-1", None, "1004:77")

    plan = SqlStore(engine).active_plan()
    assert plan is None  # nothing synced in this old database: no settings row
    with engine.connect() as connection:
        ref = connection.execute(text("SELECT source_ref FROM report")).scalar()
        used_by = connection.execute(text("SELECT used_by FROM invite")).scalar()
    assert ref == "telegram:1004:78"  # an edit of that old reply still updates its report
    assert used_by == "telegram:1004"
    engine.dispose()
