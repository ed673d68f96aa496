"""The loop's tables on a real database, SQLite and PostgreSQL: a "done" under review is not
progress until approved, later progress withdraws it, documents are numbered per year and
fired once per task and 通报, issued copies are written once, every sync is a version."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from tests.store.test_sync_store import SMALL

from superbot.domain.ladder import EscalationDocument
from superbot.domain.lights import Light
from superbot.domain.model import DocumentKind, EscalationRule, Report, State
from superbot.domain.review import RequestStatus
from superbot.domain.text import Text
from superbot.plan.load import parse_plan
from superbot.service.sync import sync
from superbot.store.sql import SqlStore

NOW = datetime(2022, 9, 20, 2, 0, tzinfo=UTC)


def synced(store: SqlStore, source: str = SMALL, at: datetime = NOW) -> None:
    plan = parse_plan(source.encode()).plan
    assert plan is not None
    sync(store, plan, now=at, source="tasks.yaml", sha256=str(hash(source)), dry_run=False)


def done(at: datetime) -> Report:
    return Report("t1", at, 100, State.DONE, person_id="zhang", recorded_at=at)


def test_a_claim_is_progress_only_once_approved(store: SqlStore) -> None:
    synced(store)
    store.add_report(Report("t1", NOW - timedelta(days=9), 60, State.ON_TRACK))
    report, claim = store.add_progress(done(NOW), "ref-a", review=True)
    assert claim is not None
    assert (claim.report_id, claim.status) == (report.id, RequestStatus.PENDING)
    assert store.latest_progress(NOW + timedelta(hours=1))["t1"].percent == 60
    # The same message delivered again is the same request.
    _, again = store.add_progress(done(NOW), "ref-a", review=True)
    assert again is not None
    assert again.id == claim.id
    assert claim.id in store.unannounced_requests()
    assert claim.id is not None
    decided = store.decide(claim.id, RequestStatus.APPROVED, NOW + timedelta(days=1), "zhang", None)
    assert decided is not None
    assert store.decide(claim.id, RequestStatus.REJECTED, NOW, "zhang", "x") is None  # once
    assert store.latest_progress(NOW + timedelta(hours=1))["t1"].percent == 100  # from its date
    assert claim.id not in store.unannounced_requests()


def test_progress_withdraws_a_pending_claim_and_a_new_claim_the_old_one(store: SqlStore) -> None:
    synced(store)
    _, first = store.add_progress(done(NOW), "ref-a", review=True)
    _, second = store.add_progress(done(NOW + timedelta(hours=1)), "ref-b", review=True)
    assert first is not None
    assert second is not None
    statuses = {r.id: r.status for r in store.requests(["t1"])}
    assert statuses == {first.id: RequestStatus.WITHDRAWN, second.id: RequestStatus.PENDING}
    later = Report("t1", NOW + timedelta(hours=2), 90, State.ON_TRACK)
    _, none = store.add_progress(later, "ref-c", review=True)
    assert none is None
    assert [r.status for r in store.requests(["t1"])] == [RequestStatus.WITHDRAWN] * 2
    assert store.latest_progress(NOW + timedelta(days=1))["t1"].percent == 90


def document(task: str, period: str, issued_on: date) -> EscalationDocument:
    return EscalationDocument(
        kind=DocumentKind.NOTICE,
        rung=0,
        task_id=task,
        department_id="gxk",
        period=period,
        issued_on=issued_on,
        reply_by=issued_on + timedelta(days=14),
        light=Light.YELLOW,
        streak=2,
        percent=35,
        due=date(2022, 12, 31),
        rule=EscalationRule("yellow", 2, DocumentKind.NOTICE),
        reasons=(Text.of("bulletin.deadline", due=date(2022, 12, 31), late=-81, year=2022),),
    )


def test_documents_are_numbered_per_year_and_fired_once(store: SqlStore) -> None:
    synced(store)
    [first] = store.add_escalations([document("t1", "2022-11", date(2022, 12, 1))], NOW)
    [again] = store.add_escalations([document("t1", "2022-11", date(2022, 12, 1))], NOW)
    [january] = store.add_escalations([document("t1", "2022-12", date(2023, 1, 3))], NOW)
    assert (first.year, first.number) == (2022, 1)
    assert again.id == first.id
    assert (january.year, january.number) == (2023, 1)  # a new year starts at 1
    [kept] = store.escalations(["t1"], period="2022-11")
    assert kept.reasons == first.reasons  # the words survive the database, dates included
    assert store.next_escalation_number(2023) == 2


def test_issued_copies_and_lights_are_written_once(store: SqlStore) -> None:
    synced(store)
    assert store.save_copies("bulletin:2022-09", {"md": b"first", "docx": b"PK..."}, NOW)
    assert not store.save_copies("bulletin:2022-09", {"md": b"second"}, NOW)
    assert store.copies("bulletin:2022-09") == {"md": b"first", "docx": b"PK..."}
    assert store.issued_keys("bulletin:") == {"bulletin:2022-09"}
    store.save_bulletin_lights("2022-09", [("t1", Light.PENDING, Light.YELLOW, 35)])
    store.save_bulletin_lights("2022-09", [("t1", Light.RED, Light.RED, 0)])
    store.save_bulletin_issue("2022-09", 2022, date(2022, 10, 8), NOW)
    [seen] = store.seen(["t1"])["t1"]
    assert (seen.period, seen.issued_on, seen.light) == ("2022-09", date(2022, 10, 8), Light.YELLOW)
    [mention] = store.mentions("t1")
    assert (mention.number, mention.light, mention.percent) == (1, Light.PENDING, 35)


def test_every_sync_that_changes_the_plan_is_a_version(store: SqlStore) -> None:
    synced(store)
    synced(store)  # nothing to do: no version
    edited = SMALL.replace("due: 2022-12-31", "due: 2023-03-31", 1)
    synced(store, edited, NOW + timedelta(days=3))
    first, second = store.plan_versions()
    assert (first.number, second.number) == (1, 2)
    assert second.at == NOW + timedelta(days=3)
    before = store.plan_of_version(first.id)
    after = store.plan_of_version(second.id)
    assert before.tasks[0].due == date(2022, 12, 31)
    assert after.tasks[0].due == date(2023, 3, 31)
    assert replace(after.tasks[0], due=before.tasks[0].due) == before.tasks[0]
