"""The outbox: every message is a row before it is sent; the dispatcher sends due rows.

A row's ``dedupe_key`` (``kind:period:channel:recipient[:part]``) is unique, so enqueueing
a round twice — a restart, a second instance, a manual ``superbot send`` — adds nothing,
and a crash after enqueueing leaves pending rows that the next dispatch sends.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from superbot.domain.pacing import Limit, Pacer
from superbot.service.ports import Channel, ChannelError, Message, Pace, Rate, Receipt

log = logging.getLogger("superbot.dispatch")


class Status(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    HELD = "held"  # our configuration of its channel is wrong: sent once it is fixed


UNREACHABLE = "none"  # the channel of a row for a person no configured channel reaches

CHANNEL_KEYS = {
    "telegram": "tg",
    "email": "email",
    "wecom": "wecom",
    "dingtalk": "dingtalk",
    "feishu": "feishu",
    "file": "file",
}


def dedupe_key(kind: str, period: str, channel: str, recipient: str, part: str = "") -> str:
    key = f"{kind}:{period}:{CHANNEL_KEYS.get(channel, channel)}:{recipient}"
    return f"{key}:{part}" if part else key


@dataclass(frozen=True)
class NewItem:
    dedupe_key: str
    kind: str
    period: str
    channel: str
    recipient: str
    message: Message
    person_id: str | None = None
    task_id: str | None = None
    seq: int = 0
    failed_reason: str | None = None  # enqueued as failed: no way to reach the person


@dataclass(frozen=True)
class Item:
    id: int
    dedupe_key: str
    kind: str
    period: str
    channel: str
    recipient: str
    message: Message
    attempts: int
    person_id: str | None = None
    task_id: str | None = None
    owner: str = ""  # the dispatcher holding the claim: only it may mark the row


@dataclass(frozen=True)
class Failure:
    kind: str
    period: str
    channel: str
    recipient: str
    person_id: str | None
    error: str
    at: datetime | None


@dataclass(frozen=True)
class RoundState:
    """How a round's rows stand, by status."""

    counts: Mapping[str, int]
    failures: tuple[Failure, ...] = ()

    def count(self, status: Status | str) -> int:
        return self.counts.get(Status(status).value, 0)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


# After a send: the channel's own adapter remembers what maps a later reply to its task.
OnSent = Callable[[Item, Receipt, datetime], None]


class Outbox(Protocol):
    def enqueue(self, items: Sequence[NewItem], now: datetime) -> int:
        """Insert the rows not already there; returns how many were new."""
        ...

    def claim(
        self,
        now: datetime,
        limit: int,
        lease: timedelta,
        owner: str,
        *,
        channel: str | None = None,
        other_than: Collection[str] = (),
        held: bool = False,
        recipient: str | None = None,
    ) -> list[Item]:
        """``held``: rows held for a configuration error are due now too (a dispatcher
        started with a new configuration tries them at once)."""
        ...

    def renew(self, owner: str, ids: Collection[int], now: datetime) -> int: ...

    # A mark returns False, and changes nothing, when the caller no longer holds the row.
    def mark_sent(self, item: Item, receipt: Receipt, now: datetime) -> bool: ...

    def mark_retry(self, item: Item, error: str, at: datetime) -> bool: ...

    def mark_failed(self, item: Item, error: str, now: datetime) -> bool: ...

    def mark_held(self, item: Item, error: str, until: datetime) -> bool: ...

    def requeue_failed(self, kind: str, period: str, now: datetime) -> int:
        """The round's failed rows go out again (``send --retry-failed``, ``/retry``)."""
        ...

    def release(self, items: Sequence[Item]) -> None: ...

    def next_attempt(
        self,
        kind: str | None = None,
        period: str | None = None,
        after: datetime | None = None,
        lease: timedelta | None = None,
    ) -> datetime | None:
        """The earliest retry time of a waiting row (later than ``after`` when given); with
        ``lease``, also when a row held by a silent dispatcher comes free."""
        ...

    def round_state(self, kind: str, period: str) -> RoundState: ...

    def waiting_reason(self, kind: str, period: str) -> str | None:
        """What the next row of the round to be retried last failed with."""
        ...

    def failures_between(self, after: datetime, until: datetime) -> list[Failure]: ...


