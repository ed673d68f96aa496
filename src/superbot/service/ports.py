"""What the use cases need from the outside world, and nothing about how it is done.

Adapters live outside ``service/``: ``channels/`` implements :class:`Channel`,
``store/`` the persistence, ``render/`` the :class:`Renderer`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from superbot.domain.model import Department, Person
from superbot.domain.text import Text

if TYPE_CHECKING:
    from collections.abc import Mapping

    from superbot.service.escalation import EscalationView
    from superbot.service.review import Decided, Waiting
    from superbot.service.views import Bulletin, DigestView, LoginLinkView, ReminderView


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime: str


@dataclass(frozen=True)
class Button:
    label: str
    data: str  # opaque to the channel; the bot reads it back from a button press


@dataclass(frozen=True)
class Message:
    """One message, already rendered for the channel that will carry it.

    ``body`` is Telegram HTML for Telegram, plain text for email (``html`` is then the
    HTML alternative), markdown for the group robots and plain text for the file channel.
    """

    subject: str
    body: str
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()
    buttons: tuple[tuple[Button, ...], ...] = ()  # rows of inline buttons (Telegram only)
    # The message this one answers, as its channel referred to it (a Telegram message id, an
    # email's Message-ID): the channel threads the answer under it.
    reply_to: str | None = None
    reply_address: str | None = None  # where replies should go (an email's Reply-To)


@dataclass(frozen=True)
class Receipt:
    """What the channel tells us about a delivered message (Telegram's message_id, an
    email's Message-ID): the channel's ``on_sent`` hook remembers it for replies."""

    ref: str | None = None


class ChannelError(Exception):
    """The one failure a channel raises.

    ``permanent`` failures (blocked bot, unknown chat, refused address, missing
    configuration) are recorded and shown to coordinators; the rest are retried with
    backoff, no sooner than ``retry_after`` seconds when the remote side said so.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        retry_after: float | None = None,
        configuration: bool = False,
    ):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after
        # Our configuration is wrong (a bad token, API root or SMTP password): no recipient's
        # fault, so their messages are held until it is fixed instead of failing.
        self.configuration = configuration


class Channel(Protocol):
    name: str  # telegram | email | wecom | dingtalk | feishu | file

    async def send(self, message: Message, recipient: str) -> Receipt: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class Rate:
    """At most ``count`` messages per ``per_seconds`` to one key."""

    count: int
    per_seconds: float


@dataclass(frozen=True)
class Pace:
    """A channel's sending limits, per recipient and for the whole channel."""

    per_recipient: Rate | None = None
    per_group: Rate | None = None  # to each recipient that ``group`` says is a group
    group: Callable[[str], bool] | None = None  # the channel's own rule
    overall: Rate | None = None


@dataclass(frozen=True)
class Part:
    """One message of a round for one recipient; ``key`` tells a round's parts apart."""

    key: str  # "" for a single message; "head", "task:<id>" for a Telegram reminder
    message: Message
    task_id: str | None = None  # a Telegram reply to this message reports on the task


class Renderer(Protocol):
    """Words and layout for each kind of message, per channel (``Channel.name``)."""

    def reminder(self, view: ReminderView, channel: str) -> list[Part]: ...

    def bulletin(
        self, view: Bulletin, channel: str, documents: Mapping[str, bytes] | None = None
    ) -> list[Part]:
        """``documents``: the issued copies to attach, rather than rendering them again."""
        ...

    def bulletin_document(self, view: Bulletin, fmt: str) -> str | bytes: ...

    def escalation(
        self, view: EscalationView, channel: str, documents: Mapping[str, bytes]
    ) -> list[Part]: ...

    def escalation_document(self, view: EscalationView, fmt: str) -> str | bytes: ...

    def review_request(self, view: Waiting, channel: str) -> list[Part]: ...

    def review_decision(self, view: Decided, channel: str) -> list[Part]: ...

    def digest(self, view: DigestView, channel: str) -> list[Part]: ...

    def plan_problems(self, notice: PlanNotice, channel: str) -> list[Part]: ...

    def config_notice(self, notice: ConfigNotice, channel: str) -> list[Part]: ...

    def operations(self, text: Text, channel: str) -> list[Part]: ...

    def login_link(self, view: LoginLinkView, channel: str) -> list[Part]: ...

    def invite(self, view: InviteMail, channel: str) -> list[Part]: ...


@dataclass(frozen=True)
class PlanNotice:
    """tasks.yaml changed while running: applied (with the changes), refused with its
    problems, or held back because it would archive many tasks at once."""

    path: str
    lines: tuple[str, ...]  # rendered ``PATH:LINE:COL: message`` lines, or the changes
    applied: bool
    recovered: bool = False  # applied after the coordinators were told it was broken
    held: int = 0  # not applied: it would archive this many tasks (``lines`` lists them)


@dataclass(frozen=True)
class ConfigNotice:
    """A channel refused our configuration (token, API root, password): its messages are
    held; the coordinators hear it through another channel."""

    channel: str
    reason: str


@dataclass(frozen=True)
class InviteMail:
    """A person's own binding code, mailed to them (``superbot invite --email``): the ways
    to use it are the ones this installation has."""

    person: Person
    department: Department
    code: str
    expires: datetime  # in the plan's zone
    link: str | None = None  # the Telegram deep link, when the bot's name is known
    apps: tuple[str, ...] = ()  # chat apps the code can be sent to
    mailbox: str | None = None  # the address a 绑定 mail goes to, when replies are read
