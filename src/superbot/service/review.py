"""The review queue: 办结申请 (an owner's "done" with ``rules.review_done``) and 延期申请 wait
for a coordinator, who approves (销号; 延期获批) or returns them (退回) with a reason.

Whoever asks and whoever decides is told on their channels (:class:`ReviewNotices`, the
outbox): coordinators get each request with 同意 / 退回, the owner the decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from superbot.domain.lights import Light
from superbot.domain.model import Department, Person, Report, State, Task
from superbot.domain.periods import end_of_day, local_day
from superbot.domain.review import (
    Due,
    Request,
    RequestKind,
    RequestStatus,
    effective_due,
    extension_refusal,
    waiting,
)
from superbot.domain.suggest import closest
from superbot.service.errors import ServiceError
from superbot.service.outcomes import Evidence
from superbot.service.people import find_person
from superbot.service.status import TaskStatus, load_plan, task_status
from superbot.service.store import ActivePlan, Store

REASON_LIMIT = 500  # characters: a reason is a sentence or two, not a report


@dataclass(frozen=True)
class Waiting:
    """A request in the review queue, with what a coordinator needs to decide it."""

    request: Request
    task: Task
    lead: Department
    person: Person | None  # who asked
    due: Due  # the task's effective due date now
    asked_at: datetime  # when, in the plan's zone
    report: Report | None = None  # 办结: the report that said done
    evidence: tuple[Evidence, ...] = ()

    @property
    def kind(self) -> RequestKind:
        return self.request.kind


@dataclass(frozen=True)
class Decided:
    """A request approved or returned, and the task's light right after."""

    request: Request
    task: Task
    lead: Department
    requester: Person | None
    decider: Person | None
    status: TaskStatus
    owners: tuple[Person, ...]  # who is told: the requester, else the lead's 联络员 or people


class ReviewNotices(Protocol):
    """How requests and decisions reach people (the outbox, through ``Delivery``)."""

    def review_requested(self, waiting: Waiting, now: datetime) -> int: ...

    def review_decided(self, decided: Decided, now: datetime) -> int: ...


@dataclass(frozen=True)
class ReasonPrompt:
    """退回 pressed: the next text is the reason the owner will read."""

    waiting: Waiting


class EvidenceFiles(Protocol):
    """The evidence kept with reports (to show a reviewer)."""

    def evidence(self, report_ids: list[int]) -> dict[int, tuple[Evidence, ...]]: ...


class FileKeeper(Protocol):
    """Files kept as evidence (佐证), by content hash, bounded in size."""

    def keep(self, content: bytes, filename: str, mime: str, now: datetime) -> Evidence: ...

    def attach(self, report_id: int, evidence: Evidence) -> None: ...


def review_queue(
    store: Store,
    plan: ActivePlan,
    until: datetime | None = None,
    files: EvidenceFiles | None = None,
) -> list[Waiting]:
    """Everything waiting for a decision that was asked by ``until`` (whenever, without),
    oldest first."""
    requests = store.requests()
    asked = [r for r in requests if r.pending and (until is None or r.requested_at <= until)]
    reports: dict[int, Report] = {}
    for task_id in {r.task_id for r in asked if r.report_id is not None}:
        reports.update({r.id: r for r in store.task_reports(task_id) if r.id is not None})
    report_ids = [r.report_id for r in asked if r.report_id is not None]
    evidence = files.evidence(report_ids) if files is not None and report_ids else {}
    zone = plan.zone
    queue = []
    for r in asked:
        task = plan.task(r.task_id)
        if task is None:  # archived since: nothing left to decide
            continue
        queue.append(
            Waiting(
                request=r,
                task=task,
                lead=plan.departments[task.lead],
                person=plan.people.get(r.person_id or ""),
                due=effective_due(
                    task.due,
                    [x for x in requests if x.task_id == task.id],
                    until or r.requested_at,
                ),
                asked_at=r.requested_at.astimezone(zone),
                report=reports.get(r.report_id) if r.report_id is not None else None,
                evidence=evidence.get(r.report_id, ()) if r.report_id is not None else (),
            )
        )
    return queue


