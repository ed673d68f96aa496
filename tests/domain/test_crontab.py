from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import islice, pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
import pytest

from superbot.domain.calendar import CalendarSpec, Holidays, WorkdayCalendar
from superbot.domain.crontab import Crontab, CrontabError, Fire, Schedule

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
CN = WorkdayCalendar(CalendarSpec())
WEEKENDS = WorkdayCalendar(CalendarSpec(Holidays.WEEKENDS))


at = datetime


def shanghai(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def upcoming(expression: str, after: datetime, count: int) -> list[datetime]:
    crontab, found = Crontab.parse(expression), []
    moment: datetime | None = after
    for _ in range(count):
        assert moment is not None
        moment = crontab.next_after(moment)
        if moment is None:
            break
        found.append(moment)
    return found


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("*/15 9 * * *", at(2022, 6, 1, 9, 0), [at(2022, 6, 1, 9, 15), at(2022, 6, 1, 9, 30)]),
        ("1-10/2 9 * * *", at(2022, 6, 1), [at(2022, 6, 1, 9, m) for m in (1, 3, 5, 7, 9)]),
        ("5/20 9 * * *", at(2022, 6, 1), [at(2022, 6, 1, 9, m) for m in (5, 25, 45)]),
        ("0 9,17 * * *", at(2022, 6, 1, 12), [at(2022, 6, 1, 17), at(2022, 6, 2, 9)]),
        ("0 8-10 1 * *", at(2022, 6, 2), [at(2022, 7, 1, h) for h in (8, 9, 10)]),
        ("0 9 1 jan,JUL *", at(2022, 2, 1), [at(2022, 7, 1, 9), at(2023, 1, 1, 9)]),
        ("0 9 1 Mar-May/2 *", at(2022, 1, 1), [at(2022, 3, 1, 9), at(2022, 5, 1, 9)]),
        ("0 9 * * MON-wed", at(2022, 6, 3), [at(2022, 6, d, 9) for d in (6, 7, 8)]),
        ("0 9 * * 5-7", at(2022, 6, 1), [at(2022, 6, d, 9) for d in (3, 4, 5)]),
        ("0 9 * * */3", at(2022, 6, 1), [at(2022, 6, d, 9) for d in (1, 4, 5, 8)]),
        (" \t0 9 * * *  ", at(2022, 6, 1, 9), [at(2022, 6, 2, 9)]),
        ("@yearly", at(2022, 3, 5), [at(2023, 1, 1), at(2024, 1, 1)]),
        ("@ANNUALLY", at(2022, 3, 5), [at(2023, 1, 1)]),
        ("@monthly", at(2022, 12, 5), [at(2023, 1, 1), at(2023, 2, 1)]),
        ("@weekly", at(2022, 6, 1), [at(2022, 6, 5), at(2022, 6, 12)]),  # Sundays
        ("@daily", at(2022, 6, 1, 0, 0), [at(2022, 6, 2), at(2022, 6, 3)]),
        ("@midnight", at(2022, 12, 31, 23, 59), [at(2023, 1, 1)]),
    ],
)
def test_next_after_understands_every_syntax(
    expression: str, after: datetime, expected: list[datetime]
) -> None:
    assert upcoming(expression, after, len(expected)) == expected


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("0 9 * * *", at(2022, 6, 1, 9, 0), at(2022, 6, 2, 9, 0)),
        ("0 9 * * *", at(2022, 6, 1, 8, 59, 59, 999999), at(2022, 6, 1, 9, 0)),
        ("0 9 * * *", at(2022, 6, 1, 9, 0, 30), at(2022, 6, 2, 9, 0)),
        ("* * * * *", at(2022, 6, 1, 9, 0, 30), at(2022, 6, 1, 9, 1)),
        ("0 0 1 1 *", at(2022, 12, 31, 23, 59), at(2023, 1, 1, 0, 0)),
    ],
)
def test_next_after_is_strictly_after_to_the_minute(
    expression: str, after: datetime, expected: datetime
) -> None:
    assert Crontab.parse(expression).next_after(after) == expected


