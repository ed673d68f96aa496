"""/start: binding an account with an invite code, and greeting a bound person."""

from __future__ import annotations

from telegram import Update

from superbot.bot.answers import Context, answer, sender, services
from superbot.bot.menu import show_coordinator_commands


async def start(update: Update, context: Context) -> None:
    user = update.effective_user
    if user is None:
        return
    found = services(context)
    code = context.args[0] if context.args else None
    welcome = found.conversation.start(sender(user), code, found.clock())
    await answer(update, context, welcome)
    if welcome.just_bound and welcome.member.coordinator:
        await show_coordinator_commands(context.bot, user.id, found.answers)
