"""Telegram may deliver an update twice (a restart, a webhook retry): it is handled once."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from superbot.bot.answers import TELEGRAM, Context, services


async def drop_duplicate(update: Update, context: Context) -> None:
    found = services(context)
    if not found.conversation.first_time(TELEGRAM, str(update.update_id), found.clock()):
        raise ApplicationHandlerStop
