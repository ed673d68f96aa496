"""Each thing a recipient sees is its own outbox row: the 通报's summary and its document."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from tests.fakes.clock import FakeClock
from tests.fakes.telegram_api import FakeTelegram

from superbot.cli.runtime import Runtime
from superbot.config import Config
from superbot.domain.model import ScheduleKind
from superbot.plan.load import read_plan_file
from superbot.service.delivery import round_for
from superbot.service.sync import sync

GROUP = -1001234567890
T0 = datetime(2022, 7, 1, 1, 0, tzinfo=UTC)


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        server.add_group(GROUP, "xx区科技局工作群")
        yield server


async def test_a_failed_document_is_sent_again_without_its_summary(
    tmp_path: Path, tasks_file: Path, telegram: FakeTelegram
) -> None:
    clock = FakeClock(T0)
    config = Config(
        database_url=f"sqlite:///{tmp_path / 'parts.db'}",
        tasks_path=tasks_file,
        telegram_token=telegram.token,
        telegram_api_url=telegram.url,
        environ={},
    )
    runtime = Runtime(config, clock=clock)
    loaded = read_plan_file(tasks_file)
    assert loaded.plan is not None
    sync(
        runtime.store, loaded.plan, now=T0, source="tasks.yaml", sha256=loaded.sha256, dry_run=False
    )
    telegram.fail_next("sendDocument", chat_id=GROUP, status=500)

    runtime.delivery.enqueue(round_for(ScheduleKind.BULLETIN, date(2022, 7, 1)), T0)
    try:
        await runtime.dispatcher(sleep=clock.sleep).drain(
            "bulletin", "2022-06", timedelta(minutes=10)
        )
    finally:
        await runtime.aclose()
        runtime.store.engine.dispose()

    to_group = [r for r in telegram.requests if r.params.get("chat_id") == str(GROUP)]
    assert [(r.method, r.status) for r in to_group] == [
        ("sendMessage", 200),
        ("sendDocument", 500),
        ("sendDocument", 200),
    ]
    assert [m.method for m in telegram.messages(GROUP)] == ["sendMessage", "sendDocument"]
