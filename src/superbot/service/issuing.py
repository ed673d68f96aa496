"""Issuing the monthly 督查通报: its 期号, the escalation documents it fires, and the copies
kept of every format, so that what was sent is what ``superbot bulletin --month`` returns
however the plan and the reports change afterwards.

A month is *issued* when its 通报 is sent (queued for delivery). Before that it is computed
as of today, every time it is asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Protocol

from superbot.domain.periods import Period
from superbot.service.bulletin import ISSUED_PREFIX, build_bulletin, issue_of
from superbot.service.escalation import EscalationView, fire, fired_by, view_of
from superbot.service.status import plan_on
from superbot.service.store import Store
from superbot.service.views import Bulletin

# Every format a 通报 is kept in; a PDF is its Word document converted (render/pdf.py).
FORMATS = ("docx", "xlsx", "html", "md")
ESCALATION_FORMATS = ("docx", "html", "md")
ESCALATION_PREFIX = "escalation:"


class DocumentRenderer(Protocol):
    def bulletin_document(self, view: Bulletin, fmt: str) -> str | bytes: ...

    def escalation_document(self, view: EscalationView, fmt: str) -> str | bytes: ...


@dataclass(frozen=True)
class Issued:
    view: Bulletin
    documents: Mapping[str, bytes]  # format → content, as issued (or as it would be)
    escalations: tuple[EscalationView, ...]
    frozen: bool  # the month was issued before: ``documents`` are the copies kept then


def issue_bulletin(
    store: Store,
    renderer: DocumentRenderer,
    period: Period,
    on: date,
    now: datetime,
    *,
    record: bool,
    redate: bool = False,
    formats: tuple[str, ...] = FORMATS,
) -> Issued:
    """The month's 通报. With ``record`` it is issued: numbered, its escalation documents
    fired and numbered, each task's light kept for the ladder, every format kept. A month
    issued before returns its kept copies. A preview renders only ``formats``."""
    key = ISSUED_PREFIX + period.key
    kept = store.copies(key)
    issue = issue_of(store, period, on, now, record=record and not kept, redate=redate)
    draft = build_bulletin(store, period, issue)
    plan = plan_on(store, period.last)
    escalations = (
        fired_by(store, draft) if kept else fire(store, plan, draft, record=record, now=now)
    )
    view = replace(draft, escalations=tuple(escalations))
    letterhead = view.letterhead
    assert letterhead is not None
    documents = [view_of(plan, e, letterhead.issuer, issue) for e in escalations]
    if kept:
        return Issued(view, kept, tuple(documents), frozen=True)
    wanted = FORMATS if record else formats
    rendered = {fmt: _bytes(renderer.bulletin_document(view, fmt)) for fmt in wanted}
    if not record:
        return Issued(view, rendered, tuple(documents), frozen=False)
    # The lights first: the ladder counts them, and a crash before the copies are kept only
    # means the next send issues the month again (with the same numbers).
    store.save_bulletin_lights(
        period.key,
        ((s.task.id, s.light, s.assessment.scored, s.assessment.percent) for s in view.statuses),
    )
    for document in documents:
        if document.document.id is not None:
            store.save_copies(
                ESCALATION_PREFIX + str(document.document.id),
                {
                    fmt: _bytes(renderer.escalation_document(document, fmt))
                    for fmt in ESCALATION_FORMATS
                },
                now,
            )
    if not store.save_copies(key, rendered, now):  # another instance issued it first
        return Issued(view, store.copies(key), tuple(documents), frozen=True)
    return Issued(view, rendered, tuple(documents), frozen=False)


def issued_copy(store: Store, period: Period) -> Mapping[str, bytes]:
    """The copies kept when the month was issued; empty when it was not."""
    return store.copies(ISSUED_PREFIX + period.key)


def _bytes(content: str | bytes) -> bytes:
    return content if isinstance(content, bytes) else content.encode()
