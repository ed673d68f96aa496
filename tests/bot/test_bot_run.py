"""``superbot run`` in-process: the scheduler, the dispatcher, the tasks.yaml watch and the bot
in one loop, by long polling and by webhook."""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.bot.conftest import (
    LIMH,
    NOW,
    STRANGER,
    WANGLI,
    Clock,
    FixedRuntime,
    World,
    _shared_environment,
    free_port,
)
from tests.fakes.telegram_api import FakeTelegram

from superbot import scheduler
from superbot.cli.delivery_commands import _run
from superbot.config import Config

SECRET = "run-Secret_42"


@dataclass
class Running:
    world: World
    stop: asyncio.Event
    task: asyncio.Task[int]


async def start_run(
    server: FakeTelegram, tmp_path: Path, tasks_file: Path, seeded: Path, webhook: bool
) -> Running:
    database = tmp_path / "run.db"
    shutil.copyfile(seeded, database)
    port = free_port()
    config = Config(
        database_url=f"sqlite:///{database}",
        tasks_path=tasks_file,
        telegram_token=server.token,
        telegram_api_url=server.url,
        outbox_dir=tmp_path / "outbox",
        webhook_secret=SECRET,
        webhook_listen=f"127.0.0.1:{port}",
        environ={},
    )
    clock = Clock(NOW)
    runtime = FixedRuntime(config, clock)
    runtime.__dict__["env"] = _shared_environment(runtime)
    stop = asyncio.Event()
    url = f"http://127.0.0.1:{port}/superbot/telegram" if webhook else None
    task = asyncio.create_task(_run(runtime, url, stop))
    if webhook:
        await server.await_for(lambda s: s.webhook_url or task.done(), what="setWebhook")
    else:
        await server.await_for(lambda s: s.polls_waiting or task.done(), what="polling")
    assert not task.done(), task.result()
    return Running(World(server, runtime, clock, tasks_file), stop, task)


@pytest.fixture(params=["polling", "webhook"])
async def running(
    request: pytest.FixtureRequest,
    server: FakeTelegram,
    tmp_path: Path,
    tasks_file: Path,
    seeded: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Running]:
    monkeypatch.setattr(scheduler, "WATCH_SECONDS", 0.05)  # the tasks.yaml watch
    monkeypatch.setattr(scheduler, "TICK_SECONDS", 0.05)  # and the dispatcher's tick
    run = await start_run(server, tmp_path, tasks_file, seeded, request.param == "webhook")
    try:
        yield run
    finally:
        run.stop.set()
        assert await run.task == 0
        run.world.runtime.store.engine.dispose()


async def test_a_whole_conversation(running: Running) -> None:
    world = running.world
    private_menu = world.server.commands({"type": "all_private_chats"})
    assert [c["command"] for c in private_menu][:2] == ["tasks", "report"]

    from tests.bot.test_bot_binding import invite

    [greeting] = await world.says(STRANGER, f"/start {invite(world, 'limh')}")
    assert "绑定成功" in greeting.text
    assert "李明辉" in greeting.text

    sent = await world.send_reminders()
    assert [m.chat_id for m in sent] == [STRANGER, STRANGER]
    task_message = world.task_message(STRANGER, "zcq8-1")
    [recorded] = await world.says(STRANGER, "45% 项目入库 12 个", reply_to=task_message.message_id)
    assert "进度 45%；说明“项目入库 12 个”" in recorded.text
    [pressed] = await world.presses(STRANGER, task_message.message_id, "p:zcq8-1:60")
    assert "进度 60%" in pressed.text
    [noted] = await world.says(STRANGER, "设备已进场")
    assert "已补充说明" in noted.text
    assert [(r.percent, r.note) for r in world.reports("zcq8-1")] == [
        (45, "项目入库 12 个"),
        (60, "设备已进场"),
    ]


async def test_a_broken_tasks_yaml_reaches_the_coordinators_unasked(running: Running) -> None:
    world = running.world
    world.bind(WANGLI)
    source = world.tasks_file.read_text(encoding="utf-8")
    world.tasks_file.write_text(source.replace("lead: gxk", "lead: gkx", 1), encoding="utf-8")

    [notice] = await world.server.await_messages(WANGLI, 1, timeout=10)
    assert "任务清单有 1 处错误，未生效" in notice.text
    [line] = [line for line in notice.text.splitlines() if line.startswith("• ")]
    assert re.match(rf"• {re.escape(str(world.tasks_file))}:\d+:\d+ ", line), line
    assert "没有编号为 gkx 的单位，是不是想写 gxk？" in line
    plan = world.store.active_plan()
    assert plan is not None
    assert plan.task("zcq8-2").lead == "gxk"


async def test_the_webhook_checks_its_secret(
    server: FakeTelegram,
    tmp_path: Path,
    tasks_file: Path,
    seeded: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = await start_run(server, tmp_path, tasks_file, seeded, webhook=True)
    try:
        out = capsys.readouterr().out
        assert "Telegram 机器人：webhook http://127.0.0.1:" in out
        world = run.world
        world.bind(LIMH)
        forged = {
            "update_id": 555,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": LIMH, "type": "private", "first_name": "x"},
                "from": {"id": LIMH, "is_bot": False, "first_name": "x"},
                "text": "/done zcq8-1",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            },
        }
        [answer] = await world.says(LIMH, "/tasks")  # Telegram's own deliveries carry it
        assert "区发改局的任务" in answer.text
        assert await server.apost_to_webhook(forged, secret="wrong") == 403
        assert await server.apost_to_webhook(forged, secret=None) == 403
        assert world.reports("zcq8-1") == []
        assert all(d.secret == SECRET for d in server.webhook_deliveries if not d.manual)
    finally:
        run.stop.set()
        assert await run.task == 0
        run.world.runtime.store.engine.dispose()
