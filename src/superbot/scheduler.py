"""superbot run: schedules, the outbox dispatcher and the tasks.yaml watch in one asyncio loop.

The scheduler only ticks. Each tick asks the service which rounds are due since the last
tick (kept in the database, so a bot that was down sends what it missed, once), enqueues
them and dispatches the outbox.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from superbot.domain.crontab import Crontab, Schedule
from superbot.domain.model import ScheduleKind
from superbot.domain.text import Text
from superbot.plan.load import Severity, read_plan_file
from superbot.service.delivery import Delivery, due_rounds
from superbot.service.outbox import Dispatcher
from superbot.service.ports import PlanNotice
from superbot.service.status import PlanClock
from superbot.service.store import Store
from superbot.service.sync import SyncResult, sync
from superbot.store.db import LeaderLock

log = logging.getLogger("superbot.scheduler")

TICK_SECONDS = 30
WATCH_SECONDS = 2
SHUTDOWN_GRACE_SECONDS = 20


class PlanTrigger(BaseTrigger):  # type: ignore[misc]
    """Fires when a plan schedule fires: crontab in the plan's zone, shifted to a workday."""

    def __init__(self, schedule: Schedule) -> None:
        self.schedule = schedule

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        after = max(previous_fire_time, now) if previous_fire_time else now
        return next((fire.at for fire in self.schedule.fires_after(after)), None)

    def __str__(self) -> str:
        return f"plan[{self.schedule.crontab.expression}]"


@dataclass
class PlanFile:
    """What the watch last saw of tasks.yaml."""

    path: Path
    fingerprint: tuple[int, int] | None = None
    sha256: str | None = None

    def changed(self) -> bool:
        try:
            stat = self.path.stat()
        except OSError:
            return False
        fingerprint = (stat.st_mtime_ns, stat.st_size)
        if fingerprint == self.fingerprint:
            return False
        self.fingerprint = fingerprint
        digest = hashlib.sha256(self.path.read_bytes()).hexdigest()
        if digest == self.sha256:
            return False
        self.sha256 = digest
        return True


class Runner:
    def __init__(
        self,
        *,
        store: Store,
        delivery: Delivery,
        dispatcher: Dispatcher,
        plan_file: PlanFile,
        say: Callable[[Text], str],
        clock: Callable[[], datetime],
        leader: LeaderLock | None = None,
        on_plan_applied: Callable[[], Any] | None = None,
    ) -> None:
        self.store = store
        self.delivery = delivery
        self.dispatcher = dispatcher
        self.plan_file = plan_file
        self.say = say
        self.clock = clock
        self.leader = leader
        self.on_plan_applied = on_plan_applied
        self.scheduler: AsyncIOScheduler | None = None
        self._running: set[asyncio.Event] = set()

    # -- the work of one tick, callable with any `now` ------------------------------------

    async def tick(self, now: datetime | None = None) -> None:
        now = now or self.clock()
        if self.leader is None or self.leader.acquire():
            self.enqueue_due(now)
        await self.dispatcher.dispatch()

    def enqueue_due(self, now: datetime) -> list[str]:
        plan = self.store.active_plan()
        if plan is None:
            return []
        watermarks = {kind: self.store.watermark(kind.value) for kind in ScheduleKind}
        enqueued = []
        for kind, round_ in due_rounds(plan, watermarks, now):
            if round_ is not None:
                result = self.delivery.enqueue(round_, now)
                log.info("%s %s: %d new messages", kind, round_.period.key, result.added)
                enqueued.append(f"{kind}:{round_.period.key}")
            self.store.set_watermark(kind.value, now)
        return enqueued

    def reload_plan(self, now: datetime | None = None, *, force: bool = False) -> SyncResult | None:
        """Apply tasks.yaml if it changed and is valid; if broken, keep the running plan and
        tell the coordinators what is wrong (once per version of the file)."""
        if not self.plan_file.changed() and not force:
            return None
        now = now or self.clock()
        result = read_plan_file(self.plan_file.path)
        lines = tuple(
            f"{result.path}:{p.line}:{p.col}: {self.say(p.text)}"
            for p in result.problems
            if p.severity is Severity.ERROR
        )
        key = f"{result.sha256[:16]}"
        if result.plan is None:
            log.error("tasks.yaml not applied:\n%s", "\n".join(lines))
            if self.store.active_plan() is not None:
                self.delivery.notify_coordinators(
                    PlanNotice(result.path, lines, applied=False), key, now
                )
            return None
        outcome = sync(
            self.store,
            result.plan,
            now=now,
            source=result.path,
            sha256=result.sha256,
            dry_run=False,
        )
        if outcome.applied:
            log.info("tasks.yaml applied: %s", outcome)
            if self.on_plan_applied is not None:
                self.on_plan_applied()
        return outcome

    # -- running for real ------------------------------------------------------------------

    def start_scheduler(self) -> AsyncIOScheduler:
        scheduler = AsyncIOScheduler()
        scheduler.add_job(
            self._tick_job,
            IntervalTrigger(seconds=TICK_SECONDS),
            id="tick",
            coalesce=True,
            max_instances=1,
        )
        scheduler.add_job(
            self._watch_job,
            IntervalTrigger(seconds=WATCH_SECONDS),
            id="watch",
            coalesce=True,
            max_instances=1,
        )
        self.scheduler = scheduler
        self.reschedule()
        scheduler.start()
        return scheduler

    def reschedule(self) -> None:
        """(Re)create one job per plan schedule, so a changed crontab takes effect at once."""
        if self.scheduler is None:
            return
        plan = self.store.active_plan()
        if plan is None:
            return
        clock = PlanClock.of(plan.settings)
        for kind in ScheduleKind:
            trigger = PlanTrigger(
                Schedule(Crontab.parse(plan.settings.schedules[kind]), clock.zone, clock.calendar)
            )
            self.scheduler.add_job(
                self._tick_job,
                trigger,
                id=f"schedule:{kind.value}",
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=None,
            )

    async def _tick_job(self) -> None:
        async with self._job():
            try:
                await self.tick()
            except Exception:  # a tick must never kill the loop; the next one tries again
                log.exception("tick failed")

    async def _watch_job(self) -> None:
        async with self._job():
            try:
                if self.reload_plan() is not None:
                    self.reschedule()
                    await self.tick()
                else:
                    # A broken tasks.yaml's notice (or a retry coming due) goes out now, not
                    # at the next tick.
                    await self.dispatcher.dispatch()
            except Exception:
                log.exception("reloading tasks.yaml failed")

    @asynccontextmanager
    async def _job(self) -> AsyncIterator[None]:
        """Jobs finish what they started on shutdown instead of being cancelled mid-send."""
        done = asyncio.Event()
        self._running.add(done)
        try:
            yield
        finally:
            done.set()
            self._running.discard(done)

    async def run(self, stop: asyncio.Event) -> None:
        """Tick at once (catching up on what was missed), then on schedule until ``stop``."""
        await self.tick()
        scheduler = self.start_scheduler()
        try:
            await stop.wait()
        finally:
            scheduler.pause()
            running = [asyncio.create_task(e.wait()) for e in self._running]
            if running:
                await asyncio.wait(running, timeout=SHUTDOWN_GRACE_SECONDS)
                for waiting in running:
                    waiting.cancel()
            scheduler.shutdown(wait=False)
            if self.leader is not None:
                self.leader.release()
