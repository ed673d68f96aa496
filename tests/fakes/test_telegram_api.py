"""The fake Bot API is only useful if it is as strict as Telegram: prove it with the real PTB."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes
from tests.fakes.telegram_api import FakeTelegram, FloodLimits, parse_html, utf16_len

USER = 123456789
OTHER = 987654321
GROUP = -1001234567890
SECRET = "s3cret-Token_1"


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns inside RetryAfter.__init__ unless durations are opted into timedelta.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
def server() -> Iterator[FakeTelegram]:
    with FakeTelegram() as fake:
        fake.add_user(USER, first_name="张三", username="zhangsan")
        fake.add_user(OTHER, first_name="李四")
        fake.add_group(GROUP, "督查通报群")
        yield fake


def make_bot(server: FakeTelegram, token: str | None = None) -> telegram.Bot:
    return telegram.Bot(
        token or server.token, base_url=server.base_url, base_file_url=server.base_file_url
    )


@pytest.fixture
async def bot(server: FakeTelegram) -> AsyncIterator[telegram.Bot]:
    async with make_bot(server) as real_bot:
        yield real_bot


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- routing -----------------------------------------------------------------------------------


async def test_get_me_is_the_configured_bot(bot: telegram.Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.first_name, me.username) == (
        7000000001,
        True,
        "督查助手",
        "superbot_test_bot",
    )


async def test_a_wrong_token_is_unauthorized(server: FakeTelegram) -> None:
    with pytest.raises(InvalidToken):
        async with make_bot(server, token="7000000001:wrong"):
            pass
    assert server.requests[-1].status == 401


def test_raw_http_answers_like_telegram(server: FakeTelegram) -> None:
    with httpx.Client(base_url=server.url) as client:
        wrong = client.post("/bot1:nope/getMe")
        assert wrong.status_code == 401
        assert wrong.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}

        unknown = client.post(f"/bot{server.token}/sendTelepathy")
        assert unknown.status_code == 404
        assert unknown.json()["description"] == "Not Found: method not found"

        as_json = client.post(
            f"/bot{server.token}/sendMessage", json={"chat_id": USER, "text": "JSON 正文"}
        )
        as_form = client.get(f"/bot{server.token}/sendMessage?chat_id={USER}&text=form")
        chunked = client.post(
            f"/bot{server.token}/sendMessage",
            content=iter([b'{"chat_id": %d, ' % USER, '"text": "分块"}'.encode()]),
            headers={"Content-Type": "application/json"},
        )
    assert as_json.json()["result"]["text"] == "JSON 正文"
    assert as_json.json()["result"]["chat"] == {
        "id": USER,
        "type": "private",
        "first_name": "张三",
        "username": "zhangsan",
    }
    assert as_form.json()["result"]["message_id"] == 2
    assert chunked.json()["result"]["text"] == "分块"


# --- strict HTML -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "reads"),
    [
        ("R&amp;D 进度", "R&D 进度"),
        ("<b>高新科</b> &lt;滞后&gt; &quot;红灯&quot;", '高新科 <滞后> "红灯"'),
        ("&#20013;&#x6587;", "中文"),
        ('<a href="https://example.com/?a=1&amp;b=2">链接</a>', "链接"),
        ('<pre><code class="language-python">x = 1</code></pre>', "x = 1"),
        ('<span class="tg-spoiler">秘</span><tg-spoiler>密</tg-spoiler>', "秘密"),
        ("<blockquote expandable>引用</blockquote>", "引用"),
        (
            "<strong>a</strong><em>b</em><ins>c</ins><del>d</del><strike>e</strike><u>f</u>",
            "abcdef",
        ),
        ("\n  <b>前后空白</b>\n\n", "前后空白"),
    ],
)
async def test_valid_html_is_accepted(
    bot: telegram.Bot, server: FakeTelegram, html: str, reads: str
) -> None:
    message = await bot.send_message(USER, html, parse_mode=ParseMode.HTML)
    assert message.text == reads
    [sent] = server.messages(USER)
    assert (sent.raw, sent.text, sent.parse_mode) == (html, reads, "HTML")


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("R&D 攻坚", 'Unescaped "&" at byte offset 1'),
        ("<script>alert(1)</script>", 'Unsupported start tag "script" at byte offset 0'),
        ("第一行<br>第二行", 'Unsupported start tag "br" at byte offset 9'),
        ("<b>没有结束", 'Can\'t find end tag corresponding to start tag "b"'),
        (
            "<b><i>交错</b></i>",
            'Unmatched end tag at byte offset 12, expected "</i>", found "</b>"',
        ),
        ("多余</b>", "Unexpected end tag at byte offset 6"),
        ("a < b", 'Unescaped "<" at byte offset 2'),
        ("a > b", 'Unescaped ">" at byte offset 2'),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;" at byte offset 0'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<b", "Unclosed start tag at byte offset 0"),
        ('<a href="https://x.cn/?a=1&b=2">链接</a>', 'Unescaped "&" at byte offset 26'),
    ],
)
async def test_invalid_html_is_refused_like_telegram(
    bot: telegram.Bot, server: FakeTelegram, html: str, error: str
) -> None:
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(USER, html, parse_mode=ParseMode.HTML)
    assert server.messages() == []
    refused = server.requests[-1]
    assert refused.status == 400
    assert refused.description == f"Bad Request: can't parse entities: {error}"


async def test_without_parse_mode_the_text_is_literal(
    bot: telegram.Bot, server: FakeTelegram
) -> None:
    message = await bot.send_message(USER, "R&D <b>不是标签</b>")
    assert message.text == "R&D <b>不是标签</b>"
    assert server.messages(USER)[0].entities == ()


def test_entities_are_counted_in_utf16_units() -> None:
    parsed = parse_html('😀<b>进度</b> <a href="https://example.com">链接</a>')
    assert parsed.text == "😀进度 链接"
    assert parsed.entities == (
        {"type": "bold", "offset": 2, "length": 2},
        {"type": "text_link", "offset": 5, "length": 2, "url": "https://example.com"},
    )
    assert utf16_len("😀") == 2


async def test_entities_come_back_to_ptb(bot: telegram.Bot) -> None:
    message = await bot.send_message(
        USER, '<pre><code class="language-python">x</code></pre>', parse_mode=ParseMode.HTML
    )
    [entity] = message.entities
    assert (entity.type, entity.language, entity.offset, entity.length) == ("pre", "python", 0, 1)


@pytest.mark.parametrize(
    ("text", "accepted"),
    [
        ("中" * 4096, True),
        ("中" * 4097, False),
        ("😀" * 2048, True),  # 4096 UTF-16 units
        ("😀" * 2048 + "a", False),
        ("<b>" + "中" * 4096 + "</b>", True),  # tags do not count
        ("&amp;" * 4096, True),
    ],
)
async def test_the_limit_is_4096_utf16_units_of_parsed_text(
    bot: telegram.Bot, text: str, accepted: bool
) -> None:
    if accepted:
        await bot.send_message(USER, text, parse_mode=ParseMode.HTML)
    else:
        with pytest.raises(BadRequest, match="Message is too long"):
            await bot.send_message(USER, text, parse_mode=ParseMode.HTML)


async def test_empty_text_is_refused(bot: telegram.Bot) -> None:
    for text in ("  \n", "<b></b>"):
        with pytest.raises(BadRequest, match="Message text is empty"):
            await bot.send_message(USER, text, parse_mode=ParseMode.HTML)


async def test_a_caption_is_limited_to_1024(bot: telegram.Bot) -> None:
    await bot.send_document(USER, b"x", filename="a.txt", caption="中" * 1024)
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_document(USER, b"x", filename="a.txt", caption="中" * 1025)
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_document(USER, b"x", filename="a.txt", caption="R&D", parse_mode="HTML")


# --- keyboards, replies, documents, edits ------------------------------------------------------


async def test_buttons_arrive_with_their_callback_data(
    bot: telegram.Bot, server: FakeTelegram
) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("已完成", callback_data="done:zcq8-1")]])
    message = await bot.send_message(USER, "请更新进度", reply_markup=keyboard)
    assert message.reply_markup == keyboard
    [sent] = server.messages(USER)
    assert sent.callback_data == ["done:zcq8-1"]
    assert sent.buttons == [[{"text": "已完成", "callback_data": "done:zcq8-1"}]]


@pytest.mark.parametrize("data", ["中" * 22, "x" * 65])  # 66 and 65 bytes
async def test_callback_data_over_64_bytes_is_refused(bot: telegram.Bot, data: str) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("按钮", callback_data=data)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(USER, "x", reply_markup=keyboard)


def test_empty_button_text_is_refused(server: FakeTelegram) -> None:
    markup = {"inline_keyboard": [[{"text": "", "callback_data": "x"}]]}
    with httpx.Client() as client:
        response = client.post(
            f"{server.base_url}{server.token}/sendMessage",
            json={"chat_id": USER, "text": "x", "reply_markup": markup},
        )
    assert response.json()["description"] == "Bad Request: BUTTON_DATA_INVALID"


async def test_a_reply_must_point_at_an_existing_message(
    bot: telegram.Bot, server: FakeTelegram
) -> None:
    first = await bot.send_message(USER, "第一条")
    second = await bot.send_message(
        USER, "回复", reply_parameters=ReplyParameters(first.message_id)
    )
    assert second.reply_to_message is not None
    assert second.reply_to_message.text == "第一条"
    assert server.messages(USER)[1].reply_to_message_id == first.message_id
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(USER, "回复", reply_parameters=ReplyParameters(999))


async def test_documents_arrive_with_filename_bytes_and_mime(
    bot: telegram.Bot, server: FakeTelegram
) -> None:
    content = "任务,进度\nzcq8-1,60\n".encode()
    message = await bot.send_document(
        USER, content, filename="2022-06 督查通报.csv", caption="<b>附件</b>", parse_mode="HTML"
    )
    assert message.document is not None
    assert message.document.file_name == "2022-06 督查通报.csv"
    assert message.caption == "附件"
    [sent] = server.messages(USER)
    assert sent.document is not None
    assert (sent.document.filename, sent.document.content, sent.document.mime) == (
        "2022-06 督查通报.csv",
        content,
        "text/csv",
    )
    assert server.requests[-1].params["document"]["size"] == len(content)


async def test_edits_keep_their_history(bot: telegram.Bot, server: FakeTelegram) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("好", callback_data="ok")]])
    message = await bot.send_message(USER, "进度 50%", reply_markup=keyboard)
    edited = await bot.edit_message_text(
        "进度 <b>80%</b>", USER, message.message_id, parse_mode="HTML"
    )
    assert isinstance(edited, telegram.Message)
    assert edited.reply_markup is None  # editing the text without a keyboard removes it
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("进度 <b>80%</b>", USER, message.message_id, parse_mode="HTML")
    await bot.edit_message_reply_markup(USER, message.message_id, reply_markup=keyboard)
    sent = server.message(USER, message.message_id)
    assert [v.method for v in sent.history] == [
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
    ]
    assert (sent.text, sent.callback_data, sent.edited) == ("进度 80%", ["ok"], True)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", USER, 999)


async def test_delete_actions_and_commands(bot: telegram.Bot, server: FakeTelegram) -> None:
    message = await bot.send_message(USER, "删除我")
    assert await bot.delete_message(USER, message.message_id)
    assert server.messages(USER)[0].deleted
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(USER, message.message_id)
    assert await bot.send_chat_action(USER, "typing")
    await bot.set_my_commands([("report", "报告进度"), ("status", "查看任务")])
    assert [c.command for c in await bot.get_my_commands()] == ["report", "status"]
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([("Report!", "报告进度")])
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()


# --- chats and failures ------------------------------------------------------------------------


async def test_unknown_and_blocked_chats(bot: telegram.Bot, server: FakeTelegram) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(555, "x")
    server.block(USER)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER, "x")
    group = await bot.send_message(GROUP, "通报")
    assert (group.chat.type, group.chat.title) == ("supergroup", "督查通报群")


async def test_failures_are_injected_in_order_and_by_chat(
    bot: telegram.Bot, server: FakeTelegram
) -> None:
    server.fail_next("sendMessage", chat_id=OTHER, retry_after=7)
    server.fail_next("sendMessage", status=500)
    server.fail_next("sendMessage", status=502, times=2, description="Bad Gateway")
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(USER, "x")
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(OTHER, "x")
    assert flood.value.retry_after == dt.timedelta(seconds=7)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(USER, "x")
    await bot.send_message(USER, "终于")
    assert [r.status for r in server.requests_for("sendMessage")] == [500, 429, 502, 502, 200]
    assert [m.text for m in server.messages()] == ["终于"]


# --- updates: polling --------------------------------------------------------------------------


async def test_long_polling_returns_as_soon_as_an_update_arrives(
    bot: telegram.Bot, server: FakeTelegram
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30, read_timeout=40))
    await server.await_for(lambda s: s.polls_waiting == 1, what="a waiting getUpdates")
    sent = server.user_sends(USER, "/report zcq8-1 60%")
    async with asyncio.timeout(10):
        [update] = await poll
    assert update.update_id == sent["update_id"]
    assert update.message is not None
    assert update.message.text == "/report zcq8-1 60%"
    [command] = update.message.entities
    assert (command.type, command.offset, command.length) == ("bot_command", 0, 7)


async def test_offset_confirms_and_redeliver_repeats(
    bot: telegram.Bot, server: FakeTelegram
) -> None:
    first = server.user_sends(USER, "一")
    second = server.user_sends(OTHER, "二")
    assert second["update_id"] > first["update_id"]
    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [first["update_id"], second["update_id"]]
    assert await bot.get_updates(offset=second["update_id"] + 1, timeout=0) == ()
    assert server.pending_updates == []

    third = server.user_sends(USER, "三")
    server.redeliver(first)  # served in update_id order, before the newer one
    again, newer = await bot.get_updates(offset=second["update_id"] + 1, timeout=0)
    assert (again.update_id, newer.update_id) == (first["update_id"], third["update_id"])
    assert await bot.get_updates(offset=newer.update_id + 1, timeout=0) == ()


async def test_allowed_updates_filters_kinds(bot: telegram.Bot, server: FakeTelegram) -> None:
    message = await bot.send_message(
        USER,
        "选",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]]),
    )
    server.user_presses(USER, message.message_id, "a")
    server.user_sends(USER, "文字")
    updates = await bot.get_updates(timeout=0, allowed_updates=["message"])
    assert [u.message.text for u in updates if u.message] == ["文字"]
    assert len(updates) == 1


async def test_a_second_poller_terminates_the_first(
    bot: telegram.Bot, server: FakeTelegram
) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=30, read_timeout=40))
    await server.await_for(lambda s: s.polls_waiting == 1)
    async with make_bot(server) as second_bot:
        assert await second_bot.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await first


async def test_person_actions_make_real_updates(bot: telegram.Bot, server: FakeTelegram) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("完成", callback_data="done:1")]])
    asked = await bot.send_message(USER, "本月进度？", reply_markup=keyboard)
    reply = server.user_sends(USER, "60%", reply_to_message_id=asked.message_id)
    server.user_edits(USER, reply["message"]["message_id"], "70%")
    server.user_presses(USER, asked.message_id, "done:1")
    server.user_sends(USER, "/status@superbot_test_bot", chat_id=GROUP)
    with pytest.raises(LookupError, match="no button"):
        server.user_presses(USER, asked.message_id, "forged")

    replied, edited, pressed, in_group = await bot.get_updates(timeout=0)
    assert replied.message is not None
    assert replied.message.reply_to_message is not None
    assert replied.message.reply_to_message.text == "本月进度？"
    assert replied.message.reply_to_message.from_user == await bot.get_me()
    assert edited.edited_message is not None
    assert edited.edited_message.text == "70%"
    assert edited.edited_message.message_id == replied.message.message_id
    query = pressed.callback_query
    assert query is not None
    assert query.message is not None
    assert (query.data, query.message.message_id) == ("done:1", asked.message_id)
    assert in_group.message is not None
    assert in_group.message.chat.type == "supergroup"
    assert in_group.message.entities[0].length == len("/status@superbot_test_bot")

    assert await query.answer("已记录")
    assert server.callback_answers[0].text == "已记录"
    with pytest.raises(BadRequest, match="Query is too old"):
        await query.answer("again")


async def test_wait_for_says_what_it_saw(server: FakeTelegram, bot: telegram.Bot) -> None:
    await bot.send_message(USER, "只有一条")
    with pytest.raises(AssertionError, match="2 message") as timed_out:
        await server.await_messages(USER, 2, timeout=0.2)
    assert "只有一条" in str(timed_out.value)


# --- updates: webhook --------------------------------------------------------------------------


class Receiver:
    """A tiny webhook endpoint: records what Telegram POSTs, answers ``status``."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.received: list[tuple[str | None, dict[str, Any]]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                secret = self.headers.get("X-Telegram-Bot-Api-Secret-Token")
                receiver.received.append((secret, json.loads(body)))
                status = receiver.status if secret == SECRET else 403
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


