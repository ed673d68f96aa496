"""The two ways in: superbot's SMTP listener and the office's IMAP mailbox (a real Dovecot).
Each mail is handled once, also when superbot crashed halfway and started again."""

from __future__ import annotations

import asyncio

import pytest
from tests.fakes import mail_clients
from tests.fakes.dovecot import Dovecot
from tests.mail.conftest import LIMH, NOW, Listener, Office, no_sleep, parsed, start_listener

from superbot.channels.imap import ImapInbox, ImapSettings, encode_folder
from superbot.service.mail import Handled


class Crash(BaseException):
    """The process dies here (not an error anything inside superbot would catch)."""


async def test_the_listener_takes_a_reply(office: Office, listener: Listener) -> None:
    await office.send_reminders()
    raw = mail_clients.outlook(office.reminder(LIMH), LIMH, "65% 设备已招标", at=NOW)

    code, _ = await listener.deliver(raw)

    assert code == 250
    assert [r.percent for r in office.reports("zcq8-1")] == [65]
    [answer] = await office.answers(LIMH, 0)
    assert answer["In-Reply-To"] == parsed(raw)["Message-ID"]


async def test_the_listener_asks_to_try_again_when_it_cannot_handle(office: Office) -> None:
    async def broken(raw: bytes, recipients: tuple[str, ...] = ()) -> Handled:
        raise RuntimeError("database is down")

    listening = await start_listener(office, broken)
    try:
        code, _ = await listening.deliver(b"Subject: x\r\n\r\nx\r\n")
    finally:
        await listening.close()
    assert code == 451  # the sending server keeps the mail and tries later


async def test_a_mail_handled_before_a_crash_is_not_recorded_again(office: Office) -> None:
    """Handled, but the process died before the 250 went out: the sending server delivers
    the same mail again to the restarted listener."""
    await office.send_reminders()
    raw = mail_clients.outlook(office.reminder(LIMH), LIMH, "65% 设备已招标", at=NOW)
    take = office.runtime.mail_intake(office.runtime.dispatcher(sleep=no_sleep).dispatch)

    async def crashing(raw: bytes, recipients: tuple[str, ...] = ()) -> Handled:
        await take(raw, recipients)
        raise RuntimeError("killed before answering the sending server")

    first = await start_listener(office, crashing)
    try:
        code, _ = await first.deliver(raw)
    finally:
        await first.close()
    assert code == 451

    office.restart()
    again = await start_listener(office)
    try:
        code, _ = await again.deliver(raw)
    finally:
        await again.close()

    assert code == 250
    assert [r.percent for r in office.reports("zcq8-1")] == [65]
    assert len(await office.answers(LIMH, 0)) == 1


async def test_a_crash_between_recording_and_remembering_updates_the_same_report(
    office: Office,
) -> None:
    await office.send_reminders()
    raw = mail_clients.outlook(office.reminder(LIMH), LIMH, "65% 设备已招标", at=NOW)
    memory = office.runtime.conversations
    remember = memory.first_time

    def dies(channel: str, ref: str, now: object) -> bool:
        raise Crash

    memory.first_time = dies  # type: ignore[method-assign]
    with pytest.raises(Crash):
        await office.take(raw)
    memory.first_time = remember  # type: ignore[method-assign]
    office.restart()

    handled = await office.take(raw)

    assert handled.recorded == 1
    assert [r.percent for r in office.reports("zcq8-1")] == [65]
    await office.runtime.dispatcher(sleep=no_sleep).dispatch()
    assert len(await office.answers(LIMH, 0)) == 1  # the answer's dedupe key held


# -- IMAP -----------------------------------------------------------------------------------------


def inbox(office: Office, dovecot: Dovecot, user: str, take: object = None) -> ImapInbox:
    runtime = office.runtime
    intake = take or runtime.mail_intake(runtime.dispatcher(sleep=no_sleep).dispatch)
    return ImapInbox(ImapSettings.from_url(dovecot.url(user), "督查已处理"), intake)  # type: ignore[arg-type]


async def run_until(reader: ImapInbox, rounds: int) -> None:
    stop = asyncio.Event()
    running = asyncio.create_task(reader.run(stop))
    try:
        for _ in range(400):
            if reader.rounds >= rounds or running.done():
                break
            await asyncio.sleep(0.025)
    finally:
        stop.set()
        await asyncio.wait_for(running, 20)


def reply_from_limh(office: Office) -> bytes:
    return mail_clients.foxmail(office.reminder(LIMH), LIMH, "75% 主体完工", at=NOW)


async def test_imap_mail_is_recorded_and_moved_never_deleted(
    office: Office, dovecot: Dovecot, request: pytest.FixtureRequest
) -> None:
    user = f"{request.node.name[:40]}@example.gov.cn"
    await office.send_reminders()
    raw = reply_from_limh(office)
    dovecot.deliver(user, raw)
    dovecot.deliver(
        user, b"From: ads@shop.example\r\nSubject: sale\r\nMessage-ID: <ad@x>\r\n\r\nbuy\r\n"
    )

    await run_until(inbox(office, dovecot, user), 1)

    assert [r.percent for r in office.reports("zcq8-1")] == [75]
    assert dovecot.messages(user) == []
    moved = dovecot.messages(user, encode_folder("督查已处理"))
    assert len(moved) == 2  # the reply and the advertisement: both kept
    assert len(await office.answers(LIMH, 0)) == 1


