"""The database fails under the running bot, on purpose: PostgreSQL cut off by a TCP proxy
the test controls, SQLite held busy by another writer. The bot answers one polite "稍后再试"
for what it could not record, keeps running, loses no report it acknowledged, and the
schedules catch up once the database is back."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from tests.bot.conftest import (
    NOW,
    WANGLI,
    ZHANGJH,
    ZONE,
    Clock,
    World,
    make_runtime,
    running_world,
)
from tests.conftest import POSTGRES_URL, SHIPPED_TASKS
from tests.fakes.tcp_proxy import TcpProxy
from tests.fakes.telegram_api import FakeTelegram

from superbot.plan.load import read_plan_file
from superbot.service.sync import sync
from superbot.store import db
from superbot.store.db import make_engine, migrate, normalise_url
from superbot.store.sql import SqlStore

SORRY = "稍后再试"
RECORDED = "✅ 已记录"


async def report(world: World, percent: int) -> str:
    """张建华 reports zcq8-2 at ``percent`` through /report; the bot's last answer."""
    [card] = await world.says(ZHANGJH, "/report zcq8-2")
    if SORRY in card.text:
        return card.text
    [answer] = await world.says(ZHANGJH, f"{percent}%")
    return answer.text


@pytest.fixture
async def proxied(
    server: FakeTelegram, tmp_path: Path, tasks_file: Path, postgres_url: str
) -> AsyncIterator[tuple[World, TcpProxy]]:
    """The bot on PostgreSQL, reached through a proxy the test can cut."""
    upstream = make_url(normalise_url(POSTGRES_URL))
    with TcpProxy(upstream.host or "127.0.0.1", upstream.port or 5432) as proxy:
        url = make_url(postgres_url).set(host="127.0.0.1", port=proxy.port)
        database_url = url.render_as_string(hide_password=False)
        engine = make_engine(database_url)
        migrate(engine)
        loaded = read_plan_file(SHIPPED_TASKS)
        assert loaded.plan is not None
        sync(
            SqlStore(engine),
            loaded.plan,
            now=NOW,
            source="tasks.yaml",
            sha256=loaded.sha256,
            dry_run=False,
        )
        engine.dispose()
        clock = Clock(NOW)
        runtime = make_runtime(
            tmp_path, server, tasks_file, clock, Path(), database_url=database_url
        )
        async with running_world(server, runtime, clock, tasks_file, "polling") as world:
            yield world, proxy


async def test_postgresql_cut_off_and_back(proxied: tuple[World, TcpProxy]) -> None:
    world, proxy = proxied
    runner = world.runner
    assert runner is not None
    assert world.serving is not None
    world.bind(ZHANGJH)
    assert (await report(world, 40)).startswith(RECORDED)
    await runner.tick()  # the schedules have looked: they catch up from here
    await world.settled(ZHANGJH)  # every update so far handled to its end

    proxy.cut()
    before = len(world.server.messages(ZHANGJH))
    answer = await report(world, 60)
    assert SORRY in answer
    assert "没有记下" in answer
    # The 通报 of 1 July and the reminder of 20 July fall due while the database is away.
    world.clock.now = datetime(2022, 7, 20, 9, 5, tzinfo=ZONE)
    await runner._tick_job()  # as the scheduler runs it: logged, and the loop goes on
    assert not world.serving.done()

    proxy.restore()
    await world.settled(ZHANGJH)
    assert len(world.server.messages(ZHANGJH)) == before + 2  # one sorry, then /help's answer
    again = await report(world, 60)
    assert again.startswith(RECORDED), [m.text[:30] for m in world.server.messages(ZHANGJH)]
    assert [r.percent for r in world.reports("zcq8-2")] == [40, 60]  # nothing acknowledged lost

    await runner._tick_job()
    reminders = [m for m in world.server.messages(ZHANGJH) if "zcq8-2" in "".join(m.callback_data)]
    assert reminders, "the reminder that fell due during the outage went out after it"
    outbox = world.runtime.outbox
    assert outbox.round_state("reminder", "2022-07").count("sent") > 0
    assert outbox.round_state("bulletin", "2022-06").count("sent") > 0
    assert not world.serving.done()


@pytest.fixture
def short_busy_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite waits 0.2 s for another writer instead of 30 (asked before the world is made)."""
    monkeypatch.setattr(db, "BUSY_SECONDS", 0.2)


async def test_sqlite_busy_with_another_writer(short_busy_wait: None, world: World) -> None:
    world.bind(ZHANGJH)
    assert (await report(world, 40)).startswith(RECORDED)
    path = make_url(world.runtime.config.database_url).database
    assert path is not None
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process writing, and taking its time
        answer = await report(world, 60)
        assert SORRY in answer
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert (await report(world, 60)).startswith(RECORDED)
    assert [r.percent for r in world.reports("zcq8-2")] == [40, 60]
    await world.settled(WANGLI)
    assert world.serving is not None
    assert not world.serving.done()
