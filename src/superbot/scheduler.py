"""superbot run: schedules, the outbox dispatcher and the tasks.yaml watch in one asyncio loop.

The scheduler only ticks. Each tick asks the service which rounds are due since the last
tick (kept in the database, so a bot that was down sends what it missed, once), enqueues
them and dispatches the outbox.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from superbot.domain.crontab import Crontab, Schedule
from superbot.domain.model import Plan, ScheduleKind
from superbot.domain.text import Text
from superbot.plan.load import LoadResult, Problem, read_plan_file
from superbot.service.delivery import Delivery, due_rounds
from superbot.service.outbox import Dispatcher, DispatchLoop
from superbot.service.ports import PlanNotice
from superbot.service.status import PlanClock
from superbot.service.store import ActivePlan, Store
from superbot.service.sync import Action, Change, Kind, SyncResult, sync
from superbot.store.db import LeaderLock

log = logging.getLogger("superbot.scheduler")

TICK_SECONDS = 30
WATCH_SECONDS = 2
LEAD_SECONDS = 2  # how often an instance that does not run the schedules asks to
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


class Look(Enum):
    """What the watch sees of tasks.yaml at one look."""

    UNCHANGED = "unchanged"
    SETTLING = "settling"  # changed since the last look: read it once it holds still
    SETTLED = "settled"  # changed, and the same at two looks in a row: read it now
    MISSING = "missing"  # gone (deleted, renamed) since the last look


@dataclass
class PlanFile:
    """What the watch last saw of tasks.yaml.

    An editor saving a file, or a copy arriving over the network, leaves it half-written for
    a moment: the watch reads a new version only when its size and time stay the same for
    one whole watch interval, so that a half-saved file is never applied (or reported)."""

    path: Path
    # (mtime, ctime, size, inode) of the version last read: a save that keeps the size within
    # one tick of a coarse clock still changes the ctime, a save by rename the inode.
    fingerprint: tuple[int, int, int, int] | None = None
    sha256: str | None = None  # of the version last read ("" when it could not be read)
    settling: tuple[int, int, int, int] | None = None
    missing: bool = False

    def look(self) -> Look:
        try:
            stat = self.path.stat()
        except OSError:
            if self.missing:
                return Look.UNCHANGED
            self.missing, self.fingerprint, self.settling = True, None, None
            return Look.MISSING
        self.missing = False
        fingerprint = (stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size, stat.st_ino)
        if fingerprint == self.fingerprint:
            return Look.UNCHANGED
        if fingerprint != self.settling:
            self.settling = fingerprint
            return Look.SETTLING
        self.fingerprint, self.settling = fingerprint, None
        return Look.SETTLED


# A change that would archive more than this many tasks, and more than this share of them,
# waits for a person to confirm it (`superbot sync`, or /reload): a file cut short by a
# failed copy is a valid plan without its last campaigns.
HOLD_ARCHIVING_TASKS = 10
HOLD_ARCHIVING_SHARE = 0.1


class Runner:
    def __init__(
        self,
        *,
        store: Store,
        delivery: Delivery,
        dispatcher: Dispatcher | DispatchLoop,  # `superbot run`: the loop, woken
        plan_file: PlanFile,
        say: Callable[[Text], str],
        clock: Callable[[], datetime],
        leader: LeaderLock | None = None,
    ) -> None:
        self.store = store
        self.delivery = delivery
        self.dispatcher = dispatcher
        self.plan_file = plan_file
        self.say = say
        self.clock = clock
        self.leader = leader
        self.scheduler: AsyncIOScheduler | None = None
        self._running: set[asyncio.Event] = set()
        self._reading = asyncio.Lock()  # the watch and /reload read the file one at a time
        # The version last applied (or found already in the database), and the version the
        # coordinators were last told is broken since: the keys of the notices, so that each
        # change of state is told once, by however many instances watch the same file.
        self._good: str | None = None
        self._broken: str | None = None

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
                following = dict(next_rounds(plan, now)).get(kind)
                log.info(
                    "%s",
                    self.say(
                        Text.of(
                            "log.round",
                            kind=kind.value,
                            period=round_.period,
                            added=result.added,
                            following=following,
                        )
                    ),
                )
                enqueued.append(f"{kind}:{round_.period.key}")
            self.store.set_watermark(kind.value, now)
        # 办结 and 延期 requests from any channel reach the coordinators within a tick.
        self.delivery.announce_requests(now)
        return enqueued

    # -- tasks.yaml --------------------------------------------------------------------------

    def reload_plan(self, now: datetime | None = None, *, force: bool = False) -> SyncResult | None:
        """Apply tasks.yaml if it is a new version and valid; if broken, missing or unreadable,
        keep the running plan and tell the coordinators what is wrong (once per version).

        Blocking (reads, parses, writes the database): the running bot calls it through
        :meth:`watch` and :meth:`reload_now`, in a worker thread."""
        return self.apply(read_plan_file(self.plan_file.path), now, force=force)[1]

    def apply(
        self, loaded: LoadResult, now: datetime | None = None, *, force: bool = False
    ) -> tuple[LoadResult, SyncResult | None]:
        now = now or self.clock()
        if not force and loaded.sha256 == self.plan_file.sha256:
            return loaded, None
        self.plan_file.sha256 = loaded.sha256
        active = self.store.active_plan()
        if self._good is None and active is not None and active.last_sync is not None:
            self._good = active.last_sync.sha256
        if loaded.plan is None:
            lines = tuple(
                f"{loaded.path}:{p.line}:{p.col}: {self.say(p.text)}" for p in loaded.errors
            )
            self._refuse(PlanNotice(loaded.path, lines, applied=False), loaded.sha256, now)
            return loaded, None
        held = () if force or active is None else _archiving_many(loaded.plan, active)
        if held:
            lines = tuple(self._change_line(change) for change in held)
            notice = PlanNotice(loaded.path, lines, applied=False, held=len(held))
            self._refuse(notice, loaded.sha256, now, kind="held")
            return loaded, None
        try:
            outcome = sync(
                self.store,
                loaded.plan,
                now=now,
                source=loaded.path,
                sha256=loaded.sha256,
                dry_run=False,
            )
        except Exception as error:  # the database refused it: the running plan stays
            log.exception("tasks.yaml could not be applied")
            self.plan_file.sha256 = self.plan_file.fingerprint = None  # try again next look
            failure = Text.of("plan.apply_failed", reason=type(error).__name__)
            line = f"{loaded.path}:1:1: {self.say(failure)}"
            self._refuse(PlanNotice(loaded.path, (line,), applied=False), loaded.sha256, now)
            return replace(loaded, problems=(Problem(1, 1, failure),), plan=None), None
        self._applied(loaded, outcome, now, told=active is not None)
        return loaded, outcome

    def _refuse(self, notice: PlanNotice, sha256: str, now: datetime, kind: str = "bad") -> None:
        version = sha256[:12] or "gone"
        log.error("%s", "\n".join((self.say(Text.of("plan.not_applied")), *notice.lines)))
        self._broken = version
        if self.store.active_plan() is not None:
            key = f"{kind}-{version}-{(self._good or 'none')[:12]}"
            self.delivery.notify_coordinators(notice, key, now)

    def _applied(self, loaded: LoadResult, outcome: SyncResult, now: datetime, told: bool) -> None:
        version = loaded.sha256[:12]
        if outcome.applied:
            log.info(
                "%s",
                self.say(
                    Text.of(
                        "plan.applied",
                        path=loaded.path,
                        added=outcome.count(Action.ADDED),
                        changed=outcome.count(Action.CHANGED),
                        archived=outcome.count(Action.ARCHIVED),
                        restored=outcome.count(Action.RESTORED),
                    )
                ),
            )
        recovered = self._broken is not None
        if told and (recovered or not outcome.nothing_to_do):
            lines = tuple(self._change_line(change) for change in outcome.changes)
            notice = PlanNotice(loaded.path, lines, applied=True, recovered=recovered)
            since = self._broken if recovered else (self._good or "none")[:12]
            self.delivery.notify_coordinators(notice, f"ok-{version}-{since}", now)
        self._good, self._broken = loaded.sha256, None

    def _change_line(self, change: Change) -> str:
        return self.say(
            Text.of(
                "plan.change",
                action=change.action.value,
                kind=change.kind.value,
                id=change.id,
                name=change.name,
                reports=change.reports,
            )
        )

    async def watch(self, now: datetime | None = None) -> SyncResult | None:
        """One look of the watch: a settled new version, or a vanished file, is read in a
        worker thread (a 100,000-task plan takes seconds to parse and sync)."""
        if self.plan_file.look() not in (Look.SETTLED, Look.MISSING):
            return None
        async with self._reading:
            return await asyncio.to_thread(self.reload_plan, now)

    async def reload_now(self, now: datetime) -> tuple[LoadResult, SyncResult | None]:
        """A coordinator's /reload: read at once, apply even a large archiving on their word;
        a broken file is answered to them and changes nothing."""
        async with self._reading:
            loaded = await asyncio.to_thread(read_plan_file, self.plan_file.path)
            if loaded.plan is None:
                return loaded, None
            return await asyncio.to_thread(self.apply, loaded, now, force=True)

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
        if self.leader is not None:
            scheduler.add_job(
                self._lead_job,
                IntervalTrigger(seconds=LEAD_SECONDS),
                id="lead",
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

    async def _lead_job(self) -> None:
        """An instance that does not run the schedules asks for them often: when the one that
        does dies, its lock goes with its connection and the schedules move here in seconds."""
        async with self._job():
            try:
                if self.leader is not None and not self.leader.held and self.leader.acquire():
                    log.info("this instance runs the schedules now")
                    await self.tick()
            except Exception:
                log.exception("asking to run the schedules failed")

    async def _watch_job(self) -> None:
        async with self._job():
            try:
                if await self.watch() is not None:
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


def next_rounds(plan: ActivePlan, now: datetime) -> list[tuple[ScheduleKind, datetime]]:
    """When each schedule fires next after ``now``, in the plan's zone (holidays shifted)."""
    clock = PlanClock.of(plan.settings)
    found = []
    for kind in ScheduleKind:
        schedule = Schedule(
            Crontab.parse(plan.settings.schedules[kind]), clock.zone, clock.calendar
        )
        fire = next(iter(schedule.fires_after(now)), None)
        if fire is not None:
            found.append((kind, fire.at.astimezone(clock.zone)))
    return found


def _archiving_many(plan: Plan, active: ActivePlan) -> tuple[Change, ...]:
    """The tasks a change would archive, when they are too many to archive unconfirmed."""
    kept = {task.id for task in plan.tasks}
    gone = [task for task in active.tasks if task.id not in kept]
    if len(gone) <= HOLD_ARCHIVING_TASKS or len(gone) <= HOLD_ARCHIVING_SHARE * len(active.tasks):
        return ()
    return tuple(Change(Kind.TASK, task.id, task.title, Action.ARCHIVED) for task in gone)
