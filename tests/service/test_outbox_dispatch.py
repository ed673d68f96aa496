"""The outbox and its dispatcher: exactly once, retries, permanent failures, pace, order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from tests.fakes.channel import RecordingChannel
from tests.fakes.clock import FakeClock

from superbot.channels.telegram import TelegramChannel
from superbot.service.outbox import (
    LEASE,
    Dispatcher,
    NewItem,
    RetryWait,
    Status,
    backoff,
    dedupe_key,
)
from superbot.service.ports import Attachment, ChannelError, Message
from superbot.store.db import make_engine, migrate
from superbot.store.outbox import SqlOutbox

T0 = datetime(2022, 7, 1, 1, 0, tzinfo=UTC)


@pytest.fixture
def outbox(database_url: str) -> Iterator[SqlOutbox]:
    engine = make_engine(database_url)
    migrate(engine)
    yield SqlOutbox(engine)
    engine.dispose()


def item(recipient: str = "100", part: str = "", body: str = "通报", **extra: object) -> NewItem:
    return NewItem(
        dedupe_key("bulletin", "2022-06", "telegram", recipient, part),
        "bulletin",
        "2022-06",
        "telegram",
        recipient,
        Message(subject="督查通报", body=body),
        **extra,  # type: ignore[arg-type]
    )


def dispatcher(outbox: SqlOutbox, channel: RecordingChannel, clock: FakeClock) -> Dispatcher:
    channel.clock = lambda: clock().timestamp()
    return Dispatcher(outbox, {channel.name: channel}, clock=clock, sleep=clock.sleep)


async def test_a_round_enqueued_twice_is_sent_once(outbox: SqlOutbox) -> None:
    clock, channel = FakeClock(T0), RecordingChannel()
    assert outbox.enqueue([item("100"), item("200")], T0) == 2
    assert outbox.enqueue([item("100"), item("200")], T0) == 0

    first = await dispatcher(outbox, channel, clock).dispatch()
    second = await dispatcher(outbox, channel, clock).dispatch()

    assert (first.sent, second.sent) == (2, 0)
    assert sorted(s.recipient for s in channel.sent) == ["100", "200"]
    assert outbox.round_state("bulletin", "2022-06").count(Status.SENT) == 2


async def test_a_crash_between_enqueue_and_send_loses_nothing(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    SqlOutbox(engine).enqueue([item("100")], T0)
    engine.dispose()  # the process dies here

    engine = make_engine(database_url)  # ... and starts again
    channel, clock = RecordingChannel(), FakeClock(T0 + timedelta(hours=2))
    report = await dispatcher(SqlOutbox(engine), channel, clock).dispatch()
    again = await dispatcher(SqlOutbox(engine), channel, clock).dispatch()
    engine.dispose()

    assert (report.sent, again.sent, len(channel.sent)) == (1, 0, 1)


async def test_a_row_claimed_by_a_dead_process_is_sent_after_its_lease(outbox: SqlOutbox) -> None:
    outbox.enqueue([item("100")], T0)
    assert len(outbox.claim(T0, 10, LEASE, "dead")) == 1  # claimed, then the process died
    channel, clock = RecordingChannel(), FakeClock(T0 + timedelta(seconds=25))

    early = await dispatcher(outbox, channel, clock).dispatch()
    clock.advance(seconds=6)
    late = await dispatcher(outbox, channel, clock).dispatch()

    assert (early.sent, late.sent) == (0, 1)


async def test_transient_failures_are_retried_with_backoff(outbox: SqlOutbox) -> None:
    outbox.enqueue([item("100")], T0)
    channel, clock = RecordingChannel(), FakeClock(T0)
    channel.fail_next(ChannelError("timed out", permanent=False))
    send = dispatcher(outbox, channel, clock)

    first = await send.dispatch()
    assert (first.sent, first.retrying) == (0, 1)
    assert outbox.next_attempt() == T0 + backoff(1)

    clock.advance(seconds=29)
    assert (await send.dispatch()).sent == 0  # not yet
    clock.advance(seconds=1)
    assert (await send.dispatch()).sent == 1
    assert len(channel.sent) == 1


async def test_retry_after_is_honoured_and_pauses_the_chat(outbox: SqlOutbox) -> None:
    outbox.enqueue([item("100", "1"), item("100", "2")], T0)
    channel, clock = RecordingChannel(), FakeClock(T0)
    channel.fail_next(
        ChannelError("Too Many Requests: retry after 90", permanent=False, retry_after=90)
    )

    report = await dispatcher(outbox, channel, clock).drain(
        "bulletin", "2022-06", timedelta(minutes=5)
    )

    assert report.sent == 2
    assert clock() >= T0 + timedelta(seconds=90)
    first_send = channel.sent[0].at
    assert first_send >= (T0 + timedelta(seconds=90)).timestamp()


async def test_permanent_failures_are_recorded_not_retried(outbox: SqlOutbox) -> None:
    outbox.enqueue([item("100"), item("200")], T0)
    channel, clock = RecordingChannel(), FakeClock(T0)
    channel.fail_next(ChannelError("Forbidden: bot was blocked by the user", permanent=True), "100")

    report = await dispatcher(outbox, channel, clock).drain(
        "bulletin", "2022-06", timedelta(hours=2)
    )

    assert (report.sent, report.failed) == (1, 1)
    state = outbox.round_state("bulletin", "2022-06")
    assert [(f.recipient, f.error) for f in state.failures] == [
        ("100", "Forbidden: bot was blocked by the user")
    ]
    assert [
        f.recipient for f in outbox.failures_between(T0 - timedelta(days=1), T0 + timedelta(days=1))
    ] == ["100"]


async def test_the_dispatcher_gives_up_after_its_attempts(outbox: SqlOutbox) -> None:
    outbox.enqueue([item("100")], T0)
    channel, clock = RecordingChannel(), FakeClock(T0)
    for _ in range(8):
        channel.fail_next(ChannelError("502 Bad Gateway", permanent=False))

    report = await dispatcher(outbox, channel, clock).drain(
        "bulletin", "2022-06", timedelta(days=1)
    )

    assert (report.sent, report.failed, report.retrying) == (0, 1, 7)
    [failure] = outbox.round_state("bulletin", "2022-06").failures
    assert failure.error.startswith("gave up after 8 attempts")


async def test_a_chat_gets_at_most_one_message_a_second(outbox: SqlOutbox) -> None:
    outbox.enqueue([item("100", str(n)) for n in range(3)] + [item("200")], T0)
    channel, clock = RecordingChannel(), FakeClock(T0)

    await dispatcher(outbox, channel, clock).dispatch()

    times = [round(s.at - T0.timestamp(), 3) for s in channel.sent if s.recipient == "100"]
    assert times == [0.0, 1.0, 2.0]  # counted from each answer: no margin needed


async def test_groups_get_at_most_twenty_a_minute(outbox: SqlOutbox) -> None:
    outbox.enqueue([item("-100123", str(n)) for n in range(21)], T0)
    channel = RecordingChannel(pace=TelegramChannel.pace)
    clock = FakeClock(T0)

    await dispatcher(outbox, channel, clock).dispatch()

    times = [s.at - T0.timestamp() for s in channel.sent]
    assert times[19] == pytest.approx(19)
    assert times[20] == pytest.approx(60)


async def test_later_parts_wait_for_an_earlier_part_of_the_same_recipient(
    outbox: SqlOutbox,
) -> None:
    outbox.enqueue([item("100", "head", "标题"), item("100", "task:a", "任务")], T0)
    channel, clock = RecordingChannel(), FakeClock(T0)
    channel.fail_next(ChannelError("timed out", permanent=False))

    first = await dispatcher(outbox, channel, clock).dispatch()
    assert (first.sent, channel.sent) == (0, [])

    clock.advance(minutes=1)
    await dispatcher(outbox, channel, clock).dispatch()
    assert [m.body for m in channel.to("100")] == ["标题", "任务"]


async def test_attachments_and_buttons_survive_the_outbox(outbox: SqlOutbox) -> None:
    from superbot.service.ports import Button

    message = Message(
        subject="督查通报",
        body="摘要",
        attachments=(Attachment("督查通报-2022-06.html", "<p>全文</p>".encode(), "text/html"),),
        buttons=((Button("60%", "p:zcq8-1:60"),),),
        reply_to="42",
    )
    outbox.enqueue([NewItem("k", "bulletin", "2022-06", "telegram", "100", message)], T0)
    channel, clock = RecordingChannel(), FakeClock(T0)

    await dispatcher(outbox, channel, clock).dispatch()

    assert channel.sent[0].message == message


async def test_an_unconfigured_channel_fails_permanently(outbox: SqlOutbox) -> None:
    outbox.enqueue(
        [NewItem("k", "digest", "w", "email", "a@example.gov.cn", Message("s", "b"))], T0
    )
    channel, clock = RecordingChannel(), FakeClock(T0)

    report = await dispatcher(outbox, channel, clock).dispatch()

    assert report.failed == 1
    assert outbox.round_state("digest", "w").failures[0].error == "delivery.unconfigured:email"


async def test_unreachable_people_are_recorded_as_failed_at_once(outbox: SqlOutbox) -> None:
    outbox.enqueue([item("zhang", failed_reason="no channel reaches this person")], T0)

    state = outbox.round_state("bulletin", "2022-06")

    assert state.count(Status.FAILED) == 1
    assert state.failures[0].error == "no channel reaches this person"


async def test_claims_skip_rows_another_instance_holds(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks with SKIP LOCKED are PostgreSQL's; SQLite is one process")
    engine = make_engine(database_url)
    migrate(engine)
    outbox = SqlOutbox(engine)
    outbox.enqueue([item("100"), item("200")], T0)
    with engine.connect() as other:
        other.execute(text("BEGIN"))
        other.execute(text("SELECT id FROM outbox WHERE recipient = '100' FOR UPDATE"))
        claimed = outbox.claim(T0, 10, LEASE, "me")
        other.execute(text("ROLLBACK"))
    engine.dispose()
    assert [i.recipient for i in claimed] == ["200"]


async def test_a_message_to_many_recipients_is_stored_once(outbox: SqlOutbox) -> None:
    attachment = Attachment("督查通报-2022-06.xlsx", b"x" * 10_000, "application/octet-stream")
    message = Message(subject="督查通报", body="全文", attachments=(attachment,))
    items = [
        NewItem(f"bulletin:2022-06:email:{n}", "bulletin", "2022-06", "email", str(n), message)
        for n in range(50)
    ]
    outbox.enqueue(items, T0)
    outbox.enqueue(items, T0)

    with outbox.engine.connect() as connection:
        contents = connection.execute(text("SELECT count(*) FROM message_content")).scalar()
        files = connection.execute(text("SELECT count(*) FROM message_attachment")).scalar()
        rows = connection.execute(text("SELECT count(*) FROM outbox")).scalar()
    channel, clock = RecordingChannel(name="email"), FakeClock(T0)
    await dispatcher(outbox, channel, clock).dispatch()

    assert (contents, files, rows) == (1, 1, 50)
    assert {s.message for s in channel.sent} == {message}


async def test_a_short_retry_after_is_not_stretched_by_the_backoff(outbox: SqlOutbox) -> None:
    outbox.enqueue([item("100")], T0)
    channel, clock = RecordingChannel(), FakeClock(T0)
    channel.clock = lambda: clock().timestamp()
    channel.fail_next(
        ChannelError("Too Many Requests: retry after 3", permanent=False, retry_after=3)
    )

    report = await dispatcher(outbox, channel, clock).drain(
        "bulletin", "2022-06", timedelta(minutes=5)
    )

    assert report.sent == 1
    assert channel.sent[0].at - T0.timestamp() == pytest.approx(3)


async def test_drain_says_each_wait_and_why(outbox: SqlOutbox) -> None:
    outbox.enqueue([item("100"), item("200")], T0)
    channel, clock = RecordingChannel(), FakeClock(T0)
    channel.fail_next(ChannelError("telegram: Internal Server Error", permanent=False), "100")
    waits: list[RetryWait] = []

    report = await dispatcher(outbox, channel, clock).drain(
        "bulletin", "2022-06", timedelta(minutes=5), on_wait=waits.append
    )

    assert report.sent == 2
    [wait] = waits
    assert (wait.rows, wait.reason) == (1, "telegram: Internal Server Error")
    assert wait.seconds == pytest.approx(30, abs=0.1)  # its backoff, from when it failed
