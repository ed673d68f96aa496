"""The outbox: every message is a row before it is sent; the dispatcher sends due rows.

A row's ``dedupe_key`` (``kind:period:channel:recipient[:part]``) is unique, so enqueueing
a round twice — a restart, a second instance, a manual ``superbot send`` — adds nothing,
and a crash after enqueueing leaves pending rows that the next dispatch sends.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from superbot.domain.pacing import Limit, Pacer
from superbot.service.ports import Channel, ChannelError, Message, Receipt

log = logging.getLogger("superbot.dispatch")


class Status(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


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

    def claim(self, now: datetime, limit: int, lease: timedelta) -> list[Item]: ...

    def mark_sent(self, item: Item, receipt: Receipt, now: datetime) -> None: ...

    def mark_retry(self, item: Item, error: str, at: datetime) -> None: ...

    def mark_failed(self, item: Item, error: str, now: datetime) -> None: ...

    def release(self, items: Sequence[Item]) -> None: ...

    def next_attempt(
        self, kind: str | None = None, period: str | None = None, after: datetime | None = None
    ) -> datetime | None:
        """The earliest retry time of a waiting row (later than ``after`` when given)."""
        ...

    def round_state(self, kind: str, period: str) -> RoundState: ...

    def failures_between(self, after: datetime, until: datetime) -> list[Failure]: ...


@dataclass
class DispatchReport:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: DispatchReport) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.retrying += other.retrying
        self.errors.extend(other.errors)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … at most an hour between tries."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


class Dispatcher:
    """Sends due outbox rows through their channels, at each channel's pace."""

    def __init__(
        self,
        outbox: Outbox,
        channels: Mapping[str, Channel],
        *,
        clock: Callable[[], datetime],
        sleep: Callable[[float], Awaitable[None]],
        pacer: Pacer | None = None,
        lease: timedelta = timedelta(minutes=10),
        max_attempts: int = 8,
        batch: int = 100,
        on_sent: Mapping[str, OnSent] | None = None,
    ) -> None:
        self.outbox = outbox
        self.channels = channels
        self.clock = clock
        self.sleep = sleep
        self.pacer = pacer or Pacer()
        self.lease = lease
        self.max_attempts = max_attempts
        self.batch = batch
        self.on_sent = dict(on_sent or {})

    async def dispatch(self) -> DispatchReport:
        """Send every row that is due now; rows failing transiently wait for their retry."""
        report = DispatchReport()
        while True:
            items = self.outbox.claim(self.clock(), self.batch, self.lease)
            if not items:
                return report
            report.add(await self._send_batch(items))

    async def drain(self, kind: str, period: str, max_wait: timedelta) -> DispatchReport:
        """Dispatch until the round has nothing left that is due within ``max_wait``."""
        report = DispatchReport()
        deadline = self.clock() + max_wait
        while True:
            report.add(await self.dispatch())
            upcoming = self.outbox.next_attempt(kind, period, after=self.clock())
            if upcoming is None or upcoming > deadline:
                return report
            await self.sleep((upcoming - self.clock()).total_seconds())

    async def _send_batch(self, items: Sequence[Item]) -> DispatchReport:
        report = DispatchReport()
        held: set[tuple[str, str]] = set()  # recipients with an earlier part still waiting
        for item in items:
            recipient = (item.channel, item.recipient)
            if recipient in held:
                self.outbox.release([item])
                continue
            outcome = await self._send(item)
            if outcome == Status.SENT:
                report.sent += 1
            elif outcome == Status.FAILED:
                report.failed += 1
            else:
                report.retrying += 1
                held.add(recipient)
        return report

    async def _send(self, item: Item) -> Status:
        channel = self.channels.get(item.channel)
        if channel is None:
            self.outbox.mark_failed(item, f"channel {item.channel} is not configured", self.clock())
            return Status.FAILED
        limits = self._limits(channel, item.recipient)
        wait = self.pacer.reserve(limits, self.clock().timestamp())
        if wait > 0:
            await self.sleep(wait)
        try:
            receipt = await channel.send(item.message, item.recipient)
        except ChannelError as error:
            return self._failed(item, error, limits)
        self.outbox.mark_sent(item, receipt, self.clock())
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
        if error.permanent or item.attempts >= self.max_attempts:
            reason = (
                str(error)
                if error.permanent
                else f"gave up after {item.attempts} attempts: {error}"
            )
            self.outbox.mark_failed(item, reason, now)
            log.warning("failed %s: %s", item.dedupe_key, reason)
            return Status.FAILED
        delay = backoff(item.attempts)
        if error.retry_after is not None:
            delay = max(delay, timedelta(seconds=error.retry_after))
            for limit in limits:
                self.pacer.block(limit.key, now.timestamp() + error.retry_after)
        self.outbox.mark_retry(item, str(error), now + delay)
        log.info("retrying %s in %ss: %s", item.dedupe_key, delay.total_seconds(), error)
        return Status.PENDING

    @staticmethod
    def _limits(channel: Channel, recipient: str) -> list[Limit]:
        pace = getattr(channel, "pace", None)
        limits: list[Limit] = []
        if pace is None:
            return limits
        if pace.overall is not None:
            limits.append(Limit(f"{channel.name}:*", pace.overall.count, pace.overall.per_seconds))
        if pace.per_recipient is not None:
            limits.append(
                Limit(
                    f"{channel.name}:{recipient}",
                    pace.per_recipient.count,
                    pace.per_recipient.per_seconds,
                )
            )
        if pace.per_group is not None and pace.group is not None and pace.group(recipient):
            limits.append(
                Limit(
                    f"{channel.name}:{recipient}:group",
                    pace.per_group.count,
                    pace.per_group.per_seconds,
                )
            )
        return limits
