"""Telegram, through python-telegram-bot's ``Bot``: HTML messages, inline buttons, documents."""

from __future__ import annotations

import asyncio
import datetime as dt
import warnings

import telegram
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from superbot.service.ports import ChannelError, Message, Pace, Rate, Receipt


def telegram_bot(token: str, api_root: str) -> telegram.Bot:
    """A Bot whose requests go to ``{api_root}/bot{token}/{method}``."""
    root = api_root.rstrip("/")
    request = HTTPXRequest(
        connection_pool_size=64,  # the dispatcher sends to many chats at once
        connect_timeout=10.0,
        read_timeout=20.0,
        write_timeout=20.0,
        pool_timeout=10.0,
        media_write_timeout=60.0,
    )
    return telegram.Bot(
        token,
        base_url=f"{root}/bot",
        base_file_url=f"{root}/file/bot",
        request=request,
    )


class TelegramChannel:
    name = "telegram"
    # Telegram's documented limits: ~1 message/s per chat, 20/min per group, 30/s overall.
    pace = Pace(
        per_recipient=Rate(1, 1.0),
        per_group=Rate(20, 60.0),
        overall=Rate(30, 1.0),
        group=lambda chat_id: chat_id.startswith("-"),  # groups have negative chat ids
    )

    def __init__(self, bot: telegram.Bot) -> None:
        self._bot = bot
        self._opened = False  # we called initialize(): aclose() shuts the bot down
        self._ready = False
        self._lock = asyncio.Lock()

    async def send(self, message: Message, recipient: str) -> Receipt:
        # A text and its documents are one message to the person; the outbox keeps documents
        # in a part of their own (empty body) so a failed upload never resends the text.
        sent = None
        try:
            await self._initialize()
            if message.body:
                sent = await self._bot.send_message(
                    chat_id=recipient,
                    text=message.body,
                    parse_mode=ParseMode.HTML,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                    reply_markup=_keyboard(message),
                    reply_parameters=_reply_to(message),
                )
            for attachment in message.attachments:
                document = InputFile(attachment.content, filename=attachment.filename)
                document.mimetype = attachment.mime
                uploaded = await self._bot.send_document(chat_id=recipient, document=document)
                sent = sent or uploaded
        except TelegramError as exc:
            raise _channel_error(exc) from exc
        return Receipt(ref=str(sent.message_id) if sent is not None else None)

    async def aclose(self) -> None:
        if self._opened:
            self._opened = self._ready = False
            await self._bot.shutdown()

    async def _initialize(self) -> None:
        async with self._lock:
            if not self._ready:
                # initialize() opens the connection pool before getMe can fail.
                self._opened = True
                await self._bot.initialize()
                self._ready = True


def _reply_to(message: Message) -> ReplyParameters | None:
    if message.reply_to is None:
        return None
    # The person may have deleted the message we answer; the answer still matters.
    return ReplyParameters(int(message.reply_to), allow_sending_without_reply=True)


def _keyboard(message: Message) -> InlineKeyboardMarkup | None:
    if not message.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(button.label, callback_data=button.data) for button in row]
            for row in message.buttons
        ]
    )


def _channel_error(exc: TelegramError) -> ChannelError:
    # BadRequest and TimedOut are NetworkErrors in PTB, so the order of these checks matters.
    if isinstance(exc, RetryAfter):
        seconds = retry_after_seconds(exc)
        return ChannelError(f"telegram: {exc}", permanent=False, retry_after=seconds)
    if isinstance(exc, ChatMigrated):
        return ChannelError(
            f"telegram: group moved to supergroup {exc.new_chat_id}", permanent=True
        )
    if isinstance(exc, InvalidToken):
        # PTB raises it for 401 and 404: a wrong token, or a TELEGRAM_API_URL that is not a
        # Bot API root. Either way every message would fail the same.
        return ChannelError(f"telegram: {exc.message}", permanent=True, configuration=True)
    if isinstance(exc, Forbidden | BadRequest):
        # Blocked or removed, a bad token, or a message Telegram refuses: retrying cannot help.
        return ChannelError(f"telegram: {exc.message}", permanent=True)
    # Timeouts, connection failures and 5xx (NetworkError) may pass; so may anything unknown.
    return ChannelError(f"telegram: {exc.message}", permanent=False)


def retry_after_seconds(exc: RetryAfter) -> float:
    # PTB 22.2+ warns when retry_after is read as int (it becomes a timedelta in PTB 23).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return float(value)
