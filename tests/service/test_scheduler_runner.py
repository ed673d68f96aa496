"""The scheduler: rounds on time, missed rounds once after a restart, tasks.yaml while running."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from tests.fakes.channel import RecordingChannel
from tests.fakes.clock import FakeClock

from superbot.cli.runtime import Runtime
from superbot.config import Config
from superbot.domain.crontab import Crontab, Schedule
from superbot.domain.model import ScheduleKind
from superbot.scheduler import PlanFile, PlanTrigger, Runner
from superbot.service.delivery import due_rounds
from superbot.service.outbox import Dispatcher, Status
from superbot.service.status import PlanClock
from superbot.store.db import LeaderLock

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).astimezone(UTC)


class Bot:
    """One `superbot run` process: a runtime, a runner and a file channel that records."""

    def __init__(self, database_url: str, tasks: Path, clock: FakeClock) -> None:
        self.runtime = Runtime(Config(database_url=database_url, tasks_path=tasks, environ={}))
        self.channel = RecordingChannel(name="file")
        dispatcher = Dispatcher(
            self.runtime.outbox, {"file": self.channel}, clock=clock, sleep=clock.sleep
        )
        self.runner = Runner(
            store=self.runtime.store,
            delivery=self.runtime.delivery,
            dispatcher=dispatcher,
            plan_file=PlanFile(tasks),
            say=self.runtime.say,
            clock=clock,
            leader=LeaderLock(self.runtime.store.engine),
        )

    def subjects(self) -> list[str]:
        return [s.message.subject for s in self.channel.sent]

    def stop(self) -> None:
        if self.runner.leader is not None:
            self.runner.leader.release()
        self.runtime.store.engine.dispose()


@pytest.fixture
def bots(database_url: str, tasks_file: Path) -> Iterator[list[Bot]]:
    made: list[Bot] = []
    yield made
    for bot in made:
        bot.stop()


def start(bots: list[Bot], database_url: str, tasks: Path, clock: FakeClock) -> Bot:
    bot = Bot(database_url, tasks, clock)
    bots.append(bot)
    bot.runner.reload_plan()
    return bot


async def test_a_first_start_sends_nothing_from_before_it_existed(
    bots: list[Bot], database_url: str, tasks_file: Path
) -> None:
    clock = FakeClock(at("2022-07-03 10:00"))
    bot = start(bots, database_url, tasks_file, clock)

    await bot.runner.tick()

    assert bot.channel.sent == []


async def test_a_bot_down_on_the_first_sends_the_bulletin_when_it_starts_on_the_third_once(
    bots: list[Bot], database_url: str, tasks_file: Path
) -> None:
    clock = FakeClock(at("2022-06-28 10:00"))
    first = start(bots, database_url, tasks_file, clock)
    await first.runner.tick()  # running on the 28th ...
    first.stop()  # ... then down over the 1st

    clock.now = at("2022-07-03 10:00")
    second = start(bots, database_url, tasks_file, clock)
    await second.runner.tick()
    await second.runner.tick()
    third = start(bots, database_url, tasks_file, clock)  # and a restart changes nothing
    await third.runner.tick()

    bulletins = [s for s in second.subjects() if "督查通报" in s]
    assert len(bulletins) == len({s.recipient for s in second.channel.sent})
    assert all("2022年6月" in s for s in bulletins)
    assert third.channel.sent == []
    assert second.runtime.outbox.round_state("bulletin", "2022-06").count(Status.SENT) == len(
        bulletins
    )


async def test_rounds_fire_on_schedule_and_only_once(
    bots: list[Bot], database_url: str, tasks_file: Path
) -> None:
    clock = FakeClock(at("2022-06-19 12:00"))
    bot = start(bots, database_url, tasks_file, clock)
    await bot.runner.tick()

    clock.now = at("2022-06-20 08:29")  # Monday: the digest at 08:30, reminders at 09:00
    await bot.runner.tick()
    assert bot.channel.sent == []

    clock.now = at("2022-06-20 08:45")
    await bot.runner.tick()
    assert bot.subjects()
    assert all("周报" in s for s in bot.subjects())
    digests = len(bot.channel.sent)

    clock.now = at("2022-06-20 09:00")
    await bot.runner.tick()
    reminders = bot.subjects()[digests:]
    assert reminders
    assert all("提醒" in s for s in reminders)

    clock.now = at("2022-06-20 09:30")
    await bot.runner.tick()
    assert len(bot.channel.sent) == digests + len(reminders)


async def test_a_holiday_fire_day_moves_to_the_next_workday(
    bots: list[Bot], database_url: str, tasks_file: Path
) -> None:
    clock = FakeClock(at("2022-09-30 18:00"))
    bot = start(bots, database_url, tasks_file, clock)
    await bot.runner.tick()

    clock.now = at("2022-10-01 09:00")  # National Day: the 通报 waits ...
    await bot.runner.tick()
    assert not any("督查通报" in s for s in bot.subjects())

    clock.now = at("2022-10-08 09:00")  # ... for Saturday the 8th, a 调休 workday
    await bot.runner.tick()
    assert any("督查通报" in s and "2022年9月" in s for s in bot.subjects())


def test_the_trigger_gives_apscheduler_the_shifted_fire_time(tasks_file: Path) -> None:
    from superbot.domain.calendar import CalendarSpec, WorkdayCalendar

    schedule = Schedule(Crontab.parse("0 9 1 * *"), SHANGHAI, WorkdayCalendar(CalendarSpec()))
    trigger = PlanTrigger(schedule)

    assert trigger.get_next_fire_time(None, at("2022-09-15 00:00")) == at("2022-10-08 09:00")
    assert trigger.get_next_fire_time(at("2022-10-08 09:00"), at("2022-10-08 09:00")) == at(
        "2022-11-01 09:00"
    )


def test_without_a_watermark_nothing_is_due(sqlite_url: str, tasks_file: Path) -> None:
    runtime = Runtime(Config(database_url=sqlite_url, tasks_path=tasks_file, environ={}))
    from superbot.plan.load import read_plan_file
    from superbot.service.sync import sync

    plan = read_plan_file(tasks_file).plan
    assert plan is not None
    sync(runtime.store, plan, now=at("2022-06-01 00:00"), source="t", sha256="x", dry_run=False)
    active = runtime.store.active_plan()
    assert active is not None
    now = at("2022-07-03 10:00")

    nothing = due_rounds(active, {}, now)
    due = due_rounds(active, {kind: now - timedelta(days=3) for kind in ScheduleKind}, now)

    assert [r for _, r in nothing] == [None, None, None]
    assert {(k.value, r.period.key) for k, r in due if r} == {("bulletin", "2022-06")}
    assert PlanClock.of(active.settings).zone == SHANGHAI
    runtime.store.engine.dispose()


async def test_a_valid_change_to_tasks_yaml_is_applied_while_running(
    bots: list[Bot], database_url: str, tasks_file: Path
) -> None:
    clock = FakeClock(at("2022-06-19 12:00"))
    bot = start(bots, database_url, tasks_file, clock)
    text = tasks_file.read_text(encoding="utf-8")
    tasks_file.write_text(
        text.replace("title: 高新技术产业投资攻坚", "title: 高新技术产业投资攻坚战"),
        encoding="utf-8",
    )

    outcome = bot.runner.reload_plan()

    assert outcome is not None
    assert outcome.applied
    plan = bot.runtime.store.active_plan()
    assert plan is not None
    assert plan.task("zcq8-1") is not None
    assert plan.task("zcq8-1").title == "高新技术产业投资攻坚战"  # type: ignore[union-attr]
    assert bot.runner.reload_plan() is None  # unchanged file: nothing to do


async def test_a_broken_tasks_yaml_keeps_the_running_plan_and_tells_the_coordinators_once(
    bots: list[Bot], database_url: str, tasks_file: Path
) -> None:
    clock = FakeClock(at("2022-06-19 12:00"))
    bot = start(bots, database_url, tasks_file, clock)
    before = bot.runtime.store.active_plan()
    text = tasks_file.read_text(encoding="utf-8")
    tasks_file.write_text(text.replace("due: 2022-12-31", "due: 2022-12-32", 1), encoding="utf-8")

    assert bot.runner.reload_plan() is None
    await bot.runner.tick()
    tasks_file.write_text(tasks_file.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    bot.runner.reload_plan()  # touched, still broken the same way: a new version, a new notice
    await bot.runner.tick()
    bot.runner.reload_plan()  # not touched: nothing
    await bot.runner.tick()

    assert bot.runtime.store.active_plan() == before
    notices = [s for s in bot.channel.sent if s.message.subject and "任务清单" in s.message.subject]
    coordinators = set(before.coordinators) if before else set()
    assert {s.recipient for s in notices} == coordinators
    assert len(notices) == 2 * len(coordinators)
    assert all("2022-12-32" in s.message.body for s in notices)
    line = next(ln for ln in notices[0].message.body.splitlines() if "tasks.yaml:" in ln)
    assert ":" in line.split("tasks.yaml:")[1]
