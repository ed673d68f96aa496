"""The plan's workday calendar.

``holidays: cn`` follows the State Council's arrangement (statutory holidays and 调休 workdays)
as published in ``chinesecalendar``; ``weekends`` is Monday to Friday. A plan's own
``extra_holidays`` and ``extra_workdays`` win over both. Years outside ``chinesecalendar``'s data
fall back to the ``holidays`` package's Chinese holidays plus weekends, without 调休;
:meth:`WorkdayCalendar.warnings_for` tells the coordinator which years those are.
"""

from __future__ import annotations

from calendar import isleap
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from itertools import accumulate
from typing import ClassVar

import chinese_calendar

from superbot.domain.text import Text

_WORKDAY = 1
_DAY_OFF = 0


def _covered_years() -> range:
    published = chinese_calendar.holidays.keys()
    return range(min(published).year, max(published).year + 1)


STATUTORY_YEARS = _covered_years()


class Holidays(StrEnum):
    CN = "cn"
    WEEKENDS = "weekends"


@dataclass(frozen=True)
class CalendarSpec:
    holidays: Holidays = Holidays.CN
    extra_holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()


@dataclass(frozen=True)
class _Year:
    """One year's workdays: ``flags[i]`` for the i-th day, ``counts[i]`` workdays before it."""

    first_ordinal: int
    flags: bytes
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return self.counts[-1]

    def index(self, day: date) -> int:
        return day.toordinal() - self.first_ordinal

    def through(self, day: date) -> int:
        """Workdays from 1 January up to and including ``day``."""
        return self.counts[self.index(day) + 1]


class WorkdayCalendar:
    data_years: ClassVar[range] = STATUTORY_YEARS

    def __init__(self, spec: CalendarSpec) -> None:
        self.spec = spec
        self._years: dict[int, _Year] = {}

    def is_workday(self, day: date) -> bool:
        year = self._year(day.year)
        return year.flags[year.index(day)] == _WORKDAY

    def next_workday(self, day: date) -> date:
        """``day`` itself if it is a workday, else the first workday after it."""
        year = self._year(day.year)
        found = year.flags.find(_WORKDAY, year.index(day))
        while found < 0:
            year = self._year(day.year + 1)
            day = date(day.year + 1, 1, 1)
            found = year.flags.find(_WORKDAY)
        return date.fromordinal(year.first_ordinal + found)

    def last_workday_before(self, day: date) -> date:
        year = self._year(day.year)
        found = year.flags.rfind(_WORKDAY, 0, year.index(day))
        while found < 0:
            year = self._year(day.year - 1)
            day = date(day.year - 1, 12, 31)
            found = year.flags.rfind(_WORKDAY)
        return date.fromordinal(year.first_ordinal + found)

    def workdays_between(self, after: date, until: date) -> int:
        """Workdays ``d`` with ``after < d <= until``; 0 when ``until <= after``."""
        if until <= after:
            return 0
        first, last = self._year(after.year), self._year(until.year)
        if after.year == until.year:
            return last.through(until) - first.through(after)
        between = sum(self._year(y).total for y in range(after.year + 1, until.year))
        return first.total - first.through(after) + between + last.through(until)

    def warnings_for(self, first: date, last: date) -> list[Text]:
        """One warning per year in ``first..last`` that falls back to holidays without 调休."""
        if self.spec.holidays is not Holidays.CN:
            return []
        return [
            Text.of(
                "calendar.no_statutory_data",
                year=year,
                data_first=self.data_years.start,
                data_last=self.data_years.stop - 1,
            )
            for year in range(first.year, last.year + 1)
            if year not in self.data_years
        ]

    def _year(self, number: int) -> _Year:
        year = self._years.get(number)
        if year is None:
            year = self._years[number] = self._build_year(number)
        return year

    def _build_year(self, number: int) -> _Year:
        flags = bytearray(_base_flags(self.spec.holidays, number))
        first_ordinal = date(number, 1, 1).toordinal()
        # A day listed both ways (plan validation reports it) stays off: one workday fewer
        # only makes a yellow light come earlier.
        for day in self.spec.extra_workdays:
            if day.year == number:
                flags[day.toordinal() - first_ordinal] = _WORKDAY
        for day in self.spec.extra_holidays:
            if day.year == number:
                flags[day.toordinal() - first_ordinal] = _DAY_OFF
        return _Year(first_ordinal, bytes(flags), (0, *accumulate(flags)))


@lru_cache(maxsize=256)
def _base_flags(holidays: Holidays, year: int) -> bytes:
    days = _days_of(year)
    if holidays is Holidays.WEEKENDS:
        return bytes(_WORKDAY if d.weekday() < 5 else _DAY_OFF for d in days)
    if year in STATUTORY_YEARS:
        off, on = chinese_calendar.holidays, chinese_calendar.workdays
        return bytes(
            _WORKDAY if d in on or (d.weekday() < 5 and d not in off) else _DAY_OFF for d in days
        )
    off = _fallback_holidays(year)
    return bytes(_WORKDAY if d.weekday() < 5 and d not in off else _DAY_OFF for d in days)


def _fallback_holidays(year: int) -> frozenset[date]:
    # Imported late: the package is slow to load and only years past the statutory data need it.
    import holidays

    return frozenset(holidays.country_holidays("CN", years=year).keys())


def _days_of(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=i) for i in range(366 if isleap(year) else 365)]
