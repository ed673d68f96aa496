"""Talking with department staff on any channel: binding, replies about tasks, buttons and
commands.

Every use case starts from the sender (an :class:`~superbot.domain.model.Account`) and
identifies the person first: an account that is not bound gets :class:`NotBound` and learns
nothing else. Messages are known by opaque references that only the channel's adapter
(``bot/`` for Telegram, the mail reader for email) makes and understands. What a person says
about a task is read with :func:`~superbot.domain.progress.read_progress`; what the person
may change is :func:`~superbot.service.people.right`, checked by :func:`_require` alone. A
reading with problems, or without any progress where progress is asked for, is answered with
what was understood and what is missing, and nothing is stored.

Where a person is in a conversation (a task chosen in ``/report``, a note awaited after a
button) is a :class:`ChatStep` in the database, so whichever instance receives the next
message continues it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from superbot.domain.lights import Light
from superbot.domain.mail import lines_by_task
from superbot.domain.model import Account, State, Task
from superbot.domain.periods import local_day
from superbot.domain.progress import (
    Reading,
    read_extension,
    read_new_date,
    read_progress,
)
from superbot.domain.review import RequestStatus
from superbot.domain.suggest import closest
from superbot.service import buttons
from superbot.service.errors import ServiceError
from superbot.service.outcomes import (
    NOTE,
    PROGRESS,
    Cancelled,
    Confirmation,
    Evidence,
    GroupAnswer,
    Help,
    Hint,
    History,
    NoteAdded,
    NotePrompt,
    Outcome,
    ProgressPrompt,
    Refused,
    TaskChoice,
    TaskList,
    Unclear,
    Welcome,
)
from superbot.service.people import (
    Accounts,
    Member,
    Right,
    member,
    member_of,
    redeem_invite,
    right,
)
from superbot.service.report import Recorded, ReportRequest, bounded_note, record_report
from superbot.service.review import Decided, FileKeeper, ReasonPrompt, Review, Waiting
from superbot.service.status import (
    PlanClock,
    TaskStatus,
    by_urgency,
    load_plan,
    task_status,
    task_statuses,
)
from superbot.service.store import ActivePlan, Store

# Conversation steps.
CHOOSE_TASK = "choose_task"  # /report: which task
PROGRESS_STEP = "progress"  # /report: how far along
NOTE_STEP = "note"  # after a button or a recorded progress: an optional note
REASON_STEP = "return_reason"  # a coordinator pressed 退回: the next text is why

WEB = "web"  # the channel of reports made on the web view's 填报 page

STEP_TTL = timedelta(minutes=30)
HISTORY_LENGTH = 8


class NotBound(ServiceError):
    """The account belongs to nobody in the plan."""

    def __init__(self) -> None:
        super().__init__("conversation.unbound")


@dataclass(frozen=True)
class ChatStep:
    """Where a person is in a conversation (e.g. "note" after a button)."""

    step: str
    task_id: str | None = None
    report_id: int | None = None
    message_ref: str | None = None  # the task message the step is about


@dataclass(frozen=True)
class SentRef:
    """What a sent message was about: one task, or the tasks of a reply token."""

    task_id: str | None
    token: str | None


class Conversations(Protocol):
    """The conversation's memory: messages sent and received, and steps."""

    def first_time(self, channel: str, ref: str, now: datetime) -> bool:
        """True the first time a message reference is seen (and from then on it is seen)."""
        ...

    def seen(self, channel: str, ref: str) -> bool: ...

    def remember(
        self,
        channel: str,
        ref: str,
        now: datetime,
        *,
        task_id: str | None = None,
        token: str | None = None,
        outbox_id: int | None = None,
    ) -> None:
        """A message superbot sent: replying to it reports on ``task_id`` (or the token's)."""
        ...

    def sent(self, channel: str, ref: str) -> SentRef | None: ...

    def step(self, sender: Account, now: datetime) -> ChatStep | None: ...

    def set_step(self, sender: Account, step: ChatStep, expires_at: datetime) -> None: ...

    def clear_step(self, sender: Account) -> None: ...

    def add_note(self, report_id: int, note: str) -> None: ...

    def evidence(self, report_ids: list[int]) -> dict[int, tuple[Evidence, ...]]: ...


