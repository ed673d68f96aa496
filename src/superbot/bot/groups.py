"""Groups get the 通报 and nothing more: a bound person's command is answered with a pointer
to the private chat; anyone else is ignored."""

from __future__ import annotations

from telegram import Update

from superbot.bot.answers import Context, answer, sender, services


async def in_group(update: Update, context: Context) -> None:
    user = update.effective_user
    if user is None:
        return
    await answer(update, context, services(context).conversation.in_group(sender(user)))
