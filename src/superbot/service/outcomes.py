"""What a person is told after saying something to superbot, on whatever channel.

Each outcome is one template per channel (``templates/<locale>/bot/`` for the chats,
``templates/<locale>/mail_answer/`` for email); the use cases in
:mod:`superbot.service.conversation` return them and never word them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from superbot.domain.model import Report, Task
from superbot.domain.text import Text
from superbot.service.people import Member
from superbot.service.report import Recorded
from superbot.service.status import TaskStatus

# What a reading wanted from the person: progress (牵头单位), or a note (配合单位).
PROGRESS = "progress"
NOTE = "note"


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
    ask_note: bool  # the next text is taken as a note
    pressed: bool = False  # made by a button on a task message
    evidence: tuple[str, ...] = ()  # names of the files kept with the report

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
    wanted: str  # what the person may send: PROGRESS, or NOTE (配合单位)


@dataclass(frozen=True)
class Refused:
    """Nothing stored: the person may not do this with this task (and is told why)."""

    task: Task
    text: Text


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
    """A message that cannot be placed: how to report instead."""

    member: Member
    reason: str  # not_a_task_message | no_step | unknown_command | not_text


@dataclass(frozen=True)
class Evidence:
    """A file kept with a report (佐证)."""

    filename: str
    sha256: str
    size: int


@dataclass(frozen=True)
class History:
    task: Task
    status: TaskStatus
    reports: tuple[Report, ...]  # newest first
    total: int
    names: dict[str, str]  # person id → name
    zone: ZoneInfo
    evidence: dict[int, tuple[Evidence, ...]]  # report id → its files


@dataclass(frozen=True)
class GroupAnswer:
    """A bound person's command in a group: answered there only in private."""

    member: Member


Outcome = (
    Confirmation | Unclear | NoteAdded | NotePrompt | TaskChoice | ProgressPrompt | Cancelled | Hint
)
