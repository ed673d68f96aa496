"""The bot, running for real against the fake Bot API over HTTP, and the people talking to it.

Each test gets a fresh database with the shipped plan, a fake Telegram server, and the real
Application from ``build_application`` served by long polling (or by webhook). Time is fixed
at 2022-06-22 10:00 in Shanghai unless a test moves the clock.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx._config as httpx_config
import httpx._transports.default as httpx_transport
import pytest
from tests.conftest import SHIPPED_TASKS
from tests.fakes.telegram_api import FakeTelegram, SentMessage

from superbot.bot.app import Webhook, build_application, serve, webhook_routes
from superbot.bot.reload import TasksFileReload
from superbot.cli.runtime import Runtime
from superbot.config import Config
from superbot.domain.model import Account, Report, ScheduleKind
from superbot.plan.load import read_plan_file
from superbot.scheduler import PlanFile, Runner
from superbot.server import HttpServer
from superbot.service.delivery import round_for
from superbot.service.supervision import Supervision
from superbot.service.sync import sync
from superbot.store.accounts import SqlAccounts
from superbot.store.db import make_engine, migrate
from superbot.store.sql import SqlStore

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2022, 6, 22, 10, 0, tzinfo=ZONE)

# People of the shipped plan, with the Telegram accounts the tests give them.
LIMH = 1001  # 李明辉, 区发改局: leads zcq8-1 (indicator invest: 高新技术产业投资增速)
ZHANGJH = 1002  # 张建华, 高新科: leads zcq8-2, zcq8-3 …; supports zcq8-1
WANGLI = 1003  # 王丽, 督查科: coordinator
STRANGER = 1999  # bound to nobody
PEOPLE = {LIMH: "limh", ZHANGJH: "zhangjh", WANGLI: "wangli"}
GROUP = -1001234567890  # the plan's broadcast group


class TelegramBindings:
    """The accounts store, spoken to with Telegram user ids as the tests know people."""

    def __init__(self, accounts: SqlAccounts) -> None:
        self.accounts = accounts
        self.add_invite = accounts.add_invite
        self.invite = accounts.invite
        self.use_invite = accounts.use_invite

    def bind(self, person_id: str, user_id: int, now: datetime) -> None:
        self.accounts.bind(person_id, Account("telegram", str(user_id)), now)

    def person_for(self, user_id: int | Account) -> str | None:
        account = user_id if isinstance(user_id, Account) else Account("telegram", str(user_id))
        return self.accounts.person_for(account)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class FixedRuntime(Runtime):
    """superbot's runtime with the clock the test sets."""

    def __init__(self, config: Config, clock: Clock) -> None:
        super().__init__(config)
        self._clock = clock

    def now(self) -> datetime:  # type: ignore[override]
        return self._clock()


