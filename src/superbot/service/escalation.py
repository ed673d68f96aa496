"""The escalation ladder at each issued 通报 (``domain.ladder`` has its rules): which tasks get a
督办单, a 专函 or a 约谈 proposal now, numbered 〔2022〕督办第 N 号, each with its reply-by date.

A document is answered when the task made progress between the day it was issued and its
reply-by date: a higher percent than it had then, or a request to close it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from superbot.domain.ladder import EscalationDocument, Fired, Seen, next_step, reply_by
from superbot.domain.model import (
    BulletinIssue,
    Department,
    DocumentKind,
    Person,
    Role,
    State,
    Task,
)
from superbot.domain.periods import end_of_day, start_of_day
from superbot.domain.review import RequestKind, RequestStatus
from superbot.service.status import PlanClock
from superbot.service.store import ActivePlan, Store
from superbot.service.views import Bulletin, BulletinItem, Escalation


@dataclass(frozen=True)
class EscalationView:
    """One document as its templates word it."""

    document: EscalationDocument
    task: Task
    lead: Department
    support: tuple[Department, ...]
    leaders: tuple[Person, ...]  # the lead department's 分管领导 (a 专函 is addressed to them)
    issuer: str  # who issues it: the 通报's issuer
    bulletin: BulletinIssue  # the 通报 that fired it
    plan_name: str
    preview: bool = False  # not issued: the number is the one it would take
    next_kind: DocumentKind | None = None  # what follows if it goes unanswered


def fire(
    store: Store,
    plan: ActivePlan,
    view: Bulletin,
    *,
    record: bool,
    now: datetime,
) -> list[Escalation]:
    """The documents the 通报 ``view`` fires (kept and numbered with ``record``; otherwise a
    preview with the numbers they would take), and those it fired when it was issued before."""
    rules = plan.settings.escalation
    if not rules or view.letterhead is None:
        return []
    issue = view.letterhead.issue
    items = {item.task.id: item for item in view.items}
    seen = store.seen(list(items))
    documents = store.escalations(list(items))
    answered = answers(store, plan, documents)
    calendar = PlanClock.of(plan.settings).calendar
    by_task: dict[str, list[EscalationDocument]] = defaultdict(list)
    for document in documents:
        by_task[document.task_id].append(document)
    fresh: list[EscalationDocument] = []
    for task_id, item in items.items():
        history = [s for s in seen.get(task_id, []) if s.period != issue.period]
        history.append(Seen(issue.period, issue.issued_on, item.assessment.scored))
        fired = [
            Fired(d.rung, d.period, d.reply_by, answered.get(d.id or 0, False))
            for d in by_task[task_id]
        ]
        step = next_step(rules, history, fired, issue.issued_on)
        if step is None:
            continue
        fresh.append(
            EscalationDocument(
                kind=step.rule.document,
                rung=step.rung,
                task_id=task_id,
                department_id=item.lead.id,
                period=issue.period,
                issued_on=issue.issued_on,
                reply_by=reply_by(issue.issued_on, step.rule.reply_workdays, calendar),
                light=item.assessment.scored,
                streak=step.streak,
                percent=item.assessment.percent,
                due=item.task.due,
                rule=step.rule,
                reasons=item.reasons,
            )
        )
    already = [d for d in documents if d.period == issue.period]
    if record:
        kept = [*already, *store.add_escalations(fresh, now)]
    else:
        first = store.next_escalation_number(issue.issued_on.year)
        kept = [
            *already,
            *(replace(d, year=d.issued_on.year, number=first + n) for n, d in enumerate(fresh)),
        ]
    kept.sort(key=lambda d: (d.number or 0, d.task_id))
    return [Escalation(_item(items, d), d) for d in kept if d.task_id in items]


def fired_by(store: Store, view: Bulletin) -> list[Escalation]:
    """The documents an issued 通报 fired, as it fired them."""
    if view.letterhead is None:
        return []
    items = {item.task.id: item for item in view.items}
    return [
        Escalation(items[d.task_id], d)
        for d in store.escalations(period=view.letterhead.issue.period)
        if d.task_id in items
    ]


def _item(items: Mapping[str, BulletinItem], document: EscalationDocument) -> BulletinItem:
    return items[document.task_id]


def answers(
    store: Store, plan: ActivePlan, documents: Sequence[EscalationDocument]
) -> dict[int, bool]:
    """Per document id: did progress arrive from its issue day through its reply-by date?"""
    if not documents:
        return {}
    zone = plan.zone
    void = {
        r.report_id
        for r in store.requests(list({d.task_id for d in documents}))
        if r.kind is RequestKind.DONE
        and r.status in (RequestStatus.REJECTED, RequestStatus.WITHDRAWN)
    }
    reports = store.reports_between(
        start_of_day(min(d.issued_on for d in documents), zone),
        end_of_day(max(d.reply_by for d in documents), zone),
    )
    found: dict[int, bool] = {}
    for d in documents:
        first, last = start_of_day(d.issued_on, zone), end_of_day(d.reply_by, zone)
        found[d.id or 0] = any(
            r.task_id == d.task_id
            and first <= r.at <= last
            and r.id not in void
            and (r.state is State.DONE or (r.percent is not None and r.percent > d.percent))
            for r in reports
        )
    return found


def view_of(
    plan: ActivePlan, escalation: Escalation, issuer: str, bulletin: BulletinIssue
) -> EscalationView:
    item = escalation.item
    ladder = plan.settings.escalation
    rung = escalation.document.rung
    return EscalationView(
        document=escalation.document,
        task=item.task,
        lead=item.lead,
        support=item.support,
        leaders=tuple(plan.leaders(item.lead.id)),
        issuer=issuer,
        bulletin=bulletin,
        plan_name=plan.settings.name,
        preview=escalation.document.id is None,
        next_kind=ladder[rung + 1].document if rung + 1 < len(ladder) else None,
    )


def recipients(plan: ActivePlan, document: EscalationDocument) -> list[Person]:
    """Who gets the document, as its rule says; a 分管领导 nobody named leaves the 联络员."""
    found: dict[str, Person] = {}
    for role in document.rule.to:
        if role is Role.LIAISON:
            people = plan.liaisons(document.department_id)
        elif role is Role.LEADER:
            people = plan.leaders(document.department_id) or plan.liaisons(document.department_id)
        else:
            people = [plan.people[p] for p in plan.coordinators if p in plan.people]
        found.update((p.id, p) for p in people)
    return list(found.values())
