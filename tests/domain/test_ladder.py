"""The escalation ladder: 督办单 after two yellow 通报, 专函 on red when the 督办单 went unanswered
past its reply-by date, 约谈 after three red ones; progress by the reply-by date holds it."""

from __future__ import annotations

from datetime import date

import pytest

from superbot.domain.calendar import CalendarSpec, WorkdayCalendar
from superbot.domain.ladder import Fired, Seen, next_step, reply_by, streak
from superbot.domain.lights import Light
from superbot.domain.model import DocumentKind, EscalationRule, Role

LADDER = (
    EscalationRule("yellow", 2, DocumentKind.NOTICE, (Role.LIAISON,), 10),
    EscalationRule("red", 1, DocumentKind.LETTER, (Role.LIAISON, Role.LEADER), 10),
    EscalationRule("red", 3, DocumentKind.INTERVIEW, (Role.COORDINATORS,), 5),
)
R, Y, G, D, P = Light.RED, Light.YELLOW, Light.GREEN, Light.DONE, Light.PENDING
ISSUED = {
    "2022-05": date(2022, 6, 1),
    "2022-06": date(2022, 7, 1),
    "2022-07": date(2022, 8, 1),
    "2022-08": date(2022, 9, 1),
    "2022-09": date(2022, 10, 8),
    "2022-10": date(2022, 11, 1),
    "2022-11": date(2022, 12, 1),
}


def seen(*lights: Light, last: str = "2022-09") -> list[Seen]:
    periods = sorted(ISSUED)
    end = periods.index(last) + 1
    chosen = periods[end - len(lights) : end]
    return [Seen(p, ISSUED[p], light) for p, light in zip(chosen, lights, strict=True)]


def fired(rung: int, period: str, *, answered: bool = False, days: int = 14) -> Fired:
    return Fired(rung, period, date.fromordinal(ISSUED[period].toordinal() + days), answered)


def rung(history: list[Seen], documents: list[Fired]) -> int | None:
    step = next_step(LADDER, history, documents, history[-1].issued_on)
    return None if step is None else step.rung


def test_yellow_counts_red_too_and_red_only_red() -> None:
    assert streak(seen(G, Y, R, Y), "yellow") == 3
    assert streak(seen(G, Y, R, R), "red") == 2
    assert streak(seen(R, G), "yellow") == 0


@pytest.mark.parametrize(
    ("lights", "expected"),
    [
        ((Y,), None),  # one yellow: not yet
        ((Y, Y), 0),  # two: 督办单
        ((R, Y), 0),  # red counts as at least yellow
        ((G, Y), None),
        ((Y, G), None),  # green now: nothing
        ((Y, D), None),
        ((Y, P), None),  # a pending claim shows its standing light, never "pending"
    ],
)
def test_the_first_rung(lights: tuple[Light, ...], expected: int | None) -> None:
    assert rung(seen(*lights), []) == expected


def test_a_notice_then_a_letter_across_three_bulletins() -> None:
    # July yellow, August yellow → 督办单 (reply by 15 September); September red, no progress.
    assert rung(seen(Y, Y, last="2022-08"), []) == 0
    notice = fired(0, "2022-08")
    assert rung(seen(Y, Y, R, last="2022-09"), [notice]) == 1


def test_progress_by_the_reply_by_date_holds_the_ladder() -> None:
    answered = fired(0, "2022-08", answered=True)
    assert rung(seen(Y, Y, R, last="2022-09"), [answered]) is None
    # Still red in October and November, counted from after the reply-by date: the same
    # rung fires again once its rule holds anew (two more bulletins).
    assert rung(seen(Y, Y, R, R, last="2022-10"), [answered]) == 0


def test_the_next_rung_waits_for_the_reply_by_date() -> None:
    notice = fired(0, "2022-08", days=60)  # reply by 31 October
    assert rung(seen(Y, Y, R, last="2022-09"), [notice]) is None


def test_the_next_rung_needs_its_own_rule() -> None:
    notice = fired(0, "2022-08")
    assert rung(seen(Y, Y, Y, last="2022-09"), [notice]) is None  # 专函 needs red


def test_interview_after_three_reds_and_the_top_rung_does_not_repeat() -> None:
    notice, letter = fired(0, "2022-07"), fired(1, "2022-08")
    assert rung(seen(Y, R, R, last="2022-08"), [notice]) == 1
    assert rung(seen(Y, R, R, R, last="2022-09"), [notice, letter]) == 2
    interview = fired(2, "2022-09")
    assert rung(seen(Y, R, R, R, R, last="2022-10"), [notice, letter, interview]) is None


def test_a_green_bulletin_ends_the_episode() -> None:
    old = fired(1, "2022-06")
    assert rung(seen(R, R, G, Y, Y, last="2022-09"), [old]) == 0  # back to the first rung


def test_a_bulletin_fires_once() -> None:
    assert rung(seen(Y, Y, last="2022-09"), [fired(0, "2022-09")]) is None


def test_reply_by_counts_workdays_over_the_national_day_holiday() -> None:
    calendar = WorkdayCalendar(CalendarSpec())
    # 2022-09-30 (Fri) + 3 workdays: 10-01…07 off, 10-08 and 10-09 are workdays, then 10-10.
    assert reply_by(date(2022, 9, 30), 3, calendar) == date(2022, 10, 10)
    assert reply_by(date(2022, 9, 1), 10, calendar) == date(2022, 9, 16)