class Conversation:
    def __init__(
        self,
        store: Store,
        accounts: Accounts,
        conversations: Conversations,
        step_ttl: timedelta = STEP_TTL,
        *,
        review: Review | None = None,
        files: FileKeeper | None = None,
    ) -> None:
        self.store = store
        self.accounts = accounts
        self.memory = conversations
        self.step_ttl = step_ttl
        self.review = review  # 办结 and 延期 requests: coordinators told, decisions taken
        self.kept_files = files  # evidence (佐证) sent as photos and files

    # -- who is talking ----------------------------------------------------------------------

    def identify(self, sender: Account) -> Member:
        return _identified(load_plan(self.store), sender)

    def first_time(self, channel: str, ref: str, now: datetime) -> bool:
        """False for a message already handled (Telegram delivers some twice)."""
        return self.memory.first_time(channel, ref, now)

    def remember(self, channel: str, ref: str, task_id: str, now: datetime) -> None:
        """A message about a task: replying to it reports on that task."""
        self.memory.remember(channel, ref, now, task_id=task_id)

    def in_group(self, sender: Account) -> GroupAnswer:
        return GroupAnswer(self.identify(sender))

    def coordinator_accounts(self, channel: str) -> list[str]:
        """The coordinators' accounts on a channel (their command menu is longer)."""
        plan = load_plan(self.store)
        found = (plan.account(p, channel) for p in plan.coordinators)
        return [account for account in found if account is not None]

    def hint(self, sender: Account, reason: str) -> Hint:
        """Something that cannot be taken (a photo, an unknown command): what to do instead."""
        return Hint(self.identify(sender), reason)

    def unknown_button(self, sender: Account) -> None:
        self.identify(sender)
        raise ServiceError("conversation.stale_button")

    # -- binding -------------------------------------------------------------------------------

    def start(self, sender: Account, code: str | None, now: datetime) -> Welcome:
        """``/start CODE`` (or the code sent on any channel) binds the account; ``/start``
        greets a bound person again."""
        plan = load_plan(self.store)
        code = (code or "").strip()
        if code:
            bound = redeem_invite(self.accounts, plan, code, sender, now)
            self.memory.clear_step(sender)
            plan = load_plan(self.store)
            return self._welcome(plan, bound, now, just_bound=True)
        found = member(plan, sender)
        if found is None:
            raise ServiceError("invite.missing")
        return self._welcome(plan, found, now, just_bound=False)

    def _welcome(
        self, plan: ActivePlan, who: Member, now: datetime, *, just_bound: bool
    ) -> Welcome:
        listing = self._task_list(plan, who, now)
        return Welcome(who, listing.led, listing.supported, listing.as_of, just_bound)

    # -- reading -------------------------------------------------------------------------------

    def help(self, sender: Account) -> Help:
        plan = load_plan(self.store)
        who = _identified(plan, sender)
        return Help(who, any(t.lead == who.department.id for t in plan.tasks))

    def tasks(self, sender: Account, now: datetime) -> TaskList:
        plan = load_plan(self.store)
        return self._task_list(plan, _identified(plan, sender), now)

    def _task_list(self, plan: ActivePlan, who: Member, now: datetime) -> TaskList:
        today = _today(plan, now)
        _, statuses = task_statuses(self.store, today, plan=plan)
        mine = [s for s in statuses if s.task.lead == who.department.id]
        helping = [s for s in statuses if who.department.id in s.task.support]
        return TaskList(
            who,
            tuple(by_urgency(s for s in mine if s.light is not Light.DONE)),
            tuple(by_urgency(s for s in helping if s.light is not Light.DONE)),
            sum(1 for s in mine if s.light is Light.DONE),
            today,
        )

    def history(self, sender: Account, task_ref: str | None, now: datetime) -> History:
        plan = load_plan(self.store)
        who = _identified(plan, sender)
        task = self._task(plan, task_ref, who, now, usage="conversation.history_usage")
        _require(plan, who, task, Right.NOTES)
        reports = self.store.task_reports(task.id)
        shown = tuple(reversed(reports[-HISTORY_LENGTH:]))
        return History(
            task,
            self._status(plan, task.id, now),
            shown,
            len(reports),
            {p.id: p.name for p in plan.people.values()},
            PlanClock.of(plan.settings).zone,
            self.memory.evidence([r.id for r in shown if r.id is not None]),
        )

    # -- what people write ---------------------------------------------------------------------

    def text(
        self,
        sender: Account,
        message_ref: str,
        text: str,
        *,
        reply_to: str | None,
        edited: bool,
        now: datetime,
    ) -> Outcome | Waiting | Decided | None:
        """A text in a private chat: a reply to a task message reports on that task;
        otherwise it continues the step the person is in. None: nothing to answer (an edit
        of a message that reported nothing)."""
        plan = load_plan(self.store)
        who = _identified(plan, sender)
        source_ref = f"{sender.channel}:{message_ref}"
        if reply_to is not None:
            about = self.memory.sent(sender.channel, reply_to)
            if about is not None and about.task_id is not None:
                task = self._active_task(plan, about.task_id)
                return self._reply(
                    plan, who, sender, task, text, source_ref, edited=edited, now=now
                )
        if edited:
            return None
        step = self.memory.step(sender, now)
        if step is None:
            reason = "not_a_task_message" if reply_to is not None else "no_step"
            return Hint(who, reason)
        if step.step == CHOOSE_TASK:
            return self._choose(plan, who, sender, text, now)
        if step.step == REASON_STEP:
            self.memory.clear_step(sender)
            return self._review().reject(step.task_id or "", text, who.person.id, now)
        task = self._active_task(plan, step.task_id or "")
        if step.step == PROGRESS_STEP:
            return self._reply(plan, who, sender, task, text, source_ref, edited=False, now=now)
        self.memory.clear_step(sender)
        return self._note(plan, who, task, text, step.report_id, source_ref, now)

    def said(
        self,
        sender: Account,
        message_ref: str,
        text: str,
        now: datetime,
        plan: ActivePlan | None = None,
    ) -> tuple[Outcome | Waiting | Decided | Refused, ...]:
        """A text on a chat app (钉钉, 企业微信, 飞书), where a message cannot answer another:
        each line that begins with a task's id or title reports on that task (``zcq8-1 60%
        设备已招标``); a text naming none is about the task of the step the person is in (a
        card's button just pressed: the text is its note, or new progress), else about their
        one open task; else they are asked to name it. A step that waits for one answer
        (/report's, a 退回's reason) takes the text as that. ``plan``: the caller's, if loaded."""
        plan = plan or load_plan(self.store)
        who = _identified(plan, sender)
        source_ref = f"{sender.channel}:{message_ref}"
        step = self.memory.step(sender, now)
        if step is not None and step.step != NOTE_STEP:
            # /report's next answer, or the reason of a 退回: what was asked for, whatever
            # the text names.
            outcome = self.text(sender, message_ref, text, reply_to=None, edited=False, now=now)
            return (outcome,) if outcome is not None else ()
        names = plan.task_names
        named = [line for line in lines_by_task(text, names) if line.task_id is not None]
        if not named and step is not None:
            if step.step == NOTE_STEP and step.task_id and read_progress(text).has_progress:
                task = self._active_task(plan, step.task_id)
                return (
                    self._reply(plan, who, sender, task, text, source_ref, edited=False, now=now),
                )
            outcome = self.text(sender, message_ref, text, reply_to=None, edited=False, now=now)
            return (outcome,) if outcome is not None else ()
        if not named:
            # "Their one open task": the one they lead, or else the one they support.
            listing = self._task_list(plan, who, now)
            choices = listing.led or listing.supported
            if len(choices) != 1:
                return (Hint(who, "name_task"),)
            named = lines_by_task(text, names, only=choices[0].task.id)
        outcomes: list[Outcome | Waiting | Decided | Refused] = []
        for line in named:
            found = plan.task(line.task_id or "")
            if found is None:
                continue
            ref = source_ref if len(named) == 1 else f"{source_ref}:{found.id}"
            try:
                outcomes.append(
                    self._reply(
                        plan,
                        who,
                        sender,
                        found,
                        line.text,
                        ref,
                        edited=False,
                        now=now,
                        follow_up=len(named) == 1,
                    )
                )
            except ServiceError as error:  # one task refused; the others are still recorded
                outcomes.append(Refused(found, error.text))
        return tuple(outcomes)

    def reply(
        self,
        sender: Account,
        task_id: str,
        text: str,
        source_ref: str,
        now: datetime,
        plan: ActivePlan | None = None,
    ) -> Confirmation | Unclear | Waiting:
        """What a person wrote about one task, on a channel without conversation steps (an
        email line): read, checked and recorded exactly as a chat reply is. Sending the same
        ``source_ref`` again updates the same report. ``plan``: the caller's, if loaded."""
        plan = plan or load_plan(self.store)
        who = _identified(plan, sender)
        task = self._active_task(plan, task_id)
        # A mail's files are kept after its lines: the coordinators hear of a request at the
        # next tick (Delivery.announce_requests), its evidence listed.
        return self._reply(
            plan, who, sender, task, text, source_ref,
            edited=False, now=now, follow_up=False, announce=False,
        )  # fmt: skip

    def _reply(
        self,
        plan: ActivePlan,
        who: Member,
        sender: Account,
        task: Task,
        text: str,
        source_ref: str,
        *,
        edited: bool,
        now: datetime,
        follow_up: bool = True,
        announce: bool = True,
    ) -> Confirmation | Unclear | Waiting:
        allowed = _require(plan, who, task, Right.NOTES)
        asked = read_extension(text, _today(plan, now)) if not edited else None
        if asked is not None and self.review is not None:  # "申请延期至12月31日，原因：……"
            _require(plan, who, task, Right.PROGRESS)
            if asked.to is None:
                raise ServiceError("review.extension_no_date", task=task.title)
            if follow_up:
                self.memory.clear_step(sender)
            return self.review.extend(
                task.id, asked.to, asked.reason, who.person.id, now, source=sender.channel
            )
        reading = read_progress(text, task.indicators)
        if reading.problems:
            return Unclear(task, reading.understood, reading.problems, _wanted(allowed))
        if allowed is Right.NOTES:
            if reading.has_progress:
                _require(plan, who, task, Right.PROGRESS)
            if not reading.note:
                return Unclear(task, (), (), NOTE)
        elif not reading.has_progress:
            return Unclear(task, reading.understood, (), PROGRESS)
        recorded = self._record(
            plan, who, task, reading, sender.channel, source_ref, now, announce=announce
        )
        asks = follow_up and reading.note is None and allowed is Right.PROGRESS and not edited
        if asks:
            step = ChatStep(NOTE_STEP, task.id, recorded.report.id)
            self.memory.set_step(sender, step, now + self.step_ttl)
        elif follow_up and not edited:
            self.memory.clear_step(sender)
        return Confirmation(who, recorded, updated=edited, ask_note=asks)

    def _record(
        self,
        plan: ActivePlan,
        who: Member,
        task: Task,
        reading: Reading,
        channel: str,
        source_ref: str,
        now: datetime,
        *,
        announce: bool = True,
    ) -> Recorded:
        recorded = record_report(
            self.store,
            ReportRequest(
                task_id=task.id,
                percent=reading.percent,
                state=reading.state,
                note=reading.note,
                by=who.person.id,
                values=dict(reading.values),
                source=channel,
                source_ref=source_ref,
            ),
            now=now,
            plan=plan,
        )
        if announce and recorded.claim is not None and self.review is not None:
            self.review.announce(recorded.claim, now)  # 待审核: the coordinators are told
        return recorded

    def _note(
        self,
        plan: ActivePlan,
        who: Member,
        task: Task,
        text: str,
        report_id: int | None,
        source_ref: str,
        now: datetime,
    ) -> NoteAdded:
        note = text.strip()
        bounded_note(note)
        if report_id is not None:
            self.memory.add_note(report_id, note)
        else:
            _require(plan, who, task, Right.NOTES)
            channel = source_ref.partition(":")[0]
            record_report(
                self.store,
                ReportRequest(
                    task_id=task.id,
                    note=note,
                    by=who.person.id,
                    source=channel,
                    source_ref=source_ref,
                ),
                now=now,
            )
        return NoteAdded(task, note, self._status(plan, task.id, now))

    # -- buttons -------------------------------------------------------------------------------

    def press(
        self,
        sender: Account,
        message_ref: str,
        press_ref: str,
        task_id: str,
        answer: str,
        now: datetime,
    ) -> Confirmation | NotePrompt:
        """A button on a task message: 30 / 60 / 90 / done / blocked records at once, then
        waits for an optional note; 📝 waits for the note. ``press_ref`` names the press:
        one delivered twice updates the same report."""
        plan = load_plan(self.store)
        who = _identified(plan, sender)
        task = self._active_task(plan, task_id)
        _require(plan, who, task, Right.NOTES)
        if answer == buttons.NOTE:
            self.memory.set_step(
                sender, ChatStep(NOTE_STEP, task.id, None, message_ref), now + self.step_ttl
            )
            return NotePrompt(task)
        _require(plan, who, task, Right.PROGRESS)
        if answer == buttons.DONE:
            reading = Reading(percent=100, state=State.DONE)
        elif answer == buttons.BLOCKED:
            reading = Reading(state=State.BLOCKED)
        elif answer.isdigit() and 0 <= int(answer) <= 100:
            reading = Reading(percent=int(answer))
        else:
            raise ServiceError("conversation.stale_button")
        source_ref = f"{sender.channel}:press:{press_ref}"
        recorded = self._record(plan, who, task, reading, sender.channel, source_ref, now)
        self.memory.set_step(
            sender,
            ChatStep(NOTE_STEP, task.id, recorded.report.id, message_ref),
            now + self.step_ttl,
        )
        return Confirmation(who, recorded, updated=False, ask_note=True, pressed=True)

    # -- coordinators' 同意 / 退回 ----------------------------------------------------------------

    def decide(
        self, sender: Account, request_id: int, code: str, now: datetime
    ) -> Decided | ReasonPrompt:
        """A button under a request: 同意 decides at once; 退回 asks why first (the next
        text), because the owner is told the reason."""
        plan = load_plan(self.store)
        who = _identified(plan, sender)
        if not who.coordinator:
            raise ServiceError("conversation.coordinators_only")
        review = self._review()
        if code == buttons.APPROVE:
            return review.decide_request(
                request_id, RequestStatus.APPROVED, None, who.person.id, now
            )
        prompt = review.reason_prompt(request_id)
        self.memory.set_step(
            sender, ChatStep(REASON_STEP, prompt.waiting.task.id), now + self.step_ttl
        )
        return prompt

    def extend(self, sender: Account, task_ref: str | None, text: str, now: datetime) -> Waiting:
        """``/extend TASK DATE REASON``: a 延期申请 for the coordinators to review."""
        plan = load_plan(self.store)
        who = _identified(plan, sender)
        task = self._task(plan, task_ref, who, now, usage="conversation.extend_usage")
        _require(plan, who, task, Right.PROGRESS)
        asked = read_new_date(text, _today(plan, now))
        if asked.to is None:
            mine = self._choices(plan, who, now)
            raise ServiceError(
                "conversation.extend_usage", tasks=tuple((s.task.id, s.task.title) for s in mine)
            )
        self.memory.clear_step(sender)
        return self._review().extend(
            task.id, asked.to, asked.reason, who.person.id, now, source=sender.channel
        )

    def _review(self) -> Review:
        if self.review is None:
            raise ServiceError("conversation.no_review")
        return self.review

    # -- the web view's 填报 page -----------------------------------------------------------------

    def submit(
        self,
        person_id: str,
        task_id: str,
        reading: Reading,
        files: list[SentFile],
        source_ref: str,
        now: datetime,
    ) -> Confirmation:
        """A report from the web form, already in fields (percent, state, values, note):
        the same rights, record and 办结申请 as a chat reply. The same ``source_ref`` (one
        per form shown) sent twice updates the same report rather than adding one."""
        plan = load_plan(self.store)
        person = plan.people.get(person_id)
        if person is None:
            raise NotBound()
        who = member_of(plan, person)
        task = self._active_task(plan, task_id)
        _require(plan, who, task, Right.PROGRESS if reading.has_progress else Right.NOTES)
        if not reading.has_progress and not reading.note and not files:
            raise ServiceError("web.nothing_to_record", task=task.title)
        recorded = self._record(plan, who, task, reading, WEB, source_ref, now, announce=False)
        kept = []
        report_id = recorded.report.id
        if self.kept_files is not None and report_id is not None:
            for file in files[:MAX_FILES]:
                evidence = self.kept_files.keep(file.content, file.filename, file.mime, now)
                self.kept_files.attach(report_id, evidence)
                kept.append(evidence.filename)
        # The coordinators hear of a 办结申请 with its evidence listed: told after the files.
        if recorded.claim is not None and self.review is not None:
            self.review.announce(recorded.claim, now)
        return Confirmation(who, recorded, updated=False, ask_note=False, evidence=tuple(kept))

    # -- evidence: photos and files ------------------------------------------------------------

    def evidence(
        self,
        sender: Account,
        message_ref: str,
        files: list[SentFile],
        caption: str | None,
        *,
        reply_to: str | None,
        now: datetime,
    ) -> EvidenceKept | Confirmation | Unclear | Waiting | Hint:
        """Photos or files sent about a task (a reply to its message, or right after a report
        on it): kept as evidence (佐证) with the report they belong to — the one the caption
        makes, the one just recorded, or the task's 办结申请 waiting for review."""
        plan = load_plan(self.store)
        who = _identified(plan, sender)
        task = self._file_task(plan, sender, reply_to, now)
        if task is None:
            return Hint(who, "file_without_task")
        _require(plan, who, task, Right.NOTES)
        for file in files[:MAX_FILES]:  # refused whole, before the caption is recorded
            if (refusal := refused_file(file)) is not None:
                raise refusal
        keeper = self.kept_files
        if keeper is None:
            return Hint(who, "not_text")
        outcome: Confirmation | Unclear | Waiting | None = None
        report_id: int | None = None
        if caption and caption.strip():
            # The request reaches the coordinators with its files: told once they are kept.
            outcome = self._reply(
                plan, who, sender, task, caption, f"{sender.channel}:{message_ref}",
                edited=False, now=now, announce=False,
            )  # fmt: skip
            if isinstance(outcome, Unclear | Waiting):
                return outcome
            report_id = outcome.report.id
        else:
            report_id = self._report_for_files(task, who, sender, message_ref, now)
        kept = []
        for file in files[:MAX_FILES]:
            evidence = keeper.keep(file.content, file.filename, file.mime, now)
            if report_id is not None:
                keeper.attach(report_id, evidence)
            kept.append(evidence)
        if isinstance(outcome, Confirmation):
            claim = outcome.recorded.claim
            if claim is not None and self.review is not None:
                self.review.announce(claim, now)
            return dataclasses.replace(outcome, evidence=tuple(e.filename for e in kept))
        return EvidenceKept(task, tuple(kept), self._status(plan, task.id, now))

    def place_files(self, sender: Account, reply_to: str | None, now: datetime) -> Hint | None:
        """Before a file is fetched: None when it can be placed with a task, else what to do
        instead (a file sent out of the blue is not downloaded)."""
        plan = load_plan(self.store)
        who = _identified(plan, sender)
        if self._file_task(plan, sender, reply_to, now) is None:
            return Hint(who, "file_without_task")
        return None

    def _file_task(
        self, plan: ActivePlan, sender: Account, reply_to: str | None, now: datetime
    ) -> Task | None:
        if reply_to is not None:
            about = self.memory.sent(sender.channel, reply_to)
            if about is not None and about.task_id is not None:
                return plan.task(about.task_id)
        step = self.memory.step(sender, now)
        if step is not None and step.step in (NOTE_STEP, PROGRESS_STEP) and step.task_id:
            return plan.task(step.task_id)
        return None

    def _report_for_files(
        self, task: Task, who: Member, sender: Account, message_ref: str, now: datetime
    ) -> int | None:
        """The report files without a caption belong to: the one the step is about (a press
        or a reply just recorded), else the task's 办结申请 waiting for review, else a report
        of their own (a note-less one, dated now)."""
        step = self.memory.step(sender, now)
        if step is not None and step.task_id == task.id and step.report_id is not None:
            return step.report_id
        claim = next(
            (
                r.report_id
                for r in self.store.requests([task.id])
                if r.pending and r.report_id is not None
            ),
            None,
        )
        if claim is not None:
            return claim
        recorded = record_report(
            self.store,
            ReportRequest(
                task_id=task.id,
                by=who.person.id,
                source=sender.channel,
                source_ref=f"{sender.channel}:{message_ref}",
            ),
            now=now,
        )
        return recorded.report.id

    # -- /report, /cancel, /done ---------------------------------------------------------------

    def report(self, sender: Account, task_ref: str | None, now: datetime) -> Outcome:
        """``/report``: choose a task, then its progress, then an optional note."""
        plan = load_plan(self.store)
        who = _identified(plan, sender)
        if task_ref:
            return self._chosen(plan, who, sender, self._task(plan, task_ref, who, now), now)
        choices = self._choices(plan, who, now)
        if not choices and not who.coordinator:
            raise ServiceError("conversation.no_tasks")
        self.memory.set_step(sender, ChatStep(CHOOSE_TASK), now + self.step_ttl)
        return TaskChoice(tuple(choices), by_id=not choices)

    def choose(self, sender: Account, task_id: str, now: datetime) -> Outcome:
        """A task button of ``/report``."""
        plan = load_plan(self.store)
        who = _identified(plan, sender)
        return self._chosen(plan, who, sender, self._active_task(plan, task_id), now)

    def _choose(
        self, plan: ActivePlan, who: Member, sender: Account, typed: str, now: datetime
    ) -> Outcome:
        word = typed.strip()
        choices = self._choices(plan, who, now)
        number = word.lstrip("#＃").translate(_FULL_WIDTH_DIGITS)
        if number.isdigit() and 1 <= int(number) <= len(choices):
            return self._chosen(plan, who, sender, choices[int(number) - 1].task, now)
        return self._chosen(plan, who, sender, self._task(plan, word, who, now), now)

    def _chosen(
        self, plan: ActivePlan, who: Member, sender: Account, task: Task, now: datetime
    ) -> Outcome:
        allowed = _require(plan, who, task, Right.NOTES)
        if allowed is Right.NOTES:
            self.memory.set_step(sender, ChatStep(NOTE_STEP, task.id), now + self.step_ttl)
            return NotePrompt(task)
        self.memory.set_step(sender, ChatStep(PROGRESS_STEP, task.id), now + self.step_ttl)
        return ProgressPrompt(self._status(plan, task.id, now))

    def _choices(self, plan: ActivePlan, who: Member, now: datetime) -> list[TaskStatus]:
        listing = self._task_list(plan, who, now)
        return [*listing.led, *listing.supported]

    def cancel(self, sender: Account, now: datetime) -> Cancelled:
        plan = load_plan(self.store)
        _identified(plan, sender)
        step = self.memory.step(sender, now)
        self.memory.clear_step(sender)
        if step is None:
            return Cancelled(None, None)
        kept = plan.task(step.task_id) if step.report_id is not None and step.task_id else None
        return Cancelled(step.step, kept)

    def done(
        self,
        sender: Account,
        message_ref: str,
        task_ref: str | None,
        note: str | None,
        now: datetime,
    ) -> Confirmation:
        """``/done TASK [note]``."""
        plan = load_plan(self.store)
        who = _identified(plan, sender)
        task = self._task(plan, task_ref, who, now, usage="conversation.done_usage")
        _require(plan, who, task, Right.PROGRESS)
        self.memory.clear_step(sender)
        reading = Reading(percent=100, state=State.DONE, note=(note or "").strip() or None)
        source_ref = f"{sender.channel}:{message_ref}"
        recorded = self._record(plan, who, task, reading, sender.channel, source_ref, now)
        return Confirmation(who, recorded, updated=False, ask_note=False)

    # -- tasks by what people type ----------------------------------------------------------

    def _task(
        self,
        plan: ActivePlan,
        typed: str | None,
        who: Member,
        now: datetime,
        usage: str = "conversation.report_usage",
    ) -> Task:
        """A task by id, forgiving case, full-width letters and a leading #."""
        word = task_word(typed or "")
        if not word:
            mine = self._choices(plan, who, now)
            raise ServiceError(usage, tasks=tuple((s.task.id, s.task.title) for s in mine))
        task = plan.task(word)
        if task is not None:
            return task
        if self.store.task_archived(word):
            raise ServiceError("report.archived_task", id=word)
        raise ServiceError(
            "report.unknown_task", id=typed, suggestion=closest(word, [t.id for t in plan.tasks])
        )

    def _active_task(self, plan: ActivePlan, task_id: str) -> Task:
        task = plan.task(task_id)
        if task is None:
            raise ServiceError("report.archived_task", id=task_id)
        return task

    def _status(self, plan: ActivePlan, task_id: str, now: datetime) -> TaskStatus:
        return task_status(self.store, plan, task_id, _today(plan, now))