class Review:
    def __init__(
        self,
        store: Store,
        notices: ReviewNotices | None = None,
        files: EvidenceFiles | None = None,
    ) -> None:
        self.store = store
        self.notices = notices
        self.files = files

    def queue(self, now: datetime) -> list[Waiting]:
        return review_queue(self.store, load_plan(self.store), now, self.files)

    # -- asking --------------------------------------------------------------------------------

    def announce(self, request: Request, now: datetime) -> int:
        """A request just made (a 办结申请 comes with its report): tell the coordinators."""
        if self.notices is None:
            return 0
        found = next(
            (w for w in self.queue(now) if w.request.id == request.id),
            None,
        )
        return self.notices.review_requested(found, now) if found is not None else 0

    def extend(
        self,
        task_ref: str,
        to: date,
        reason: str | None,
        by: str | None,
        now: datetime,
        *,
        source: str = "cli",
    ) -> Waiting:
        """A 延期申请: refused, with why, when the due date has passed or nothing would move."""
        plan = load_plan(self.store)
        task = _task(self.store, plan, task_ref)
        by = _person_id(plan, by)
        why = " ".join((reason or "").split())
        if not why:
            raise ServiceError("review.reason_required", kind="extension")
        if len(why) > REASON_LIMIT:
            raise ServiceError("review.reason_too_long", limit=REASON_LIMIT, length=len(why))
        zone = plan.zone
        today = local_day(now, zone)
        requests = self.store.requests([task.id])
        due = effective_due(task.due, requests, end_of_day(today, zone))
        status = task_status(self.store, plan, task.id, today)
        refusal = extension_refusal(
            due,
            today,
            to,
            done=status.light is Light.DONE,
            pending=waiting(requests, task.id),
            zone=zone,
        )
        if refusal is not None:
            raise ServiceError(refusal.key, task=task.title, **refusal.params)
        made = self.store.add_request(
            Request(
                kind=RequestKind.EXTENSION,
                task_id=task.id,
                requested_at=now,
                person_id=by,
                source=source,
                due_from=due.day,
                due_to=to,
                reason=why,
            )
        )
        self.announce(made, now)
        return next(w for w in self.queue(now) if w.request.id == made.id)

    # -- deciding ------------------------------------------------------------------------------

    def approve(self, task_ref: str, note: str | None, by: str | None, now: datetime) -> Decided:
        """销号 (done as of the request's date), or the extension granted from today on."""
        return self._decide(task_ref, RequestStatus.APPROVED, note, by, now)

    def reject(self, task_ref: str, reason: str | None, by: str | None, now: datetime) -> Decided:
        """退回: the claim never counted, or the due date stays; the owner is told why."""
        why = " ".join((reason or "").split())
        if not why:
            raise ServiceError("review.reason_required", kind="reject")
        if len(why) > REASON_LIMIT:
            raise ServiceError("review.reason_too_long", limit=REASON_LIMIT, length=len(why))
        return self._decide(task_ref, RequestStatus.REJECTED, why, by, now)

    def reason_prompt(self, request_id: int) -> ReasonPrompt:
        """退回 wants a reason first: the request it is for, if it still waits."""
        plan = load_plan(self.store)
        queue = review_queue(self.store, plan, None, self.files)
        found = next((w for w in queue if w.request.id == request_id), None)
        if found is None:
            decided = next((r for r in self.store.requests() if r.id == request_id), None)
            raise ServiceError("review.already_decided", status=decided.status if decided else None)
        return ReasonPrompt(found)

    def decide_request(
        self,
        request_id: int,
        status: RequestStatus,
        note: str | None,
        by: str | None,
        now: datetime,
    ) -> Decided:
        """A decision on one request (a 同意 / 退回 button names the request, not the task)."""
        found = next((r for r in self.store.requests() if r.id == request_id), None)
        if found is None or not found.pending:
            raise ServiceError("review.already_decided", status=found.status if found else None)
        if status is RequestStatus.REJECTED and not (note or "").strip():
            raise ServiceError("review.reason_required", kind="reject")
        return self._decide(found.task_id, status, note, by, now, request_id=request_id)

    def _decide(
        self,
        task_ref: str,
        status: RequestStatus,
        note: str | None,
        by: str | None,
        now: datetime,
        request_id: int | None = None,
    ) -> Decided:
        plan = load_plan(self.store)
        task = _task(self.store, plan, task_ref)
        decider = _person(plan, by)
        by = decider.id if decider else None  # a name typed for the id
        pending = waiting(self.store.requests([task.id]), task.id)
        if pending is None or (request_id is not None and pending.id != request_id):
            raise ServiceError("review.nothing_waiting", task=task.title, id=task.id)
        assert pending.id is not None
        text = " ".join((note or "").split()) or None
        decided = self.store.decide(pending.id, status, now, by, text)
        if decided is None:
            raise ServiceError("review.already_decided", status=None)
        today = local_day(now, plan.zone)
        requester = plan.people.get(decided.person_id or "")
        outcome = Decided(
            request=decided,
            task=task,
            lead=plan.departments[task.lead],
            requester=requester,
            decider=decider,
            status=task_status(self.store, plan, task.id, today),
            owners=(requester,) if requester is not None else tuple(plan.liaisons(task.lead)),
        )
        if self.notices is not None:
            self.notices.review_decided(outcome, now)
        return outcome


def accept_reason(
    store: Store, task_ref: str, note: str | None, by: str | None, now: datetime
) -> TaskStatus:
    """正当理由: a coordinator accepts why a 受阻 task is blocked. It holds while the task stays
    blocked; with ``scoring.excuse_accepted`` the ranking leaves the task out meanwhile."""
    plan = load_plan(store)
    task = _task(store, plan, task_ref)
    person = _person(plan, by)
    why = " ".join((note or "").split())
    if not why:
        raise ServiceError("review.reason_required", kind="accept")
    if len(why) > REASON_LIMIT:
        raise ServiceError("review.reason_too_long", limit=REASON_LIMIT, length=len(why))
    today = local_day(now, plan.zone)
    status = task_status(store, plan, task.id, today)
    if status.assessment.state is not State.BLOCKED or status.light is Light.DONE:
        raise ServiceError("review.not_blocked", task=task.title)
    store.accept_reason(task.id, now, person.id if person else None, why)
    return task_status(store, plan, task.id, today)


def _task(store: Store, plan: ActivePlan, typed: str) -> Task:
    word = typed.strip().lstrip("#＃").lower()
    task = plan.task(word)
    if task is not None:
        return task
    if store.task_archived(word):
        raise ServiceError("report.archived_task", id=word)
    raise ServiceError(
        "report.unknown_task", id=typed, suggestion=closest(word, [t.id for t in plan.tasks])
    )


def _person_id(plan: ActivePlan, typed: str | None) -> str | None:
    found = _person(plan, typed)
    return found.id if found else None


def _person(plan: ActivePlan, person_id: str | None) -> Person | None:
    if person_id is None:
        return None
    return find_person(plan, person_id)
