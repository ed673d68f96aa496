"""Text in the private chat: replies to task messages, and the next step of a conversation."""

from __future__ import annotations

from telegram import Update

from superbot.bot.answers import Context, answer, message_ref, sender, services


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


async def not_text(update: Update, context: Context) -> None:
    """A photo, voice message or sticker: the bot reads only text."""
    user = update.effective_user
    if user is None:
        return
    await answer(update, context, services(context).conversation.hint(sender(user), "not_text"))
