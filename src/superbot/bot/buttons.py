"""Inline buttons: answers on task messages (``p:TASK:CODE``) and /report's task choice
(``r:TASK``)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from superbot.bot.answers import ANSWER_PREFIX, CHOICE_PREFIX, Context, answer, services
from superbot.service.conversation import Confirmation

log = logging.getLogger("superbot.bot")


async def press(update: Update, context: Context) -> None:
    """30% / 60% / 90% / 已完成 / 受阻 record at once, then the bot asks for an optional note
    and the task message shows the new light; 📝 asks for the note."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.message is None:
        return
    found = services(context)
    _, task_id, code = (query.data or "").split(":", 2)
    outcome = found.conversation.press(
        user.id, query.message.message_id, query.id, task_id, code, found.clock()
    )
    await query.answer(found.answers.toast(outcome))
    if isinstance(outcome, Confirmation):
        card = found.answers.card(outcome.status)
        try:
            await query.edit_message_text(
                card,
                parse_mode=ParseMode.HTML,
                reply_markup=found.answers.answer_buttons(task_id),
            )
        except BadRequest as error:  # too old to edit, or unchanged: the answer still goes
            log.info("task message not edited: %s", error.message)
    await answer(update, context, outcome)


async def choose(update: Update, context: Context) -> None:
    """/report: the task button."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    found = services(context)
    task_id = (query.data or "").removeprefix(f"{CHOICE_PREFIX}:")
    outcome = found.conversation.choose(user.id, task_id, found.clock())
    await query.answer()
    await answer(update, context, outcome)


async def unknown(update: Update, context: Context) -> None:
    """A button from an older version of the bot."""
    user = update.effective_user
    if user is None:
        return
    services(context).conversation.unknown_button(user.id)


PATTERNS = {
    "press": rf"^{ANSWER_PREFIX}:[^:]+:[^:]+$",
    "choose": rf"^{CHOICE_PREFIX}:[^:]+$",
}
