"""Replies by email: a reminder email carries a token; a reply that comes back from the
owner's address with that token is read line by line, task by task, through the same
conversation core as a chat reply, and answered in the same thread.

Who may report: the sender's address must be one of a person's accounts **and** the mail must
carry a token superbot put in that person's reminder — in a plus-addressed Reply-To, in the
subject, or as the reminder's Message-ID in ``In-Reply-To``/``References``. Anything else
records nothing, is answered with nothing that names a task (a known address is told how to
reply; an unknown one is not answered at all), and is listed in the coordinators' digest.

A mail is handled once: its Message-ID is remembered after handling, every report it makes is
keyed by Message-ID and task (handling it again after a crash updates the same reports) and
its answer has a dedupe key in the outbox.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from superbot.domain.mail import (
    TOKEN_ALPHABET,
    TOKEN_LENGTH,
    Line,
    TaskName,
    address_token,
    invite_code,
    lines_by_task,
    reply_text,
    subject_task,
    subject_token,
)
from superbot.domain.model import Account, Task
from superbot.domain.periods import local_day
from superbot.domain.progress import read_progress
from superbot.domain.text import Text
from superbot.service.conversation import Conversation, Conversations, NotBound
from superbot.service.errors import ServiceError
from superbot.service.outbox import NewItem, Outbox, dedupe_key
from superbot.service.outcomes import Confirmation, Evidence, Refused, Unclear, Welcome
from superbot.service.people import EMAIL, Member, member
from superbot.service.ports import Message
from superbot.service.review import Waiting
from superbot.service.status import PlanClock, load_plan
from superbot.service.store import ActivePlan, Store

if TYPE_CHECKING:  # forms build on reminders, whose view carries a ReplyWay from here
    from superbot.service.forms import FormImported

log = logging.getLogger("superbot.mail")

ANSWER = "answer"  # outbox kind of an answer to a mail
TOKEN_VALIDITY = timedelta(days=62)  # a reminder can be answered until the next one is old
MAX_FILES = 10  # evidence kept from one mail
MAX_FILE_BYTES = 20 * 1024 * 1024


# -- what arrives ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MailFile:
    filename: str
    content: bytes
    mime: str


@dataclass(frozen=True)
class InboundMail:
    """A received email, decoded by the mail reader (``channels/mail_reader.py``)."""

    message_id: str
    sender: str  # the From address
    sender_name: str
    recipients: tuple[str, ...]  # To, Cc, Delivered-To and the envelope's
    subject: str
    thread: tuple[str, ...]  # In-Reply-To and References: the Message-IDs it answers
    text: str  # the body as text, HTML turned into lines
    files: tuple[MailFile, ...] = ()
    automatic: str | None = None  # auto_reply | bounce: a machine wrote it, not a person


# -- what is kept -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplyToken:
    token: str
    person_id: str
    kind: str
    period: str
    task_ids: tuple[str, ...]
    expires_at: datetime


@dataclass(frozen=True)
class RefusedMail:
    received_at: datetime
    sender: str
    subject: str
    reason: str  # unknown_sender | no_token | wrong_token | expired_token | auto_reply | bounce
    message_id: str


class ReplyTokens(Protocol):
    def issue(
        self,
        person_id: str,
        kind: str,
        period: str,
        task_ids: Sequence[str],
        now: datetime,
        expires_at: datetime,
        token: str,
    ) -> str:
        """The round's token for this person: ``token`` if new, the one issued before if not."""
        ...

    def find(self, token: str) -> ReplyToken | None: ...

    def for_round(self, person_id: str, kind: str, period: str) -> str | None: ...


class RefusedMails(Protocol):
    def refuse(self, mail: RefusedMail) -> None:
        """Keep it for the digest (once per Message-ID)."""
        ...

    def refused_between(self, after: datetime, until: datetime) -> list[RefusedMail]: ...


class EvidenceFiles(Protocol):
    """Files kept as evidence (佐证), by content hash, bounded in size."""

    def keep(self, content: bytes, filename: str, mime: str, now: datetime) -> Evidence: ...

    def attach(self, report_id: int, evidence: Evidence) -> None: ...


class FormReader(Protocol):
    """A filled 填报表 attached to a reply (``superbot.service.forms``)."""

    def is_form(self, content: bytes) -> bool: ...

    def import_mailed(
        self, sender: Account, filename: str, content: bytes, now: datetime
    ) -> FormImported: ...


# -- what the sender is told --------------------------------------------------------------------


@dataclass(frozen=True)
class Unplaced:
    """A line that names no task of the reminder (and the reminder held several)."""

    text: str


@dataclass(frozen=True)
class SkippedFile:
    filename: str
    reason: str  # too_big | too_many | nothing_recorded


@dataclass(frozen=True)
class MailAnswer:
    """The answer to an accepted mail: per task what was recorded and the new light, per
    unclear line what was understood and how to write it."""

    member: Member
    subject: str
    outcomes: tuple[Confirmation | Unclear | Waiting | Refused | Unplaced, ...]
    tasks: tuple[Task, ...]  # the tasks the reminder held, to show how to name them
    kept: tuple[Evidence, ...] = ()
    skipped: tuple[SkippedFile, ...] = ()
    forms: tuple[FormImported, ...] = ()  # what each attached 填报表 recorded


