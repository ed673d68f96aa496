"""Two `superbot run` polling one Telegram bot: Telegram answers the older poll 409 Conflict
when the newer one asks. The instance that started later steps back — it says so in the log
and to the coordinators, in Chinese — and the first goes on receiving; nobody trades 409s."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from tests.bot.conftest import (
    NOW,
    WANGLI,
    ZHANGJH,
    Clock,
    make_runtime,
    no_sleep,
    running_world,
)
from tests.fakes.telegram_api import FakeTelegram

ANOTHER = "另一个 superbot 实例正在用同一个 Telegram 机器人"


async def test_the_later_instance_steps_back_and_says_so(
    server: FakeTelegram,
    tmp_path: Path,
    tasks_file: Path,
    seeded: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    first_clock = Clock(NOW)
    first = make_runtime(tmp_path, server, tasks_file, first_clock, seeded)
    async with running_world(server, first, first_clock, tasks_file, "polling") as older:
        older.bind(WANGLI)
        older.bind(ZHANGJH)
        first_clock.now = NOW + timedelta(minutes=10)  # the first has polled for a while
        later = tmp_path / "second"
        later.mkdir()
        second_clock = Clock(NOW + timedelta(minutes=10))
        second = make_runtime(
            later, server, tasks_file, second_clock, seeded, database_url=first.config.database_url
        )
        stepped_back = asyncio.Event()

        def another_poller(bot: str | None) -> None:
            second.another_poller(bot)
            stepped_back.set()

        conflicts_before = _conflicts(server)
        async with running_world(
            server, second, second_clock, tasks_file, "polling", another_poller
        ) as newer:
            await asyncio.wait_for(stepped_back.wait(), 15)

            # The first receives everything from now on, without further conflicts.
            [answer] = await older.says(ZHANGJH, "/help")
            assert "使用说明" in answer.text
            conflicts = _conflicts(server) - conflicts_before
            [answer] = await older.says(ZHANGJH, "/tasks")
            assert _conflicts(server) - conflicts_before == conflicts  # no more 409s
            assert conflicts <= 2  # the first's poll once, the second's once

            # The second runs on: its bot still sends (dispatching needs nothing else).
            assert newer.serving is not None
            assert not newer.serving.done()
            await second.dispatcher(sleep=no_sleep).dispatch()
            told = [m for m in server.messages(WANGLI) if ANOTHER in m.text]
            assert len(told) == 1, [m.text[:40] for m in server.messages(WANGLI)]
            assert "@superbot_test_bot" in told[0].text
            assert "webhook" in told[0].text

    said = [r for r in caplog.records if ANOTHER in r.getMessage()]
    assert len(said) == 1
    assert said[0].levelno == logging.ERROR


def _conflicts(server: FakeTelegram) -> int:
    return sum(1 for r in server.requests_for("getUpdates") if r.status == 409)
