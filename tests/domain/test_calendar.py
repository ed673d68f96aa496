from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import jinja2
import pytest

from superbot.domain.calendar import CalendarSpec, Holidays, WorkdayCalendar
from superbot.domain.text import Text

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

CN = WorkdayCalendar(CalendarSpec())
WEEKENDS = WorkdayCalendar(CalendarSpec(Holidays.WEEKENDS))
CN_WITH_EXTRAS = WorkdayCalendar(
    CalendarSpec(
        extra_holidays=frozenset({date(2022, 10, 10), date(2022, 10, 9), date(2027, 2, 12)}),
        extra_workdays=frozenset({date(2022, 10, 15), date(2022, 10, 3), date(2027, 2, 6)}),
    )
)


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        # National Day 2022: 1–7 October off, Saturday 8 and Sunday 9 are 调休 workdays.
        (date(2022, 9, 30), True),
        (date(2022, 10, 1), False),
        (date(2022, 10, 3), False),
        (date(2022, 10, 7), False),
        (date(2022, 10, 8), True),
        (date(2022, 10, 9), True),
        (date(2022, 10, 10), True),
        (date(2022, 10, 15), False),
        # Spring Festival 2022: 31 January – 6 February off, 29–30 January worked.
        (date(2022, 1, 29), True),
        (date(2022, 1, 30), True),
        (date(2022, 1, 31), False),
        (date(2022, 2, 1), False),
        (date(2022, 2, 6), False),
        (date(2022, 2, 7), True),
        # Past the statutory data: weekends plus the holidays package's Chinese holidays.
        (date(2027, 1, 1), False),
        (date(2027, 1, 4), True),
        (date(2027, 1, 9), False),
        (date(2027, 10, 1), False),
        (date(2003, 10, 1), False),
    ],
)
def test_cn_calendar_follows_statutory_holidays_and_tiaoxiu(day: date, workday: bool) -> None:
    assert CN.is_workday(day) is workday


@pytest.mark.parametrize("year", [CN.data_years[0], 2021, 2022, 2023, CN.data_years[-1]])
def test_cn_calendar_agrees_with_chinesecalendar_on_every_day(year: int) -> None:
    day, last = date(year, 1, 1), date(year, 12, 31)
    while day <= last:
        assert CN.is_workday(day) is chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        (date(2022, 10, 3), True),  # a statutory holiday, but a Monday
        (date(2022, 10, 8), False),  # a 调休 Saturday, but a Saturday
        (date(2022, 10, 9), False),
        (date(2022, 2, 1), True),
        (date(2027, 1, 1), True),  # no holidays at all, even past the statutory data
    ],
)
def test_weekends_calendar_is_monday_to_friday(day: date, workday: bool) -> None:
    assert WEEKENDS.is_workday(day) is workday


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        (date(2022, 10, 10), False),  # extra holiday on an ordinary Monday
        (date(2022, 10, 9), False),  # extra holiday on a 调休 Sunday
        (date(2022, 10, 15), True),  # extra workday on a Saturday
        (date(2022, 10, 3), True),  # extra workday on a statutory holiday
        (date(2027, 2, 6), True),  # fills in a 调休 past the statutory data
        (date(2027, 2, 12), False),  # fills in a holiday past the statutory data
        (date(2022, 10, 11), True),
    ],
)
def test_extra_holidays_and_workdays_override_the_calendar(day: date, workday: bool) -> None:
    assert CN_WITH_EXTRAS.is_workday(day) is workday


def test_a_day_listed_both_ways_stays_off() -> None:
    both = frozenset({date(2022, 10, 12)})
    calendar = WorkdayCalendar(CalendarSpec(extra_holidays=both, extra_workdays=both))
    assert not calendar.is_workday(date(2022, 10, 12))


