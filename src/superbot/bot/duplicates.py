"""Telegram may deliver an update twice (a restart, a webhook retry): it is handled once."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from superbot.bot.answers import TELEGRAM, Context, services
from superbot.bot.errors import answer_failure


async def drop_duplicate(update: Update, context: Context) -> None:
    found = services(context)
    try:
        first = found.conversation.first_time(TELEGRAM, str(update.update_id), found.clock())
    except Exception as error:
        # Not known to be new: answered as a failure, and no handler may go on with it (an
        # error here would not stop the handlers after this one).
        await answer_failure(update, context, error)
        raise ApplicationHandlerStop from error
    if not first:
        raise ApplicationHandlerStop
