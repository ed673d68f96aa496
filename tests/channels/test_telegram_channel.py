from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from tests.fakes.telegram_api import FakeTelegram

from superbot.channels.telegram import TelegramChannel, telegram_bot
from superbot.service.ports import Attachment, Button, ChannelError, Message

USER = 123456789
BLOCKED = 222222222
GROUP = -1001234567890


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns inside RetryAfter.__init__ unless durations are opted into timedelta.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
def server() -> Iterator[FakeTelegram]:
    with FakeTelegram() as fake:
        fake.add_user(USER, first_name="张三")
        fake.add_user(BLOCKED, first_name="李四")
        fake.block(BLOCKED)
        fake.add_group(GROUP, "督查通报群")
        yield fake


@pytest.fixture
async def channel(server: FakeTelegram) -> AsyncIterator[TelegramChannel]:
    telegram = TelegramChannel(telegram_bot(server.token, server.url))
    yield telegram
    await telegram.aclose()


def text(
    body: str,
    *,
    buttons: tuple[tuple[Button, ...], ...] = (),
    attachments: tuple[Attachment, ...] = (),
    reply_to: int | None = None,
) -> Message:
    return Message("", body, attachments=attachments, buttons=buttons, reply_to=reply_to)


async def test_sends_html_without_link_previews(
    channel: TelegramChannel, server: FakeTelegram
) -> None:
    receipt = await channel.send(text("<b>高新科</b> R&amp;D 投资 https://example.com"), str(USER))
    [sent] = server.messages(USER)
    assert receipt.ref == str(sent.message_id)
    assert (sent.text, sent.parse_mode) == ("高新科 R&D 投资 https://example.com", "HTML")
    assert sent.entities == ({"type": "bold", "offset": 0, "length": 3},)
    assert sent.link_preview_options == {"is_disabled": True}


async def test_groups_are_recipients_too(channel: TelegramChannel, server: FakeTelegram) -> None:
    await channel.send(text("6 月督查通报"), str(GROUP))
    assert [m.text for m in server.messages(GROUP)] == ["6 月督查通报"]


async def test_buttons_become_an_inline_keyboard(
    channel: TelegramChannel, server: FakeTelegram
) -> None:
    buttons = ((Button("已完成", "done:zcq8-1"), Button("受阻", "blocked:zcq8-1")),)
    await channel.send(text("请更新进度", buttons=buttons), str(USER))
    [sent] = server.messages(USER)
    assert sent.callback_data == ["done:zcq8-1", "blocked:zcq8-1"]
    assert [b["text"] for b in sent.buttons[0]] == ["已完成", "受阻"]


async def test_reply_to_answers_an_earlier_message(
    channel: TelegramChannel, server: FakeTelegram
) -> None:
    question = server.user_sends(USER, "/status")
    asked = question["message"]["message_id"]
    await channel.send(text("状态如下", reply_to=asked), str(USER))
    assert server.messages(USER)[0].reply_to_message_id == asked
    await channel.send(text("原消息已删除", reply_to=999), str(USER))  # still delivered
    assert server.messages(USER)[1].reply_to_message_id is None


async def test_attachments_follow_the_text_as_documents(
    channel: TelegramChannel, server: FakeTelegram
) -> None:
    sheet = Attachment("2022-06 督查通报.xlsx", b"PK\x03\x04xlsx", "application/vnd.ms-excel")
    notes = Attachment("说明.txt", "第一行\n".encode(), "text/plain")
    receipt = await channel.send(text("<b>6 月通报</b>", attachments=(sheet, notes)), str(USER))
    first, second, third = server.messages(USER)
    assert receipt.ref == str(first.message_id)
    assert (first.method, first.text) == ("sendMessage", "6 月通报")
    assert second.document is not None
    assert third.document is not None
    assert (second.document.filename, second.document.content, second.document.mime) == (
        sheet.filename,
        sheet.content,
        sheet.mime,
    )
    assert (third.document.filename, third.document.content) == (notes.filename, notes.content)