@dataclass(frozen=True)
class MailNotice:
    """A bound person's mail that could not be taken: how to reply instead (no task named)."""

    member: Member | None
    subject: str
    reason: str
    welcome: Welcome | None = None  # an invite code sent by email: bound
    problem: Text | None = None  # an invite code that did not work


@dataclass(frozen=True)
class Handled:
    """What became of one mail (for the log and the tests)."""

    message_id: str
    recorded: int = 0
    refused: str | None = None
    answered: bool = False
    duplicate: bool = False
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class ReplyWay:
    """How to answer one reminder email: its token, where replies go."""

    token: str
    reply_to: str | None  # the Reply-To header (plus-addressed when configured)
    mailbox: str  # where the "回复此项" links write to


class MailRenderer(Protocol):
    def answer(self, view: MailAnswer | MailNotice, mail: InboundMail) -> Message: ...


class MailReplies:
    def __init__(
        self,
        store: Store,
        conversation: Conversation,
        memory: Conversations,
        tokens: ReplyTokens,
        refused: RefusedMails,
        evidence: EvidenceFiles,
        outbox: Outbox,
        renderer: MailRenderer,
        *,
        answer_channel: str = EMAIL,
        forms: FormReader | None = None,
    ) -> None:
        self.store = store
        self.conversation = conversation
        self.memory = memory
        self.tokens = tokens
        self.refused = refused
        self.evidence = evidence
        self.outbox = outbox
        self.renderer = renderer
        self.answer_channel = answer_channel
        self.forms = forms

    def handle(self, mail: InboundMail, now: datetime) -> Handled:
        if self.memory.seen(EMAIL, mail.message_id):
            return Handled(mail.message_id, duplicate=True)
        handled = self._handle(mail, now)
        self.memory.first_time(EMAIL, mail.message_id, now)
        log.info("mail %s from %s: %s", mail.message_id, mail.sender, handled)
        return handled

    def _handle(self, mail: InboundMail, now: datetime) -> Handled:
        if mail.automatic is not None:
            return self._refuse(mail, mail.automatic, now)
        plan = load_plan(self.store)
        sender = Account.of(EMAIL, mail.sender)
        who = member(plan, sender)
        if who is None:
            return self._unknown(plan, mail, sender, now)
        token, reason = self._token(mail, who, now)
        if token is None:
            self._refuse(mail, reason, now)
            self._answer(plan, MailNotice(who, mail.subject, reason), mail, who, now)
            return Handled(mail.message_id, refused=reason, answered=True)
        return self._accepted(plan, mail, who, sender, token, now)

    # -- who, and with which token --------------------------------------------------------

    def _token(
        self, mail: InboundMail, who: Member, now: datetime
    ) -> tuple[ReplyToken | None, str]:
        candidates = [
            *(address_token(address) for address in mail.recipients),
            subject_token(mail.subject),
            *(self._thread_token(ref) for ref in mail.thread),
        ]
        given = [c for c in dict.fromkeys(candidates) if c]
        if not given:
            return None, "no_token"
        reason = "wrong_token"
        for candidate in given:
            found = self.tokens.find(candidate)
            if found is None or found.person_id != who.person.id:
                continue
            if found.expires_at < now:
                reason = "expired_token"
                continue
            return found, ""
        return None, reason

    def _thread_token(self, message_id: str) -> str | None:
        sent = self.memory.sent(EMAIL, message_id)
        return sent.token if sent is not None else None

    def _unknown(
        self, plan: ActivePlan, mail: InboundMail, sender: Account, now: datetime
    ) -> Handled:
        """An address nobody has: an invite code binds it; anything else is not answered."""
        code = invite_code(mail.subject, mail.text)
        if code is None:
            return self._refuse(mail, "unknown_sender", now)
        try:
            welcome = self.conversation.start(sender, code, now)
        except ServiceError as error:
            self._refuse(mail, "bad_invite", now)
            self._answer(
                plan,
                MailNotice(None, mail.subject, "bad_invite", problem=error.text),
                mail,
                None,
                now,
            )
            return Handled(mail.message_id, refused="bad_invite", answered=True)
        notice = MailNotice(welcome.member, mail.subject, "bound", welcome=welcome)
        self._answer(plan, notice, mail, welcome.member, now)
        return Handled(mail.message_id, answered=True, notes=("bound",))

    def _refuse(self, mail: InboundMail, reason: str, now: datetime) -> Handled:
        self.refused.refuse(RefusedMail(now, mail.sender, mail.subject, reason, mail.message_id))
        return Handled(mail.message_id, refused=reason)

    # -- an accepted reply ----------------------------------------------------------------

    def _accepted(
        self,
        plan: ActivePlan,
        mail: InboundMail,
        who: Member,
        sender: Account,
        token: ReplyToken,
        now: datetime,
    ) -> Handled:
        held = [t for t in (plan.task(i) for i in token.task_ids) if t is not None]
        department = who.department.id
        mine = [t for t in plan.tasks if t.lead == department or department in t.support]
        known = list({t.id: t for t in [*held, *mine]}.values())
        named = subject_task(mail.subject)
        only = named if named and plan.task(named) else None
        if only is None and len(held) == 1:
            only = held[0].id
        text = reply_text(mail.text, (who.person.name, who.department.name))
        lines = lines_by_task(text, [TaskName(t.id, t.title) for t in known], only)
        outcomes = [self._line(plan, mail, sender, line, now) for line in lines]
        forms = self._forms(mail, sender, now)
        recorded = [o for o in outcomes if isinstance(o, Confirmation)]
        report_ids = [c.report.id for c in recorded if c.report.id is not None]
        report_ids += [r.id for f in forms for r in f.recorded if r.id is not None]
        if report_ids:
            # "见附件", "请查收": words around what was recorded are not a line to correct.
            outcomes = [o for o in outcomes if not _idle(o)]
        kept, skipped = self._files(mail, report_ids, now)
        answer = MailAnswer(
            who,
            mail.subject,
            tuple(outcomes),
            tuple(held),
            tuple(kept),
            tuple(skipped),
            tuple(forms),
        )
        self._answer(plan, answer, mail, who, now)
        return Handled(mail.message_id, recorded=len(recorded), answered=True)

    def _line(
        self, plan: ActivePlan, mail: InboundMail, sender: Account, line: Line, now: datetime
    ) -> Confirmation | Unclear | Waiting | Refused | Unplaced:
        if line.task_id is None:
            return Unplaced(line.text)
        task = plan.task(line.task_id)
        if task is None:
            return Unplaced(line.text)
        source_ref = f"{EMAIL}:{_digest(mail.message_id)}:{task.id}"
        try:
            return self.conversation.reply(sender, task.id, line.text, source_ref, now, plan)
        except NotBound:
            raise
        except ServiceError as error:
            return Refused(task, error.text)

    def _forms(self, mail: InboundMail, sender: Account, now: datetime) -> list[FormImported]:
        if self.forms is None:
            return []
        found: list[FormImported] = []
        for file in mail.files:
            if self.forms.is_form(file.content):
                found.append(self.forms.import_mailed(sender, file.filename, file.content, now))
        return found

    def _files(
        self, mail: InboundMail, report_ids: list[int], now: datetime
    ) -> tuple[list[Evidence], list[SkippedFile]]:
        kept: list[Evidence] = []
        skipped: list[SkippedFile] = []
        for file in mail.files:
            if not report_ids:
                skipped.append(SkippedFile(file.filename, "nothing_recorded"))
            elif len(file.content) > MAX_FILE_BYTES:
                skipped.append(SkippedFile(file.filename, "too_big"))
            elif len(kept) >= MAX_FILES:
                skipped.append(SkippedFile(file.filename, "too_many"))
            else:
                evidence = self.evidence.keep(file.content, file.filename, file.mime, now)
                for report_id in report_ids:
                    self.evidence.attach(report_id, evidence)
                kept.append(evidence)
        return kept, skipped

    def _answer(
        self,
        plan: ActivePlan,
        view: MailAnswer | MailNotice,
        mail: InboundMail,
        who: Member | None,
        now: datetime,
    ) -> None:
        day = local_day(now, PlanClock.of(plan.settings).zone).isoformat()
        message = self.renderer.answer(view, mail)
        recipient = mail.sender
        self.outbox.enqueue(
            [
                NewItem(
                    dedupe_key(
                        ANSWER, day, self.answer_channel, recipient, _digest(mail.message_id)
                    ),
                    ANSWER,
                    day,
                    self.answer_channel,
                    recipient,
                    message,
                    person_id=who.person.id if who is not None else None,
                )
            ],
            now,
        )

    # -- reminders: the token each one carries --------------------------------------------

    def reply_way(
        self,
        person_id: str,
        kind: str,
        period: str,
        task_ids: Sequence[str],
        now: datetime,
        *,
        mailbox: str,
        reply_to: str | None,
    ) -> ReplyWay:
        """The token for this person's message of this round (the same one however often
        the round is enqueued), and the addresses built with it. ``reply_to`` may hold
        ``{token}``: ``duban+{token}@example.gov.cn``."""
        fresh = "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))
        token = self.tokens.issue(
            person_id, kind, period, task_ids, now, now + TOKEN_VALIDITY, fresh
        )
        address = reply_to.replace("{token}", token.lower()) if reply_to else None
        return ReplyWay(token, address, address or mailbox)

    def remember_sent(
        self, person_id: str | None, kind: str, period: str, message_id: str, now: datetime
    ) -> None:
        """After a reminder email is sent: a reply quoting its Message-ID carries its token."""
        token = self.tokens.for_round(person_id, kind, period) if person_id else None
        if token is not None:
            self.memory.remember(EMAIL, message_id, now, token=token)


def _idle(outcome: object) -> bool:
    return isinstance(outcome, Unplaced) and not read_progress(outcome.text).has_progress


def _digest(message_id: str) -> str:
    return hashlib.sha256(message_id.encode()).hexdigest()[:32]