@pytest.mark.parametrize("sunday", ["0", "7", "sun", "SUN"])
def test_day_of_week_0_and_7_are_sunday(sunday: str) -> None:
    fires = upcoming(f"0 9 * * {sunday}", at(2022, 6, 1), 3)
    assert [f.date() for f in fires] == [date(2022, 6, 5), date(2022, 6, 12), date(2022, 6, 19)]


def test_day_of_week_1_is_monday() -> None:
    fires = upcoming("30 8 * * 1", at(2022, 10, 1), 3)
    assert fires == [at(2022, 10, 3, 8, 30), at(2022, 10, 10, 8, 30), at(2022, 10, 17, 8, 30)]
    assert all(f.weekday() == 0 for f in fires)


@pytest.mark.parametrize(
    ("expression", "moment", "matches"),
    [
        ("30 8 * * 1", at(2022, 10, 10, 8, 30), True),
        ("30 8 * * 1", at(2022, 10, 11, 8, 30), False),
        ("30 8 * * 1", at(2022, 10, 10, 8, 31), False),
        ("0 9 13 * 5", at(2022, 6, 13, 9), True),  # the 13th, a Monday
        ("0 9 13 * 5", at(2022, 6, 17, 9), True),  # a Friday
        ("0 9 13 * 5", at(2022, 6, 14, 9), False),
        ("0 9 */2 * 1", at(2022, 6, 13, 9), True),  # odd day and Monday
        ("0 9 */2 * 1", at(2022, 6, 6, 9), False),  # Monday, even day: '*' means both must hold
        ("0 9 */2 * 1", at(2022, 6, 15, 9), False),  # odd day, Wednesday
        ("0 9 1 * */1", at(2022, 6, 1, 9), True),
        ("0 9 1 * */1", at(2022, 6, 6, 9), False),
    ],
)
def test_day_of_month_or_day_of_week_when_both_restricted(
    expression: str, moment: datetime, matches: bool
) -> None:
    assert Crontab.parse(expression).matches(moment) is matches


def test_both_days_restricted_fire_on_either() -> None:
    fires = upcoming("0 9 13 * 5", at(2022, 6, 1), 4)
    assert [f.day for f in fires] == [3, 10, 13, 17]


def test_day_31_skips_months_without_it() -> None:
    fires = upcoming("0 9 31 * *", at(2022, 1, 31, 9), 6)
    assert [f.month for f in fires] == [3, 5, 7, 8, 10, 12]


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("0 9 29 2 *", at(2022, 1, 1), at(2024, 2, 29, 9)),
        ("0 9 29 2 *", at(2096, 3, 1), at(2104, 2, 29, 9)),  # 2100 is not a leap year
        ("0 0 29 2 */7", at(2022, 1, 1), at(2032, 2, 29)),  # a 29 February that is a Sunday
        ("0 9 29 2 *", at(9996, 3, 1), None),  # no leap year left before 9999
    ],
)
def test_february_29_waits_for_a_leap_year(
    expression: str, after: datetime, expected: datetime | None
) -> None:
    assert Crontab.parse(expression).next_after(after) == expected


def test_next_after_refuses_aware_time() -> None:
    with pytest.raises(ValueError, match="naive"):
        Crontab.parse("0 9 * * *").next_after(shanghai(2022, 6, 1))