def test_webhook_delivers_with_the_secret_and_refuses_getupdates(server: FakeTelegram) -> None:
    with Receiver() as receiver, httpx.Client(base_url=f"{server.base_url}{server.token}") as api:
        set_hook = api.post("/setWebhook", json={"url": receiver.url, "secret_token": SECRET})
        assert set_hook.json() == {"ok": True, "result": True}
        update = server.user_sends(USER, "进度 60%")
        server.wait_for(lambda s: s.webhook_deliveries, what="a webhook delivery")
        assert receiver.received == [(SECRET, update)]
        assert server.webhook_deliveries[0].status == 200

        conflict = api.post("/getUpdates")
        assert conflict.status_code == 409
        assert conflict.json()["description"].startswith(
            "Conflict: can't use getUpdates method while webhook is active"
        )
        info = api.get("/getWebhookInfo").json()["result"]
        assert (info["url"], info["pending_update_count"]) == (receiver.url, 0)

        assert server.post_to_webhook(update, secret="wrong") == 403
        forged = server.webhook_deliveries[-1]
        assert (forged.status, forged.secret, forged.manual) == (403, "wrong", True)

        server.redeliver(update)
        server.wait_for(lambda s: len(s.webhook_deliveries) == 3)
        assert [body["update_id"] for _, body in receiver.received] == [update["update_id"]] * 3

        assert api.post("/deleteWebhook").json()["result"] is True
        assert api.post("/getUpdates").status_code == 200


