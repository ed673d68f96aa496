"""Typed readers for the values of tasks.yaml: each reports what is wrong and reads on.

A reader returns the value, or None after recording a :class:`Problem` at the value's line
and column. Nothing raises: one pass finds every problem in the file.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from superbot.domain.model import PERSONAL_CHANNELS, DocumentKind, Role
from superbot.domain.suggest import closest
from superbot.domain.text import Text
from superbot.plan.problems import Problem, Severity
from superbot.plan.yaml import (
    BOOLS,
    Document,
    Entries,
    Position,
    full_width_in,
    integer_value,
    kind_of,
    number_value,
    position,
)

T = TypeVar("T")

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")
ID_MAX_LENGTH = 64  # the store's id columns
ENV_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
EMAIL_PATTERN = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+\Z")
# The platforms' user ids: letters, digits and a few signs, no spaces (the store keeps 255).
APP_USER_PATTERN = re.compile(r"[A-Za-z0-9_@.$:-]{1,255}\Z")
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
# Telegram: user and chat ids "have at most 52 significant bits" (Bot API, User.id).
TELEGRAM_ID_LIMIT = 2**52
# Indicator targets are amounts people report against: finite, and well inside what a
# database float and a printed 通报 hold exactly (15 significant digits).
NUMBER_LIMIT = 10**15

# What people write for Beijing time; the closest IANA names by spelling would be wrong
# (Asia/Beijing → Asia/Brunei, UTC+8 → UTC).
CHINA_TIME = dict.fromkeys(
    (
        "beijing",
        "asia/beijing",
        "china",
        "china/beijing",
        "cst",
        "utc+8",
        "gmt+8",
        "utc+08:00",
        "+08:00",
        "+8",
        "北京",
        "北京时间",
        "asia/chongqing",
    ),
    "Asia/Shanghai",
)


# The escalation ladder's documents and roles as a 督查科 writes them, or by their ids.
DOCUMENT_NAMES: dict[str, DocumentKind] = {
    "督办单": DocumentKind.NOTICE,
    "督办通知": DocumentKind.NOTICE,
    "专函": DocumentKind.LETTER,
    "督办专函": DocumentKind.LETTER,
    "约谈": DocumentKind.INTERVIEW,
    **{kind.value: kind for kind in DocumentKind},
}
ROLE_NAMES: dict[str, Role] = {
    "联络员": Role.LIAISON,
    "分管领导": Role.LEADER,
    "督查科": Role.COORDINATORS,
    **{role.value: role for role in Role},
}


class Fields:
    """Reads values out of a :class:`Document`, collecting every problem on the way.

    Positions are looked up only for a problem: a valid plan of 100,000 tasks never needs
    one, and its reading costs less than libyaml's parse.
    """

    def __init__(self, document: Document) -> None:
        self.document = document
        self.problems: list[Problem] = document.problems

    # -- reporting ---------------------------------------------------------------------------

    def error(self, pos: Position, key: str, **params: Any) -> None:
        self.problems.append(Problem(pos[0] + 1, pos[1] + 1, Text.of(key, **params)))

    def warn(self, pos: Position, key: str, **params: Any) -> None:
        self.problems.append(
            Problem(pos[0] + 1, pos[1] + 1, Text.of(key, **params), Severity.WARNING)
        )

    def wrong_type(self, node: Node, where: str, expected: str) -> None:
        got = kind_of(node)
        hint = full_width_in(self.document.snippet(node)) if got == "string" else None
        self.error(
            position(node),
            "plan.wrong_type",
            field=where,
            expected=expected,
            got=got,
            full_width=hint,
        )

    # -- shapes ------------------------------------------------------------------------------

    def mapping(
        self,
        node: Node,
        where: str,
        allowed: tuple[str, ...],
        required: tuple[str, ...] = (),
    ) -> Entries | None:
        """``node`` as a mapping whose keys are checked against ``allowed``."""
        if node.__class__ is not MappingNode:
            self.wrong_type(node, where, "mapping")
            return None
        entries = self.document.entries(node)
        suggested = set()
        if not entries.pairs.keys() <= _as_set(allowed):
            for key in entries:
                if key not in allowed:
                    guess = closest(key, allowed, cutoff=0.6)
                    suggested.update([guess] if guess else [])
                    self.error(
                        entries.key_position(key),
                        "plan.unknown_field",
                        field=key,
                        where=where,
                        suggestion=guess,
                        allowed=allowed,
                        full_width=full_width_in(key),
                    )
        get = entries.get
        for key in required:
            # "tittle: …" is one mistake: its "did you mean title?" says all there is to say.
            if get(key) is None and key not in suggested:
                at = entries.key_position(key) if key in entries else position(node)
                self.error(at, "plan.missing_field", field=key, where=where)
        return entries

    def items(self, entries: Entries, key: str, where: str) -> list[Node]:
        """The entries of a list field; none if absent or not a list."""
        value = entries.get(key)
        if value is None:
            return []
        if value.__class__ is not SequenceNode:
            self.wrong_type(value, where, "list")
            return []
        items: list[Node] = value.value
        return items

    # -- scalars -----------------------------------------------------------------------------

    def text(self, entries: Entries, key: str, where: str, required: bool = False) -> str | None:
        value = entries.get(key)
        if value is None:
            return None
        if kind_of(value) not in _TEXTUAL:
            self.wrong_type(value, where, "string")
            return None
        stripped = str(value.value).strip()
        if required and not stripped:
            self.error(position(value), "plan.missing_field", field=key, where=where)
            return None
        return stripped or None

    def identifier(self, node: Node, where: str) -> str | None:
        if kind_of(node) not in _ID_LIKE:
            self.wrong_type(node, where, "id")
            return None
        ident = str(node.value)
        if not ID_PATTERN.match(ident):
            self.error(
                position(node),
                "plan.bad_id",
                field=where,
                value=ident,
                full_width=full_width_in(ident),
            )
            return None
        if len(ident) > ID_MAX_LENGTH:
            self.error(
                position(node), "plan.id_too_long", field=where, value=ident, limit=ID_MAX_LENGTH
            )
            return None
        return ident

    def identifier_field(self, entries: Entries, key: str, where: str) -> str | None:
        value = entries.get(key)
        return None if value is None else self.identifier(value, where)

    def integer(self, entries: Entries, key: str, where: str, lo: int, hi: int) -> int | None:
        value = entries.get(key)
        if value is None:
            return None
        if kind_of(value) != "integer":
            self.wrong_type(value, where, "integer")
            return None
        number = integer_value(value)
        if number is None or not lo <= number <= hi:
            shown = self.document.snippet(value)
            self.error(position(value), "plan.out_of_range", field=where, value=shown, lo=lo, hi=hi)
            return None
        return number

    def number(self, entries: Entries, key: str, where: str) -> float | None:
        value = entries.get(key)
        if value is None:
            return None
        if kind_of(value) not in _NUMERIC:
            self.wrong_type(value, where, "number")
            return None
        number = number_value(value)
        if not math.isfinite(number) or abs(number) >= NUMBER_LIMIT:
            shown = self.document.snippet(value)
            self.error(
                position(value), "plan.bad_number", field=where, value=shown, limit=NUMBER_LIMIT
            )
            return None
        return number

    def bounded(self, entries: Entries, key: str, where: str, lo: float, hi: float) -> float | None:
        """A number within [lo, hi]: a share, a weight, a number of points."""
        number = self.number(entries, key, where)
        if number is not None and not lo <= number <= hi:
            shown = self.document.snippet(entries.pairs[key][1])
            at = entries.value_position(key)
            self.error(at, "plan.out_of_range", field=where, value=shown, lo=lo, hi=hi)
            return None
        return number

    def flag(self, entries: Entries, key: str, where: str) -> bool | None:
        value = entries.get(key)
        if value is None:
            return None
        if kind_of(value) != "bool":
            self.wrong_type(value, where, "bool")
            return None
        return bool(BOOLS.get(str(value.value).strip(), False))

    def texts(self, entries: Entries, key: str, where: str, lines: bool = False) -> tuple[str, ...]:
        """A list of texts; a single text is a list of one (of its lines, with ``lines``)."""
        value = entries.get(key)
        if value is not None and isinstance(value, ScalarNode) and kind_of(value) == "string":
            written = str(value.value)
            parts = written.splitlines() if lines else [written]
            return tuple(part.strip() for part in parts if part.strip())
        found: list[str] = []
        for item in self.items(entries, key, where):
            if kind_of(item) not in _TEXTUAL:
                self.wrong_type(item, where, "string")
            elif str(item.value).strip():
                text = str(item.value)
                found.append(" ".join(text.split()) if lines else text.strip())
        return tuple(found)

    def day(self, node: Node, where: str) -> date | None:
        if kind_of(node) != "string":
            self.wrong_type(node, where, "date")
            return None
        written = str(node.value)
        value = written.strip()
        if not DATE_PATTERN.match(value):
            self.error(
                position(node),
                "plan.bad_date_format",
                field=where,
                value=written,
                full_width=full_width_in(value),
            )
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.error(position(node), "plan.impossible_date", field=where, value=written)
            return None

    def day_field(self, entries: Entries, key: str, where: str) -> date | None:
        value = entries.get(key)
        return None if value is None else self.day(value, where)

    def days(self, entries: Entries, key: str, where: str) -> frozenset[date]:
        found = (self.day(item, where) for item in self.items(entries, key, where))
        return frozenset(d for d in found if d is not None)

    def choice(self, entries: Entries, key: str, where: str, choices: Iterable[str]) -> str | None:
        value = entries.get(key)
        if value is None:
            return None
        choices = tuple(choices)
        written = self.document.snippet(value)
        if kind_of(value) != "string" or written not in choices:
            lowered = written.strip().lower()
            guess = [lowered] if lowered in choices else []
            guess = guess or difflib.get_close_matches(written, choices, n=1, cutoff=0.5)
            self.error(
                position(value),
                "plan.bad_choice",
                field=where,
                value=written,
                choices=choices,
                suggestion=guess[0] if guess else None,
            )
            return None
        return written

    def named(self, node: Node, where: str, names: Mapping[str, T]) -> T | None:
        """A word from ``names`` (Chinese or the id), as the 督查科 may write either."""
        written = self.document.snippet(node).strip()
        found = names.get(written) if kind_of(node) == "string" else None
        if found is None:
            self.error(
                position(node),
                "plan.bad_choice",
                field=where,
                value=written,
                choices=tuple(n for n in names if not n.isascii()),
                suggestion=closest(written, list(names), cutoff=0.5),
            )
        return found

    def email(self, node: Node) -> str | None:
        written = self.document.snippet(node, limit=200)
        if kind_of(node) != "string" or not is_email(written.strip()):
            self.error(
                position(node), "plan.bad_email", value=written, full_width=full_width_in(written)
            )
            return None
        return written.strip()

    def telegram_user(self, entries: Entries) -> int | None:
        value = entries.get("telegram")
        if value is None:
            return None
        number = integer_value(value) if kind_of(value) == "integer" else None
        if number is None or number <= 0:
            self.error(
                position(value), "plan.bad_telegram_user", value=self.document.snippet(value)
            )
            return None
        if number >= TELEGRAM_ID_LIMIT:
            shown = self.document.snippet(value)
            self.error(position(value), "plan.telegram_id_range", field="telegram", value=shown)
            return None
        return number

    def app_user(self, entries: Entries, channel: str) -> str | None:
        """A 钉钉/企业微信/飞书 user id as the platform's admin console shows it; a number is
        kept as written (钉钉 ids may start with 0)."""
        value = entries.get(channel)
        if value is None:
            return None
        written = self.document.snippet(value, limit=300).strip()
        if kind_of(value) not in _ID_LIKE or not APP_USER_PATTERN.match(written):
            self.error(position(value), "plan.bad_app_user", field=channel, value=written)
            return None
        return written

    def channel_order(self, entries: Entries, where: str) -> tuple[str, ...]:
        """``channels: [dingtalk, email]``: where a person's own messages go, first that
        reaches them."""
        found: list[str] = []
        for item in self.items(entries, "channels", where):
            written = self.document.snippet(item)
            if kind_of(item) != "string" or written not in PERSONAL_CHANNELS:
                self.error(
                    position(item),
                    "plan.bad_choice",
                    field=where,
                    value=written,
                    choices=PERSONAL_CHANNELS,
                    suggestion=closest(written.lower(), PERSONAL_CHANNELS),
                )
            elif written in found:
                self.error(position(item), "plan.duplicate_in_list", value=written, field=where)
            else:
                found.append(written)
        return tuple(found)

    def telegram_chat(self, node: Node) -> int | None:
        number = integer_value(node) if kind_of(node) == "integer" else None
        if number is None or number == 0:
            self.error(position(node), "plan.bad_telegram_chat", value=self.document.snippet(node))
            return None
        if abs(number) >= TELEGRAM_ID_LIMIT:
            shown = self.document.snippet(node)
            self.error(
                position(node), "plan.telegram_id_range", field="telegram_chats", value=shown
            )
            return None
        return number

    def env_name(self, entries: Entries, key: str) -> str | None:
        value = self.text(entries, key, f"webhooks[].{key}")
        if value is None:
            return None
        if not ENV_PATTERN.match(value):
            self.error(entries.value_position(key), "plan.bad_env_name", field=key, value=value)
            return None
        return value

    def zone(self, entries: Entries) -> str:
        value = entries.get("timezone")
        if value is None:
            return "Asia/Shanghai"
        written = self.document.snippet(value)
        if kind_of(value) == "string":
            try:
                ZoneInfo(written)
                return written
            except (ZoneInfoNotFoundError, ValueError):
                pass
        self.error(
            position(value),
            "plan.unknown_timezone",
            value=written,
            suggestion=zone_guess(written),
        )
        return "Asia/Shanghai"


_TEXTUAL = frozenset({"string", "integer", "number"})
_ID_LIKE = frozenset({"string", "integer"})
_NUMERIC = frozenset({"integer", "number"})


@functools.cache
def _as_set(allowed: tuple[str, ...]) -> frozenset[str]:
    return frozenset(allowed)


def is_email(text: str) -> bool:
    # Full-width punctuation (，：) slips into addresses typed on a Chinese keyboard.
    return EMAIL_PATTERN.match(text) is not None and full_width_in(text) is None


def zone_guess(typed: str) -> str | None:
    alias = CHINA_TIME.get("".join(typed.split()).lower())
    if alias is not None:
        return alias
    guess = difflib.get_close_matches(typed, sorted(available_timezones()), n=1, cutoff=0.6)
    return guess[0] if guess else None