@pytest.mark.parametrize(
    ("expression", "key", "offset", "params"),
    [
        ("", "crontab.field_count", 0, {"count": 0}),
        ("0 9 * *", "crontab.field_count", 7, {"count": 4}),
        ("0 9 * * * *", "crontab.field_count", 10, {"count": 6}),
        ("60 9 * * *", "crontab.out_of_range", 0, {"field": "minute", "value": 60, "hi": 59}),
        ("0 24 * * *", "crontab.out_of_range", 2, {"field": "hour", "lo": 0, "hi": 23}),
        ("0 9 0 * *", "crontab.out_of_range", 4, {"field": "day_of_month", "lo": 1}),
        ("0 9 1,2,32 * *", "crontab.out_of_range", 8, {"value": 32, "hi": 31}),
        ("0 9 1-40 * *", "crontab.out_of_range", 6, {"value": 40}),
        ("0 9 * 13 *", "crontab.out_of_range", 6, {"field": "month", "lo": 1, "hi": 12}),
        ("0 9 * * 8", "crontab.out_of_range", 8, {"field": "day_of_week", "lo": 0, "hi": 7}),
        ("*/0 9 * * *", "crontab.bad_step", 2, {"field": "minute", "step": "0"}),
        ("*/x 9 * * *", "crontab.bad_step", 2, {"step": "x"}),
        ("*/60 * * * *", "crontab.bad_step", 2, {"step": "60", "hi": 59}),
        ("0 9 1/2/3 * *", "crontab.bad_step", 6, {"step": "2/3"}),
        ("0 9 * * */", "crontab.bad_step", 10, {"field": "day_of_week", "step": ""}),
        ("0 17-9 * * *", "crontab.reversed_range", 2, {"start": "17", "end": "9"}),
        ("0 9 * * fri-mon", "crontab.reversed_range", 8, {"start": "fri", "end": "mon"}),
        ("0 9 * foo *", "crontab.unknown_name", 6, {"field": "month", "name": "foo"}),
        ("0 9 * * monday", "crontab.unknown_name", 8, {"field": "day_of_week"}),
        ("0 nine * * *", "crontab.unknown_name", 2, {"field": "hour", "name": "nine"}),
        ("0 9 1x * *", "crontab.bad_value", 4, {"field": "day_of_month", "value": "1x"}),
        ("0 9 1,,2 * *", "crontab.bad_value", 6, {"value": ""}),
        ("0 9 * * 1-", "crontab.bad_value", 10, {"value": ""}),
        ("0 9 * * -1", "crontab.bad_value", 8, {"value": ""}),
        ("0 9 30 2 *", "crontab.never_fires", 4, {"day_of_month": "30", "month": "2"}),
        ("0 9 31 4,6,9,11 *", "crontab.never_fires", 4, {"month": "4,6,9,11"}),
        ("0 9 30,31 feb *", "crontab.never_fires", 4, {}),
        ("@reboot", "crontab.unsupported_macro", 0, {"macro": "@reboot"}),
        ("  @hourly", "crontab.unsupported_macro", 2, {"macro": "@hourly"}),
        ("@fortnightly", "crontab.unknown_macro", 0, {"macro": "@fortnightly"}),
        ("@daily 0", "crontab.macro_with_fields", 7, {"macro": "@daily"}),
    ],
)
def test_errors_say_what_and_where(
    expression: str, key: str, offset: int, params: dict[str, Any]
) -> None:
    with pytest.raises(CrontabError) as caught:
        Crontab.parse(expression)
    assert (caught.value.text.key, caught.value.offset) == (key, offset)
    assert params.items() <= dict(caught.value.text.params).items()


@pytest.mark.parametrize(
    "expression",
    [
        "0 9 30 2 1",  # day of week restricted too: fires on Mondays
        "0 9 29 2 *",
        "0 9 30,31 2,3 *",
        "0 9 */2 2 *",
    ],
)
def test_expressions_that_can_fire_are_accepted(expression: str) -> None:
    assert Crontab.parse(expression).next_after(at(2022, 1, 1)) is not None


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize(
    "expression",
    [
        "0 9 *",
        "60 9 * * *",
        "*/0 9 * * *",
        "0 9 * * */",
        "0 17-9 * * *",
        "0 9 * foo *",
        "0 9 * * monday",
        "0 nine * * *",
        "0 9 1x * *",
        "0 9 1,,2 * *",
        "0 9 30 2 *",
        "@hourly",
        "@fortnightly",
        "@daily 0",
    ],
)
def test_every_error_has_words_in_each_locale(locale: str, expression: str) -> None:
    with pytest.raises(CrontabError) as caught:
        Crontab.parse(expression)
    text = caught.value.text
    area, _, name = text.key.partition(".")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    module = env.get_template(f"{locale}/texts/{area}.j2").module
    assert str(getattr(module, name)(**text.params)).strip()


