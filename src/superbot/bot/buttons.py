"""Inline buttons: answers on task messages, /report's task choice, and a coordinator's 同意 /
退回 under a request (the protocol is :mod:`superbot.service.buttons`)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from superbot.bot.answers import Context, answer, message_ref, send_queued, sender, services
from superbot.service import buttons
from superbot.service.outcomes import Confirmation
from superbot.service.review import Decided

log = logging.getLogger("superbot.bot")


def is_answer(data: object) -> bool:
    press = buttons.read_press(data if isinstance(data, str) else None)
    return press is not None and press.kind == buttons.ANSWER


def is_choice(data: object) -> bool:
    press = buttons.read_press(data if isinstance(data, str) else None)
    return press is not None and press.kind == buttons.CHOICE


def is_decision(data: object) -> bool:
    press = buttons.read_press(data if isinstance(data, str) else None)
    return press is not None and press.kind == buttons.DECISION


async def press(update: Update, context: Context) -> None:
    """30% / 60% / 90% / 已完成 / 受阻 record at once, then the bot asks for an optional note
    and the task message shows the new light; 📝 asks for the note."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.message is None:
        return
    found = services(context)
    pressed = buttons.read_press(query.data)
    assert pressed is not None  # the handler's pattern let only answers through
    outcome = found.conversation.press(
        sender(user),
        message_ref(query.message.chat.id, query.message.message_id),
        query.id,
        pressed.task_id,
        pressed.answer,
        found.clock(),
    )
    await query.answer(found.answers.toast(outcome))
    if isinstance(outcome, Confirmation):
        card = found.answers.card(outcome.status)
        try:
            await query.edit_message_text(
                card,
                parse_mode=ParseMode.HTML,
                reply_markup=found.answers.answer_buttons(pressed.task_id),
            )
        except BadRequest as error:  # too old to edit, or unchanged: the answer still goes
            log.info("task message not edited: %s", error.message)
    await answer(update, context, outcome)
    send_queued(context)


async def decide(update: Update, context: Context) -> None:
    """同意 closes the request at once; 退回 asks for the reason first. The request message
    loses its buttons once decided, so nobody decides it twice."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.message is None:
        return
    found = services(context)
    pressed = buttons.read_press(query.data)
    assert pressed is not None
    assert pressed.request_id is not None
    outcome = found.conversation.decide(
        sender(user), pressed.request_id, pressed.answer, found.clock()
    )
    await query.answer(found.answers.toast(outcome))
    if isinstance(outcome, Decided):
        try:
            await query.edit_message_reply_markup(reply_markup=None)
        except BadRequest as error:
            log.info("request message not edited: %s", error.message)
    await answer(update, context, outcome)
    send_queued(context)


async def choose(update: Update, context: Context) -> None:
    """/report: the task button."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    found = services(context)
    pressed = buttons.read_press(query.data)
    assert pressed is not None
    outcome = found.conversation.choose(sender(user), pressed.task_id, found.clock())
    await query.answer()
    await answer(update, context, outcome)


async def unknown(update: Update, context: Context) -> None:
    """A button from an older version of the bot."""
    user = update.effective_user
    if user is None:
        return
    services(context).conversation.unknown_button(sender(user))
