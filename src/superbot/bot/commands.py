"""An owner's commands: /tasks, /report, /cancel, /done, /history, /help."""

from __future__ import annotations

from telegram import Update

from superbot.bot.answers import Context, answer, services


async def tasks(update: Update, context: Context) -> None:
    user = update.effective_user
    if user is None:
        return
    found = services(context)
    await answer(update, context, found.conversation.tasks(user.id, found.clock()))


async def report(update: Update, context: Context) -> None:
    """/report [TASK]: choose a task, then its progress, then an optional note."""
    user = update.effective_user
    if user is None:
        return
    found = services(context)
    task = context.args[0] if context.args else None
    await answer(update, context, found.conversation.report(user.id, task, found.clock()))


async def cancel(update: Update, context: Context) -> None:
    user = update.effective_user
    if user is None:
        return
    found = services(context)
    await answer(update, context, found.conversation.cancel(user.id, found.clock()))


async def done(update: Update, context: Context) -> None:
    """/done TASK [note]."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    found = services(context)
    args = context.args or []
    outcome = found.conversation.done(
        user.id,
        message.chat_id,
        message.message_id,
        args[0] if args else None,
        " ".join(args[1:]) or None,
        found.clock(),
    )
    await answer(update, context, outcome)


async def history(update: Update, context: Context) -> None:
    """/history TASK."""
    user = update.effective_user
    if user is None:
        return
    found = services(context)
    task = context.args[0] if context.args else None
    await answer(update, context, found.conversation.history(user.id, task, found.clock()))


async def help_(update: Update, context: Context) -> None:
    user = update.effective_user
    if user is None:
        return
    await answer(update, context, services(context).conversation.help(user.id))


async def unknown(update: Update, context: Context) -> None:
    user = update.effective_user
    if user is None:
        return
    await answer(update, context, services(context).conversation.hint(user.id, "unknown_command"))
