"""Standard 5-field crontab, and schedules that move to the next workday.

The syntax and meaning are Vixie cron's (``man 5 crontab``), not APScheduler's: fields are
minute, hour, day of month, month and day of week; day of week 0 and 7 are Sunday and 1 is
Monday; when both day of month and day of week are restricted (neither starts with ``*``) a day
matches if either does. Month and weekday names (``jan``, ``mon``) are accepted in any case.
Macros: ``@yearly @annually @monthly @weekly @daily @midnight``. ``@reboot`` has no time to
compute and ``@hourly`` is refused as a likely mistake for an office schedule (write
``0 * * * *`` if it is really meant).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from calendar import monthrange
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from superbot.domain.calendar import WorkdayCalendar
from superbot.domain.text import Text

# Every (month, day, weekday) that can happen at all happens within one Gregorian cycle.
_SEARCH_YEARS = 400
_LAST_YEAR = 9999


class CrontabError(ValueError):
    def __init__(self, text: Text, offset: int) -> None:
        super().__init__(f"{text!r} at {offset}")
        self.text = text
        self.offset = offset


class CrontabField(StrEnum):
    MINUTE = "minute"
    HOUR = "hour"
    DAY_OF_MONTH = "day_of_month"
    MONTH = "month"
    DAY_OF_WEEK = "day_of_week"


@dataclass(frozen=True)
class _Bounds:
    lo: int
    hi: int
    names: tuple[str, ...] = ()  # names[i] stands for lo + i


_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")

_BOUNDS = {
    CrontabField.MINUTE: _Bounds(0, 59),
    CrontabField.HOUR: _Bounds(0, 23),
    CrontabField.DAY_OF_MONTH: _Bounds(1, 31),
    CrontabField.MONTH: _Bounds(1, 12, _MONTH_NAMES),
    CrontabField.DAY_OF_WEEK: _Bounds(0, 7, _WEEKDAY_NAMES),
}

_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
}
_REFUSED_MACROS = frozenset({"@reboot", "@hourly"})

_TOKEN = re.compile(r"\S+")
_NUMBER = re.compile(r"[0-9]+")
_NAME = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True)
class _Token:
    text: str
    offset: int


@dataclass(frozen=True)
class _Fields:
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int]
    months: tuple[int, ...]
    weekdays: frozenset[int]  # Monday = 0, as date.weekday()
    any_day: bool  # day of month starts with '*'
    any_weekday: bool  # day of week starts with '*'

    def day_matches(self, day: date) -> bool:
        in_month = day.day in self.days
        in_week = day.weekday() in self.weekdays
        if self.any_day or self.any_weekday:
            return in_month and in_week
        return in_month or in_week


@dataclass(frozen=True)
class Crontab:
    expression: str
    _fields: _Fields = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_fields", _parse(self.expression))

    @classmethod
    def parse(cls, expression: str) -> Crontab:
        """Raises :class:`CrontabError` naming the problem and where it starts."""
        return cls(expression)

    def matches(self, moment: datetime) -> bool:
        f = self._fields
        return (
            moment.minute in f.minutes
            and moment.hour in f.hours
            and moment.month in f.months
            and f.day_matches(moment.date())
        )

    def next_after(self, moment: datetime) -> datetime | None:
        """The first matching wall time strictly after naive ``moment``, to the minute.

        None if nothing matches before year 9999.
        """
        if moment.tzinfo is not None:
            raise ValueError("Crontab works on naive wall time; use Schedule for aware times")
        start = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        for day in self._days_from(start.date()):
            earliest = start.time() if day == start.date() else time()
            at = self._time_from(earliest)
            if at is not None:
                return datetime.combine(day, at)
        return None

    def _time_from(self, earliest: time) -> time | None:
        hours, minutes = self._fields.hours, self._fields.minutes
        i = bisect_left(hours, earliest.hour)
        if i < len(hours) and hours[i] == earliest.hour:
            j = bisect_left(minutes, earliest.minute)
            if j < len(minutes):
                return time(hours[i], minutes[j])
            i += 1
        return time(hours[i], minutes[0]) if i < len(hours) else None

    def _days_from(self, first: date) -> Iterator[date]:
        f = self._fields
        year, month, day = first.year, first.month, first.day
        last_year = min(first.year + _SEARCH_YEARS, _LAST_YEAR)
        while year <= last_year:
            i = bisect_left(f.months, month)
            if i == len(f.months):
                year, month, day = year + 1, f.months[0], 1
                continue
            if f.months[i] != month:
                month, day = f.months[i], 1
            for d in range(day, monthrange(year, month)[1] + 1):
                candidate = date(year, month, d)
                if f.day_matches(candidate):
                    yield candidate
            year, month, day = (year + 1, 1, 1) if month == 12 else (year, month + 1, 1)


@dataclass(frozen=True)
class Fire:
    nominal: datetime  # when the crontab says, aware in the plan's zone
    at: datetime  # when it fires: the next workday at the same wall time if nominal's is not one


@dataclass(frozen=True)
class Schedule:
    crontab: Crontab
    zone: ZoneInfo
    calendar: WorkdayCalendar

    def fires_after(self, moment: datetime) -> Iterator[Fire]:
        """Fires with ``at`` strictly after aware ``moment``, in increasing ``at``.

        Wall times are the plan's. A nominal wall time that a DST change skips does not fire;
        one it repeats fires once, at its first occurrence. A nominal fire moved onto a skipped
        wall time fires just after the gap. Nominal fires that land on the same ``at`` fire
        once, keeping the earliest nominal.
        """
        after = moment.astimezone(UTC)
        # A fire before `moment` may have moved past it: start after the last workday before.
        day = self.calendar.last_workday_before(after.astimezone(self.zone).date())
        while True:
            nominal = self.crontab.next_after(datetime.combine(day, time(23, 59)))
            if nominal is None:
                return
            day = self.calendar.next_workday(nominal.date())
            for fire in self._fires_on(day, first=nominal):
                if fire.at > after:
                    yield fire

    def fires_between(self, after: datetime, until: datetime) -> list[Fire]:
        """Fires with ``after < at <= until``."""
        fires = []
        for fire in self.fires_after(after):
            if fire.at > until:
                break
            fires.append(fire)
        return fires

    def _fires_on(self, workday: date, first: datetime) -> list[Fire]:
        """The fires on ``workday`` of the nominal fires from ``first`` to the end of it."""
        fires: dict[datetime, Fire] = {}
        nominal: datetime | None = first
        while nominal is not None and nominal.date() <= workday:
            if _exists(nominal, self.zone):
                at = _instant(datetime.combine(workday, nominal.time()), self.zone)
                fires.setdefault(at.astimezone(UTC), Fire(_instant(nominal, self.zone), at))
            nominal = self.crontab.next_after(nominal)
        return [fires[instant] for instant in sorted(fires)]


def _instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """``wall`` in ``zone``: its first occurrence if repeated, just after the gap if skipped."""
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC).astimezone(zone)


def _exists(wall: datetime, zone: ZoneInfo) -> bool:
    return _instant(wall, zone).replace(tzinfo=None) == wall


def _parse(expression: str) -> _Fields:
    tokens = [_Token(m.group(), m.start()) for m in _TOKEN.finditer(expression)]
    if tokens and tokens[0].text.startswith("@"):
        return _parse_macro(tokens)
    if len(tokens) != len(CrontabField):
        extra = tokens[len(CrontabField) :]
        offset = extra[0].offset if extra else len(expression.rstrip())
        raise CrontabError(Text.of("crontab.field_count", count=len(tokens)), offset)
    values = {
        which: _parse_field(which, token) for which, token in zip(CrontabField, tokens, strict=True)
    }
    fields = _Fields(
        minutes=tuple(sorted(values[CrontabField.MINUTE])),
        hours=tuple(sorted(values[CrontabField.HOUR])),
        days=frozenset(values[CrontabField.DAY_OF_MONTH]),
        months=tuple(sorted(values[CrontabField.MONTH])),
        weekdays=frozenset((d - 1) % 7 for d in values[CrontabField.DAY_OF_WEEK]),
        any_day=tokens[2].text.startswith("*"),
        any_weekday=tokens[4].text.startswith("*"),
    )
    _check_can_fire(fields, tokens)
    return fields


def _parse_macro(tokens: list[_Token]) -> _Fields:
    macro, *rest = tokens
    lowered = macro.text.lower()
    if lowered in _REFUSED_MACROS:
        raise CrontabError(Text.of("crontab.unsupported_macro", macro=macro.text), macro.offset)
    if lowered not in _MACROS:
        raise CrontabError(Text.of("crontab.unknown_macro", macro=macro.text), macro.offset)
    if rest:
        raise CrontabError(Text.of("crontab.macro_with_fields", macro=macro.text), rest[0].offset)
    return _parse(_MACROS[lowered])


def _check_can_fire(fields: _Fields, tokens: list[_Token]) -> None:
    # Either-day matching always reaches a listed weekday. Otherwise a listed day that exists in
    # a listed month falls on every weekday within one 400-year cycle, so it is enough to exist.
    if not fields.any_weekday and not fields.any_day:
        return
    longest = max(monthrange(2000, m)[1] for m in fields.months)  # 2000 is a leap year
    if min(fields.days) > longest:
        day, month = tokens[2], tokens[3]
        text = Text.of("crontab.never_fires", day_of_month=day.text, month=month.text)
        raise CrontabError(text, day.offset)


def _parse_field(which: CrontabField, token: _Token) -> set[int]:
    values: set[int] = set()
    offset = token.offset
    for item in token.text.split(","):
        values |= _parse_item(which, _Token(item, offset))
        offset += len(item) + 1
    return values


def _parse_item(which: CrontabField, item: _Token) -> set[int]:
    bounds = _BOUNDS[which]
    span, slash, step_text = item.text.partition("/")
    step = 1
    if slash:
        step = _parse_step(which, _Token(step_text, item.offset + len(span) + 1))
    if span == "*":
        return set(range(bounds.lo, bounds.hi + 1, step))
    first_text, dash, last_text = span.partition("-")
    first = _parse_value(which, _Token(first_text, item.offset))
    if not dash:
        last = bounds.hi if slash else first
    else:
        last = _parse_value(which, _Token(last_text, item.offset + len(first_text) + 1))
        if last < first:
            text = Text.of(
                "crontab.reversed_range", field=which.value, start=first_text, end=last_text
            )
            raise CrontabError(text, item.offset)
    return set(range(first, last + 1, step))


def _parse_step(which: CrontabField, token: _Token) -> int:
    bounds = _BOUNDS[which]
    longest = bounds.hi - bounds.lo
    if _NUMBER.fullmatch(token.text) and 1 <= int(token.text) <= longest:
        return int(token.text)
    text = Text.of("crontab.bad_step", field=which.value, step=token.text, hi=longest)
    raise CrontabError(text, token.offset)


def _parse_value(which: CrontabField, token: _Token) -> int:
    bounds = _BOUNDS[which]
    if _NUMBER.fullmatch(token.text):
        value = int(token.text)
        if not bounds.lo <= value <= bounds.hi:
            text = Text.of(
                "crontab.out_of_range", field=which.value, value=value, lo=bounds.lo, hi=bounds.hi
            )
            raise CrontabError(text, token.offset)
        return value
    if _NAME.fullmatch(token.text):
        lowered = token.text.lower()
        if lowered in bounds.names:
            return bounds.lo + bounds.names.index(lowered)
        raise CrontabError(
            Text.of("crontab.unknown_name", field=which.value, name=token.text), token.offset
        )
    raise CrontabError(
        Text.of("crontab.bad_value", field=which.value, value=token.text), token.offset
    )