@dataclass
class DispatchReport:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    held: int = 0
    errors: list[str] = field(default_factory=list)
    # Channels found misconfigured, with what their server said.
    misconfigured: dict[str, str] = field(default_factory=dict)

    def count(self, outcome: Status) -> None:
        if outcome == Status.SENT:
            self.sent += 1
        elif outcome == Status.FAILED:
            self.failed += 1
        elif outcome == Status.HELD:
            self.held += 1
        else:
            self.retrying += 1

    def add(self, other: DispatchReport) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.retrying += other.retrying
        self.held += other.held
        self.errors.extend(other.errors)
        self.misconfigured.update(other.misconfigured)


@dataclass(frozen=True)
class RetryWait:
    """``drain`` waits ``seconds`` for ``rows`` to come due again."""

    seconds: float
    rows: int
    reason: str | None  # the last error of the next one, or None (held by another sender)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … at most an hour between tries."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


# A claim is held for LEASE past its holder's last sign of life; the holder renews it every
# RENEW while it works, so a process that dies mid-round leaves its rows to the next
# dispatcher (a `superbot run` elsewhere, or a re-run of `superbot send`) within LEASE.
LEASE = timedelta(seconds=30)
RENEW = timedelta(seconds=10)
# Pace this far under each channel's documented limits: the remote side counts arrivals,
# and requests under way reach it a little closer together than they left.
MARGIN = 0.95
# Overall windows at least this long (seconds) are paced as windows, shorter ones evenly.
SPREAD_WINDOW = 60.0
UNCLAIMED_BATCH = 100  # rows claimed at once for a channel that has no overall limit
HOLD = timedelta(minutes=10)  # a channel misconfigured is tried again after this