@pytest.mark.parametrize(
    ("calendar", "day", "expected"),
    [
        (CN, date(2022, 10, 1), date(2022, 10, 8)),
        (CN, date(2022, 10, 8), date(2022, 10, 8)),
        (CN, date(2022, 1, 29), date(2022, 1, 29)),
        (CN, date(2022, 1, 31), date(2022, 2, 7)),
        (CN, date(2022, 12, 31), date(2023, 1, 3)),  # across the year, past 元旦
        (CN, date(2026, 12, 26), date(2026, 12, 28)),
        (WEEKENDS, date(2022, 10, 1), date(2022, 10, 3)),
        (CN_WITH_EXTRAS, date(2022, 10, 1), date(2022, 10, 3)),
    ],
)
def test_next_workday_is_the_day_itself_or_the_first_workday_after(
    calendar: WorkdayCalendar, day: date, expected: date
) -> None:
    assert calendar.next_workday(day) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2022, 10, 8), date(2022, 9, 30)),
        (date(2022, 10, 9), date(2022, 10, 8)),
        (date(2023, 1, 3), date(2022, 12, 30)),
    ],
)
def test_last_workday_before_is_strictly_before(day: date, expected: date) -> None:
    assert CN.last_workday_before(day) == expected


@pytest.mark.parametrize(
    ("calendar", "after", "until", "expected"),
    [
        (CN, date(2022, 10, 8), date(2022, 10, 8), 0),
        (CN, date(2022, 10, 10), date(2022, 10, 1), 0),
        (CN, date(2022, 10, 7), date(2022, 10, 8), 1),
        (CN, date(2022, 9, 30), date(2022, 10, 9), 2),
        (CN, date(2022, 9, 29), date(2022, 10, 7), 1),
        (CN, date(2021, 12, 31), date(2022, 12, 31), 249),
        (CN, date(2022, 12, 25), date(2023, 1, 5), 8),
        (CN, date(2021, 6, 30), date(2023, 6, 30), 500),
        (WEEKENDS, date(2022, 9, 30), date(2022, 10, 9), 5),
        (CN_WITH_EXTRAS, date(2022, 9, 30), date(2022, 10, 15), 7),
    ],
)
def test_workdays_between_counts_after_exclusive_until_inclusive(
    calendar: WorkdayCalendar, after: date, until: date, expected: int
) -> None:
    assert calendar.workdays_between(after, until) == expected


@pytest.mark.parametrize(
    ("after", "until"),
    [
        (date(2021, 11, 15), date(2022, 2, 20)),
        (date(2026, 12, 1), date(2027, 12, 31)),  # into the fallback
        (date(2003, 12, 20), date(2004, 1, 10)),  # out of the fallback
        (date(2019, 12, 31), date(2023, 1, 1)),  # several whole years
    ],
)
def test_workdays_between_equals_counting_day_by_day(after: date, until: date) -> None:
    days = ((after + timedelta(days=n)) for n in range(1, (until - after).days + 1))
    assert CN_WITH_EXTRAS.workdays_between(after, until) == sum(
        CN_WITH_EXTRAS.is_workday(d) for d in days
    )


@pytest.mark.parametrize(
    ("calendar", "first", "last", "years"),
    [
        (CN, date(2022, 1, 1), date(2022, 12, 31), []),
        (CN, date(2026, 6, 1), date(2028, 3, 1), [2027, 2028]),
        (CN, date(2003, 6, 1), date(2004, 3, 1), [2003]),
        (CN, date(2028, 1, 1), date(2027, 1, 1), []),
        (WEEKENDS, date(2026, 6, 1), date(2028, 3, 1), []),
    ],
)
def test_warnings_name_each_year_past_the_statutory_data(
    calendar: WorkdayCalendar, first: date, last: date, years: list[int]
) -> None:
    warnings = calendar.warnings_for(first, last)
    assert [w.params["year"] for w in warnings] == years
    assert {w.key for w in warnings} <= {"calendar.no_statutory_data"}


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        (
            "zh-CN",
            ["2027 年", "2004–2026", "不含调休", "plan.extra_holidays", "plan.extra_workdays"],
        ),
        ("en", ["2027", "2004–2026", "plan.extra_holidays", "plan.extra_workdays"]),
    ],
)
def test_fallback_warning_says_which_year_and_where_to_fill_in(
    locale: str, words: list[str]
) -> None:
    [warning] = CN.warnings_for(date(2027, 3, 1), date(2027, 6, 1))
    sentence = _render(locale, warning)
    for word in words:
        assert word in sentence


def _render(locale: str, text: Text) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    area, _, name = text.key.partition(".")
    module = env.get_template(f"{locale}/texts/{area}.j2").module
    return str(getattr(module, name)(**text.params)).strip()
