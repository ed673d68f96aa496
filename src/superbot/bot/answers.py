"""What the bot says back: each use case's outcome through its template, with its buttons.

Template names live here and nowhere else in ``bot/``; every word is in
``templates/<locale>/bot/``. A message about one task is remembered, so that replying to the
bot's answer reports on that task as replying to the reminder does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
    User,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import ContextTypes

from superbot.channels.telegram import retry_after_seconds
from superbot.domain.model import Account
from superbot.domain.text import Text
from superbot.render.environment import Templates
from superbot.render.messages import MessageRenderer
from superbot.render.telegram import split_lines, visible_text
from superbot.service import buttons
from superbot.service.conversation import Conversation, EvidenceKept
from superbot.service.errors import Unavailable
from superbot.service.outcomes import (
    Cancelled,
    Confirmation,
    GroupAnswer,
    Help,
    Hint,
    History,
    NoteAdded,
    NotePrompt,
    ProgressPrompt,
    TaskChoice,
    TaskList,
    Unclear,
    Welcome,
)
from superbot.service.review import Decided, ReasonPrompt, Waiting
from superbot.service.status import TaskStatus
from superbot.service.supervision import (
    Nudged,
    OverdueView,
    Reloaded,
    Retried,
    SilentView,
    StatusView,
    Supervision,
)
from superbot.service.views import Bulletin

log = logging.getLogger("superbot.bot")

Context = ContextTypes.DEFAULT_TYPE

TEMPLATES: dict[type, str] = {
    Welcome: "bot/welcome.html",
    TaskList: "bot/tasks.html",
    Help: "bot/help.html",
    Confirmation: "bot/recorded.html",
    Unclear: "bot/unclear.html",
    NoteAdded: "bot/note_added.html",
    NotePrompt: "bot/note_prompt.html",
    TaskChoice: "bot/choose_task.html",
    ProgressPrompt: "bot/progress_prompt.html",
    Cancelled: "bot/cancelled.html",
    Hint: "bot/hint.html",
    History: "bot/history.html",
    GroupAnswer: "bot/group.html",
    StatusView: "bot/status.html",
    OverdueView: "bot/overdue.html",
    SilentView: "bot/who.html",
    Nudged: "bot/remind.html",
    Retried: "bot/retried.html",
    Reloaded: "bot/reloaded.html",
    Decided: "bot/decided.html",
    ReasonPrompt: "bot/reason_prompt.html",
    Waiting: "bot/extension.html",
    EvidenceKept: "bot/evidence.html",
}
REFUSED = "bot/refused.html"
UNBOUND = "bot/unbound.html"
FAILED = "bot/error.html"
UNAVAILABLE = "bot/unavailable.html"
TASK_CARD = "bot/task_card.html"
PRESSED = "bot/pressed.html"
COMMANDS = "bot/commands.j2"
BUTTONS = "reminder/buttons.j2"

TELEGRAM = "telegram"
# An answer that Telegram refuses for now (429, a 5xx, a timeout) is tried again after these
# pauses, or after exactly the retry_after a 429 names, as the outbox does for every message.
ANSWER_PAUSES = (1.0, 2.0, 4.0, 8.0)
# Outcomes of something already stored: if their answer cannot be delivered, the person must
# not be told "没有处理成功" (they would send it again and it would be recorded twice).
DONE: tuple[type, ...] = (Confirmation, NoteAdded, EvidenceKept, Decided, Waiting, Nudged, Retried)
MAX_CHOICE_BUTTONS = 12
CALLBACK_TEXT_LIMIT = 200


@dataclass(frozen=True)
class Services:
    """What the handlers use, kept in ``application.bot_data``."""

    conversation: Conversation
    supervision: Supervision
    answers: Answers
    clock: Callable[[], datetime]
    dispatch: Callable[[], Any] | None = None  # sends what a handler put in the outbox
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep


def services(context: Context) -> Services:
    return cast(Services, context.bot_data["services"])


def sender(user: User) -> Account:
    """A Telegram user as the conversation knows senders."""
    return Account(TELEGRAM, str(user.id))


def message_ref(chat_id: int, message_id: int) -> str:
    """A message as the conversation knows it: opaque outside this package."""
    return f"{chat_id}:{message_id}"


class Answers:
    def __init__(self, templates: Templates, renderer: MessageRenderer) -> None:
        self.templates = templates
        self.renderer = renderer
        self.bot_name = ""  # the bot's @username, once the bot knows it

    # -- words ---------------------------------------------------------------------------------

    def render(self, name: str, **context: Any) -> str:
        return self.templates.render(name, bot_name=self.bot_name, **context)

    def pieces(self, outcome: object) -> list[str]:
        """The outcome's text in messages Telegram accepts (a long list is split)."""
        return split_lines(self.render(TEMPLATES[type(outcome)], r=outcome))

    def refused(self, text: Text) -> str:
        return self.render(REFUSED, text=text)

    def unbound(self) -> str:
        return self.render(UNBOUND)

    def failed(self) -> str:
        return self.render(FAILED)

    def unavailable(self) -> str:
        return self.render(UNAVAILABLE)

    def card(self, status: TaskStatus) -> str:
        """A task message after a button: its new light."""
        return self.render(TASK_CARD, s=status)

    def toast(self, outcome: object) -> str:
        """A button's short answer (plain text, at most 200 characters)."""
        return plain(self.render(PRESSED, r=outcome))

    def commands(self, role: str) -> list[tuple[str, str]]:
        words = self.templates.module(COMMANDS)
        return [(str(name), str(about)) for name, about in getattr(words, role)]

    # -- buttons -------------------------------------------------------------------------------

    def keyboard(self, outcome: object) -> InlineKeyboardMarkup | None:
        if isinstance(outcome, TaskChoice) and outcome.statuses:
            # The most urgent first; the numbered list in the text has them all.
            choices = [
                _button(f"{n}. {s.task.title}", buttons.choice_data(s.task.id))
                for n, s in enumerate(outcome.statuses[:MAX_CHOICE_BUTTONS], start=1)
            ]
            rows = [[b] for b in choices if b is not None]
            return InlineKeyboardMarkup(rows) if len(rows) == len(choices) else None
        if isinstance(outcome, ProgressPrompt):
            return self.answer_buttons(outcome.status.task.id)
        return None

    def answer_buttons(self, task_id: str) -> InlineKeyboardMarkup | None:
        """The buttons a reminder's task message carries (reminder/buttons.j2)."""
        rows: Sequence[Sequence[Sequence[str]]] = self.templates.module(BUTTONS).rows  # type: ignore[attr-defined]
        keyboard = []
        for row in rows:
            line = []
            for label, code in row:
                data = buttons.answer_data(task_id, str(code))
                if data is None:
                    return None
                line.append(InlineKeyboardButton(str(label), callback_data=data))
            keyboard.append(line)
        return InlineKeyboardMarkup(keyboard)

    @staticmethod
    def about(outcome: object) -> str | None:
        """The task a message is about: replying to it reports on that task."""
        if isinstance(
            outcome, Confirmation | Unclear | NoteAdded | NotePrompt | History | EvidenceKept
        ):
            return outcome.task.id
        if isinstance(outcome, Waiting):
            return outcome.task.id
        if isinstance(outcome, ProgressPrompt):
            return outcome.status.task.id
        return None


