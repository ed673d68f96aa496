"""The web view through Starlette's test client, on a copy of the shipped plan's database.

Time is fixed at 2022-06-22 10:00 in Shanghai (the clock moves only when a test says so).
Nothing but the file channel is configured, so every message — a login link, a reminder
with its 填报 link — lands as a file under ``outbox/<person>/`` where the test reads it,
as the person would.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette

with warnings.catch_warnings():  # Starlette 1.x would rather have httpx2; httpx works the same
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient
from tests.bot.conftest import (
    NOW,
    Clock,
    FixedRuntime,
    _shared_environment,
    no_sleep,
    seeded,  # noqa: F401 (the session's seeded database)
)

from superbot.config import Config
from superbot.domain.model import ScheduleKind
from superbot.service.delivery import round_for

BASE = "https://superbot.example.gov.cn"
COORDINATOR = "wangli"  # 王丽, 督查科
OWNER = "zhangjh"  # 张建华, 高新科: leads zcq8-2, zcq8-3 …; supports zcq8-1
OTHER = "limh"  # 李明辉, 区发改局: leads zcq8-1
LEADER = "sunzm"  # 高新科's 分管领导
LINK = re.compile(r"https?://[^/\s]+(/(?:login|r)/[A-Za-z0-9_-]+)")


@dataclass
class Web:
    runtime: FixedRuntime
    clock: Clock
    outbox: Path
    app: Starlette
    base: str = BASE

    def client(self) -> TestClient:
        return TestClient(self.app, base_url="https://testserver", follow_redirects=False)

    def messages(self, person: str) -> list[str]:
        """What reached the person, oldest first (the file channel's text files)."""
        folder = self.outbox / person
        return (
            [p.read_text("utf-8") for p in sorted(folder.glob("*.txt"))] if folder.is_dir() else []
        )

    def links(self, person: str, kind: str = "login") -> list[str]:
        return [
            path
            for text in self.messages(person)
            for path in LINK.findall(text)
            if path.startswith(f"/{kind}/" if kind == "login" else "/r/")
        ]

    def sign_in(self, person: str) -> TestClient:
        """A browser signed in as ``person`` through a link from ``superbot login``."""
        plan = self.runtime.store.active_plan()
        assert plan is not None
        self.runtime.access.send_login_link(plan, plan.people[person], self.clock())
        self.dispatch()
        path = self.links(person)[-1]
        client = self.client()
        page = client.get(path)
        assert page.status_code == 200, page.text
        answer = client.post(path, data={"csrf": csrf_of(page.text)})
        assert answer.status_code == 303, answer.text
        return client

    def dispatch(self) -> None:
        """Send what is queued, in a thread of its own: Playwright's sync API keeps an event
        loop running in this one."""
        thread = threading.Thread(
            target=asyncio.run, args=(self.runtime.dispatcher(sleep=no_sleep).dispatch(),)
        )
        thread.start()
        thread.join()

    def send_reminders(self) -> None:
        round_ = round_for(ScheduleKind.REMINDER, self.clock().date())
        self.runtime.delivery.enqueue(round_, self.clock())
        self.dispatch()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def make_web(
    tmp_path: Path,
    tasks_file: Path,
    seeded: Path,  # noqa: F811
    base: str = BASE,
    locale: str | None = None,
) -> Web:
    database = tmp_path / "web.db"
    shutil.copyfile(seeded, database)
    clock = Clock(NOW)
    config = Config(
        database_url=f"sqlite:///{database}",
        tasks_path=tasks_file,
        outbox_dir=tmp_path / "outbox",
        files_dir=tmp_path / "files",
        environ={},
        web_url=base,
        locale=locale,
    )
    runtime = FixedRuntime(config, clock)
    runtime.__dict__["env"] = _shared_environment(runtime)

    async def dispatch() -> Any:
        return await runtime.dispatcher(sleep=no_sleep).dispatch()

    app = Starlette(routes=runtime.web_view(dispatch).routes())
    return Web(runtime, clock, tmp_path / "outbox", app, base)


@pytest.fixture
def web(tmp_path: Path, tasks_file: Path, seeded: Path) -> Iterator[Web]:  # noqa: F811
    made = make_web(tmp_path, tasks_file, seeded)
    yield made
    made.runtime.store.engine.dispose()
