"""一事一档: a task's whole file in time order, the document a 督查科 keeps when it closes a
matter — 交办 (the plan version and its source), every edit of the plan that touched it, every
reminder and whether it reached anyone, every report with its evidence, every request and
decision, every escalation document and whether it was answered, every issued 通报 that
named it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from superbot.domain.ladder import EscalationDocument
from superbot.domain.model import Campaign, Department, Person, Report, Task
from superbot.domain.review import Request, RequestStatus
from superbot.domain.suggest import closest
from superbot.service.errors import ServiceError
from superbot.service.escalation import answers
from superbot.service.history import Field, TaskChange, task_changes
from superbot.service.outcomes import Evidence
from superbot.service.review import EvidenceFiles
from superbot.service.status import TaskStatus, load_plan, task_status
from superbot.service.store import ActivePlan, Mention, ReminderSent, Store


class EventKind(StrEnum):
    ASSIGNED = "assigned"  # 交办: the task entered the plan
    CHANGED = "changed"  # tasks.yaml edited
    REMOVED = "removed"  # taken out of tasks.yaml
    REMINDED = "reminded"  # a reminder or nudge spoke about it
    REPORTED = "reported"  # progress, a note, evidence
    REQUESTED = "requested"  # 办结申请 or 延期申请
    DECIDED = "decided"  # approved, returned, withdrawn
    ESCALATED = "escalated"  # 督办单, 专函, 约谈 proposal
    BULLETIN = "bulletin"  # named in an issued 通报


ORDER = {kind: n for n, kind in enumerate(EventKind)}


@dataclass(frozen=True)
class Event:
    at: datetime  # in the plan's zone
    kind: EventKind
    timed: bool = True  # False: only the day is known (a 通报, a document)
    change: TaskChange | None = None
    reminder: ReminderSent | None = None
    report: Report | None = None
    evidence: tuple[Evidence, ...] = ()
    request: Request | None = None
    escalation: EscalationDocument | None = None
    answered: bool | None = None  # an escalation: progress arrived by its reply-by date
    mention: Mention | None = None
    person: Person | None = None  # who reported, asked or decided

    @property
    def day(self) -> date:
        return self.at.date()


@dataclass(frozen=True)
class Dossier:
    task: Task
    campaign: Campaign | None
    lead: Department | None
    support: tuple[Department, ...]
    status: TaskStatus | None  # None when the task was taken out of the plan
    events: tuple[Event, ...]
    plan_name: str
    issuer: str
    made_at: datetime  # in the plan's zone
    archived: bool = False


class Dossiers:
    def __init__(self, store: Store, files: EvidenceFiles | None = None) -> None:
        self.store = store
        self.files = files

    def build(self, task_ref: str, now: datetime) -> Dossier:
        plan = load_plan(self.store)
        zone = plan.zone
        task, archived = self._task(plan, task_ref)
        events = [
            *self._plan_events(task, zone),
            *self._reminders(task, plan, zone),
            *self._reports_and_requests(task, plan, zone),
            *self._escalations(task, plan, zone),
            *(
                Event(_start(m.issued_on, zone), EventKind.BULLETIN, timed=False, mention=m)
                for m in self.store.mentions(task.id)
            ),
        ]
        events.sort(key=lambda e: (e.at, ORDER[e.kind]))
        today = now.astimezone(zone).date()
        offices = [
            plan.departments[plan.people[p].department_id].name
            for p in plan.coordinators
            if p in plan.people and plan.people[p].department_id in plan.departments
        ]
        return Dossier(
            task=task,
            campaign=plan.campaigns.get(task.campaign_id),
            lead=plan.departments.get(task.lead),
            support=tuple(plan.departments[d] for d in task.support if d in plan.departments),
            status=None if archived else task_status(self.store, plan, task.id, today),
            events=tuple(events),
            plan_name=plan.settings.name,
            issuer=plan.settings.bulletin.issuer or (offices[0] if offices else plan.settings.name),
            made_at=now.astimezone(zone),
            archived=archived,
        )

    def _task(self, plan: ActivePlan, typed: str) -> tuple[Task, bool]:
        word = typed.strip().lstrip("#＃").lower()
        task = plan.task(word)
        if task is not None:
            return task, False
        if self.store.task_archived(word):
            for version in reversed(self.store.plan_versions()):
                kept = next(
                    (t for t in self.store.plan_of_version(version.id).tasks if t.id == word), None
                )
                if kept is not None:
                    return kept, True
        raise ServiceError(
            "report.unknown_task", id=typed, suggestion=closest(word, [t.id for t in plan.tasks])
        )

    def _plan_events(self, task: Task, zone: ZoneInfo) -> list[Event]:
        kinds = {Field.ADDED: EventKind.ASSIGNED, Field.REMOVED: EventKind.REMOVED}
        return [
            Event(c.at.astimezone(zone), kinds.get(c.field, EventKind.CHANGED), change=c)
            for c in task_changes(self.store, zone, task_id=task.id)
        ]

    def _reminders(self, task: Task, plan: ActivePlan, zone: ZoneInfo) -> list[Event]:
        return [
            Event(
                r.queued_at.astimezone(zone),
                EventKind.REMINDED,
                reminder=r,
                person=plan.people.get(r.person_id or ""),
            )
            for r in self.store.reminders_of(task.id)
        ]

    def _reports_and_requests(self, task: Task, plan: ActivePlan, zone: ZoneInfo) -> list[Event]:
        reports = self.store.task_reports(task.id, withdrawn=True)  # the file keeps them, marked
        ids = [r.id for r in reports if r.id is not None]
        evidence = self.files.evidence(ids) if self.files is not None and ids else {}
        events = [
            Event(
                r.at.astimezone(zone),
                EventKind.REPORTED,
                report=r,
                evidence=evidence.get(r.id or 0, ()),
                person=plan.people.get(r.person_id or ""),
            )
            for r in reports
        ]
        for request in self.store.requests([task.id]):
            events.append(
                Event(
                    request.requested_at.astimezone(zone),
                    EventKind.REQUESTED,
                    request=request,
                    person=plan.people.get(request.person_id or ""),
                )
            )
            if request.status is not RequestStatus.PENDING and request.decided_at is not None:
                events.append(
                    Event(
                        request.decided_at.astimezone(zone),
                        EventKind.DECIDED,
                        request=request,
                        person=plan.people.get(request.decided_by or ""),
                    )
                )
        return events

    def _escalations(self, task: Task, plan: ActivePlan, zone: ZoneInfo) -> list[Event]:
        documents = self.store.escalations([task.id])
        answered = answers(self.store, plan, documents)
        return [
            Event(
                _start(d.issued_on, zone),
                EventKind.ESCALATED,
                timed=False,
                escalation=d,
                answered=answered.get(d.id or 0),
            )
            for d in documents
        ]


def _start(day: date, zone: ZoneInfo) -> datetime:
    # A 通报 or a document carries only its day: it sorts at 09:00, when they go out by default.
    return datetime.combine(day, time(9), zone)