async def test_imap_waits_with_idle_and_takes_new_mail_at_once(
    office: Office, dovecot: Dovecot, request: pytest.FixtureRequest
) -> None:
    user = f"{request.node.name[:40]}@example.gov.cn"
    await office.send_reminders()
    reader = inbox(office, dovecot, user)
    stop = asyncio.Event()
    running = asyncio.create_task(reader.run(stop))
    try:
        for _ in range(400):
            if reader.rounds >= 1:
                break
            await asyncio.sleep(0.025)
        assert reader.rounds == 1  # the empty inbox was read; now it idles
        await asyncio.to_thread(dovecot.deliver, user, reply_from_limh(office))
        for _ in range(400):
            if office.reports("zcq8-1"):
                break
            await asyncio.sleep(0.025)
    finally:
        stop.set()
        await asyncio.wait_for(running, 20)
    assert [r.percent for r in office.reports("zcq8-1")] == [75]


async def test_imap_mail_handled_before_a_crash_is_not_recorded_again(
    office: Office, dovecot: Dovecot, request: pytest.FixtureRequest
) -> None:
    """Handled, then the process died before the mail was moved: after the restart the mail
    is still in the inbox and is read again."""
    user = f"{request.node.name[:40]}@example.gov.cn"
    await office.send_reminders()
    dovecot.deliver(user, reply_from_limh(office))
    take = office.runtime.mail_intake(office.runtime.dispatcher(sleep=no_sleep).dispatch)

    async def crash_after(raw: bytes, recipients: tuple[str, ...] = ()) -> Handled:
        await take(raw, recipients)
        raise Crash

    with pytest.raises(Crash):
        await run_until(inbox(office, dovecot, user, crash_after), 1)
    assert len(dovecot.messages(user)) == 1  # not moved: the crash came first

    office.restart()
    await run_until(inbox(office, dovecot, user), 1)

    assert [r.percent for r in office.reports("zcq8-1")] == [75]
    assert dovecot.messages(user) == []
    assert len(await office.answers(LIMH, 0)) == 1


def test_imap_url_is_read_without_repeating_the_password() -> None:
    settings = ImapSettings.from_url(
        "imaps://duban%40example.gov.cn:p%40ss@mail.example.gov.cn/INBOX?poll=30", "已处理"
    )
    assert (settings.host, settings.port, settings.tls) == ("mail.example.gov.cn", 993, True)
    assert (settings.username, settings.password) == ("duban@example.gov.cn", "p@ss")
    assert (settings.mailbox, settings.poll, settings.done) == ("INBOX", 30.0, "已处理")
    for bad in ("pop3://u:Zq9secret@h", "imaps://h/INBOX", "imaps://u:Zq9secret@h/?folder=x"):
        with pytest.raises(ValueError, match="IMAP_URL") as error:
            ImapSettings.from_url(bad, "已处理")
        assert "Zq9secret" not in str(error.value)


def test_folder_names_in_modified_utf7() -> None:
    assert encode_folder("INBOX") == "INBOX"
    assert encode_folder("台北") == "&U,BTFw-"  # RFC 3501's own example
    assert encode_folder("A&B") == "A&-B"


async def test_a_mail_that_cannot_be_handled_stays_and_the_others_go_on(
    office: Office, dovecot: Dovecot, request: pytest.FixtureRequest
) -> None:
    user = f"{request.node.name[:40]}@example.gov.cn"
    await office.send_reminders()
    dovecot.deliver(user, b"From: x@y.cn\r\nMessage-ID: <poison@y.cn>\r\nSubject: x\r\n\r\nx\r\n")
    dovecot.deliver(user, reply_from_limh(office))
    take = office.runtime.mail_intake(office.runtime.dispatcher(sleep=no_sleep).dispatch)

    async def fussy(raw: bytes, recipients: tuple[str, ...] = ()) -> Handled:
        if b"<poison@y.cn>" in raw:
            raise RuntimeError("cannot read this one")
        return await take(raw, recipients)

    await run_until(inbox(office, dovecot, user, fussy), 1)

    assert [r.percent for r in office.reports("zcq8-1")] == [75]
    [left] = dovecot.messages(user)  # the one that failed waits in the inbox for the next try
    assert b"<poison@y.cn>" in left


async def test_an_oversized_mail_is_moved_unread(
    office: Office,
    dovecot: Dovecot,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from superbot.channels import imap

    monkeypatch.setattr(imap, "MAX_BYTES", 4096)
    user = f"{request.node.name[:40]}@example.gov.cn"
    await office.send_reminders()
    big = mail_clients.attach(reply_from_limh(office), "全景.jpg", b"\xff" * 8192, "image/jpeg")
    dovecot.deliver(user, big)

    await run_until(inbox(office, dovecot, user), 1)

    assert office.reports("zcq8-1") == []
    assert dovecot.messages(user) == []
    assert len(dovecot.messages(user, encode_folder("督查已处理"))) == 1  # kept, never deleted