# -- small pieces ------------------------------------------------------------------------------

MAX_FILES = 10  # kept from one message; Telegram sends an album as one message per photo
MAX_FILE_BYTES = 20 * 1024 * 1024  # one evidence file, on every channel and the web
# Evidence people send: photos, PDFs, office documents, archives. Anything else is refused
# by name before it is kept (and every download is an attachment, never shown inline).
EVIDENCE_TYPES = frozenset(
    {".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic", ".bmp", ".pdf", ".doc", ".docx"}
    | {".xls", ".xlsx", ".ppt", ".pptx", ".wps", ".et", ".txt", ".csv", ".ofd"}
    | {".zip", ".rar", ".7z", ".mp4", ".mov"}
)


def refused_file(file: SentFile) -> ServiceError | None:
    """Why an evidence file sent in a chat is not kept, or None: its type, then its size."""
    name = file.filename
    suffix = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if suffix not in EVIDENCE_TYPES:
        return ServiceError("conversation.file_type", name=name)
    if len(file.content) > MAX_FILE_BYTES:
        return ServiceError("conversation.file_too_big", name=name, limit=MAX_FILE_BYTES >> 20)
    return None


@dataclass(frozen=True)
class SentFile:
    """A file a person sent, as the channel delivered it."""

    filename: str
    content: bytes
    mime: str


