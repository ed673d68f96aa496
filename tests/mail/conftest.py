"""Replies by email, for real: reminders go out through the outbox and the email channel to
a real SMTP server (aiosmtpd), replies come back through superbot's SMTP listener or a real
IMAP mailbox (Dovecot), and answers go out again. Time is fixed at 2022-06-22 10:00 in
Shanghai unless a test moves the clock."""

from __future__ import annotations

import asyncio
import shutil
import smtplib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tests.conftest import SHIPPED_TASKS
from tests.fakes.dovecot import Dovecot, dovecot_problem, dovecot_server
from tests.fakes.smtp import SmtpServer, smtp_server

from superbot.channels.smtp_inbound import InboundSmtp
from superbot.cli.runtime import Runtime
from superbot.config import Config
from superbot.domain.model import Report, ScheduleKind
from superbot.plan.load import read_plan_file
from superbot.service.delivery import round_for
from superbot.service.mail import Handled
from superbot.service.sync import sync
from superbot.store.db import make_engine, migrate
from superbot.store.sql import SqlStore

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2022, 6, 22, 10, 0, tzinfo=ZONE)
OFFICE = "督查科 <duban@example.gov.cn>"
LIMH = "李明辉 <limh@example.gov.cn>"  # 区发改局: leads zcq8-1 alone
ZHANGJH = "张建华 <zhangjh@example.gov.cn>"  # 高新科: leads zcq8-2, zcq8-3 …; supports zcq8-1
LINSY = "林思远 <linsy@example.gov.cn>"  # 高新科 too


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class FixedRuntime(Runtime):
    def __init__(self, config: Config, clock: Clock) -> None:
        super().__init__(config)
        self._clock = clock

    def now(self) -> datetime:  # type: ignore[override]
        return self._clock()


async def no_sleep(_seconds: float) -> None:
    return None


@pytest.fixture(scope="session")
def mail_seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mailseed") / "seed.db"
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


@dataclass
class Office:
    """superbot with email configured, the SMTP server its mail goes out through, and the
    database behind it."""

    runtime: FixedRuntime
    outgoing: SmtpServer
    clock: Clock
    database: Path
    config: Config
    runtimes: list[Runtime] = field(default_factory=list)

    def reports(self, task_id: str) -> list[Report]:
        return self.runtime.store.task_reports(task_id)

    def sent(self, to: str | None = None) -> list[EmailMessage]:
        mails = [d.parsed() for d in self.outgoing.deliveries]
        if to is None:
            return mails
        address = to.rpartition("<")[2].rstrip(">")
        return [m for m in mails if address in str(m["To"])]

    async def send_reminders(self) -> list[EmailMessage]:
        before = len(self.outgoing.deliveries)
        round_ = round_for(ScheduleKind.REMINDER, self.clock().astimezone(ZONE).date())
        self.runtime.delivery.enqueue(round_, self.clock())
        await self.runtime.dispatcher(sleep=no_sleep).dispatch()
        return [d.parsed() for d in self.outgoing.deliveries[before:]]

    def reminder(self, to: str) -> EmailMessage:
        found = [m for m in self.sent(to) if m["Auto-Submitted"] == "auto-generated"]
        assert found, f"no reminder to {to}"
        return found[-1]

    async def take(self, raw: bytes) -> Handled:
        """A mail arrives (as the IMAP poller and the SMTP listener hand it over)."""
        intake = self.runtime.mail_intake(self.runtime.dispatcher(sleep=no_sleep).dispatch)
        return await intake(raw)

    async def answers(self, to: str, before: int) -> list[EmailMessage]:
        return [m for m in self.sent(to)[before:] if m["Auto-Submitted"] == "auto-replied"]

    def restart(self) -> FixedRuntime:
        """A new process on the same database: nothing kept in memory survives."""
        self.runtime.store.engine.dispose()
        self.runtime = FixedRuntime(self.config, self.clock)
        self.runtime.__dict__["env"] = _environment(self.runtime)
        self.runtimes.append(self.runtime)
        return self.runtime


_ENV: dict[str, Any] = {}


def _environment(runtime: Runtime) -> Any:
    if "env" not in _ENV:
        _ENV["env"] = Runtime.env.func(runtime)  # type: ignore[attr-defined]
    return _ENV["env"]


@pytest.fixture
def reply_to() -> str | None:
    """SUPERBOT_REPLY_TO for the office; None: replies go to the sender address."""
    return None


@pytest.fixture
def locale() -> str | None:
    """SUPERBOT_LOCALE; None: the plan's (zh-CN)."""
    return None


@pytest.fixture
def office(
    tmp_path: Path, mail_seed: Path, reply_to: str | None, locale: str | None
) -> Iterator[Office]:
    database = tmp_path / "office.db"
    shutil.copyfile(mail_seed, database)
    clock = Clock(NOW)
    with smtp_server() as outgoing:
        config = Config(
            database_url=f"sqlite:///{database}",
            tasks_path=SHIPPED_TASKS,
            smtp_url=outgoing.url(),
            smtp_from=OFFICE,
            reply_to=reply_to,
            locale=locale,
            outbox_dir=tmp_path / "outbox",
            files_dir=tmp_path / "files",
            environ={},
        )
        runtime = FixedRuntime(config, clock)
        if locale is None:
            runtime.__dict__["env"] = _environment(runtime)
        office = Office(runtime, outgoing, clock, database, config, [runtime])
        try:
            yield office
        finally:
            office.runtime.store.engine.dispose()


def parsed(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=default)
    assert isinstance(message, EmailMessage)
    return message


# -- the SMTP listener -------------------------------------------------------------------------


@dataclass
class Listener:
    smtp: InboundSmtp
    stop: asyncio.Event
    task: asyncio.Task[None]

    async def deliver(self, raw: bytes, to: str = "duban@example.gov.cn") -> tuple[int, bytes]:
        """A mail server hands the mail over; returns its answer to DATA."""

        def send() -> tuple[int, bytes]:
            with smtplib.SMTP("127.0.0.1", self.smtp.port, timeout=10) as client:
                client.ehlo("mx.example.gov.cn")
                client.mail("limh@example.gov.cn")
                client.rcpt(to)
                return client.data(raw)

        try:
            return await asyncio.to_thread(send)
        except smtplib.SMTPDataError as refused:
            return refused.smtp_code, refused.smtp_error

    async def close(self) -> None:
        self.stop.set()
        await self.task


async def start_listener(office: Office, intake: Any = None) -> Listener:
    runtime = office.runtime
    take = intake or runtime.mail_intake(runtime.dispatcher(sleep=no_sleep).dispatch)
    smtp = InboundSmtp("127.0.0.1:0", take)
    await smtp.start()
    stop = asyncio.Event()
    return Listener(smtp, stop, asyncio.create_task(smtp.run(stop)))


@pytest.fixture
async def listener(office: Office) -> AsyncIterator[Listener]:
    running = await start_listener(office)
    try:
        yield running
    finally:
        await running.close()


# -- the IMAP mailbox --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    import os

    problem = dovecot_problem()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the IMAP tests: {problem}")
        pytest.skip(problem)
    with dovecot_server() as server:
        yield server
