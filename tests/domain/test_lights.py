"""红黄绿灯: every rule of README's "Traffic lights", with its reason as a coordinator reads it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from superbot.domain.calendar import CalendarSpec, Holidays, WorkdayCalendar
from superbot.domain.lights import Assessment, Light, assess, expected_progress
from superbot.domain.model import Report, Rules, State, Task
from superbot.render.environment import Texts, make_environment

ZONE = ZoneInfo("Asia/Shanghai")
CN = WorkdayCalendar(CalendarSpec())
WEEKENDS = WorkdayCalendar(CalendarSpec(Holidays.WEEKENDS))
SAY = Texts(make_environment())
DEFAULT = Rules()
STRICT = Rules(warn_workdays=2, yellow_lag=5, red_lag=20, stale_days=14)
SHORT_STALE = Rules(yellow_lag=15, red_lag=40, stale_days=10)

# A 100-day task: on day N its expected progress is exactly N %.
START_100 = date(2022, 1, 1)
DUE_100 = date(2022, 4, 11)


def day(n: int) -> date:
    return START_100 + timedelta(days=n)


def task(start: date = START_100, due: date = DUE_100) -> Task:
    return Task("t1", "c1", "高新技术产业投资攻坚", "gxk", start, due)


def report(on: date, percent: int | None, state: State | None = None, hour: int = 10) -> Report:
    return Report("t1", datetime(on.year, on.month, on.day, hour, tzinfo=ZONE), percent, state)


@dataclass(frozen=True)
class Case:
    task: Task
    latest: Report | None
    as_of: date
    light: Light
    reasons: list[str]
    rules: Rules = DEFAULT
    calendar: WorkdayCalendar = CN


def judge(case: Case) -> Assessment:
    return assess(case.task, case.latest, case.as_of, case.rules, case.calendar, ZONE)


CASES = [
    # -- done (已办结): the latest report is 100 % or says done; nothing else matters ------------
    pytest.param(
        Case(task(), report(day(50), 100), day(60), Light.DONE, ["已于 2022-02-20 办结"]),
        id="done-by-100-percent",
    ),
    pytest.param(
        Case(
            task(), report(day(50), 80, State.DONE), day(60), Light.DONE, ["已于 2022-02-20 办结"]
        ),
        id="done-by-state-done",
    ),
    pytest.param(
        Case(
            task(),
            report(date(2022, 4, 13), 100, State.DONE),
            date(2022, 4, 20),
            Light.DONE,
            ["已于 2022-04-13 办结（逾期 2 天）"],
        ),
        id="done-after-due-says-how-late-but-is-not-red",
    ),
    pytest.param(
        Case(
            task(), report(day(10), 100), date(2022, 12, 31), Light.DONE, ["已于 2022-01-11 办结"]
        ),
        id="done-report-followed-by-nothing-else-is-neither-stale-nor-overdue",
    ),
    # -- red (滞后/逾期) ------------------------------------------------------------------------
    pytest.param(
        Case(
            task(due=date(2022, 6, 30)),
            report(date(2022, 6, 28), 95),
            date(2022, 7, 2),
            Light.RED,
            ["已逾期 2 天（截止 2022-06-30）"],
        ),
        id="red-overdue-days-counted",
    ),
    pytest.param(
        Case(task(), report(day(99), 99), day(101), Light.RED, ["已逾期 1 天（截止 2022-04-11）"]),
        id="red-overdue-the-day-after-due",
    ),
    pytest.param(
        Case(
            task(), report(day(40), 40, State.BLOCKED), day(40), Light.RED, ["责任单位报告工作受阻"]
        ),
        id="red-blocked",
    ),
    pytest.param(
        Case(task(), report(day(50), 10), day(50), Light.RED, ["进度滞后 40 个百分点"]),
        id="red-lag-over-red-lag",
    ),
    pytest.param(
        Case(task(), report(day(50), 19), day(50), Light.RED, ["进度滞后 31 个百分点"]),
        id="red-lag-one-over-red-lag",
    ),
    pytest.param(
        Case(task(), report(day(50), 20), day(50), Light.YELLOW, ["进度滞后 30 个百分点"]),
        id="lag-exactly-red-lag-is-yellow-not-red",
    ),
    pytest.param(
        Case(
            task(),
            report(day(100), 50, State.BLOCKED),
            day(102),
            Light.RED,
            ["已逾期 2 天（截止 2022-04-11）", "责任单位报告工作受阻", "进度滞后 50 个百分点"],
        ),
        id="red-lists-every-red-reason-in-order",
    ),
    pytest.param(
        Case(task(), None, day(40), Light.RED, ["进度滞后 40 个百分点", "尚未报送过进度"]),
        id="red-no-report-at-all-lag-is-the-expected-progress-and-says-so",
    ),
    # -- yellow (预警) --------------------------------------------------------------------------
    pytest.param(
        Case(
            task(due=date(2022, 10, 10)),
            report(date(2022, 9, 30), 95),
            date(2022, 9, 30),
            Light.YELLOW,
            ["距截止仅剩 3 个工作日"],
        ),
        id="yellow-due-soon-national-day-week-off-tiaoxiu-weekend-worked",
    ),
    pytest.param(
        Case(
            task(due=date(2022, 10, 10)),
            report(date(2022, 9, 30), 95),
            date(2022, 9, 30),
            Light.GREEN,
            ["进度正常（已完成 95%，时序进度 96.5%）"],
            calendar=WEEKENDS,
        ),
        id="green-same-dates-with-holidays-weekends-six-workdays",
    ),
    pytest.param(
        Case(
            task(due=date(2022, 10, 10)),
            report(date(2022, 10, 3), 95),
            date(2022, 10, 3),
            Light.YELLOW,
            ["距截止仅剩 5 个工作日"],
            calendar=WEEKENDS,
        ),
        id="yellow-due-soon-holidays-weekends-exactly-warn-workdays",
    ),
    pytest.param(
        Case(
            task(due=date(2022, 6, 30)),
            report(date(2022, 6, 23), 95),
            date(2022, 6, 23),
            Light.YELLOW,
            ["距截止仅剩 5 个工作日"],
        ),
        id="yellow-due-soon-exactly-warn-workdays",
    ),
    pytest.param(
        Case(
            task(due=date(2022, 6, 30)),
            report(date(2022, 6, 22), 95),
            date(2022, 6, 22),
            Light.GREEN,
            ["进度正常（已完成 95%，时序进度 95.6%）"],
        ),
        id="green-one-workday-more-than-warn-workdays",
    ),
    pytest.param(
        Case(
            task(due=date(2022, 6, 30)),
            report(date(2022, 6, 30), 95),
            date(2022, 6, 30),
            Light.YELLOW,
            ["今天截止"],
        ),
        id="yellow-due-today-zero-workdays",
    ),
    pytest.param(
        Case(
            task(due=date(2022, 10, 7)),
            report(date(2022, 9, 30), 95),
            date(2022, 9, 30),
            Light.YELLOW,
            ["2022-10-07 截止，此前已没有工作日"],
        ),
        id="yellow-zero-workdays-before-a-holiday-due-date-is-not-due-today",
    ),
    pytest.param(
        Case(
            task(due=date(2022, 10, 10)),
            report(date(2022, 9, 30), 95),
            date(2022, 9, 30),
            Light.GREEN,
            ["进度正常（已完成 95%，时序进度 96.5%）"],
            rules=STRICT,
        ),
        id="green-custom-warn-workdays-2-three-workdays-left",
    ),
    pytest.param(
        Case(
            task(due=date(2022, 10, 10)),
            report(date(2022, 10, 8), 97),
            date(2022, 10, 8),
            Light.YELLOW,
            ["距截止仅剩 2 个工作日"],
            rules=STRICT,
        ),
        id="yellow-custom-warn-workdays-2-tiaoxiu-sunday-counts",
    ),
    pytest.param(
        Case(
            task(),
            report(day(40), 40, State.AT_RISK),
            day(40),
            Light.YELLOW,
            ["责任单位报告存在风险"],
        ),
        id="yellow-at-risk",
    ),
    pytest.param(
        Case(task(), report(day(50), 40), day(50), Light.YELLOW, ["进度滞后 10 个百分点"]),
        id="yellow-lag-exactly-yellow-lag",
    ),
    pytest.param(
        Case(
            task(),
            report(day(50), 41),
            day(50),
            Light.GREEN,
            ["进度正常（已完成 41%，时序进度 50%）"],
        ),
        id="green-lag-one-below-yellow-lag",
    ),
    pytest.param(
        Case(
            task(start=date(2022, 1, 1), due=date(2022, 1, 17)),
            None,
            date(2022, 1, 3),
            Light.YELLOW,
            ["进度滞后 12.5 个百分点"],
        ),
        id="yellow-lag-12.5-points-shown-with-its-decimal",
    ),
    pytest.param(
        Case(
            task(),
            report(day(90), 80, State.AT_RISK),
            day(99),
            Light.YELLOW,
            ["距截止仅剩 1 个工作日", "责任单位报告存在风险", "进度滞后 19 个百分点"],
        ),
        id="yellow-lists-every-yellow-reason-in-order",
    ),
    # -- stale: no report in the last stale_days days although started more than that ago ---
    pytest.param(
        Case(
            task(due=date(2022, 12, 31)),
            report(date(2022, 5, 1), 35),
            date(2022, 6, 1),
            Light.GREEN,
            ["进度正常（已完成 35%，时序进度 41.5%）"],
        ),
        id="green-last-report-exactly-stale-days-ago",
    ),
    pytest.param(
        Case(
            task(due=date(2022, 12, 31)),
            report(date(2022, 5, 1), 35),
            date(2022, 6, 2),
            Light.YELLOW,
            ["已 32 天未报送进度"],
        ),
        id="yellow-stale-last-report-stale-days-plus-one-ago",
    ),
    pytest.param(
        Case(
            task(due=date(2022, 12, 31)),
            Report("t1", datetime(2022, 5, 1, 23, 30, tzinfo=UTC), 35),
            date(2022, 6, 2),
            Light.GREEN,
            ["进度正常（已完成 35%，时序进度 41.8%）"],
        ),
        id="green-report-day-counted-in-the-plan-timezone",
    ),
    pytest.param(
        Case(
            task(),
            report(day(20), 20),
            day(30),
            Light.GREEN,
            ["进度正常（已完成 20%，时序进度 30%）"],
            SHORT_STALE,
        ),
        id="green-custom-stale-days-10-exactly",
    ),
    pytest.param(
        Case(
            task(), report(day(20), 20), day(31), Light.YELLOW, ["已 11 天未报送进度"], SHORT_STALE
        ),
        id="yellow-custom-stale-days-10-plus-one",
    ),
    pytest.param(
        Case(
            task(), None, day(10), Light.GREEN, ["进度正常（已完成 0%，时序进度 10%）"], SHORT_STALE
        ),
        id="green-never-reported-started-exactly-stale-days-ago",
    ),
    pytest.param(
        Case(task(), None, day(11), Light.YELLOW, ["尚未报送过进度"], SHORT_STALE),
        id="yellow-never-reported-started-more-than-stale-days-ago",
    ),
    # -- green ----------------------------------------------------------------------------------
    pytest.param(
        Case(
            task(),
            report(day(50), 50),
            day(50),
            Light.GREEN,
            ["进度正常（已完成 50%，时序进度 50%）"],
        ),
        id="green-on-track",
    ),
    pytest.param(
        Case(
            task(),
            report(day(20), 80),
            day(50),
            Light.GREEN,
            ["进度正常（已完成 80%，时序进度 50%）"],
        ),
        id="green-ahead-of-schedule",
    ),
    pytest.param(
        Case(task(), None, day(5), Light.GREEN, ["进度正常（已完成 0%，时序进度 5%）"]),
        id="green-no-report-yet-small-lag",
    ),
    pytest.param(
        Case(
            task(start=date(2022, 11, 1), due=date(2022, 12, 31)),
            None,
            date(2022, 10, 1),
            Light.GREEN,
            ["2022-11-01 开始"],
        ),
        id="green-not-started-yet",
    ),
    # -- custom rules (warn 2, yellow 5, red 20, stale 14) --------------------------------------
    pytest.param(
        Case(task(), report(day(50), 29), day(50), Light.RED, ["进度滞后 21 个百分点"], STRICT),
        id="custom-red-lag-21-over-20",
    ),
    pytest.param(
        Case(task(), report(day(50), 30), day(50), Light.YELLOW, ["进度滞后 20 个百分点"], STRICT),
        id="custom-lag-exactly-red-lag-20-is-yellow",
    ),
    pytest.param(
        Case(task(), report(day(50), 45), day(50), Light.YELLOW, ["进度滞后 5 个百分点"], STRICT),
        id="custom-lag-exactly-yellow-lag-5",
    ),
    pytest.param(
        Case(
            task(),
            report(day(50), 46),
            day(50),
            Light.GREEN,
            ["进度正常（已完成 46%，时序进度 50%）"],
            STRICT,
        ),
        id="custom-lag-4-is-green",
    ),
    pytest.param(
        Case(task(), report(day(35), 50), day(50), Light.YELLOW, ["已 15 天未报送进度"], STRICT),
        id="custom-stale-days-14",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_light_and_reasons_as_the_coordinator_reads_them(case: Case) -> None:
    assessment = judge(case)
    assert assessment.light is case.light
    assert [SAY(reason) for reason in assessment.reasons] == case.reasons


@pytest.mark.parametrize(
    ("case", "keys"),
    [
        pytest.param(CASES[0].values[0], ["light.done"], id="done"),
        pytest.param(
            Case(task(), None, day(102), Light.RED, []),
            ["light.overdue", "light.lag", "light.stale"],
            id="red",
        ),
        pytest.param(
            Case(task(), report(day(98), 90, State.AT_RISK), day(99), Light.YELLOW, []),
            ["light.due_soon", "light.at_risk"],
            id="yellow",
        ),
        pytest.param(
            Case(task(), report(day(10), 10), day(50), Light.YELLOW, [], SHORT_STALE),
            ["light.lag", "light.stale"],
            id="yellow-lag-and-stale",
        ),
        pytest.param(
            Case(task(start=day(10)), None, day(1), Light.GREEN, []),
            ["light.not_started"],
            id="not-started",
        ),
        pytest.param(
            Case(task(), report(day(50), 50), day(50), Light.GREEN, []),
            ["light.on_track"],
            id="on-track",
        ),
    ],
)
def test_reason_keys(case: Case, keys: list[str]) -> None:
    assessment = judge(case)
    assert assessment.light is case.light
    assert [reason.key for reason in assessment.reasons] == keys


def test_no_report_at_all_means_percent_zero_and_lag_equal_to_expected() -> None:
    assessment = assess(task(), None, day(25), DEFAULT, CN, ZONE)
    assert assessment.percent == 0
    assert assessment.expected == 25
    assert assessment.lag == 25
    assert assessment.lag_points == 25
    assert assessment.state is None
    assert assessment.last_report is None


def test_assessment_carries_the_latest_report() -> None:
    assessment = assess(task(), report(day(30), 20, State.AT_RISK), day(40), DEFAULT, CN, ZONE)
    assert (assessment.percent, assessment.expected, assessment.lag_points) == (20, 40, 20)
    assert assessment.state is State.AT_RISK
    assert assessment.last_report == day(30)


def test_a_note_only_report_counts_as_zero_percent() -> None:
    assessment = assess(task(), report(day(40), None), day(40), DEFAULT, CN, ZONE)
    assert assessment.percent == 0
    assert assessment.light is Light.RED


@pytest.mark.parametrize(
    ("start", "due", "as_of", "expected"),
    [
        pytest.param(START_100, DUE_100, day(-10), 0.0, id="before-start"),
        pytest.param(START_100, DUE_100, START_100, 0.0, id="at-start"),
        pytest.param(START_100, DUE_100, day(1), 1.0, id="one-day-in"),
        pytest.param(START_100, DUE_100, day(50), 50.0, id="middle"),
        pytest.param(START_100, DUE_100, DUE_100, 100.0, id="at-due"),
        pytest.param(START_100, DUE_100, day(150), 100.0, id="after-due"),
        pytest.param(date(2022, 1, 1), date(2022, 1, 4), date(2022, 1, 2), 100 / 3, id="a-third"),
        pytest.param(
            date(2022, 6, 1), date(2022, 6, 1), date(2022, 5, 31), 0.0, id="start-eq-due-before"
        ),
        pytest.param(
            date(2022, 6, 1), date(2022, 6, 1), date(2022, 6, 1), 100.0, id="start-eq-due-on"
        ),
        pytest.param(
            date(2022, 6, 1), date(2022, 6, 1), date(2022, 6, 2), 100.0, id="start-eq-due-after"
        ),
        pytest.param(
            date(2021, 12, 2), date(2022, 1, 31), date(2022, 1, 1), 50.0, id="across-new-year"
        ),
    ],
)
def test_expected_progress_is_the_share_of_calendar_days_passed(
    start: date, due: date, as_of: date, expected: float
) -> None:
    assert expected_progress(start, due, as_of) == pytest.approx(expected)


def test_light_severity_sorts_red_first_and_done_last() -> None:
    ordered = sorted([Light.DONE, Light.GREEN, Light.RED, Light.YELLOW], key=lambda x: x.severity)
    assert ordered == [Light.RED, Light.YELLOW, Light.GREEN, Light.DONE]


@pytest.mark.parametrize(
    ("light", "label"),
    [(Light.RED, "红灯"), (Light.YELLOW, "黄灯"), (Light.GREEN, "绿灯"), (Light.DONE, "办结")],
)
def test_light_labels(light: Light, label: str) -> None:
    module = make_environment().get_template("zh-CN/texts/light.j2").module
    assert str(module.label(light.value)).strip() == label  # type: ignore[attr-defined]
