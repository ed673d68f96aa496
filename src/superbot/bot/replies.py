"""What people send in the private chat: replies to task messages, the next step of a
conversation, and photos and files as evidence."""

from __future__ import annotations

import logging

from telegram import Document, Message, PhotoSize, Update
from telegram.error import TelegramError

from superbot.bot.answers import Context, answer, message_ref, send_queued, sender, services
from superbot.service.conversation import SentFile

log = logging.getLogger("superbot.bot")
# Telegram lets a bot download files of at most 20 MB; larger ones are refused before asking.
DOWNLOAD_LIMIT = 20 * 1024 * 1024


async def text(update: Update, context: Context) -> None:
    """A reply to a task message reports on it (an edited reply updates that report);
    other text continues /report or adds the note a button asked for."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None or message.text is None:
        return
    found = services(context)
    replied = message.reply_to_message
    outcome = found.conversation.text(
        sender(user),
        message_ref(message.chat_id, message.message_id),
        message.text,
        reply_to=message_ref(message.chat_id, replied.message_id) if replied else None,
        edited=update.edited_message is not None,
        now=found.clock(),
    )
    if outcome is not None:
        await answer(update, context, outcome)
        send_queued(context)


async def files(update: Update, context: Context) -> None:
    """A photo or a file: evidence (佐证) for the task whose message it replies to; its caption
    is read as a reply."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    found = services(context)
    replied = message.reply_to_message
    reply_to = message_ref(message.chat_id, replied.message_id) if replied else None
    unplaced = found.conversation.place_files(sender(user), reply_to, found.clock())
    if unplaced is not None:
        await answer(update, context, unplaced)
        return
    sent, problem = await _download(message)
    if sent is None:
        await answer(update, context, found.conversation.hint(sender(user), problem))
        return
    outcome = found.conversation.evidence(
        sender(user),
        message_ref(message.chat_id, message.message_id),
        [sent],
        message.caption,
        reply_to=reply_to,
        now=found.clock(),
    )
    await answer(update, context, outcome)
    send_queued(context)


async def _download(message: Message) -> tuple[SentFile | None, str]:
    """The file's bytes, or why not: too big for a bot (over 20 MB), or not fetched."""
    item: PhotoSize | Document
    if message.photo:
        photo = message.photo[-1]  # the largest size Telegram made
        item, name, mime = photo, f"photo-{message.message_id}.jpg", "image/jpeg"
        size = photo.file_size
    elif message.document is not None:
        document = message.document
        item, size = document, document.file_size
        name = document.file_name or f"file-{message.message_id}"
        mime = document.mime_type or "application/octet-stream"
    else:
        return None, "not_text"
    if size is not None and size > DOWNLOAD_LIMIT:
        return None, "file_too_big"
    try:
        file = await item.get_file()
        content = bytes(await file.download_as_bytearray())
    except TelegramError as error:
        log.info("file not downloaded: %s", error.message)
        return None, "file_failed"
    return SentFile(name, content, mime), ""


async def not_text(update: Update, context: Context) -> None:
    """A photo, voice message or sticker: the bot reads only text."""
    user = update.effective_user
    if user is None:
        return
    await answer(update, context, services(context).conversation.hint(sender(user), "not_text"))
