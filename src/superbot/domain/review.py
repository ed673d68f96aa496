"""办结 and 延期 as requests a 督查科 decides.

An owner's "done" (with ``rules.review_done``) is a 办结申请: the task is 待审核 until a
coordinator approves it (销号, done as of the request's date) or returns it (退回: the claim
never counted). A 延期申请 asks, before the due date, to move it; an approved one moves the
effective due date from the day of the approval on, and the original date is kept.

Decisions are facts about the request, not about the day they were taken: a status for any
day reads an approved claim as done from its own date and a returned one as never made.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from superbot.domain.periods import local_day
from superbot.domain.text import Text


class RequestKind(StrEnum):
    DONE = "done"  # 办结申请
    EXTENSION = "extension"  # 延期申请


class RequestStatus(StrEnum):
    PENDING = "pending"  # 待审核
    APPROVED = "approved"  # 销号; 延期获批
    REJECTED = "rejected"  # 退回
    WITHDRAWN = "withdrawn"  # the owner reported progress instead, or finished the task


@dataclass(frozen=True)
class Request:
    kind: RequestKind
    task_id: str
    requested_at: datetime  # aware; a 办结申请 is dated by its report
    person_id: str | None = None
    source: str = "cli"
    report_id: int | None = None  # 办结: the report that said done
    due_from: date | None = None  # 延期: the date it moves …
    due_to: date | None = None  # … and where to
    reason: str | None = None  # 延期: why
    status: RequestStatus = RequestStatus.PENDING
    decided_at: datetime | None = None
    decided_by: str | None = None
    decision_note: str | None = None  # the approval's note, or why it was returned
    id: int | None = None

    @property
    def pending(self) -> bool:
        return self.status is RequestStatus.PENDING


@dataclass(frozen=True)
class Due:
    """A task's effective due date, and the plan's when an approved extension moved it."""

    day: date
    original: date | None = None

    @property
    def extended(self) -> bool:
        return self.original is not None


def effective_due(plan_due: date, requests: Iterable[Request], until: datetime) -> Due:
    """The due date on the day ending at ``until``: the plan's, moved by every extension
    approved by then that starts from the date then in force.

    A plan edited after an approval wins (the extension no longer starts from its date),
    unless it was edited to the extended date itself: then the task is still an extended one.
    """
    approved = sorted(
        (
            r
            for r in requests
            if r.kind is RequestKind.EXTENSION
            and r.status is RequestStatus.APPROVED
            and r.decided_at is not None
            and r.decided_at <= until
            and r.due_from is not None
            and r.due_to is not None
        ),
        key=lambda r: r.decided_at or until,
    )
    due = plan_due
    for r in approved:
        if r.due_from == due and r.due_to is not None:
            due = r.due_to
    # Walking back from the plan's date finds a tasks.yaml edited to an extended date.
    back = {r.due_to: r.due_from for r in approved}
    original, seen = plan_due, {plan_due}
    while original in back and (earlier := back[original]) is not None and earlier not in seen:
        original = earlier
        seen.add(earlier)
    if due == plan_due and original == plan_due:
        return Due(plan_due)
    return Due(due, original)


def pending_claims(requests: Iterable[Request], until: datetime) -> dict[str, Request]:
    """Per task, the 办结申请 waiting for review that was made by ``until``."""
    return {
        r.task_id: r
        for r in sorted(requests, key=lambda r: r.requested_at)
        if r.kind is RequestKind.DONE and r.pending and r.requested_at <= until
    }


def waiting(requests: Iterable[Request], task_id: str) -> Request | None:
    """The task's request waiting for a decision (a task has at most one)."""
    return next((r for r in requests if r.task_id == task_id and r.pending), None)


def extension_refusal(
    due: Due,
    today: date,
    wanted: date,
    *,
    done: bool,
    pending: Request | None,
    zone: ZoneInfo,
) -> Text | None:
    """Why a 延期申请 made on ``today`` for ``wanted`` cannot be taken; None when it can."""
    if done:
        return Text.of("review.extension_done")
    if pending is not None:
        asked = local_day(pending.requested_at, zone)
        if pending.kind is RequestKind.DONE:
            return Text.of("review.extension_while_claimed", on=asked)
        return Text.of("review.extension_pending", wanted=pending.due_to, on=asked)
    if today > due.day:
        return Text.of("review.extension_too_late", due=due.day, days=(today - due.day).days)
    if wanted <= due.day:
        return Text.of("review.extension_not_later", due=due.day, wanted=wanted)
    return None


def dues(
    plan_dues: Mapping[str, date], requests: Iterable[Request], until: datetime
) -> dict[str, Due]:
    """Every task's effective due date at ``until`` (only those an extension touched)."""
    by_task: dict[str, list[Request]] = {}
    for r in requests:
        if r.kind is RequestKind.EXTENSION and r.status is RequestStatus.APPROVED:
            by_task.setdefault(r.task_id, []).append(r)
    found = {}
    for task_id, asked in by_task.items():
        if task_id in plan_dues:
            due = effective_due(plan_dues[task_id], asked, until)
            if due.extended:
                found[task_id] = due
    return found
