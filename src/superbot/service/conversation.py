"""Talking with department staff: binding, replies to task messages, buttons and commands.

Every use case starts from the Telegram account and identifies the person first: an account
that is not bound gets :class:`NotBound` and learns nothing else. What a person says about a
task is read with :func:`~superbot.domain.progress.read_progress`; what the person may change
is :func:`~superbot.service.people.right`. A reading with problems, or without any progress
where progress is asked for, is answered with what was understood and what is missing, and
nothing is stored.

Where a person is in a conversation (a task chosen in ``/report``, a note awaited after a
button) is a :class:`~superbot.service.people.ChatStep` in the database, so whichever
instance receives the next message continues it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from superbot.domain.lights import Light
from superbot.domain.model import Report, State, Task
from superbot.domain.periods import local_day
from superbot.domain.progress import Reading, read_progress
from superbot.domain.suggest import closest
from superbot.domain.text import Text
from superbot.service.errors import ServiceError
from superbot.service.people import (
    Bindings,
    ChatStep,
    Member,
    Right,
    member,
    redeem_invite,
    right,
)
from superbot.service.report import Recorded, ReportRequest, record_report
from superbot.service.status import TaskStatus, load_plan, task_status, task_statuses
from superbot.service.store import ActivePlan, Store

# Conversation steps.
CHOOSE_TASK = "choose_task"  # /report: which task
PROGRESS = "progress"  # /report: how far along
NOTE = "note"  # after a button or a recorded progress: an optional note

STEP_TTL = timedelta(minutes=30)
HISTORY_LENGTH = 8
SOURCE = "telegram"

# What a button on a task message answers (reminder/buttons.j2 writes these codes).
DONE, BLOCKED, NOTE_BUTTON = "done", "blocked", "note"


class NotBound(ServiceError):
    """The Telegram account belongs to nobody in the plan."""

    def __init__(self) -> None:
        super().__init__("conversation.unbound")


# -- what the person is told (each one a template in templates/<locale>/bot/) -----------------


@dataclass(frozen=True)
class Welcome:
    """After binding, or /start from a bound account: who they are and their tasks."""

    member: Member
    led: tuple[TaskStatus, ...]
    supported: tuple[TaskStatus, ...]
    as_of: date
    just_bound: bool


@dataclass(frozen=True)
class TaskList:
    member: Member
    led: tuple[TaskStatus, ...]  # open tasks the department leads
    supported: tuple[TaskStatus, ...]  # open tasks it supports (配合)
    done: int  # led tasks already done
    as_of: date


@dataclass(frozen=True)
class Help:
    member: Member
    leads: bool  # the department leads tasks


@dataclass(frozen=True)
class Confirmation:
    """A report was recorded (or, from an edited message, updated)."""

    member: Member
    recorded: Recorded
    updated: bool  # an edited message changed its earlier report
    ask_note: bool  # the bot now takes the next text as a note
    pressed: bool = False  # made by a button on a task message

    @property
    def task(self) -> Task:
        return self.recorded.status.task

    @property
    def status(self) -> TaskStatus:
        return self.recorded.status

    @property
    def report(self) -> Report:
        return self.recorded.report


@dataclass(frozen=True)
class Unclear:
    """Nothing stored: what was read, and what is missing or could not be read."""

    task: Task
    understood: tuple[Text, ...]
    problems: tuple[Text, ...]  # empty: nothing that was asked for was found
    wanted: str  # what the person may send: "progress", or "note" (配合单位)


@dataclass(frozen=True)
class NoteAdded:
    task: Task
    note: str
    status: TaskStatus


@dataclass(frozen=True)
class NotePrompt:
    """📝 pressed, or a support department's /report: the next text is the note."""

    task: Task


@dataclass(frozen=True)
class TaskChoice:
    """/report: which task (a numbered list, with buttons when it is short)."""

    statuses: tuple[TaskStatus, ...]
    by_id: bool  # a coordinator without own tasks types the task id


@dataclass(frozen=True)
class ProgressPrompt:
    """/report: the task is chosen; now its progress."""

    status: TaskStatus


@dataclass(frozen=True)
class Cancelled:
    step: str | None  # what was cancelled; None when nothing was going on
    kept: Task | None  # a report recorded before the cancel stays


@dataclass(frozen=True)
class Hint:
    """A message the bot cannot place: how to report instead."""

    member: Member
    reason: str  # not_a_task_message | no_step | unknown_command | not_text


@dataclass(frozen=True)
class History:
    task: Task
    status: TaskStatus
    reports: tuple[Report, ...]  # newest first
    total: int
    names: dict[str, str]  # person id → name
    zone: ZoneInfo


@dataclass(frozen=True)
class GroupAnswer:
    """A bound person's command in a group: the bot answers there only in private."""

    member: Member