async def test_unescaped_html_is_a_permanent_error_that_says_why(
    channel: TelegramChannel, server: FakeTelegram
) -> None:
    with pytest.raises(ChannelError) as refused:
        await channel.send(text("R&D 投资"), str(USER))
    assert refused.value.permanent
    assert "can't parse entities" in str(refused.value).lower()
    assert server.messages() == []


async def test_too_long_is_permanent(channel: TelegramChannel) -> None:
    await channel.send(text("中" * 4096), str(USER))
    with pytest.raises(ChannelError, match="too long") as refused:
        await channel.send(text("中" * 4097), str(USER))
    assert refused.value.permanent


async def test_flood_control_is_transient_with_retry_after(
    channel: TelegramChannel, server: FakeTelegram
) -> None:
    server.fail_next("sendMessage", chat_id=USER, retry_after=3)
    with pytest.raises(ChannelError) as flood:
        await channel.send(text("x"), str(USER))
    assert (flood.value.permanent, flood.value.retry_after) == (False, 3)
    await channel.send(text("x"), str(USER))  # the next one goes through


@pytest.mark.parametrize(
    ("recipient", "reason"),
    [(str(BLOCKED), "blocked by the user"), ("555", "chat not found"), ("", "chat_id is empty")],
)
async def test_unreachable_recipients_are_permanent(
    channel: TelegramChannel, recipient: str, reason: str
) -> None:
    with pytest.raises(ChannelError) as failed:
        await channel.send(text("x"), recipient)
    assert failed.value.permanent
    assert failed.value.retry_after is None
    assert reason in str(failed.value).lower()


@pytest.mark.parametrize("status", [500, 502])
async def test_server_errors_are_transient(
    channel: TelegramChannel, server: FakeTelegram, status: int
) -> None:
    server.fail_next("sendMessage", status=status)
    with pytest.raises(ChannelError) as failed:
        await channel.send(text("x"), str(USER))
    assert not failed.value.permanent


async def test_a_failed_attachment_fails_the_send(
    channel: TelegramChannel, server: FakeTelegram
) -> None:
    server.fail_next("sendDocument", status=500)
    with pytest.raises(ChannelError) as failed:
        await channel.send(text("x", attachments=(Attachment("a.txt", b"a", "text/plain"),)), "1")
    assert failed.value.permanent  # "1" is not a chat: the text fails first
    with pytest.raises(ChannelError) as failed:
        await channel.send(
            text("x", attachments=(Attachment("a.txt", b"a", "text/plain"),)), str(USER)
        )
    assert not failed.value.permanent


async def test_a_wrong_token_is_permanent(server: FakeTelegram) -> None:
    channel = TelegramChannel(telegram_bot("1:wrong", server.url))
    try:
        with pytest.raises(ChannelError) as refused:
            await channel.send(text("x"), str(USER))
        assert refused.value.permanent
    finally:
        await channel.aclose()


async def test_an_unreachable_api_is_transient() -> None:
    with FakeTelegram() as gone:
        url = gone.url
    channel = TelegramChannel(telegram_bot(gone.token, url + "/"))
    try:
        with pytest.raises(ChannelError) as failed:
            await channel.send(text("x"), str(USER))
        assert not failed.value.permanent
    finally:
        await channel.aclose()


async def test_concurrent_sends_share_one_bot(
    channel: TelegramChannel, server: FakeTelegram
) -> None:
    users = range(1000, 1040)
    for user in users:
        server.add_user(user)
    receipts = await asyncio.gather(*(channel.send(text(f"提醒 {u}"), str(u)) for u in users))
    assert {r.ref for r in receipts} == {"1"}
    assert len(server.messages()) == 40
    assert len(server.requests_for("getMe")) == 1


async def test_aclose_is_safe_before_and_after_use(server: FakeTelegram) -> None:
    channel = TelegramChannel(telegram_bot(server.token, server.url))
    await channel.aclose()
    await channel.send(text("x"), str(USER))
    await channel.aclose()
    await channel.aclose()
    assert channel.name == "telegram"
    assert channel.pace.per_recipient is not None
    assert channel.pace.per_recipient.count == 1
