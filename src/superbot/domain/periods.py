"""Days and periods in the plan's zone, turned into the UTC instants the store compares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def start_of_day(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone).astimezone(UTC)


def end_of_day(day: date, zone: ZoneInfo) -> datetime:
    """The last instant of ``day``: reports up to it count for ``day``."""
    return start_of_day(day + timedelta(days=1), zone) - timedelta(microseconds=1)


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


@dataclass(frozen=True)
class Period:
    """The stretch of days a round covers, and its name in dedupe keys (``2022-06``)."""

    key: str
    first: date
    last: date  # inclusive

    def __contains__(self, day: date) -> bool:
        return self.first <= day <= self.last

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def month_of(day: date) -> Period:
    first = day.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return Period(f"{first:%Y-%m}", first, last)


def previous_month(day: date) -> Period:
    return month_of(day.replace(day=1) - timedelta(days=1))


def week_before(day: date) -> Period:
    first, last = day - timedelta(days=7), day - timedelta(days=1)
    return Period(f"{first.isoformat()}~{last.isoformat()}", first, last)


def parse_month(text: str) -> Period:
    """``2022-06`` → June 2022; ValueError otherwise."""
    year, _, month = text.strip().partition("-")
    if not (len(year) == 4 and year.isdigit() and month.isdigit() and 1 <= int(month) <= 12):
        raise ValueError(text)
    return month_of(date(int(year), int(month), 1))
