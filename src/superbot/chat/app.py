"""One chat app's conversation: what arrives is handled by the conversation core, exactly as
the Telegram bot handles it, and answered through the outbox.

A platform's module (``chat/dingtalk.py`` …) reads its wire format into a
:class:`~superbot.chat.events.Said` or :class:`~superbot.chat.events.Pressed` and hands it to
:meth:`ChatApp.handle`. Texts starting with ``/`` are the bot's commands (``/status`` …); an
unbound person's invite code binds them; any other text is read by
:meth:`~superbot.service.conversation.Conversation.said`. A button records at once, and the
card it sits on is replaced by the same card with the new light.

Each event is handled once: a platform that delivers it again (a retry after a timeout) is
answered with nothing new. The answer is an outbox row keyed by the event, so handling it
again after a crash neither records twice (reports are keyed by the message) nor answers
twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Protocol

from superbot.chat.answers import ChatAnswers, pieces
from superbot.chat.events import Event, Pressed, Said
from superbot.domain.mail import invite_code
from superbot.domain.periods import local_day
from superbot.render.messages import MessageRenderer
from superbot.service import buttons
from superbot.service.conversation import Conversation, NotBound
from superbot.service.errors import ServiceError, Unavailable
from superbot.service.outbox import NewItem, Outbox, dedupe_key
from superbot.service.outcomes import Confirmation
from superbot.service.people import member
from superbot.service.ports import Message
from superbot.service.status import PlanClock, load_plan
from superbot.service.store import ActivePlan
from superbot.service.supervision import Supervision
from superbot.service.views import Bulletin

log = logging.getLogger("superbot.chat")

ANSWER = "answer"  # outbox kind of an answer, as for answers by email
COMMAND_MARKS = ("/", "／")


class CardChannel(Protocol):
    """What a chat app's channel does besides sending (``channels/*_app.py``)."""

    @property
    def name(self) -> str: ...

    @property
    def max_text_bytes(self) -> int: ...

    async def update_card(
        self, card: str, update: str | None, message: Message, recipient: str
    ) -> None:
        """Show ``message`` (a task card) in place of the card the person pressed."""
        ...


@dataclass(frozen=True)
class Handled:
    """What became of one event (for the platform's reply, the log and the tests)."""

    duplicate: bool = False
    answered: bool = False
    toast: str | None = None  # a button's short answer, for platforms that show one