@dataclass(frozen=True)
class EvidenceKept:
    """Files kept as evidence with a task's report."""

    task: Task
    kept: tuple[Evidence, ...]
    status: TaskStatus


_FULL_WIDTH = str.maketrans({chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)})
_FULL_WIDTH_DIGITS = str.maketrans({chr(0xFF10 + d): str(d) for d in range(10)})


def task_word(typed: str) -> str:
    """A task id as people type it: any case, full-width letters, a leading #."""
    return typed.strip().lstrip("#＃").translate(_FULL_WIDTH).lower()


def _identified(plan: ActivePlan, sender: Account) -> Member:
    found = member(plan, sender)
    if found is None:
        raise NotBound()
    return found


def _require(plan: ActivePlan, who: Member, task: Task, wanted: Right) -> Right:
    """The one rights check: ``wanted`` is NOTES to see a task or add a note, PROGRESS to
    change its percent or state. Returns what the person may do."""
    allowed = right(who, task)
    if allowed is Right.NONE:
        # Only the id the person typed: a task's title and lead are for those who share it.
        raise ServiceError("conversation.not_yours", task=task.id)
    if wanted is Right.PROGRESS and allowed is Right.NOTES:
        lead = plan.departments[task.lead].name
        raise ServiceError("conversation.notes_only", task=task.title, lead=lead)
    return allowed


def _today(plan: ActivePlan, now: datetime) -> date:
    return local_day(now, PlanClock.of(plan.settings).zone)


def _wanted(allowed: Right) -> str:
    return NOTE if allowed is Right.NOTES else PROGRESS
