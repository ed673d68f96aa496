"""Every scoring rule of docs/scoring.md with a worked example: the numbers a 督查科 would
check by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from superbot.domain.calendar import CalendarSpec, WorkdayCalendar
from superbot.domain.lights import Light, assess
from superbot.domain.model import Report, Rules, State, Task
from superbot.domain.ranking import (
    Score,
    TaskStanding,
    is_early,
    missed_before,
    rank,
    score_department,
    task_points,
)
from superbot.domain.scoring import DueSoon, Reporting, Scoring, ScoringPeriod, scoring_of

DEFAULT = Scoring()
ZONE = ZoneInfo("Asia/Shanghai")
CN = WorkdayCalendar(CalendarSpec())


def standing(
    light: Light,
    *,
    reported: bool = True,
    open_: bool = True,
    late: bool = False,
    **more: object,
) -> TaskStanding:
    return TaskStanding(light, late, open_, reported, **more)  # type: ignore[arg-type]


def score(standings: list[TaskStanding], scoring: Scoring = DEFAULT) -> Score:
    found = score_department("gxk", standings, scoring)
    assert found is not None
    return found


GREEN, YELLOW, RED, DONE = Light.GREEN, Light.YELLOW, Light.RED, Light.DONE


def test_the_default_preset_is_the_formula_plans_always_had() -> None:
    # green 100, yellow 60, red 0, done late 80 → task score 60; 2 of 3 open tasks reported.
    result = score(
        [
            standing(GREEN),
            standing(YELLOW),
            standing(RED, reported=False),
            standing(DONE, late=True, open_=False, reported=False),
        ]
    )
    assert result.task_score == 60
    assert (result.reported, result.expected_reports) == (2, 3)
    assert result.score == 62.0  # 0.7 × 60 + 0.3 × 66.7


def test_weight_counts_a_task_as_several() -> None:
    # A weight-3 green and a weight-1 red: (3 × 100 + 0) / 4 = 75, all reported.
    result = score([standing(GREEN, weight=3.0), standing(RED)])
    assert result.task_score == 75
    assert result.score == 82.5  # 0.7 × 75 + 30


def test_supporting_units_are_scored_at_their_share() -> None:
    led_red = standing(RED)
    supported_green = standing(GREEN, support=True)
    # Default: a supporting unit is not scored on the task at all.
    assert score([led_red, supported_green]).score == 30.0  # 0.7 × 0 + 0.3 × 100
    # Half: (1 × 0 + 0.5 × 100) / 1.5 = 33.3.
    half = scoring_of("default", support_share=0.5)
    result = score([led_red, supported_green], half)
    assert result.task_score == pytest.approx(100 / 3)
    assert result.score == 53.3
    # A unit that only supports is ranked only when support is scored.
    assert score_department("fgj", [supported_green], DEFAULT) is None
    only_support = score_department("fgj", [supported_green], half)
    assert only_support is not None
    assert only_support.score == 100.0


def test_a_missed_report_costs_once() -> None:
    reported_green = standing(GREEN)
    silent = standing(RED, reported=False, silent=True, missed=1)  # red only for its 0 %
    # Default: penalised twice — red in the task score and in the reporting rate.
    assert score([reported_green, silent]).score == 50.0  # 0.7 × 50 + 0.3 × 50
    # By deduction: the silent task is left out of the task score and costs 5 points.
    once = scoring_of("default", reporting=Reporting.DEDUCTION, missed_report=5)
    result = score([reported_green, silent], once)
    assert (result.task_score, result.missed, result.score) == (100, 1, 95.0)
    # Cumulative: three missed months in all cost 15.
    three = standing(RED, reported=False, silent=True, missed=3)
    assert score([reported_green, three], once).score == 85.0


def test_missed_months_are_counted_from_the_start_while_open() -> None:
    start, september = date(2022, 1, 10), date(2022, 9, 1)
    months = {"2022-01", "2022-02", "2022-03", "2022-05", "2022-06", "2022-07", "2022-08"}
    assert missed_before(start, september, months, None) == 1  # April
    assert missed_before(start, september, set(), None) == 8  # January to August
    # Done on 15 May: nothing owed from June on (January to April and May missed).
    assert missed_before(start, september, set(), date(2022, 5, 15)) == 5


def test_cards_deduct_from_100() -> None:
    cards = scoring_of("cards")
    # Three green, two yellow (−1 each), one red (−2): 100 − 2 − 2 = 96.
    lights = [GREEN, GREEN, GREEN, YELLOW, YELLOW, RED]
    assert score([standing(light) for light in lights], cards).score == 96.0
    # Reporting is not scored apart: a silent red task is one red card, nothing more.
    assert score([standing(RED, reported=False, silent=True, missed=1)], cards).score == 98.0


def test_lead_minus_5_support_minus_3() -> None:
    scheme = scoring_of("lead_support")
    assert score([standing(RED)], scheme).score == 95.0
    assert score([standing(RED, support=True)], scheme).score == 97.0  # 5 × 0.6
    assert score([standing(YELLOW), standing(DONE, late=True)], scheme).score == 100.0


def test_an_accepted_reason_is_not_penalised() -> None:
    blocked = standing(RED, excused=True)
    assert score([standing(GREEN), blocked]).score == 65.0  # default: counted red
    excusing = scoring_of("default", excuse_accepted=True)
    result = score([standing(GREEN), blocked], excusing)
    assert (result.tasks, result.excused, result.score) == (1, 1, 100.0)
    # A unit whose only task is excused is not ranked on nothing.
    assert score_department("gxk", [blocked], excusing) is None


def test_early_completion_is_credited() -> None:
    assert is_early(date(2022, 5, 20), date(2022, 6, 30), 30)  # 41 days early
    assert not is_early(date(2022, 6, 10), date(2022, 6, 30), 30)  # 20 days
    early = standing(DONE, done_early=True)
    assert task_points(early) == 100  # default: as on time
    bonus = scoring_of("cards", points={"done_early": 1})
    assert score([early, standing(RED)], bonus).score == 99.0  # 100 + 1 − 2
    averaged = scoring_of("default", points={"done_early": 110})
    assert score([early, standing(GREEN)], averaged).score == 103.5  # 0.7 × 105 + 30


def test_monthly_scores_only_the_tasks_open_in_the_month() -> None:
    done_before = standing(DONE, open_=False, reported=False)
    red = standing(RED)
    assert score([done_before, red]).score == 65.0  # cumulative: (100 + 0) / 2 × 0.7 + 30
    monthly = scoring_of("default", period=ScoringPeriod.MONTHLY)
    assert score([done_before, red], monthly).score == 30.0


def test_departments_are_ranked_within_their_category() -> None:
    scores = [
        Score("gxk", 3, 90, 100, 3, 3, 90.0, category="科室"),
        Score("company", 1, 100, 100, 1, 1, 100.0, category="平台与企业"),
        Score("kjk", 2, 80, 100, 2, 2, 90.0, category="科室"),
        Score("fgj", 2, 80, 100, 2, 2, 80.0, category="区级部门"),
    ]
    ranked = [(s.department_id, s.rank) for s in rank(scores)]
    assert ranked == [("gxk", 1), ("kjk", 1), ("company", 1), ("fgj", 1)]
    # Without categories: one ranking, as before.
    flat = rank([Score(s.department_id, 1, 0, 0, 0, 0, s.score) for s in scores])
    assert [(s.department_id, s.rank) for s in flat] == [
        ("company", 1),
        ("gxk", 2),
        ("kjk", 2),
        ("fgj", 4),
    ]


def test_a_unit_with_no_tasks_is_not_ranked() -> None:
    assert score_department("kjj", [], DEFAULT) is None


def _task(due: date) -> Task:
    return Task("t1", "c1", "眼谷招引项目", "gxk", date(2022, 1, 1), due)


def _report(on: date, percent: int, state: State | None = None) -> Report:
    return Report("t1", datetime(on.year, on.month, on.day, 10, tzinfo=ZONE), percent, state)


def test_near_the_deadline_is_a_reminder_not_a_yellow_light() -> None:
    # 90 % five workdays before the due date (Fri 24 June → Thu 30 June 2022).
    due, as_of = date(2022, 6, 30), date(2022, 6, 23)
    latest = _report(as_of, 90)
    yellow = assess(_task(due), latest, as_of, Rules(), CN, ZONE)
    assert yellow.light is Light.YELLOW  # the default: scored 60
    reminder = Rules(due_soon=DueSoon.REMINDER)
    green = assess(_task(due), latest, as_of, reminder, CN, ZONE)
    assert green.light is Light.GREEN  # scored 100
    assert [r.key for r in green.reasons] == ["light.on_track", "light.due_soon"]
    # Overdue is still red whatever the reminder setting.
    late = assess(_task(due), latest, date(2022, 7, 1), reminder, CN, ZONE)
    assert late.light is Light.RED


def test_an_accepted_reason_stays_red_and_says_so() -> None:
    due, as_of = date(2022, 12, 31), date(2022, 6, 30)
    blocked = _report(as_of - timedelta(days=3), 40, State.BLOCKED)
    a = assess(_task(due), blocked, as_of, Rules(), CN, ZONE, excused=True)
    assert a.light is Light.RED
    assert a.excused
    assert [r.key for r in a.reasons] == ["light.blocked_accepted"]
    # Excused means nothing to a task that is not blocked.
    moving = assess(_task(due), _report(as_of, 50), as_of, Rules(), CN, ZONE, excused=True)
    assert not moving.excused
