"""What ``superbot run`` tells a person: when the next rounds go out, each round queued, in
the plan's language; libraries' chatter kept at WARNING; SUPERBOT_LOG_LEVEL."""

from __future__ import annotations

import asyncio
import io
import logging
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.conftest import Cli
from tests.fakes.clock import FakeClock

from superbot.cli import main
from superbot.cli.delivery_commands import _run, configure_logging
from superbot.cli.runtime import Runtime
from superbot.config import Config
from superbot.scheduler import PlanFile, Runner
from superbot.store.db import LeaderLock

# A Friday evening before National Day 2022: Oct 1 (the 通报's day) and Mon Oct 3 (the
# digest's) are holidays, Sat Oct 8 a 调休 workday.
EVE = datetime(2022, 9, 30, 10, 0, tzinfo=UTC)


def config_for(tmp_path: Path, tasks_file: Path) -> Config:
    return Config(
        database_url=f"sqlite:///{tmp_path / 'run.db'}",
        tasks_path=tasks_file,
        outbox_dir=tmp_path / "outbox",
        environ={},
    )


async def test_the_start_up_message_says_when_the_next_rounds_go_out(
    tmp_path: Path, tasks_file: Path
) -> None:
    config = config_for(tmp_path, tasks_file)
    out = io.StringIO()
    runtime = Runtime(config, out=out, clock=FakeClock(EVE))
    stop = asyncio.Event()
    running = asyncio.create_task(_run(runtime, None, stop))
    for _ in range(200):
        if "下一次发送" in out.getvalue() or running.done():
            break
        await asyncio.sleep(0.05)
    stop.set()
    assert await running == 0
    (line,) = [line for line in out.getvalue().splitlines() if line.startswith("下一次发送")]
    assert line == (
        "下一次发送：月度提醒 2022-10-20 09:00（周四），督查通报 2022-10-08 09:00（周六），"
        "督查周报 2022-10-08 08:30（周六）。"
    )


def test_each_round_is_logged_in_the_plans_language(
    tmp_path: Path, tasks_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = config_for(tmp_path, tasks_file)
    clock = FakeClock(EVE)
    runtime = Runtime(config, out=io.StringIO(), clock=clock)
    assert main(["sync"], runtime=runtime) == 0
    runner = Runner(
        store=runtime.store,
        delivery=runtime.delivery,
        dispatcher=runtime.dispatcher(),
        plan_file=PlanFile(config.tasks_path),
        say=runtime.say,
        clock=clock,
        leader=LeaderLock(runtime.store.engine),
    )
    runner.enqueue_due(clock.now)  # the first look: nothing is due yet
    clock.now = datetime(2022, 10, 8, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    with caplog.at_level(logging.INFO, logger="superbot.scheduler"):
        runner.enqueue_due(clock.now)
    said = [r.getMessage() for r in caplog.records if r.name == "superbot.scheduler"]
    assert any(
        m.startswith("已排入2022年9月督查通报：新增 ") and m.endswith("；下一次 2022-11-01 09:00")
        for m in said
    ), said
    assert all("SyncResult" not in m and len(m) < 300 for m in said)
    runtime.store.engine.dispose()


def test_library_chatter_stays_at_warning() -> None:
    configure_logging("DEBUG")
    try:
        assert logging.getLogger("superbot").getEffectiveLevel() == logging.DEBUG
        for name in ("apscheduler.scheduler", "httpx", "telegram.ext.Updater", "alembic.runtime"):
            assert logging.getLogger(name).getEffectiveLevel() == logging.WARNING, name
    finally:
        logging.getLogger().setLevel(logging.WARNING)


def test_an_unknown_log_level_is_one_line(cli: Cli) -> None:
    cli.config = replace(cli.config, log_level="loud")
    result = cli("run")
    assert result.status == 2
    assert result.err == "SUPERBOT_LOG_LEVEL=loud 不受支持，可用：DEBUG、INFO、WARNING、ERROR\n"
