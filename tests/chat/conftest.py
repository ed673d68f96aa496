"""The chat apps, running for real: superbot's HTTP server (and 钉钉's Stream connection) in
this event loop, the fake platform over HTTP, the real outbox, dispatcher and channels.

People of the shipped plan get accounts on the platform; time is fixed at 2022-06-22 10:00
in Shanghai, on superbot's clock and the platform's.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from tests.bot.conftest import (
    NOW,
    ZONE,
    Clock,
    FixedRuntime,
    _shared_environment,
    free_port,
    no_sleep,
    seeded,  # noqa: F401 (the session's seeded database)
)
from tests.fakes.chat_platform import Answer, Delivered, FakePlatform
from tests.fakes.dingtalk_api import FakeDingtalk
from tests.fakes.dingtalk_api import settings as dingtalk_settings
from tests.fakes.feishu_api import FakeFeishu
from tests.fakes.feishu_api import settings as feishu_settings
from tests.fakes.wecom_api import FakeWecom
from tests.fakes.wecom_api import settings as wecom_settings

from superbot.chat.app import ChatApp
from superbot.config import Config
from superbot.domain.model import Account, Report, ScheduleKind
from superbot.service.delivery import round_for
from superbot.service.people import create_invite
from superbot.service.status import load_plan
from superbot.service.supervision import Supervision

# The people of the shipped plan, by the user ids the tests give them on every platform.
LIMH = "limh01"  # 李明辉, 区发改局: leads zcq8-1
ZHANGJH = "zhangjh01"  # 张建华, 高新科: leads zcq8-2 …; supports zcq8-1
WANGLI = "wangli01"  # 王丽, 督查科: coordinator
STRANGER = "stranger01"
PEOPLE = {LIMH: "limh", ZHANGJH: "zhangjh", WANGLI: "wangli"}
PLATFORMS = ("wecom", "dingtalk", "dingtalk-stream", "feishu", "feishu-long")

FAKES: dict[str, Callable[..., FakePlatform]] = {
    "wecom": FakeWecom,
    "dingtalk": FakeDingtalk,
    "dingtalk-stream": partial(FakeDingtalk, stream=True),  # callbacks through Stream mode
    "feishu": FakeFeishu,
    "feishu-long": partial(FakeFeishu, long_connection=True),  # events over the long connection
}
SETTINGS: dict[str, Callable[[Any], dict[str, str]]] = {
    "wecom": wecom_settings,
    "dingtalk": dingtalk_settings,
    "dingtalk-stream": dingtalk_settings,
    "feishu": feishu_settings,
    "feishu-long": feishu_settings,
}


@dataclass
class ChatWorld:
    platform: str
    fake: FakePlatform
    runtime: FixedRuntime
    clock: Clock
    app: ChatApp

    @property
    def store(self) -> Any:
        return self.runtime.store

    def reports(self, task_id: str) -> list[Report]:
        return self.store.task_reports(task_id)

    def bind(self, user: str, person: str | None = None) -> None:
        account = Account(self.platform, user)
        self.runtime.accounts.bind(person or PEOPLE[user], account, self.clock())

    def invite(self, person: str) -> str:
        plan = load_plan(self.store)
        return create_invite(
            self.runtime.accounts, plan, person, self.clock(), timedelta(days=7)
        ).code

    # -- a person -------------------------------------------------------------------------------

    async def says(self, user: str, text: str, expect: int = 1) -> list[str]:
        """The person sends ``text``; the ``expect`` texts superbot answers with."""
        before = len(self.fake.texts(user))
        answer = await asyncio.to_thread(self.fake.user_sends, user, text)
        assert answer.status == 200, answer
        return await self.answers(user, before, expect)

    async def presses(self, user: str, card: Delivered, label: str, expect: int = 1) -> list[str]:
        key = next(data for shown, data in card.shown.buttons if shown == label)
        before = len(self.fake.texts(user))
        answer = await asyncio.to_thread(self.fake.user_presses, user, card, key)
        assert answer.status == 200, answer
        return await self.answers(user, before, expect)

    async def press_answer(self, user: str, card: Delivered, key: str) -> Answer:
        return await asyncio.to_thread(self.fake.user_presses, user, card, key)

    async def answers(self, user: str, before: int, expect: int) -> list[str]:
        await self.app.drain()
        texts = await self.fake.await_texts(user, before + expect)
        return texts[before:]

    async def send_reminders(self) -> None:
        round_ = round_for(ScheduleKind.REMINDER, self.clock().astimezone(ZONE).date())
        self.runtime.delivery.enqueue(round_, self.clock())
        await self.runtime.dispatcher(sleep=no_sleep).dispatch()


def members() -> set[str]:
    return {LIMH, ZHANGJH, WANGLI, STRANGER}


@pytest.fixture(params=PLATFORMS)
def platform(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def fake(platform: str) -> Iterator[FakePlatform]:
    clock = Clock(NOW)
    with FAKES[platform](members(), now=clock) as server:
        yield server


@pytest.fixture
async def chat(
    platform: str,
    fake: FakePlatform,
    tmp_path: Path,
    tasks_file: Path,
    seeded: Path,  # noqa: F811
) -> AsyncIterator[ChatWorld]:
    clock = fake.now
    assert isinstance(clock, Clock)
    channel = platform.partition("-")[0]  # the channel people are bound on
    database = tmp_path / "chat.db"
    shutil.copyfile(seeded, database)
    port = free_port()
    environ = {
        "SUPERBOT_DATABASE_URL": f"sqlite:///{database}",
        "SUPERBOT_TASKS": str(tasks_file),
        "SUPERBOT_OUTBOX_DIR": str(tmp_path / "outbox"),
        "SUPERBOT_HTTP": f"127.0.0.1:{port}",
        **SETTINGS[platform](fake),
    }
    config = Config.from_env(environ, dotenv=None)
    runtime = FixedRuntime(config, clock)
    runtime.__dict__["env"] = _shared_environment(runtime)
    dispatcher = runtime.dispatcher(sleep=no_sleep)
    supervision = Supervision(runtime.store, runtime.delivery, _no_reload)
    apps = runtime.chat_apps(supervision, dispatcher.dispatch)
    inbound = runtime.inbound(apps)
    stop = asyncio.Event()
    running = []
    if inbound.server is not None:
        await inbound.server.start()
        running.append(asyncio.create_task(inbound.server.run(stop)))
    running += [asyncio.create_task(stream.run(stop)) for stream in inbound.streams]
    fake.callback_url = f"http://127.0.0.1:{port}"
    if inbound.streams:
        await fake.await_for(lambda f: getattr(f, "connected", False), what="Stream connection")
    try:
        yield ChatWorld(channel, fake, runtime, clock, apps[channel])
    finally:
        stop.set()
        await asyncio.gather(*running)
        await apps[channel].drain()
        await runtime.aclose()
        runtime.store.engine.dispose()


async def _no_reload(now: Any) -> Any:
    raise AssertionError("no /reload in these tests")