def fires(
    expression: str,
    after: datetime,
    until: datetime,
    zone: ZoneInfo = SHANGHAI,
    calendar: WorkdayCalendar = CN,
) -> list[tuple[datetime, datetime]]:
    schedule = Schedule(Crontab.parse(expression), zone, calendar)
    return [(f.nominal, f.at) for f in schedule.fires_between(after, until)]


def test_monthly_bulletin_on_national_day_moves_to_the_tiaoxiu_saturday() -> None:
    assert fires("0 9 1 * *", shanghai(2022, 9, 30), shanghai(2022, 10, 31)) == [
        (shanghai(2022, 10, 1, 9), shanghai(2022, 10, 8, 9)),
    ]


def test_monday_digest_on_a_holiday_moves_to_the_next_workday() -> None:
    assert fires("30 8 * * 1", shanghai(2022, 9, 30), shanghai(2022, 10, 11)) == [
        (shanghai(2022, 10, 3, 8, 30), shanghai(2022, 10, 8, 8, 30)),
        (shanghai(2022, 10, 10, 8, 30), shanghai(2022, 10, 10, 8, 30)),
    ]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("30 8 * * *", [(1, 8), (9, 9), (10, 10)]),  # 1–8 October all land on the 8th
        ("30 8 1,8 10 *", [(1, 8)]),
        ("30 8 * * 1,6", [(1, 8), (10, 10)]),
    ],
)
def test_fires_moved_onto_the_same_time_fire_once_keeping_the_first(
    expression: str, expected: list[tuple[int, int]]
) -> None:
    found = fires(expression, shanghai(2022, 9, 30, 9), shanghai(2022, 10, 10, 23))
    assert [(n.day, a.day) for n, a in found] == expected
    assert all(a.time() == n.time() for n, a in found)


def test_fires_come_in_time_order_when_an_earlier_day_moves_later_in_the_day() -> None:
    after, until = datetime(2022, 6, 3, tzinfo=UTC), datetime(2022, 6, 7, tzinfo=UTC)
    found = fires("0 9,10 * * 1,6", after, until, ZoneInfo("UTC"), WEEKENDS)
    assert [(n.isoformat(), a.isoformat()) for n, a in found] == [
        ("2022-06-04T09:00:00+00:00", "2022-06-06T09:00:00+00:00"),
        ("2022-06-04T10:00:00+00:00", "2022-06-06T10:00:00+00:00"),
    ]


def test_a_fire_moved_past_the_moment_is_still_ahead() -> None:
    schedule = Schedule(Crontab.parse("0 9 1 * *"), SHANGHAI, CN)
    first = next(schedule.fires_after(shanghai(2022, 10, 5, 12)))
    assert first == Fire(nominal=shanghai(2022, 10, 1, 9), at=shanghai(2022, 10, 8, 9))


@pytest.mark.parametrize(
    ("moment", "first_at"),
    [
        (datetime(2022, 10, 10, 0, 29, tzinfo=UTC), shanghai(2022, 10, 10, 8, 30)),
        (datetime(2022, 10, 10, 0, 30, tzinfo=UTC), shanghai(2022, 10, 17, 8, 30)),
        (shanghai(2022, 10, 10, 8, 30), shanghai(2022, 10, 17, 8, 30)),
    ],
)
def test_fires_after_takes_any_zone_and_is_strict(moment: datetime, first_at: datetime) -> None:
    schedule = Schedule(Crontab.parse("30 8 * * 1"), SHANGHAI, CN)
    assert next(schedule.fires_after(moment)).at == first_at


