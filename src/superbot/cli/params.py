"""Argument types that answer mistakes in the coordinator's language."""

from __future__ import annotations

import importlib
import re
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import click

# 2022-09-25 as people also write it: 2022-9-25.
_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def parse_day(text: str) -> date:
    found = _DAY.fullmatch(text.strip())
    if found is None:
        raise ValueError(text)
    return date(*(int(part) for part in found.groups()))


class DayType(click.ParamType[date]):
    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return parse_day(str(value))
        except ValueError:
            self.fail(_say(ctx, "cli.bad_day", value=value), param, ctx)


class MomentType(click.ParamType[datetime]):
    """A date, or a date and time; without an offset it is in the plan's timezone."""

    name = "DATETIME"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        text = str(value).strip().replace("T", " ")
        try:
            day, _, rest = text.partition(" ")
            if not rest:
                return datetime.combine(parse_day(day), time())
            return datetime.fromisoformat(f"{parse_day(day).isoformat()} {rest}")
        except ValueError:
            self.fail(_say(ctx, "cli.bad_moment", value=value), param, ctx)


class IndicatorValueType(click.ParamType[tuple[str, float]]):
    name = "INDICATOR=NUMBER"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[str, float]:
        if isinstance(value, tuple):
            return value
        name, sep, number = str(value).partition("=")
        try:
            if not sep or not name.strip():
                raise ValueError
            return name.strip(), float(number)
        except ValueError:
            self.fail(_say(ctx, "cli.bad_value", value=value), param, ctx)


class ValuesOf(click.Choice[str]):
    """The values of an enum of the domain as choices, looked up when first needed: a
    command's module loads without the domain, so ``superbot --help`` starts at once."""

    def __init__(self, enum: str, *, but: tuple[str, ...] = ()) -> None:
        # Not Choice.__init__: it would read the values now.
        self.enum, self.but = enum, but
        self.case_sensitive = True
        self._values: tuple[str, ...] | None = None

    @property
    def choices(self) -> tuple[str, ...]:
        if self._values is None:
            module, _, name = self.enum.rpartition(".")
            members = getattr(importlib.import_module(module), name)
            self._values = tuple(m.value for m in members if m.value not in self.but)
        return self._values

    @choices.setter
    def choices(self, values: tuple[str, ...]) -> None:
        self._values = tuple(values)


def in_zone(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _say(ctx: click.Context | None, key: str, **params: Any) -> str:
    from superbot.domain.text import Text

    runtime = ctx.find_root().obj if ctx is not None else None
    if runtime is None:
        return f"{key}: {params}"
    return str(runtime.say(Text.of(key, **params)))


DAY = DayType()
MOMENT = MomentType()
INDICATOR_VALUE = IndicatorValueType()