class ChatApp:
    def __init__(
        self,
        platform: str,
        channel: CardChannel,
        *,
        conversation: Conversation,
        supervision: Supervision,
        answers: ChatAnswers,
        renderer: MessageRenderer,
        outbox: Outbox,
        clock: Callable[[], datetime],
        dispatch: Callable[[], Awaitable[object]],
    ) -> None:
        self.platform = platform
        self.channel = channel
        self.conversation = conversation
        self.supervision = supervision
        self.answers = answers
        self.renderer = renderer
        self.outbox = outbox
        self.clock = clock
        self.dispatch = dispatch
        self._background: set[asyncio.Task[Any]] = set()

    async def handle(self, event: Event) -> Handled:
        now = self.clock()
        plan = load_plan(self.conversation.store)  # read once for the whole event
        event = self._bound(event, plan)
        ref = f"{'press' if isinstance(event, Pressed) else 'msg'}:{event.ref}"
        memory = self.conversation.memory
        if memory.seen(self.platform, ref):
            return Handled(duplicate=True)
        handled = await self._handle(event, now, plan)
        memory.first_time(self.platform, ref, now)
        return handled

    async def drain(self) -> None:
        """Wait for the card updates and sends started by the events handled so far."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    def _bound(self, event: Event, plan: ActivePlan) -> Event:
        """The event from the account the plan knows, when the platform names the sender
        in several ways (飞书: user_id and open_id)."""
        for account in (event.sender, *event.aliases) if event.aliases else ():
            if plan.person_of(account) is not None:
                return replace(event, sender=account)
        return event

    # -- one event ---------------------------------------------------------------------------

    async def _handle(self, event: Event, now: datetime, plan: ActivePlan) -> Handled:
        sender = event.sender
        toast = None
        today = local_day(now, PlanClock.of(plan.settings).zone)
        try:
            if isinstance(event, Pressed):
                outcome = self._press(event, now, today)
                toast = self.answers.toast(outcome)
                outcomes: list[object] = [outcome]
            elif event.group:
                outcomes = [self.conversation.in_group(sender)]
            else:
                outcomes = await self._said(event, now, plan)
            messages = self._messages(outcomes)
        except NotBound:
            if isinstance(event, Said) and event.group:
                return Handled()  # in a group, an unbound account is not answered at all
            messages = [Message("", self.answers.unbound())]
        except Unavailable:
            raise  # not acknowledged: the platform delivers the event again, later
        except ServiceError as error:
            log.info("refused %s event %s: %r", self.platform, event.ref, error.text)
            messages = [Message("", self.answers.refused(error.text))]
            toast = self.answers.refused(error.text)
        except Exception:
            log.exception("%s event %s failed", self.platform, event.ref)
            messages = [Message("", self.answers.failed())]
        self._answer(event, messages, now, today)
        return Handled(answered=bool(messages), toast=toast)

    def _press(self, event: Pressed, now: datetime, today: date) -> object:
        press = buttons.read_press(event.data)
        if press is not None and press.kind == buttons.DECISION and press.request_id:
            # 同意 / 退回 on a 办结 or 延期 request (退回 asks for the reason next).
            return self.conversation.decide(event.sender, press.request_id, press.answer, now)
        if press is None or press.kind != buttons.ANSWER:
            self.conversation.identify(event.sender)
            raise ServiceError("conversation.stale_button")  # an old card's button
        outcome = self.conversation.press(
            event.sender, event.card, event.ref, press.task_id, press.answer, now
        )
        if isinstance(outcome, Confirmation):
            card = self.renderer.task_card(outcome.status, today)
            self._soon(self._update_card(event, card))
        return outcome

    async def _update_card(self, event: Pressed, card: Message) -> None:
        try:
            await self.channel.update_card(event.card, event.update, card, event.sender.id)
        except Exception as error:  # too old to update, say: the answer still tells the light
            log.warning("%s card %s not updated: %s", self.platform, event.card, error)

    async def _said(self, event: Said, now: datetime, plan: ActivePlan) -> list[object]:
        sender = event.sender
        if event.text is None:
            return [self.conversation.hint(sender, "not_text")]
        text = event.text.strip()
        command, argument = _command(text)
        if command is None:
            if member(plan, sender) is None:
                code = invite_code("", text)
                if code is None:
                    raise NotBound()
                return [self.conversation.start(sender, code, now)]
            return list(self.conversation.said(sender, event.ref, text, now, plan))
        return [await self._command(command, argument, event, now)]

    async def _command(self, name: str, argument: str, event: Said, now: datetime) -> object:
        sender, first = event.sender, argument.split()[0] if argument.split() else None
        conversation, supervision = self.conversation, self.supervision
        rest = " ".join(argument.split()[1:]) or None
        owner: dict[str, Callable[[], object]] = {
            "start": lambda: conversation.start(sender, first, now),
            "tasks": lambda: conversation.tasks(sender, now),
            "report": lambda: conversation.report(sender, first, now),
            "cancel": lambda: conversation.cancel(sender, now),
            "done": lambda: conversation.done(sender, event.ref, first, rest, now),
            "history": lambda: conversation.history(sender, first, now),
            "extend": lambda: conversation.extend(sender, first, rest or "", now),
            "help": lambda: conversation.help(sender),
            "status": lambda: supervision.status(sender, argument or None, now),
            "overdue": lambda: supervision.overdue(sender, now),
            "who": lambda: supervision.who(sender, now),
            "bulletin": lambda: supervision.bulletin(sender, now),
        }
        if name in owner:
            return owner[name]()
        if name == "remind":
            nudged = supervision.remind(sender, argument or None, now)
            self._soon(self.dispatch())
            return nudged
        if name == "reload":
            return await supervision.reload(sender, now)
        return conversation.hint(sender, "unknown_command")

    # -- answering -------------------------------------------------------------------------

    def _messages(self, outcomes: list[object]) -> list[Message]:
        messages: list[Message] = []
        texts: list[str] = []
        for outcome in outcomes:
            if isinstance(outcome, Bulletin):
                parts = self.renderer.bulletin(outcome, self.channel.name)
                messages.extend(part.message for part in parts)
            else:
                texts.append(self.answers.text(outcome))
        if texts:
            text = "\n\n".join(texts)
            messages[:0] = [
                Message("", piece) for piece in pieces(text, self.channel.max_text_bytes)
            ]
        return messages

    def _answer(self, event: Event, messages: list[Message], now: datetime, today: date) -> None:
        if not messages:
            return
        day = today.isoformat()
        recipient = event.sender.id
        about = hashlib.sha256(event.ref.encode()).hexdigest()[:24]
        items = [
            NewItem(
                dedupe_key(ANSWER, day, self.channel.name, recipient, f"{about}:{seq}"),
                ANSWER,
                day,
                self.channel.name,
                recipient,
                message,
                seq=seq,
            )
            for seq, message in enumerate(messages)
        ]
        self.outbox.enqueue(items, now)
        self._soon(self.dispatch())

    def _soon(self, work: Awaitable[object]) -> None:
        """Platforms wait a few seconds for an answer to their request: sends and card
        updates go on after it."""
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)


def _command(text: str) -> tuple[str | None, str]:
    """``/status zcq8`` → (``status``, ``zcq8``); text that is no command → (None, text)."""
    if not text.startswith(COMMAND_MARKS):
        return None, text
    head, _, argument = text[1:].partition(" ")
    name = head.split("@")[0].strip().lower()
    return (name or None), argument.strip()