def test_a_failing_webhook_is_retried_a_few_times(server: FakeTelegram) -> None:
    with Receiver(status=500) as receiver, httpx.Client() as client:
        client.post(
            f"{server.base_url}{server.token}/setWebhook",
            data={"url": receiver.url, "secret_token": SECRET},
        )
        server.user_sends(USER, "x")
        server.wait_for(lambda s: len(s.webhook_deliveries) == server.webhook_attempts)
        server.wait_for(lambda s: not s.pending_updates, what="the update given up")
        assert {d.status for d in server.webhook_deliveries} == {500}
        info = client.get(f"{server.base_url}{server.token}/getWebhookInfo").json()["result"]
    assert "500" in info["last_error_message"]


# --- the real Application, by polling and by webhook -------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    assert update.effective_user is not None
    await update.effective_message.reply_html(f"你好，<b>{update.effective_user.first_name}</b>")


async def press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer("收到")


def build_application(server: FakeTelegram) -> Application:  # type: ignore[type-arg]
    application = (
        Application.builder()
        .token(server.token)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(press))
    return application


async def test_application_by_polling(server: FakeTelegram) -> None:
    application = build_application(server)
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=10)
        try:
            server.user_sends(USER, "/start")
            [reply] = await server.await_messages(USER, 1)
            server.user_sends(OTHER, "/start")
            await server.await_messages(OTHER, 1)
        finally:
            await application.updater.stop()
            await application.stop()
    assert (reply.text, reply.entities[0]["type"]) == ("你好，张三", "bold")
    # Stopping confirms what was fetched, so a restart does not see it again.
    assert server.pending_updates == []