Outcome = (
    Confirmation | Unclear | NoteAdded | NotePrompt | TaskChoice | ProgressPrompt | Cancelled | Hint
)


class Conversation:
    def __init__(self, store: Store, bindings: Bindings, step_ttl: timedelta = STEP_TTL) -> None:
        self.store = store
        self.bindings = bindings
        self.step_ttl = step_ttl

    # -- who is talking ----------------------------------------------------------------------

    def identify(self, user_id: int) -> Member:
        found = member(load_plan(self.store), user_id)
        if found is None:
            raise NotBound()
        return found

    def first_time(self, update_id: int, now: datetime) -> bool:
        """False for an update already handled (Telegram delivers some twice)."""
        return self.bindings.first_time(update_id, now)

    def remember(self, chat_id: int, message_id: int, task_id: str, now: datetime) -> None:
        """A bot message about a task: replying to it reports on that task."""
        self.bindings.remember_message(chat_id, message_id, task_id, now)

    def in_group(self, user_id: int) -> GroupAnswer:
        return GroupAnswer(self.identify(user_id))

    def coordinator_accounts(self) -> list[int]:
        """Telegram accounts of the bound coordinators (their command menu is longer)."""
        plan = load_plan(self.store)
        return [plan.telegram[p] for p in plan.coordinators if p in plan.telegram]

    def hint(self, user_id: int, reason: str) -> Hint:
        """Something the bot cannot take (a photo, an unknown command): what to do instead."""
        return Hint(self.identify(user_id), reason)

    def unknown_button(self, user_id: int) -> None:
        self.identify(user_id)
        raise ServiceError("conversation.stale_button")

    # -- binding -------------------------------------------------------------------------------

    def start(self, user_id: int, code: str | None, now: datetime) -> Welcome:
        """``/start CODE`` binds the account; ``/start`` greets a bound person again."""
        plan = load_plan(self.store)
        code = (code or "").strip()
        if code:
            bound = redeem_invite(self.bindings, plan, code, user_id, now)
            self.bindings.clear_step(user_id)
            plan = load_plan(self.store)
            return self._welcome(plan, bound, now, just_bound=True)
        found = member(plan, user_id)
        if found is None:
            raise ServiceError("invite.missing")
        return self._welcome(plan, found, now, just_bound=False)

    def _welcome(
        self, plan: ActivePlan, who: Member, now: datetime, *, just_bound: bool
    ) -> Welcome:
        listing = self._task_list(plan, who, now)
        return Welcome(who, listing.led, listing.supported, listing.as_of, just_bound)

    # -- reading -------------------------------------------------------------------------------

    def help(self, user_id: int) -> Help:
        plan = load_plan(self.store)
        who = _identified(plan, user_id)
        return Help(who, any(t.lead == who.department.id for t in plan.tasks))

    def tasks(self, user_id: int, now: datetime) -> TaskList:
        plan = load_plan(self.store)
        return self._task_list(plan, _identified(plan, user_id), now)

    def _task_list(self, plan: ActivePlan, who: Member, now: datetime) -> TaskList:
        today = _today(plan, now)
        _, statuses = task_statuses(self.store, today, plan=plan)
        mine = [s for s in statuses if s.task.lead == who.department.id]
        helping = [s for s in statuses if who.department.id in s.task.support]
        return TaskList(
            who,
            tuple(_by_urgency(s for s in mine if s.light is not Light.DONE)),
            tuple(_by_urgency(s for s in helping if s.light is not Light.DONE)),
            sum(1 for s in mine if s.light is Light.DONE),
            today,
        )

    def history(self, user_id: int, task_ref: str | None, now: datetime) -> History:
        plan = load_plan(self.store)
        who = _identified(plan, user_id)
        task = self._task(plan, task_ref, who, now, usage="conversation.history_usage")
        if right(who, task) is Right.NONE:
            raise ServiceError("conversation.not_yours", task=task.title, lead=_lead(plan, task))
        reports = self.store.task_reports(task.id)
        status = self._status(plan, task.id, now)
        return History(
            task,
            status,
            tuple(reversed(reports[-HISTORY_LENGTH:])),
            len(reports),
            {p.id: p.name for p in plan.people.values()},
            ZoneInfo(plan.settings.timezone),
        )

    # -- what people type ----------------------------------------------------------------------

    def text(
        self,
        user_id: int,
        chat_id: int,
        message_id: int,
        text: str,
        *,
        reply_to: int | None,
        edited: bool,
        now: datetime,
    ) -> Outcome | None:
        """A text in the private chat: a reply to a task message reports on that task;
        otherwise it continues the step the person is in. None: nothing to answer (an edit
        of a message that reported nothing)."""
        plan = load_plan(self.store)
        who = _identified(plan, user_id)
        ref = _source_ref(chat_id, message_id)
        if reply_to is not None:
            task_id = self.bindings.task_for_message(chat_id, reply_to)
            if task_id is not None:
                task = self._active_task(plan, task_id)
                return self._report(plan, who, user_id, task, text, ref, edited=edited, now=now)
        if edited:
            return None
        step = self.bindings.step(user_id, now)
        if step is None:
            reason = "not_a_task_message" if reply_to is not None else "no_step"
            return Hint(who, reason)
        if step.step == CHOOSE_TASK:
            return self._choose(plan, who, user_id, text, now)
        task = self._active_task(plan, step.task_id or "")
        if step.step == PROGRESS:
            return self._report(plan, who, user_id, task, text, ref, edited=False, now=now)
        self.bindings.clear_step(user_id)
        return self._note(plan, who, task, text, step.report_id, ref, now)

    def _report(
        self,
        plan: ActivePlan,
        who: Member,
        user_id: int,
        task: Task,
        text: str,
        ref: str,
        *,
        edited: bool,
        now: datetime,
    ) -> Confirmation | Unclear:
        reading = read_progress(text, task.indicators)
        allowed = right(who, task)
        if allowed is Right.NONE:
            raise ServiceError("conversation.not_yours", task=task.title, lead=_lead(plan, task))
        if reading.problems:
            return Unclear(task, reading.understood, reading.problems, _wanted(allowed))
        if allowed is Right.NOTES:
            if reading.has_progress:
                raise ServiceError(
                    "conversation.notes_only", task=task.title, lead=_lead(plan, task)
                )
            if not reading.note:
                return Unclear(task, (), (), NOTE)
        elif not reading.has_progress:
            return Unclear(task, reading.understood, (), PROGRESS)
        recorded = self._record(who, task, reading, ref, now)
        asks = reading.note is None and allowed is Right.PROGRESS and not edited
        if asks:
            step = ChatStep(NOTE, task.id, recorded.report.id)
            self.bindings.set_step(user_id, step, now + self.step_ttl)
        elif not edited:
            self.bindings.clear_step(user_id)
        return Confirmation(who, recorded, updated=edited, ask_note=asks)

    def _record(
        self, who: Member, task: Task, reading: Reading, ref: str, now: datetime
    ) -> Recorded:
        return record_report(
            self.store,
            ReportRequest(
                task_id=task.id,
                percent=reading.percent,
                state=reading.state,
                note=reading.note,
                by=who.person.id,
                values=dict(reading.values),
                source=SOURCE,
                source_ref=ref,
            ),
            now=now,
        )

    def _note(
        self,
        plan: ActivePlan,
        who: Member,
        task: Task,
        text: str,
        report_id: int | None,
        ref: str,
        now: datetime,
    ) -> NoteAdded:
        note = text.strip()
        if report_id is not None:
            self.bindings.add_note(report_id, note)
        else:
            if right(who, task) is Right.NONE:
                raise ServiceError(
                    "conversation.not_yours", task=task.title, lead=_lead(plan, task)
                )
            record_report(
                self.store,
                ReportRequest(
                    task_id=task.id, note=note, by=who.person.id, source=SOURCE, source_ref=ref
                ),
                now=now,
            )
        return NoteAdded(task, note, self._status(plan, task.id, now))

    # -- buttons -------------------------------------------------------------------------------

    def press(
        self,
        user_id: int,
        message_id: int,
        press_id: str,
        task_id: str,
        answer: str,
        now: datetime,
    ) -> Confirmation | NotePrompt:
        """A button on a task message: 30 / 60 / 90 / done / blocked records at once, then
        waits for an optional note; 📝 waits for the note."""
        plan = load_plan(self.store)
        who = _identified(plan, user_id)
        task = self._active_task(plan, task_id)
        allowed = right(who, task)
        if allowed is Right.NONE:
            raise ServiceError("conversation.not_yours", task=task.title, lead=_lead(plan, task))
        if answer == NOTE_BUTTON:
            self.bindings.set_step(
                user_id, ChatStep(NOTE, task.id, None, message_id), now + self.step_ttl
            )
            return NotePrompt(task)
        if allowed is Right.NOTES:
            raise ServiceError("conversation.notes_only", task=task.title, lead=_lead(plan, task))
        if answer == DONE:
            reading = Reading(percent=100, state=State.DONE)
        elif answer == BLOCKED:
            reading = Reading(state=State.BLOCKED)
        elif answer.isdigit() and 0 <= int(answer) <= 100:
            reading = Reading(percent=int(answer))
        else:
            raise ServiceError("conversation.stale_button")
        # One press, one report: a press Telegram delivers twice updates the same one.
        recorded = self._record(who, task, reading, f"tg:press:{press_id}", now)
        self.bindings.set_step(
            user_id, ChatStep(NOTE, task.id, recorded.report.id, message_id), now + self.step_ttl
        )
        return Confirmation(who, recorded, updated=False, ask_note=True, pressed=True)

    # -- /report, /cancel, /done ---------------------------------------------------------------

    def report(self, user_id: int, task_ref: str | None, now: datetime) -> Outcome:
        """``/report``: choose a task, then its progress, then an optional note."""
        plan = load_plan(self.store)
        who = _identified(plan, user_id)
        if task_ref:
            return self._chosen(plan, who, user_id, self._task(plan, task_ref, who, now), now)
        choices = self._choices(plan, who, now)
        if not choices and not who.coordinator:
            raise ServiceError("conversation.no_tasks")
        self.bindings.set_step(user_id, ChatStep(CHOOSE_TASK), now + self.step_ttl)
        return TaskChoice(tuple(choices), by_id=not choices)

    def choose(self, user_id: int, task_id: str, now: datetime) -> Outcome:
        """A task button of ``/report``."""
        plan = load_plan(self.store)
        who = _identified(plan, user_id)
        return self._chosen(plan, who, user_id, self._active_task(plan, task_id), now)

    def _choose(
        self, plan: ActivePlan, who: Member, user_id: int, typed: str, now: datetime
    ) -> Outcome:
        word = typed.strip()
        choices = self._choices(plan, who, now)
        number = word.lstrip("#＃").translate(_FULL_WIDTH_DIGITS)
        if number.isdigit() and 1 <= int(number) <= len(choices):
            return self._chosen(plan, who, user_id, choices[int(number) - 1].task, now)
        return self._chosen(plan, who, user_id, self._task(plan, word, who, now), now)

    def _chosen(
        self, plan: ActivePlan, who: Member, user_id: int, task: Task, now: datetime
    ) -> Outcome:
        allowed = right(who, task)
        if allowed is Right.NONE:
            raise ServiceError("conversation.not_yours", task=task.title, lead=_lead(plan, task))
        if allowed is Right.NOTES:
            self.bindings.set_step(user_id, ChatStep(NOTE, task.id), now + self.step_ttl)
            return NotePrompt(task)
        self.bindings.set_step(user_id, ChatStep(PROGRESS, task.id), now + self.step_ttl)
        return ProgressPrompt(self._status(plan, task.id, now))

    def _choices(self, plan: ActivePlan, who: Member, now: datetime) -> list[TaskStatus]:
        listing = self._task_list(plan, who, now)
        return [*listing.led, *listing.supported]

    def cancel(self, user_id: int, now: datetime) -> Cancelled:
        plan = load_plan(self.store)
        _identified(plan, user_id)
        step = self.bindings.step(user_id, now)
        self.bindings.clear_step(user_id)
        if step is None:
            return Cancelled(None, None)
        kept = plan.task(step.task_id) if step.report_id is not None and step.task_id else None
        return Cancelled(step.step, kept)

    def done(
        self,
        user_id: int,
        chat_id: int,
        message_id: int,
        task_ref: str | None,
        note: str | None,
        now: datetime,
    ) -> Confirmation:
        """``/done TASK [note]``."""
        plan = load_plan(self.store)
        who = _identified(plan, user_id)
        task = self._task(plan, task_ref, who, now, usage="conversation.done_usage")
        allowed = right(who, task)
        if allowed is Right.NONE:
            raise ServiceError("conversation.not_yours", task=task.title, lead=_lead(plan, task))
        if allowed is Right.NOTES:
            raise ServiceError("conversation.notes_only", task=task.title, lead=_lead(plan, task))
        self.bindings.clear_step(user_id)
        reading = Reading(percent=100, state=State.DONE, note=(note or "").strip() or None)
        recorded = self._record(who, task, reading, _source_ref(chat_id, message_id), now)
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
        word = (typed or "").strip().lstrip("#＃").translate(_FULL_WIDTH).lower()
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

_FULL_WIDTH = str.maketrans({chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)})
_FULL_WIDTH_DIGITS = str.maketrans({chr(0xFF10 + d): str(d) for d in range(10)})


def _identified(plan: ActivePlan, user_id: int) -> Member:
    found = member(plan, user_id)
    if found is None:
        raise NotBound()
    return found


def _source_ref(chat_id: int, message_id: int) -> str:
    """The message a report came from: an edit of it, or a second delivery, updates the same."""
    return f"tg:{chat_id}:{message_id}"


def _today(plan: ActivePlan, now: datetime) -> date:
    return local_day(now, ZoneInfo(plan.settings.timezone))


def _wanted(allowed: Right) -> str:
    return NOTE if allowed is Right.NOTES else PROGRESS


def _lead(plan: ActivePlan, task: Task) -> str:
    return plan.departments[task.lead].name


def _by_urgency(statuses: Iterable[TaskStatus]) -> list[TaskStatus]:
    return sorted(statuses, key=lambda s: (s.light.severity, s.task.due))