def test_fires_between_excludes_after_and_includes_until() -> None:
    moments = fires("30 8 * * 1", shanghai(2022, 10, 10, 8, 30), shanghai(2022, 10, 24, 8, 30))
    assert [a.day for _, a in moments] == [17, 24]


def test_monthly_bulletins_across_2022() -> None:
    found = fires("0 9 1 * *", shanghai(2021, 12, 31), shanghai(2022, 12, 31))
    assert [a.date().isoformat() for _, a in found] == [
        "2022-01-04",
        "2022-02-07",
        "2022-03-01",
        "2022-04-01",
        "2022-05-05",
        "2022-06-01",
        "2022-07-01",
        "2022-08-01",
        "2022-09-01",
        "2022-10-08",
        "2022-11-01",
        "2022-12-01",
    ]


def test_weekly_digests_across_2022() -> None:
    found = fires("30 8 * * 1", shanghai(2021, 12, 31), shanghai(2022, 12, 31))
    moved = [(n.date().isoformat(), a.date().isoformat()) for n, a in found if n != a]
    assert len(found) == 51  # 52 Mondays; the Spring Festival one lands on Monday 7 February
    assert moved == [
        ("2022-01-03", "2022-01-04"),
        ("2022-01-31", "2022-02-07"),
        ("2022-04-04", "2022-04-06"),
        ("2022-05-02", "2022-05-05"),
        ("2022-09-12", "2022-09-13"),
        ("2022-10-03", "2022-10-08"),
    ]
    assert all(a1 < a2 for (_, a1), (_, a2) in pairwise(found))


BERLIN_SUNDAYS_WORKED = WorkdayCalendar(
    CalendarSpec(
        Holidays.WEEKENDS, extra_workdays=frozenset({date(2022, 3, 27), date(2022, 10, 30)})
    )
)


def berlin(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, fold: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN, fold=fold)


def test_a_wall_time_in_the_spring_gap_does_not_fire() -> None:
    schedule = Schedule(Crontab.parse("30 2 27 3 *"), BERLIN, BERLIN_SUNDAYS_WORKED)
    first = next(schedule.fires_after(berlin(2022, 3, 1)))
    assert first.nominal == first.at == berlin(2023, 3, 27, 2, 30)


def test_a_fire_moved_onto_the_spring_gap_fires_just_after_it() -> None:
    schedule = Schedule(Crontab.parse("30 2 * * 6"), BERLIN, BERLIN_SUNDAYS_WORKED)
    first = next(schedule.fires_after(berlin(2022, 3, 25)))
    assert first.nominal == berlin(2022, 3, 26, 2, 30)
    assert first.at.isoformat() == "2022-03-27T03:30:00+02:00"


def test_a_repeated_autumn_wall_time_fires_once_at_its_first_occurrence() -> None:
    schedule = Schedule(Crontab.parse("30 2 * * *"), BERLIN, BERLIN_SUNDAYS_WORKED)
    found = list(islice(schedule.fires_after(berlin(2022, 10, 29, 12)), 2))
    assert [f.at.astimezone(UTC).isoformat() for f in found] == [
        "2022-10-30T00:30:00+00:00",
        "2022-10-31T01:30:00+00:00",
    ]


def test_after_the_first_occurrence_the_repeat_does_not_fire_again() -> None:
    schedule = Schedule(Crontab.parse("30 2 * * *"), BERLIN, BERLIN_SUNDAYS_WORKED)
    second_pass = berlin(2022, 10, 30, 2, 15, fold=1)
    assert next(schedule.fires_after(second_pass)).at == berlin(2022, 10, 31, 2, 30)
