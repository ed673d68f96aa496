"""A chat platform's callback arrives while the database cannot take it (SQLite held busy by
another writer): superbot does not acknowledge it, so the platform delivers it again, and the
delivery after the database is back records the report once."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from sqlalchemy.engine import make_url
from tests.chat.conftest import LIMH, ChatWorld

from superbot.store import db


@pytest.fixture
def short_busy_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite waits 0.2 s for another writer instead of 30 (asked before the world is made)."""
    monkeypatch.setattr(db, "BUSY_SECONDS", 0.2)


@pytest.mark.parametrize("platform", ["wecom", "feishu"])
async def test_a_report_sent_while_the_database_is_busy_is_taken_when_delivered_again(
    short_busy_wait: None, chat: ChatWorld
) -> None:
    chat.bind(LIMH)
    path = make_url(chat.runtime.config.database_url).database
    assert path is not None
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process writing, and taking its time
        refused = await asyncio.to_thread(chat.fake.user_sends, LIMH, "zcq8-1 60% 设备已招标")
        assert refused.status >= 500  # not acknowledged: the platform will deliver it again
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert chat.reports("zcq8-1") == []

    again = await asyncio.to_thread(chat.fake.redeliver)
    assert again.status == 200
    twice = await asyncio.to_thread(chat.fake.redeliver)  # and once more, as platforms do
    assert twice.status == 200
    await chat.app.drain()
    assert [(r.percent, r.note) for r in chat.reports("zcq8-1")] == [(60, "设备已招标")]
