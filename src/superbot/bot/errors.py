"""The one error handler: a refusal is answered with its reason; anything else with an
apology, and the cause goes to the log."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from superbot.bot.answers import Context, plain, say, services
from superbot.service.conversation import NotBound
from superbot.service.errors import ServiceError, Unavailable

log = logging.getLogger("superbot.bot")


async def on_error(update: object, context: Context) -> None:
    await answer_failure(update, context, context.error)


async def answer_failure(update: object, context: Context, error: BaseException | None) -> None:
    if not isinstance(update, Update):
        log.error("bot error outside an update", exc_info=error)
        return
    chat = update.effective_chat
    private = chat is not None and chat.type == ChatType.PRIVATE
    answers = services(context).answers
    if isinstance(error, NotBound):
        if not private:
            return  # in a group, an unbound account is not answered at all
        html = answers.unbound()
    elif isinstance(error, Unavailable):
        # Said once per message; the traceback would repeat for every update of an outage.
        log.warning(
            "update %s not handled, the database is unavailable: %s", update.update_id, error
        )
        html = answers.unavailable()
    elif isinstance(error, ServiceError):
        log.info("refused update %s: %r", update.update_id, error.text)
        html = answers.refused(error.text)
    else:
        log.error("update %s failed", update.update_id, exc_info=error)
        html = answers.failed()
    if not private:
        return
    if update.callback_query is not None:
        try:
            await update.callback_query.answer(plain(html), show_alert=True)
            return
        except TelegramError:  # answered already: say it in the chat instead
            pass
    await say(update, context, html)
