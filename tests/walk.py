"""The security walk's yardstick, shared by the bot's and the web view's walks.

What a person may see is worked out here from the plan itself (a department sees the tasks it
leads or supports, coordinators everything), never from the code under test. Every task gets
a report whose note no outsider may read and a pending 办结 request no outsider may decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from superbot.domain.model import Report, Task
from superbot.domain.review import Request, RequestKind, RequestStatus
from superbot.service.store import ActivePlan
from superbot.store.sql import SqlStore


def secret_note(task_id: str) -> str:
    return f"内部说明{task_id}仅本单位可见"


@dataclass(frozen=True)
class Asker:
    department: str | None  # None: bound to nobody, or not signed in

    def sees(self, task: Task) -> bool:
        return self.department is not None and self.department in (task.lead, *task.support)

    def leads(self, task: Task) -> bool:
        return task.lead == self.department


def targets_for(plan: ActivePlan, asker: Asker) -> list[str]:
    """A task the asker's department supports without leading (when there is one), and one
    it has no part in."""
    supported = [t.id for t in plan.tasks if asker.sees(t) and not asker.leads(t)]
    foreign = [t.id for t in plan.tasks if not asker.sees(t)]
    return supported[:1] + foreign[:1]


def forbidden_words(plan: ActivePlan, asker: Asker) -> list[str]:
    """Titles and notes of the tasks the asker may not see; names of the people of
    departments the asker shares no task with (coordinators and leaders aside: they are
    named to everyone bound, as who to ask)."""
    visible = [t for t in plan.tasks if asker.sees(t)]
    hidden = [t for t in plan.tasks if not asker.sees(t)]
    words = [secret_note(t.id) for t in hidden]
    # A hidden title inside a visible one (or the asker's department's name) is not a leak.
    shown = [t.title for t in visible] + [
        d.name for d in plan.departments.values() if d.id == asker.department
    ]
    words += [t.title for t in hidden if not any(t.title in s for s in shown)]
    near = {asker.department} | {d for t in visible for d in (t.lead, *t.support)}
    task_departments = {d for t in plan.tasks for d in (t.lead, *t.support)}
    for person in plan.people.values():
        if asker.department is None or (
            person.department_id in task_departments and person.department_id not in near
        ):
            words.append(person.name)
    return words


def seed(store: SqlStore, plan: ActivePlan, now: datetime) -> list[int]:
    """Every task with a report by its lead carrying a note, and a pending 办结 request;
    returns the requests' ids."""
    owner = {p.department_id: p.id for p in reversed(list(plan.people.values()))}
    request_ids = []
    for task in plan.tasks:
        store.add_report(
            Report(
                task.id,
                at=now - timedelta(days=3),
                percent=37,
                note=secret_note(task.id),
                person_id=owner.get(task.lead),
            )
        )
        request = store.add_request(
            Request(RequestKind.DONE, task.id, now - timedelta(days=1), owner.get(task.lead))
        )
        assert request.id is not None
        request_ids.append(request.id)
    return request_ids


@dataclass(frozen=True)
class Records:
    reports: list[Report]
    requests: list[Request]

    @classmethod
    def of(cls, store: SqlStore, plan: ActivePlan) -> Records:
        reports = [r for t in plan.tasks for r in store.task_reports(t.id)]
        return cls(reports, store.requests())


def assert_nothing_leaked(plan: ActivePlan, asker: Asker, answered: str) -> None:
    for word in forbidden_words(plan, asker):
        assert word not in answered, (asker, word)


def assert_nothing_changed(plan: ActivePlan, asker: Asker, before: Records, after: Records) -> None:
    by_task = {t.id: t for t in plan.tasks}
    # Nothing asked, approved or returned, but 办结 or 延期 asked on its own tasks.
    others = [r for r in after.requests if not asker.leads(by_task[r.task_id])]
    assert others == [r for r in before.requests if not asker.leads(by_task[r.task_id])]
    assert all(r.status is RequestStatus.PENDING for r in others), others
    known = {r.id for r in before.reports}
    for report in [r for r in after.reports if r.id not in known]:
        # Its own tasks' progress: fine. On a task it supports, a note at most: no percent,
        # no state. On any other task: nothing.
        task = by_task[report.task_id]
        assert asker.sees(task), report
        if not asker.leads(task):
            assert (report.percent, report.state) == (None, None), report
