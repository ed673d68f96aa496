"""What editing tasks.yaml changed, sync by sync: a due date moved, a title or a lead changed,
a task added or removed. Every sync that changes the plan is a recorded version; the changes
are read from consecutive versions, so nothing an edit does goes unsaid."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from superbot.domain.model import Plan, Task
from superbot.domain.periods import local_day
from superbot.domain.review import Request, RequestKind, RequestStatus
from superbot.service.store import PlanVersion, Store


class Field(StrEnum):
    ADDED = "added"  # 交办: the task entered the plan
    DUE = "due"
    START = "start"
    TITLE = "title"
    LEAD = "lead"
    REMOVED = "removed"  # taken out of tasks.yaml: archived


WATCHED = (Field.DUE, Field.START, Field.TITLE, Field.LEAD)


@dataclass(frozen=True)
class TaskChange:
    version: PlanVersion  # the sync that made it
    on: date  # the day of that sync, in the plan's zone
    task_id: str
    title: str  # as the task was called after the change (before it, when removed)
    field: Field
    old: str | date | None = None  # a department's name for ``lead``
    new: str | date | None = None
    # A due date moved to the date of an approved 延期申请 (the file brought in line with it).
    approved: bool = False

    @property
    def at(self) -> datetime:
        return self.version.at


def task_changes(
    store: Store,
    zone: ZoneInfo,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    task_id: str | None = None,
) -> list[TaskChange]:
    """Changes made by the syncs in (``since``, ``until``], oldest first; with ``task_id``, one
    task's, its 交办 included. The first version recorded adds every task of the plan."""
    versions = store.plan_versions()
    wanted = [
        (n, v)
        for n, v in enumerate(versions)
        if (since is None or v.at > since) and (until is None or v.at <= until)
    ]
    if not wanted:
        return []
    requests = store.requests([task_id] if task_id else None)
    plans: dict[int, Plan] = {}

    def plan(index: int) -> Plan:
        version = versions[index]
        if version.id not in plans:
            plans[version.id] = store.plan_of_version(version.id)
        return plans[version.id]

    found: list[TaskChange] = []
    for index, version in wanted:
        before = plan(index - 1) if index > 0 else None
        found.extend(diff(before, plan(index), version, zone, requests, task_id))
    return found


def diff(
    before: Plan | None,
    after: Plan,
    version: PlanVersion,
    zone: ZoneInfo,
    requests: Sequence[Request] = (),
    task_id: str | None = None,
) -> Iterable[TaskChange]:
    on = local_day(version.at, zone)
    old = {t.id: t for t in before.tasks} if before else {}
    new = {t.id: t for t in after.tasks}
    names = {d.id: d.name for d in (*(before.departments if before else ()), *after.departments)}
    approved = {
        (r.task_id, r.due_to)
        for r in requests
        if r.kind is RequestKind.EXTENSION and r.status is RequestStatus.APPROVED
    }
    for ident, task in new.items():
        if task_id is not None and ident != task_id:
            continue
        was = old.get(ident)
        if was is None:
            yield TaskChange(version, on, ident, task.title, Field.ADDED, None, task.due)
            continue
        for name in WATCHED:
            a, b = _value(was, name, names), _value(task, name, names)
            if a != b:
                moved = name is Field.DUE and (ident, b) in approved
                yield TaskChange(version, on, ident, task.title, name, a, b, approved=moved)
    for ident, task in old.items():
        if ident not in new and (task_id is None or ident == task_id):
            yield TaskChange(version, on, ident, task.title, Field.REMOVED)


def _value(task: Task, name: Field, names: dict[str, str]) -> str | date:
    if name is Field.LEAD:
        return names.get(task.lead, task.lead)
    value: str | date = getattr(task, name.value)
    return value