def plain(html: str) -> str:
    text = visible_text(html)
    return text if len(text) <= CALLBACK_TEXT_LIMIT else text[: CALLBACK_TEXT_LIMIT - 1] + "…"


def _button(label: str, data: str | None) -> InlineKeyboardButton | None:
    if data is None:
        return None
    return InlineKeyboardButton(label if len(label) <= 40 else label[:39] + "…", callback_data=data)


# -- sending -----------------------------------------------------------------------------------


async def answer(update: Update, context: Context, outcome: object) -> None:
    """Send ``outcome`` to the chat the update came from."""
    chat = update.effective_chat
    if chat is None:
        return
    found = services(context)
    if isinstance(outcome, Bulletin):
        await _bulletin(update, context, outcome)
        return
    answers = found.answers
    quote = update.effective_message if isinstance(outcome, Confirmation | Unclear) else None
    keyboard = answers.keyboard(outcome)
    pieces = answers.pieces(outcome)
    sent: Message | None = None
    for number, piece in enumerate(pieces, start=1):

        def send(piece: str = piece, number: int = number) -> Awaitable[Message]:
            return context.bot.send_message(
                chat.id,
                piece,
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                reply_markup=keyboard if number == len(pieces) else None,
                reply_parameters=(
                    ReplyParameters(quote.message_id, allow_sending_without_reply=True)
                    if quote is not None and number == 1
                    else None
                ),
            )

        try:
            sent = await patiently(send, found.sleep)
        except NetworkError as error:
            if not isinstance(outcome, DONE):
                raise  # nothing was stored: the apology is true
            log.error(
                "the answer to update %s was not delivered; what it confirms is stored: %s",
                update.update_id,
                error,
            )
            return
    task_id = answers.about(outcome)
    if sent is not None and task_id is not None:
        try:
            found.conversation.remember(
                TELEGRAM, message_ref(chat.id, sent.message_id), task_id, found.clock()
            )
        except Unavailable as error:
            # What was asked is done and answered: the apology would say otherwise. Only a
            # reply to this message will not know its task.
            log.warning("message %s not remembered: %s", sent.message_id, error)


async def patiently(
    send: Callable[[], Awaitable[Message]], sleep: Callable[[float], Awaitable[None]]
) -> Message:
    """``send()``, tried again while Telegram says "not now": a 429 after exactly its
    retry_after, a timeout or a 5xx after a pause; a refusal (400, 403, a bad token) at once."""
    pauses = iter(ANSWER_PAUSES)
    while True:
        try:
            return await send()
        except RetryAfter as error:
            if next(pauses, None) is None:
                raise
            await sleep(retry_after_seconds(error))
        except (BadRequest, Forbidden, InvalidToken):
            raise
        except NetworkError:  # TimedOut and 5xx answers included
            pause = next(pauses, None)
            if pause is None:
                raise
            await sleep(pause)


def send_queued(context: Context) -> None:
    """What the handler put in the outbox (a request for the coordinators, a decision for the
    owner) goes now, not at the next tick."""
    found = services(context)
    if found.dispatch is not None:
        context.application.create_task(found.dispatch(), name="dispatch after an answer")


async def say(update: Update, context: Context, html: str) -> None:
    """A refusal or an apology, already worded."""
    chat = update.effective_chat
    if chat is None:
        return
    await context.bot.send_message(
        chat.id,
        html,
        parse_mode=ParseMode.HTML,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )


async def _bulletin(update: Update, context: Context, view: Bulletin) -> None:
    chat = update.effective_chat
    assert chat is not None
    for part in services(context).answers.renderer.bulletin(view, "telegram"):
        if part.message.body:
            await context.bot.send_message(
                chat.id,
                part.message.body,
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        for attachment in part.message.attachments:
            await context.bot.send_document(
                chat.id, InputFile(attachment.content, filename=attachment.filename)
            )