class Dispatcher:
    """Sends due outbox rows through their channels, at each channel's pace.

    Rows to different recipients go out concurrently; each recipient gets one message at a
    time (a claim holds at most one row per recipient), so a recipient's parts keep their
    order and the messages a crash can leave sent-but-unmarked are at most one per
    recipient in flight."""

    def __init__(
        self,
        outbox: Outbox,
        channels: Mapping[str, Channel],
        *,
        clock: Callable[[], datetime],
        sleep: Callable[[float], Awaitable[None]],
        pacer: Pacer | None = None,
        lease: timedelta = LEASE,
        renew: timedelta = RENEW,
        max_attempts: int = 8,
        on_sent: Mapping[str, OnSent] | None = None,
        owner: str | None = None,
        on_misconfigured: Callable[[str, str], object] | None = None,
        redact: Callable[[str], str] = str,
    ) -> None:
        self.outbox = outbox
        self.channels = channels
        self.clock = clock
        self.sleep = sleep
        self.pacer = pacer or Pacer()
        self.lease = lease
        self.renew = renew
        self.max_attempts = max_attempts
        self.on_sent = dict(on_sent or {})
        self.owner = owner or uuid.uuid4().hex
        self._held: dict[int, Item] = {}  # claimed by us and not yet marked
        self._busy: set[tuple[str, str]] = set()  # (channel, recipient) with a send under way
        self._renewed: datetime | None = None
        # Told once per process (channel → what its server said); a channel found
        # misconfigured is not claimed again within one dispatch.
        self.on_misconfigured = on_misconfigured
        # Every error is recorded, logged and told through here: no secret goes past it.
        self.redact = redact
        self._told: set[str] = set()
        self._broken: dict[str, str] = {}
        self._fresh = True  # the first dispatch tries held rows: the configuration may be new
        self._stop: asyncio.Event | None = None

    async def dispatch(self, stop: asyncio.Event | None = None) -> DispatchReport:
        """Send every row that is due now; rows failing transiently wait for their retry.
        Once ``stop`` is set nothing new is claimed and what is under way finishes."""
        report = DispatchReport()
        self._broken = {}
        self._fail_unconfigured(report)
        self._stop = stop
        sending: set[asyncio.Task[list[Status]]] = set()
        beat: asyncio.Task[None] | None = None  # the heartbeat's timer
        beat_from, ticking = self.clock(), True
        try:
            while True:
                if stop is None or not stop.is_set():
                    sending |= {asyncio.create_task(self._send(i, w)) for i, w in self._claim()}
                if not sending:
                    return report
                if beat is None and ticking:  # wake every RENEW, even for one slow send
                    beat = asyncio.create_task(self._pause(self.renew.total_seconds()))
                    beat_from = self.clock()
                done, _ = await asyncio.wait(
                    {*sending, *((beat,) if beat else ())},
                    timeout=self.renew.total_seconds(),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if beat is not None and beat in done:
                    # A sleep that does not move the clock (a test's) would only spin.
                    beat, ticking = None, self.clock() > beat_from
                for task in done & sending:
                    sending.discard(task)
                    for outcome in task.result():
                        report.count(outcome)
                self._heartbeat()
                self._fresh = False
                report.misconfigured.update(self._broken)
        finally:
            for task in (*sending, *((beat,) if beat else ())):
                task.cancel()  # cancelled sends: their rows go back when the lease runs out

    async def drain(
        self,
        kind: str,
        period: str,
        max_wait: timedelta,
        on_wait: Callable[[RetryWait], object] | None = None,
    ) -> DispatchReport:
        """Dispatch until the round has nothing left that is due within ``max_wait``; rows
        held by a process that died come up when their lease runs out. ``on_wait`` hears of
        each wait, with what the waiting rows last failed with."""
        report = DispatchReport()
        deadline = self.clock() + max_wait
        while True:
            report.add(await self.dispatch())
            upcoming = self.outbox.next_attempt(kind, period, after=self.clock(), lease=self.lease)
            if upcoming is None or upcoming > deadline:
                return report
            seconds = (upcoming - self.clock()).total_seconds()
            if on_wait is not None:
                state = self.outbox.round_state(kind, period)
                waiting = state.count(Status.PENDING) + state.count(Status.SENDING)
                reason = self.outbox.waiting_reason(kind, period)
                on_wait(RetryWait(seconds, waiting, self.redact(reason) if reason else None))
            await self.sleep(seconds)

    def _claim(self) -> list[tuple[Item, float]]:
        """Claim, channel by channel, what the pacer lets go out before the lease is half
        over, and book each row's send time."""
        now = self.clock()
        horizon = self.renew.total_seconds()
        claimed: list[tuple[Item, float]] = []
        for name, channel in self.channels.items():
            if name in self._broken:
                continue
            overall = self._overall(channel)
            busy = any(c == name for c, _ in self._busy)
            if overall is None:
                room = UNCLAIMED_BATCH if not busy else 0
            else:
                room = self.pacer.room(overall, now.timestamp(), horizon)
                # Claim in batches, not a row per finished send: each claim is a query.
                if busy and room < max(1, overall.count * horizon / overall.per_seconds / 2):
                    room = 0
            if room <= 0:
                continue
            items = self.outbox.claim(
                now, room, self.lease, self.owner, channel=name, held=self._fresh
            )
            later = []
            for item in items:
                if (item.channel, item.recipient) in self._busy:
                    later.append(item)  # another round's message to someone we send to now
                    continue
                self._held[item.id] = item
                self._busy.add((item.channel, item.recipient))
                limits = self._limits(channel, item.recipient)
                claimed.append((item, self.pacer.reserve(limits, now.timestamp())))
            if later:
                self.outbox.release(later)
        if claimed and self._renewed is None:
            self._renewed = now
        return claimed

    def _fail_unconfigured(self, report: DispatchReport) -> None:
        now = self.clock()
        while items := self.outbox.claim(
            now, UNCLAIMED_BATCH, self.lease, self.owner, other_than=list(self.channels)
        ):
            for item in items:
                self.outbox.mark_failed(item, f"delivery.unconfigured:{item.channel}", now)
                report.failed += 1

    def _heartbeat(self) -> None:
        now = self.clock()
        if not self._held:
            self._renewed = None
            return
        if self._renewed is None or now - self._renewed >= self.renew:
            self.outbox.renew(self.owner, list(self._held), now)
            self._renewed = now

    async def _pause(self, seconds: float) -> None:
        await self.sleep(seconds)

    async def _send(self, item: Item, wait: float) -> list[Status]:
        """Send to one recipient: ``item``, then each next part of the round as it comes
        due, one at a time (claimed as the one before is marked)."""
        outcomes: list[Status] = []
        channel = self.channels[item.channel]
        current: Item | None = item
        try:
            while current is not None:
                if wait > 0:
                    await self.sleep(wait)
                outcome = await self._deliver(current)
                outcomes.append(outcome)
                self._held.pop(current.id, None)
                current = None
                stopping = self._stop is not None and self._stop.is_set()
                if outcome in (Status.SENT, Status.FAILED) and not stopping:
                    now = self.clock()
                    found = self.outbox.claim(
                        now,
                        1,
                        self.lease,
                        self.owner,
                        channel=item.channel,
                        recipient=item.recipient,
                    )
                    if found:
                        current = found[0]
                        self._held[current.id] = current
                        limits = self._limits(channel, current.recipient)
                        wait = self.pacer.reserve(limits, now.timestamp())
        finally:
            if current is not None:
                self._held.pop(current.id, None)
            self._busy.discard((item.channel, item.recipient))
        return outcomes

    async def _deliver(self, item: Item) -> Status:
        channel = self.channels[item.channel]
        limits = self._limits(channel, item.recipient)
        try:
            receipt = await channel.send(item.message, item.recipient)
        except ChannelError as error:
            return self._failed(item, error, limits)
        finally:
            # A recipient's messages go one at a time: its limit counts from each answer.
            for limit in _answering(limits):
                self.pacer.settle(limit.key, self.clock().timestamp())
        if not self.outbox.mark_sent(item, receipt, self.clock()):
            log.warning("sent %s after its claim had passed to another dispatcher", item.dedupe_key)
        hook = self.on_sent.get(item.channel)
        if hook is not None:
            try:
                hook(item, receipt, self.clock())
            except Exception:  # sent is sent: a reply to it then needs the task named
                log.exception("after sending %s", item.dedupe_key)
        log.info("sent %s", item.dedupe_key)
        return Status.SENT

    def _failed(self, item: Item, error: ChannelError, limits: Sequence[Limit]) -> Status:
        now = self.clock()
        said = self.redact(str(error))
        if error.configuration:
            self.outbox.mark_held(item, said, now + HOLD)
            self._broken.setdefault(item.channel, said)
            if item.channel not in self._told:
                self._told.add(item.channel)
                log.error(
                    "channel %s is misconfigured, its messages are held: %s", item.channel, said
                )
                if self.on_misconfigured is not None:
                    try:
                        self.on_misconfigured(item.channel, said)
                    except Exception:  # the log line above still says it
                        log.exception("telling the coordinators about %s", item.channel)
            return Status.HELD
        if error.permanent or item.attempts >= self.max_attempts:
            reason = said if error.permanent else f"gave up after {item.attempts} attempts: {said}"
            self.outbox.mark_failed(item, reason, now)
            log.warning("failed %s: %s", item.dedupe_key, reason)
            return Status.FAILED
        if error.retry_after is not None:
            # The remote side said when: exactly then, not later because of our backoff.
            delay = timedelta(seconds=error.retry_after)
            for limit in _answering(limits):
                self.pacer.block(limit.key, now.timestamp() + error.retry_after)
        else:
            delay = backoff(item.attempts)
        self.outbox.mark_retry(item, said, now + delay)
        log.info("retrying %s in %ss: %s", item.dedupe_key, delay.total_seconds(), said)
        return Status.PENDING

    @staticmethod
    def _overall(channel: Channel) -> Limit | None:
        pace: Pace | None = getattr(channel, "pace", None)
        if pace is None or pace.overall is None:
            return None
        return _evenly(f"{channel.name}:*", pace.overall)

    @staticmethod
    def _limits(channel: Channel, recipient: str) -> list[Limit]:
        pace: Pace | None = getattr(channel, "pace", None)
        limits: list[Limit] = []
        if pace is None:
            return limits
        if pace.overall is not None:
            # Sends under way reach the remote side a little closer together than they left.
            limits.append(_evenly(f"{channel.name}:*", pace.overall))
        # A recipient's (and a group's) sends go one at a time and their limits count from
        # each answer (``Pacer.settle``): no margin needed.
        if pace.per_recipient is not None:
            limits.append(_limit(f"{channel.name}:{recipient}", pace.per_recipient))
        if pace.per_group is not None and pace.group is not None and pace.group(recipient):
            limits.append(_limit(f"{channel.name}:{recipient}:group", pace.per_group))
        return limits


def _limit(key: str, rate: Rate) -> Limit:
    return Limit(key, rate.count, rate.per_seconds)


def _evenly(key: str, rate: Rate) -> Limit:
    """A channel's overall rate, under the margin. A window of seconds (Telegram's 30/s) as
    evenly spaced sends: a burst of the whole window's count would reach the remote side
    spread out, and run into the next. A window of a minute or more (a mail relay's 30/min)
    lets its count go at once and waits the rest of the window: a 通报 to thirty people is
    not held back for a minute, and the few seconds a burst takes to arrive are far inside
    the margin."""
    if rate.per_seconds >= SPREAD_WINDOW:
        return Limit(key, rate.count, rate.per_seconds / MARGIN)
    return Limit(key, 1, rate.per_seconds / rate.count / MARGIN)


def _answering(limits: Sequence[Limit]) -> Sequence[Limit]:
    """The limits a "retry after" is about: the recipient's, where the channel has them (a
    chat flooded is that chat's business), else the channel's."""
    own = [limit for limit in limits if not limit.key.endswith(":*")]
    return own or limits


class DispatchLoop:
    """One dispatcher per process (`superbot run`): whatever enqueues — the schedules, the
    watch of tasks.yaml, the bot, the chat apps, mail — wakes it instead of dispatching
    itself, so that one process never works on the same rows twice."""

    def __init__(self, dispatcher: Dispatcher, idle: timedelta = timedelta(seconds=30)) -> None:
        self.dispatcher = dispatcher
        self.idle = idle  # rows enqueued by another process are seen within this
        self._wake = asyncio.Event()

    async def dispatch(self) -> None:
        """Ask for a dispatch; returns at once."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        clock, outbox = self.dispatcher.clock, self.dispatcher.outbox
        while not stop.is_set():
            self._wake.clear()
            try:
                await self.dispatcher.dispatch(stop)
                upcoming = outbox.next_attempt(after=clock(), lease=self.dispatcher.lease)
            except Exception:  # the database may be away: try again after a pause
                log.exception("dispatch failed")
                upcoming = None
            wait = self.idle.total_seconds()
            if upcoming is not None:
                wait = min(wait, max((upcoming - clock()).total_seconds(), 0.0))
            woken = asyncio.create_task(self._wake.wait())
            stopped = asyncio.create_task(stop.wait())
            try:
                await asyncio.wait({woken, stopped}, timeout=wait, return_when="FIRST_COMPLETED")
            finally:
                woken.cancel()
                stopped.cancel()