async def test_application_by_webhook(server: FakeTelegram) -> None:
    port = free_port()
    application = build_application(server)
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="telegram",
            webhook_url=f"http://127.0.0.1:{port}/telegram",
            secret_token=SECRET,
        )
        try:
            assert server.webhook_url == f"http://127.0.0.1:{port}/telegram"
            server.user_sends(USER, "/start")
            [reply] = await server.await_messages(USER, 1)
            choice = await application.bot.send_message(
                USER,
                "选择",
                reply_markup=InlineKeyboardMarkup(
                    [[InlineKeyboardButton("好", callback_data="ok")]]
                ),
            )
            server.user_presses(USER, choice.message_id, "ok")
            await server.await_for(lambda s: s.callback_answers, what="the button answered")
            forged = server.user_sends(OTHER, "/start")
            status = await server.apost_to_webhook(forged, secret="wrong")
            await server.await_messages(OTHER, 1)  # the real delivery still gets through
        finally:
            await application.updater.stop()
            await application.stop()
    assert reply.text == "你好，张三"
    assert server.callback_answers[0].text == "收到"
    assert status == 403
    assert all(d.status == 200 for d in server.webhook_deliveries if not d.manual)


async def test_a_file_a_person_sends_is_fetched_with_get_file(
    bot: telegram.Bot, server: FakeTelegram
) -> None:
    """Bot API: the update carries ``photo`` (sizes, largest last) or ``document``; getFile
    gives a ``file_path`` under ``/file/bot<token>/``; bots may download at most 20 MB."""
    photo = b"\xff\xd8\xff\xe0" + b"site photo" * 100
    server.user_sends_file(USER, photo, "IMG_0042.jpg", "image/jpeg", photo=True, caption="完成")
    server.user_sends_file(USER, b"%PDF-1.7", "验收报告.pdf", "application/pdf")
    [first, second] = await bot.get_updates()
    assert first.message is not None
    assert second.message is not None
    assert first.message.caption == "完成"
    assert first.message.photo[-1].file_size == len(photo)
    fetched = await (await first.message.photo[-1].get_file()).download_as_bytearray()
    assert bytes(fetched) == photo
    document = second.message.document
    assert document is not None
    assert (document.file_name, document.mime_type) == ("验收报告.pdf", "application/pdf")
    assert bytes(await (await document.get_file()).download_as_bytearray()) == b"%PDF-1.7"
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("no-such-file")
    server.user_sends_file(USER, b"x" * (20 * 1024 * 1024 + 1), "录像.mp4", "video/mp4")
    [big] = await bot.get_updates(offset=second.update_id + 1)
    assert big.message is not None
    assert big.message.document is not None
    with pytest.raises(BadRequest, match=r"(?i)file is too big"):
        await big.message.document.get_file()


