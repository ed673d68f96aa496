"""办结 and 延期 as requests: the effective due date after approved extensions (the original kept),
an extension refused after the due date, pending claims read at a moment."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from superbot.domain.review import (
    Due,
    Request,
    RequestKind,
    RequestStatus,
    dues,
    effective_due,
    extension_refusal,
    pending_claims,
    waiting,
)

ZONE = ZoneInfo("Asia/Shanghai")
SEP30, DEC31, NOV30 = date(2022, 9, 30), date(2022, 12, 31), date(2022, 11, 30)


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), ZONE)


def extension(
    due_from: date,
    due_to: date,
    *,
    asked: date = date(2022, 9, 20),
    decided: date | None = date(2022, 9, 25),
    status: RequestStatus = RequestStatus.APPROVED,
    task: str = "t1",
) -> Request:
    return Request(
        RequestKind.EXTENSION,
        task,
        at(asked),
        due_from=due_from,
        due_to=due_to,
        reason="土地审批未完成",
        status=status,
        decided_at=at(decided) if decided else None,
    )


def test_an_approved_extension_moves_the_due_date_from_the_approval_on() -> None:
    moved = extension(SEP30, DEC31, decided=date(2022, 10, 10))
    assert effective_due(SEP30, [moved], at(date(2022, 10, 9), 23)) == Due(SEP30)
    assert effective_due(SEP30, [moved], at(date(2022, 10, 10), 23)) == Due(DEC31, SEP30)


def test_a_pending_or_returned_extension_moves_nothing() -> None:
    for status in (RequestStatus.PENDING, RequestStatus.REJECTED, RequestStatus.WITHDRAWN):
        asked = extension(SEP30, DEC31, status=status)
        assert effective_due(SEP30, [asked], at(date(2022, 12, 1))) == Due(SEP30)


def test_extensions_chain_and_the_plans_date_stays_the_original() -> None:
    first = extension(SEP30, NOV30, decided=date(2022, 9, 25))
    second = extension(NOV30, DEC31, asked=date(2022, 11, 20), decided=date(2022, 11, 22))
    assert effective_due(SEP30, [second, first], at(date(2022, 12, 1))) == Due(DEC31, SEP30)
    assert effective_due(SEP30, [second, first], at(date(2022, 11, 1))) == Due(NOV30, SEP30)


def test_tasks_yaml_edited_to_the_extended_date_is_still_an_extended_task() -> None:
    moved = extension(SEP30, DEC31)
    assert effective_due(DEC31, [moved], at(date(2022, 10, 1))) == Due(DEC31, SEP30)


def test_tasks_yaml_edited_to_another_date_after_the_approval_wins() -> None:
    moved = extension(SEP30, DEC31)
    assert effective_due(NOV30, [moved], at(date(2022, 10, 1))) == Due(NOV30)


def test_dues_names_only_the_tasks_an_extension_moved() -> None:
    moved = extension(SEP30, DEC31, task="t1")
    other = extension(SEP30, DEC31, task="t2", status=RequestStatus.REJECTED)
    found = dues({"t1": SEP30, "t2": SEP30, "t3": SEP30}, [moved, other], at(date(2022, 10, 1)))
    assert found == {"t1": Due(DEC31, SEP30)}


@pytest.mark.parametrize(
    ("today", "wanted", "key"),
    [
        (date(2022, 9, 29), DEC31, None),
        (SEP30, DEC31, None),  # on the due date itself it is not yet overdue
        (date(2022, 10, 1), DEC31, "review.extension_too_late"),
        (date(2022, 9, 20), SEP30, "review.extension_not_later"),
        (date(2022, 9, 20), date(2022, 9, 1), "review.extension_not_later"),
    ],
)
def test_an_extension_is_asked_before_the_due_date_for_a_later_one(
    today: date, wanted: date, key: str | None
) -> None:
    refusal = extension_refusal(Due(SEP30), today, wanted, done=False, pending=None, zone=ZONE)
    assert (refusal.key if refusal else None) == key


def test_the_refusal_after_the_due_date_says_how_late() -> None:
    refusal = extension_refusal(
        Due(SEP30), date(2022, 10, 8), DEC31, done=False, pending=None, zone=ZONE
    )
    assert refusal is not None
    assert refusal.params == {"due": SEP30, "days": 8}


def test_an_extended_task_may_ask_again_before_its_new_date() -> None:
    extended = Due(NOV30, SEP30)
    assert (
        extension_refusal(extended, date(2022, 11, 1), DEC31, done=False, pending=None, zone=ZONE)
        is None
    )


def test_nothing_to_extend_when_done_claimed_or_already_asked() -> None:
    claim = Request(RequestKind.DONE, "t1", at(date(2022, 9, 28)), report_id=7)
    asked = extension(SEP30, DEC31, status=RequestStatus.PENDING)
    today = date(2022, 9, 29)
    done = extension_refusal(Due(SEP30), today, DEC31, done=True, pending=None, zone=ZONE)
    claimed = extension_refusal(Due(SEP30), today, DEC31, done=False, pending=claim, zone=ZONE)
    twice = extension_refusal(Due(SEP30), today, DEC31, done=False, pending=asked, zone=ZONE)
    assert done is not None
    assert done.key == "review.extension_done"
    assert claimed is not None
    assert claimed.key == "review.extension_while_claimed"
    assert claimed.params["on"] == date(2022, 9, 28)
    assert twice is not None
    assert twice.key == "review.extension_pending"


def test_a_claim_is_pending_from_its_own_moment_until_decided() -> None:
    claim = Request(RequestKind.DONE, "t1", at(date(2022, 9, 28)), report_id=7)
    approved = Request(
        RequestKind.DONE,
        "t2",
        at(date(2022, 9, 27)),
        report_id=8,
        status=RequestStatus.APPROVED,
        decided_at=at(date(2022, 9, 29)),
    )
    assert pending_claims([claim, approved], at(date(2022, 9, 27), 23)) == {}
    assert pending_claims([claim, approved], at(date(2022, 9, 28), 23)) == {"t1": claim}
    assert waiting([claim, approved], "t1") == claim
    assert waiting([claim, approved], "t2") is None