async def no_sleep(_seconds: float) -> None:
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class World:
    """The running bot, the fake Telegram around it, and the database behind it."""

    server: FakeTelegram
    runtime: FixedRuntime
    clock: Clock
    tasks_file: Path
    runner: Runner | None = None
    serving: asyncio.Task[None] | None = None  # the bot: done only when it stopped
    slept: list[float] = field(default_factory=list)  # the bot's waits before trying again

    @property
    def store(self) -> SqlStore:
        return self.runtime.store

    @property
    def bindings(self) -> TelegramBindings:
        return TelegramBindings(self.runtime.accounts)

    def reports(self, task_id: str) -> list[Report]:
        return self.store.task_reports(task_id)

    def bind(self, user_id: int) -> None:
        self.bindings.bind(PEOPLE[user_id], user_id, self.clock())

    # -- what people do, and what they read back --------------------------------------------

    async def says(
        self,
        user_id: int,
        text: str,
        *,
        reply_to: int | None = None,
        chat_id: int | None = None,
        expect: int = 1,
    ) -> list[SentMessage]:
        """The person sends ``text``; returns the ``expect`` messages the bot answers with."""
        chat = chat_id if chat_id is not None else user_id
        before = len(self.server.messages(chat))
        self.server.user_sends(user_id, text, chat_id=chat_id, reply_to_message_id=reply_to)
        return await self.answers(chat, before, expect)

    async def edits(self, user_id: int, message_id: int, text: str) -> list[SentMessage]:
        before = len(self.server.messages(user_id))
        self.server.user_edits(user_id, message_id, text)
        return await self.answers(user_id, before, 1)

    async def presses(
        self, user_id: int, message_id: int, data: str, expect: int = 1
    ) -> list[SentMessage]:
        before = len(self.server.messages(user_id))
        answered = len(self.server.callback_answers)
        self.server.user_presses(user_id, message_id, data)
        await self.server.await_for(
            lambda s: len(s.callback_answers) > answered, what="the button to be answered"
        )
        return await self.answers(user_id, before, expect)

    async def answers(self, chat: int, before: int, expect: int) -> list[SentMessage]:
        messages = await self.server.await_messages(chat, before + expect)
        return messages[before:]

    async def settled(self, user_id: int = WANGLI) -> None:
        """Every update sent so far is handled: the bot answers a later /help only after them
        (it handles updates one at a time, in order)."""
        await self.says(user_id, "/help")

    def last_user_message(self, user_id: int) -> int:
        """The id of the person's latest message in their private chat."""
        return max(
            m["message_id"]
            for (chat, _), m in self.server._stored.items()
            if chat == user_id and m["from"]["id"] == user_id
        )

    # -- the monthly reminder, through the real outbox, dispatcher and Telegram channel ------

    async def send_reminders(self) -> list[SentMessage]:
        before = len(self.server.messages())
        round_ = round_for(ScheduleKind.REMINDER, self.clock().astimezone(ZONE).date())
        self.runtime.delivery.enqueue(round_, self.clock())
        await self.runtime.dispatcher(sleep=no_sleep).dispatch()
        return self.server.messages()[before:]

    def task_message(self, user_id: int, task_id: str) -> SentMessage:
        """The reminder's message about ``task_id`` in the person's chat."""
        for message in reversed(self.server.messages(user_id)):
            if any(d.startswith(f"p:{task_id}:") for d in message.callback_data):
                return message
        raise AssertionError(f"no task message about {task_id} to {user_id}")