# --- flood limits ------------------------------------------------------------------------------


def test_sends_beyond_telegrams_limits_are_answered_429() -> None:
    now = [1000.0]
    with FakeTelegram(clock=lambda: now[0]) as fake, httpx.Client(base_url=fake.url) as client:
        fake.add_group(GROUP, "督查通报群")
        for user in range(1, 33):
            fake.add_user(user)
        fake.limit_floods(FloodLimits())

        def send(chat: int) -> httpx.Response:
            return client.post(
                f"/bot{fake.token}/sendMessage", json={"chat_id": chat, "text": "进度"}
            )

        assert send(1).status_code == 200
        again = send(1)  # the same chat within a second
        assert again.status_code == 429
        assert again.json()["parameters"] == {"retry_after": 1}
        overall = [send(user).status_code for user in range(2, 32)]
        assert overall.count(200) == 29  # 30 a second in all, the first included
        assert overall[-1] == 429
        now[0] += 1.0
        group = []
        for _ in range(21):
            group.append(send(GROUP))
            now[0] += 1.0
        assert [r.status_code for r in group].count(200) == 20
        assert group[-1].json()["parameters"] == {"retry_after": 40}  # the first leaves at 60 s
        assert fake.too_many == 3
        assert len(fake.messages(GROUP)) == 20
