"""督查科's commands: /status, /overdue, /who, /remind, /retry, /bulletin, /reload."""

from __future__ import annotations

from telegram import Update

from superbot.bot.answers import Context, answer, sender, services


async def status(update: Update, context: Context) -> None:
    """/status [campaign]."""
    user = update.effective_user
    if user is None:
        return
    found = services(context)
    campaign = " ".join(context.args or []) or None
    await answer(update, context, found.supervision.status(sender(user), campaign, found.clock()))


async def overdue(update: Update, context: Context) -> None:
    user = update.effective_user
    if user is None:
        return
    found = services(context)
    await answer(update, context, found.supervision.overdue(sender(user), found.clock()))


async def who(update: Update, context: Context) -> None:
    """Who has not reported since the latest monthly reminder."""
    user = update.effective_user
    if user is None:
        return
    found = services(context)
    await answer(update, context, found.supervision.who(sender(user), found.clock()))


async def remind(update: Update, context: Context) -> None:
    """/remind [dept]: nudge only those who have not reported (once a day each)."""
    user = update.effective_user
    if user is None:
        return
    found = services(context)
    department = " ".join(context.args or []) or None
    await answer(update, context, found.supervision.remind(sender(user), department, found.clock()))
    if found.dispatch is not None:
        context.application.create_task(found.dispatch(), name="dispatch after /remind")


async def retry(update: Update, context: Context) -> None:
    """/retry [reminders|bulletin|digest]: this period's failed messages of a round again."""
    user = update.effective_user
    if user is None:
        return
    found = services(context)
    what = " ".join(context.args or []) or None
    await answer(update, context, found.supervision.retry(sender(user), what, found.clock()))
    if found.dispatch is not None:
        context.application.create_task(found.dispatch(), name="dispatch after /retry")


async def bulletin(update: Update, context: Context) -> None:
    """This month's 通报 so far, to the coordinator alone."""
    user = update.effective_user
    if user is None:
        return
    found = services(context)
    await answer(update, context, found.supervision.bulletin(sender(user), found.clock()))


async def reload(update: Update, context: Context) -> None:
    """Re-read tasks.yaml now; its errors come back as file:line:col lines."""
    user = update.effective_user
    if user is None:
        return
    found = services(context)
    await answer(update, context, await found.supervision.reload(sender(user), found.clock()))