@pytest.fixture(autouse=True, scope="session")
def _one_tls_context() -> Iterator[None]:
    """Every httpx client loads the CA bundle (~75 ms each, several per test); all traffic
    here is plain HTTP to 127.0.0.1, so the clients share one context."""
    shared = httpx_config.create_ssl_context()

    def cached(verify: Any = True, cert: Any = None, trust_env: bool = True) -> ssl.SSLContext:
        if verify is True and cert is None:
            return shared
        return httpx_config.create_ssl_context(verify=verify, cert=cert, trust_env=trust_env)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(httpx_transport, "create_ssl_context", cached)
        yield


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with the shipped plan synced, copied by each test (parsing and migrating
    once is what keeps the suite fast)."""
    path = tmp_path_factory.mktemp("seed") / "seed.db"
    engine = make_engine(f"sqlite:///{path}")
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
    return path


def make_runtime(
    tmp_path: Path,
    server: FakeTelegram,
    tasks_file: Path,
    clock: Clock,
    seeded: Path,
    locale: str | None = None,
    database_url: str | None = None,
) -> FixedRuntime:
    """superbot for the bot's tests: on a copy of the seeded SQLite database, or on
    ``database_url`` (which the test has synced)."""
    if database_url is None:
        database = tmp_path / "bot.db"
        shutil.copyfile(seeded, database)
        database_url = f"sqlite:///{database}"
    config = Config(
        database_url=database_url,
        tasks_path=tasks_file,
        telegram_token=server.token,
        telegram_api_url=server.url,
        outbox_dir=tmp_path / "outbox",
        locale=locale,
        environ={},
    )
    runtime = FixedRuntime(config, clock)
    runtime.__dict__["env"] = _shared_environment(runtime)  # templates compiled once
    return runtime


_ENVIRONMENTS: dict[str, Any] = {}


def _shared_environment(runtime: Runtime) -> Any:
    if "env" not in _ENVIRONMENTS:
        _ENVIRONMENTS["env"] = Runtime.env.func(runtime)  # type: ignore[attr-defined]
    return _ENVIRONMENTS["env"]


@pytest.fixture
def server() -> Iterator[FakeTelegram]:
    # A webhook is set a moment before its server listens: Telegram retries, and so does the fake.
    with FakeTelegram(webhook_attempts=50) as fake:
        for user_id, name in ((LIMH, "李明辉"), (ZHANGJH, "张建华"), (WANGLI, "王丽")):
            fake.add_user(user_id, first_name=name)
        fake.add_user(STRANGER, first_name="路人")
        fake.add_group(GROUP, "督查通报群")
        yield fake


@pytest.fixture(params=["polling"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def locale() -> str | None:
    """SUPERBOT_LOCALE; None: the plan's (zh-CN)."""
    return None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A module saying ``ON_POSTGRESQL_TOO = True`` runs its bot on both databases; the rest
    on SQLite (the whole suite twice would not fit CI's time)."""
    if "bot_database" in metafunc.fixturenames:
        both = getattr(metafunc.module, "ON_POSTGRESQL_TOO", False)
        names = ["sqlite", "postgresql"] if both else ["sqlite"]
        metafunc.parametrize("bot_database", names, indirect=True)


@pytest.fixture
def bot_database(request: pytest.FixtureRequest) -> str | None:
    """The database under the bot: None for a copy of the seeded SQLite one, or a fresh
    PostgreSQL schema with the shipped plan synced."""
    if request.param == "sqlite":
        return None
    url = str(request.getfixturevalue("postgres_url"))
    engine = make_engine(url)
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
    return url


@pytest.fixture
async def world(
    server: FakeTelegram,
    tmp_path: Path,
    tasks_file: Path,
    mode: str,
    seeded: Path,
    locale: str | None,
    bot_database: str | None,
) -> AsyncIterator[World]:
    clock = Clock(NOW)
    runtime = make_runtime(
        tmp_path, server, tasks_file, clock, seeded, locale, database_url=bot_database
    )
    async with running_world(server, runtime, clock, tasks_file, mode) as world:
        yield world


@asynccontextmanager
async def running_world(
    server: FakeTelegram,
    runtime: FixedRuntime,
    clock: Clock,
    tasks_file: Path,
    mode: str,
    another_poller: Callable[[str | None], None] | None = None,
) -> AsyncIterator[World]:
    """The bot of ``runtime`` serving ``server`` (by polling or webhook) until the block ends."""
    dispatcher = runtime.dispatcher(sleep=no_sleep)
    runner = Runner(
        store=runtime.store,
        delivery=runtime.delivery,
        dispatcher=dispatcher,
        plan_file=PlanFile(tasks_file),
        say=runtime.say,
        clock=clock,
    )
    runner.reload_plan()  # the file as synced above: read once, nothing to apply
    slept: list[float] = []

    async def sleep(seconds: float) -> None:  # the bot's waits, recorded instead of waited
        slept.append(seconds)

    application = build_application(
        token=server.token,
        api_root=server.url,
        conversation=runtime.conversation,
        supervision=Supervision(runtime.store, runtime.delivery, TasksFileReload(runner)),
        templates=runtime.templates,
        renderer=runtime.renderer,
        clock=clock,
        dispatch=dispatcher.dispatch,
        sleep=sleep,
    )
    webhook = None
    stop, ready = asyncio.Event(), asyncio.Event()
    if mode == "webhook":
        port = free_port()
        webhook = Webhook(f"http://127.0.0.1:{port}/telegram", "s3cret-Token_1")
        http = HttpServer(f"127.0.0.1:{port}", webhook_routes(application, webhook))
        await http.start()
        asyncio.create_task(http.run(stop))  # noqa: RUF006 (stops with the bot)
    serving = asyncio.create_task(serve(application, stop, webhook, ready, another_poller))
    await asyncio.wait(
        [serving, asyncio.create_task(ready.wait())], return_when=asyncio.FIRST_COMPLETED
    )
    if serving.done():
        serving.result()
    world = World(server, runtime, clock, tasks_file, runner, serving, slept)
    try:
        yield world
    finally:
        stop.set()
        await serving
        await runtime.aclose()
        runtime.store.engine.dispose()


def texts(messages: list[SentMessage]) -> list[str]:
    return [m.text for m in messages]


def later(world: World, **delta: Any) -> None:
    world.clock.now = world.clock.now + timedelta(**delta)
