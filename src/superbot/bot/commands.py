"""An owner's commands: /tasks, /report, /cancel, /done, /extend, /history, /help."""

from __future__ import annotations

from telegram import Update

from superbot.bot.answers import Context, answer, message_ref, send_queued, sender, services


async def tasks(update: Update, context: Context) -> None:
    user = update.effective_user
    if user is None:
        return
    found = services(context)
    await answer(update, context, found.conversation.tasks(sender(user), found.clock()))


async def report(update: Update, context: Context) -> None:
    """/report [TASK]: choose a task, then its progress, then an optional note."""
    user = update.effective_user
    if user is None:
        return
    found = services(context)
    task = context.args[0] if context.args else None
    await answer(update, context, found.conversation.report(sender(user), task, found.clock()))


async def cancel(update: Update, context: Context) -> None:
    user = update.effective_user
    if user is None:
        return
    found = services(context)
    await answer(update, context, found.conversation.cancel(sender(user), found.clock()))


async def done(update: Update, context: Context) -> None:
    """/done TASK [note]."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    found = services(context)
    args = context.args or []
    outcome = found.conversation.done(
        sender(user),
        message_ref(message.chat_id, message.message_id),
        args[0] if args else None,
        " ".join(args[1:]) or None,
        found.clock(),
    )
    await answer(update, context, outcome)
    send_queued(context)


async def extend(update: Update, context: Context) -> None:
    """/extend TASK DATE REASON: a 延期申请 for the coordinators to review."""
    user = update.effective_user
    if user is None:
        return
    found = services(context)
    args = context.args or []
    outcome = found.conversation.extend(
        sender(user),
        args[0] if args else None,
        " ".join(args[1:]),
        found.clock(),
    )
    await answer(update, context, outcome)
    send_queued(context)


async def history(update: Update, context: Context) -> None:
    """/history TASK."""
    user = update.effective_user
    if user is None:
        return
    found = services(context)
    task = context.args[0] if context.args else None
    await answer(update, context, found.conversation.history(sender(user), task, found.clock()))


async def help_(update: Update, context: Context) -> None:
    user = update.effective_user
    if user is None:
        return
    await answer(update, context, services(context).conversation.help(sender(user)))


async def unknown(update: Update, context: Context) -> None:
    user = update.effective_user
    if user is None:
        return
    await answer(
        update, context, services(context).conversation.hint(sender(user), "unknown_command")
    )
