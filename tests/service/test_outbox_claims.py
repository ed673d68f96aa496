"""Exactly once: claims carry their holder's token, leases are short and renewed while the
holder works, and a holder that lost its claim changes nothing."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from tests.fakes.clock import FakeClock

from superbot.channels.email import EmailChannel
from superbot.service.outbox import LEASE, Dispatcher, NewItem, Status, dedupe_key
from superbot.service.ports import ChannelError, Message, Pace, Rate, Receipt
from superbot.store.db import make_engine, migrate
from superbot.store.outbox import SqlOutbox

T0 = datetime(2022, 6, 20, 1, 0, tzinfo=UTC)


@pytest.fixture
def outbox(database_url: str) -> Iterator[SqlOutbox]:
    engine = make_engine(database_url)
    migrate(engine)
    yield SqlOutbox(engine)
    engine.dispose()


def reminder(channel: str, recipient: str) -> NewItem:
    return NewItem(
        dedupe_key("reminder", "2022-06", channel, recipient),
        "reminder",
        "2022-06",
        channel,
        recipient,
        Message(subject="督办提醒", body=f"{recipient} 的提醒"),
    )


@dataclass
class SlowRelay:
    """A mail relay that takes 8 seconds a message and handles one at a time."""

    clock: FakeClock
    name: str = "email"
    pace: Pace = EmailChannel.pace
    seconds: float = 8.0
    budget: int = 200  # duplicates beyond this mean the claims are lost again and again
    sent: list[str] = field(default_factory=list)
    _busy: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def send(self, message: Message, recipient: str) -> Receipt:
        if len(self.sent) >= self.budget:
            raise RuntimeError(f"{len(self.sent)} emails sent: {Counter(self.sent).most_common(3)}")
        async with self._busy:
            await self.clock.sleep(self.seconds)
            self.sent.append(recipient)
        return Receipt(f"<{len(self.sent)}@relay>")

    async def aclose(self) -> None:
        pass


@dataclass
class Chats:
    """Telegram chats that answer one flood with a long ``retry_after``."""

    clock: FakeClock
    name: str = "telegram"
    pace: Pace = field(
        default_factory=lambda: Pace(per_recipient=Rate(1, 1.0), overall=Rate(30, 1.0))
    )
    flooded: set[str] = field(default_factory=set)
    sent: list[tuple[str, float]] = field(default_factory=list)

    async def send(self, message: Message, recipient: str) -> Receipt:
        if recipient in self.flooded:
            self.flooded.discard(recipient)
            raise ChannelError("telegram: Flood control exceeded", permanent=False, retry_after=660)
        self.sent.append((recipient, self.clock().timestamp()))
        return Receipt(str(len(self.sent)))

    async def aclose(self) -> None:
        pass


async def later(clock: FakeClock, seconds: float, work: Dispatcher) -> None:
    await clock.sleep(seconds)
    await work.dispatch()


async def test_a_slow_relay_and_a_second_dispatcher_send_each_email_once(
    outbox: SqlOutbox,
) -> None:
    clock = FakeClock(T0)
    relay = SlowRelay(clock)
    people = [f"p{n}@example.gov.cn" for n in range(115)]
    outbox.enqueue([reminder("email", p) for p in people], T0)
    first = Dispatcher(outbox, {"email": relay}, clock=clock, sleep=clock.sleep)  # type: ignore[dict-item]
    second = Dispatcher(outbox, {"email": relay}, clock=clock, sleep=clock.sleep)  # type: ignore[dict-item]

    # The second starts well after the first's earliest claims would have run out unrenewed.
    await asyncio.gather(first.dispatch(), later(clock, 700, second))

    assert Counter(relay.sent) == Counter(people)  # 115 emails for 115 recipients
    assert outbox.round_state("reminder", "2022-06").count(Status.SENT) == 115


async def test_a_long_retry_after_sends_nothing_twice_and_sent_stays_sent(
    outbox: SqlOutbox,
) -> None:
    clock = FakeClock(T0)
    chats = Chats(clock, flooded={"101"})
    recipients = [str(100 + n) for n in range(12)]
    outbox.enqueue([reminder("telegram", r) for r in recipients], T0)
    first = Dispatcher(outbox, {"telegram": chats}, clock=clock, sleep=clock.sleep)  # type: ignore[dict-item]
    second = Dispatcher(outbox, {"telegram": chats}, clock=clock, sleep=clock.sleep)  # type: ignore[dict-item]

    await asyncio.gather(
        first.drain("reminder", "2022-06", timedelta(minutes=15)),
        later(clock, 605, second),
    )

    assert Counter(r for r, _ in chats.sent) == Counter(recipients)  # 12 sends for 12 messages
    assert outbox.round_state("reminder", "2022-06").count(Status.SENT) == 12
    flooded_at = dict(chats.sent)["101"] - T0.timestamp()
    assert flooded_at == pytest.approx(660, abs=1)  # exactly its retry_after, not a backoff's
    others = [at - T0.timestamp() for r, at in chats.sent if r != "101"]
    assert max(others) < 2  # one flooded chat holds up no other


async def test_a_holder_whose_lease_ran_out_changes_nothing(outbox: SqlOutbox) -> None:
    outbox.enqueue([reminder("telegram", "100")], T0)
    [stale] = outbox.claim(T0, 10, LEASE, "stalled")
    assert outbox.claim(T0 + LEASE - timedelta(seconds=1), 10, LEASE, "other") == []

    [taken] = outbox.claim(T0 + LEASE + timedelta(seconds=1), 10, LEASE, "other")
    assert outbox.mark_sent(taken, Receipt("7"), T0 + LEASE + timedelta(seconds=2))

    assert not outbox.mark_retry(stale, "timed out", T0 + timedelta(minutes=1))
    assert not outbox.mark_failed(stale, "timed out", T0 + timedelta(minutes=1))
    assert not outbox.mark_sent(stale, Receipt("8"), T0 + timedelta(minutes=1))
    state = outbox.round_state("reminder", "2022-06")
    assert (state.count(Status.SENT), state.count(Status.PENDING)) == (1, 0)


async def test_a_renewed_claim_is_not_taken_over(outbox: SqlOutbox) -> None:
    outbox.enqueue([reminder("telegram", "100")], T0)
    [held] = outbox.claim(T0, 10, LEASE, "alive")

    assert outbox.renew("alive", [held.id], T0 + timedelta(seconds=20)) == 1
    assert outbox.renew("someone else", [held.id], T0 + timedelta(seconds=40)) == 0
    assert outbox.claim(T0 + timedelta(seconds=40), 10, LEASE, "other") == []
    assert len(outbox.claim(T0 + timedelta(seconds=51), 10, LEASE, "other")) == 1


async def test_one_message_per_recipient_is_in_flight(outbox: SqlOutbox) -> None:
    parts = [
        NewItem(
            dedupe_key("reminder", "2022-06", "telegram", "100", f"task:{n}"),
            "reminder",
            "2022-06",
            "telegram",
            "100",
            Message("督办提醒", f"任务{n}"),
            seq=n,
        )
        for n in range(3)
    ]
    outbox.enqueue([*parts, reminder("telegram", "200")], T0)

    claimed = outbox.claim(T0, 100, LEASE, "me")

    assert sorted((i.recipient, i.message.body) for i in claimed) == [
        ("100", "任务0"),
        ("200", "200 的提醒"),
    ]
