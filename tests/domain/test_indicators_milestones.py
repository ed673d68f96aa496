"""Milestones (节点), 督办起始 and indicators by kind, each with worked numbers."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from superbot.domain.calendar import CalendarSpec, WorkdayCalendar
from superbot.domain.indicators import attainment, is_met, shortfall, target_on
from superbot.domain.lights import Light, assess, expected_progress
from superbot.domain.model import (
    Direction,
    Indicator,
    IndicatorKind,
    Milestone,
    Report,
    Rules,
    Task,
)
from superbot.render.environment import Texts, make_environment
from superbot.service.views import IndicatorReading

ZONE = ZoneInfo("Asia/Shanghai")
CN = WorkdayCalendar(CalendarSpec())
SAY = Texts(make_environment())
START, DUE = date(2022, 1, 1), date(2022, 12, 31)
MILESTONES = (
    Milestone(date(2022, 6, 30), "完成用地报批", 40),
    Milestone(date(2022, 9, 30), "主体开工", 70),
)


def task(*indicators: Indicator, milestones: tuple[Milestone, ...] = ()) -> Task:
    return Task(
        "t1",
        "c1",
        "眼谷科创园 A 区",
        "gxk",
        START,
        DUE,
        indicators=indicators,
        milestones=milestones,
    )


def report(on: date, percent: int) -> Report:
    return Report("t1", datetime(on.year, on.month, on.day, 10, tzinfo=ZONE), percent)


def test_expected_progress_follows_the_milestones() -> None:
    # 0 % on 1 January to 40 % on 30 June: 89 of 180 days by 31 March.
    march = expected_progress(START, DUE, date(2022, 3, 31), MILESTONES)
    assert march == pytest.approx(40 * 89 / 180)  # 19.8, not the straight line's 24.7
    # 40 % on 30 June to 70 % on 30 September: half of those 92 days by 15 August.
    assert expected_progress(START, DUE, date(2022, 8, 15), MILESTONES) == 55.0
    # Then on to 100 % at the due date: 31 of the last 92 days by 31 October.
    assert expected_progress(START, DUE, date(2022, 10, 31), MILESTONES) == pytest.approx(
        70 + 30 * 31 / 92
    )


def test_a_missed_milestone_is_a_reason_on_the_light() -> None:
    # 10 July: expected 40 + 30 × 10/92 = 43.3; 35 % is 8.3 behind — green by lag alone.
    as_of = date(2022, 7, 10)
    a = assess(task(milestones=MILESTONES), report(as_of, 35), as_of, Rules(), CN, ZONE)
    assert a.expected == pytest.approx(40 + 30 * 10 / 92)
    assert a.light is Light.YELLOW
    assert [SAY(r) for r in a.reasons] == ["节点未完成：2022-06-30 应“完成用地报批”（完成 40%）"]
    # 40 % meets it.
    met = assess(task(milestones=MILESTONES), report(as_of, 40), as_of, Rules(), CN, ZONE)
    assert met.light is Light.GREEN


def test_progress_is_expected_from_when_supervision_began() -> None:
    supervised = Rules(supervision_start=date(2022, 6, 1))
    march = date(2022, 3, 31)
    # Without it, a task never reported is 24.7 points behind and silent: yellow at least.
    assert assess(task(), None, march, Rules(), CN, ZONE).light is Light.YELLOW
    # Under supervision from June: nothing is owed in March.
    a = assess(task(), None, march, supervised, CN, ZONE)
    assert (a.expected, a.light) == (0.0, Light.GREEN)
    # 1 September: 92 of the 213 days from 1 June to 31 December.
    september = assess(
        task(), report(date(2022, 8, 30), 40), date(2022, 9, 1), supervised, CN, ZONE
    )
    assert september.expected == pytest.approx(100 * 92 / 213)
    assert september.light is Light.GREEN  # 43.2 expected, 40 done


RANK = Indicator("rank", "高新区综合排名", "%", 30, kind=IndicatorKind.RANK)
GROWTH = Indicator("invest", "高新技术产业投资增速", "%", 15, kind=IndicatorKind.RATE)
FIRMS = Indicator("firms", "新增高新技术企业", "家", 30)
ENERGY = Indicator("energy", "单位产值能耗", "吨标煤/万元", 0.5, direction=Direction.DOWN)


def test_a_rank_target_is_met_by_a_better_rank() -> None:
    july = date(2022, 7, 31)
    assert is_met(RANK, 25, july)  # 前25% meets 前30%
    assert attainment(RANK, 25) is None  # never "120 %" or "83.3 %"
    assert not is_met(RANK, 35, july)
    reading = IndicatorReading(task(RANK), RANK, 25, july, july)
    assert (reading.met, reading.gap) == (True, 5)
    [text] = _said(reading)
    assert text == "达标（超 5 个百分点）"


def test_a_rate_is_compared_in_percentage_points() -> None:
    july = date(2022, 7, 31)
    assert shortfall(GROWTH, -5, july, 58) == 20  # 15 − (−5), whatever the time passed
    assert attainment(GROWTH, -5) is None
    reading = IndicatorReading(task(GROWTH), GROWTH, 12.5, july, july)
    assert _said(reading) == ["差 2.5 个百分点"]


def test_quarterly_targets_apply_in_their_quarter() -> None:
    quarterly = Indicator(
        "invest", "投资增速", "%", 15, kind=IndicatorKind.RATE, quarterly=(None, 10, 12, 15)
    )
    assert target_on(quarterly, date(2022, 2, 28)) == 15  # no Q1 target: the year's
    assert target_on(quarterly, date(2022, 5, 31)) == 10
    assert target_on(quarterly, date(2022, 8, 31)) == 12
    assert is_met(quarterly, 11, date(2022, 5, 31))
    assert not is_met(quarterly, 11, date(2022, 8, 31))


def test_amounts_are_compared_with_their_pro_rata_target() -> None:
    # 30 firms in the year, half the year passed: 15 due; 9 is 6 short, 20 points of 30.
    assert shortfall(FIRMS, 9, date(2022, 7, 2), 50) == 20
    assert attainment(FIRMS, 9) == 30
    # A ceiling (direction: down) holds all year: 0.6 against 0.5 is 20 % over.
    assert shortfall(ENERGY, 0.6, date(2022, 7, 2), 50) == pytest.approx(20)
    assert attainment(ENERGY, 0.4) == pytest.approx(125)


def test_an_indicator_far_behind_can_turn_the_light() -> None:
    as_of = date(2022, 7, 2)
    latest = report(date(2022, 6, 30), 70)  # the owner says 70 %: green by percent
    growth = task(GROWTH)
    assert assess(growth, latest, as_of, Rules(), CN, ZONE, values={"invest": -5}).light is (
        Light.GREEN
    )  # off unless the plan asks
    rules = Rules(indicator_yellow=5, indicator_red=15)
    red = assess(growth, latest, as_of, rules, CN, ZONE, values={"invest": -5})
    assert red.light is Light.RED
    assert [SAY(r) for r in red.reasons] == [
        "指标“高新技术产业投资增速”为 -5%，低于目标 15% 20 个百分点"
    ]
    yellow = assess(task(FIRMS), latest, as_of, rules, CN, ZONE, values={"firms": 12})
    # 30 × 182/364 = 15 due; 12 is 10 points of the year's 30 behind: yellow.
    assert yellow.light is Light.YELLOW
    assert [SAY(r) for r in yellow.reasons] == [
        "指标“新增高新技术企业”为 12 家，落后进度目标 10 个百分点（年度目标 30 家）"
    ]


def _said(reading: IndicatorReading) -> list[str]:
    env = make_environment()
    words = env.get_template("zh-CN/_words.j2").make_module()
    return [str(words.result(reading))]  # type: ignore[attr-defined]
