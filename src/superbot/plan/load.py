"""tasks.yaml → a validated :class:`Plan`, or every problem at once with its line and column.

Nothing here raises on bad input: a coordinator gets a list of :class:`Problem` and the plan
only when there is no error. Positions are 1-based, as editors show them.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

from superbot.domain.calendar import CalendarSpec, Holidays, WorkdayCalendar
from superbot.domain.crontab import Crontab, CrontabError
from superbot.domain.model import (
    Broadcast,
    BulletinSettings,
    Campaign,
    Department,
    DocumentKind,
    EscalationRule,
    ExtendedCountsAs,
    Indicator,
    Person,
    Plan,
    PlanSettings,
    RobotKind,
    Role,
    Rules,
    ScheduleKind,
    Task,
    Webhook,
)
from superbot.domain.suggest import closest
from superbot.domain.text import Text

LOCALES = ("zh-CN", "en")
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")
ID_MAX_LENGTH = 64  # the store's id columns
ENV_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
EMAIL_PATTERN = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+\Z")

# What people write for Beijing time; the closest IANA names by spelling would be wrong
# (Asia/Beijing → Asia/Brunei, UTC+8 → UTC).
_CHINA_TIME = dict.fromkeys(
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

RULE_RANGES = {
    "warn_workdays": (0, 60),
    "yellow_lag": (0, 100),
    "red_lag": (0, 100),
    "stale_days": (1, 366),
}


FLAGS = ("name_people_in_bulletin", "review_done")  # true/false rules
CHOICES = {"extended_counts_as": tuple(c.value for c in ExtendedCountsAs)}

# The escalation ladder: the documents' names as a 督查科 writes them, or their ids.
DOCUMENT_NAMES = {
    "督办单": DocumentKind.NOTICE,
    "督办通知": DocumentKind.NOTICE,
    "专函": DocumentKind.LETTER,
    "督办专函": DocumentKind.LETTER,
    "约谈": DocumentKind.INTERVIEW,
    **{kind.value: kind for kind in DocumentKind},
}
ROLE_NAMES = {
    "联络员": Role.LIAISON,
    "分管领导": Role.LEADER,
    "督查科": Role.COORDINATORS,
    **{role.value: role for role in Role},
}
ESCALATION_RANGES = {"consecutive": (1, 24), "reply_workdays": (1, 60)}


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    line: int
    col: int
    text: Text
    severity: Severity = Severity.ERROR


@dataclass(frozen=True)
class LoadResult:
    path: str
    problems: tuple[Problem, ...]
    plan: Plan | None  # None whenever there is an error
    sha256: str = ""

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.WARNING)

    @property
    def ok(self) -> bool:
        return self.plan is not None


def load_plan(path: Path) -> LoadResult:
    try:
        source = path.read_bytes()
    except FileNotFoundError:
        return _failed(str(path), 1, 1, Text.of("plan.not_found"))
    except IsADirectoryError:
        return _failed(str(path), 1, 1, Text.of("plan.is_directory"))
    except OSError as error:
        return _failed(str(path), 1, 1, Text.of("plan.unreadable", reason=error.strerror))
    return parse_plan(source, str(path))


def parse_plan(source: bytes, path: str = "tasks.yaml") -> LoadResult:
    digest = hashlib.sha256(source).hexdigest()
    try:
        text = source.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line, col = _position_of_byte(source, error.start)
        return _failed(path, line, col, Text.of("plan.not_utf8", byte=error.start), digest)
    if not text.strip() or _only_comments(text):
        return _failed(path, 1, 1, Text.of("plan.empty"), digest)
    yaml = _yaml()
    try:
        document = yaml.load(text)
    except MarkedYAMLError as error:
        return _syntax_failure(path, error, digest)
    except ReaderError as error:
        # A control character (NUL, ESC …): most likely a binary file, not a damaged plan.
        line, col = _position_of_char(text, error.position)
        code = error.character if isinstance(error.character, int) else 0
        return _failed(path, line, col, Text.of("plan.control_character", code=code), digest)
    except YAMLError as error:
        problem = " ".join(str(error).split())
        return _failed(path, 1, 1, Text.of("plan.syntax", problem=problem), digest)
    if not isinstance(document, CommentedMap):
        kind = _kind(document)
        return _failed(path, 1, 1, Text.of("plan.top_not_mapping", got=kind), digest)
    reader = _Reader()
    reader.problems.extend(yaml.constructor.duplicates)
    plan = reader.read(document)
    problems = tuple(sorted(reader.problems, key=lambda p: (p.line, p.col)))
    has_error = any(p.severity is Severity.ERROR for p in problems)
    return LoadResult(path, problems, None if has_error else plan, digest)


def _failed(path: str, line: int, col: int, text: Text, digest: str = "") -> LoadResult:
    return LoadResult(path, (Problem(line, col, text),), None, digest)


def _only_comments(text: str) -> bool:
    lines = (line.strip() for line in text.splitlines())
    return all(not line or line.startswith("#") or line in {"---", "..."} for line in lines)


def _position_of_byte(source: bytes, offset: int) -> tuple[int, int]:
    before = source[:offset]
    line = before.count(b"\n") + 1
    line_start = before.rfind(b"\n") + 1
    col = len(before[line_start:].decode("utf-8", errors="replace")) + 1
    return line, col


def _zone_guess(value: object) -> str | None:
    typed = str(value)
    alias = _CHINA_TIME.get("".join(typed.split()).lower())
    if alias is not None:
        return alias
    guess = difflib.get_close_matches(typed, sorted(available_timezones()), n=1, cutoff=0.6)
    return guess[0] if guess else None


def _position_of_char(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _syntax_failure(path: str, error: MarkedYAMLError, digest: str) -> LoadResult:
    mark = error.problem_mark or error.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    # One line per problem: PATH:LINE:COL: message, whatever the parser's wording.
    problem = " ".join((error.problem or "").split())
    context = " ".join((error.context or "").split())
    text = Text.of("plan.syntax", problem=problem, context=context)
    return _failed(path, line, col, text, digest)


class _Constructor(RoundTripConstructor):
    """Keeps dates as the strings the coordinator typed: we parse and report them ourselves.

    A key written twice in one mapping is a problem like any other, not the end of reading:
    the first value stays and the rest of the file is still checked.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.duplicates: list[Problem] = []

    def check_mapping_key(
        self, node: Any, key_node: Any, mapping: Any, key: Any, value: Any
    ) -> bool:
        if key not in mapping:
            return True
        first = mapping.lc.data.get(key)
        first_line = first[0] + 1 if first else node.start_mark.line + 1
        mark = key_node.start_mark
        self.duplicates.append(
            Problem(
                mark.line + 1,
                mark.column + 1,
                Text.of("plan.duplicate_key", name=str(key), first_line=first_line),
            )
        )
        return False


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_str)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    yaml.preserve_quotes = True
    return yaml


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return "other"


@dataclass
class _Seen:
    """First line of each id, for duplicate reports."""

    lines: dict[str, int] = field(default_factory=dict)


class _Reader:
    """Walks the YAML tree once, building the plan and collecting every problem."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self._references: list[tuple[str, str, tuple[int, int]]] = []  # (kind, id, pos)
        # Every id written in the file, even on an entry with errors of its own: a reference
        # to it is not "unknown", the entry is what needs fixing.
        self.declared: dict[str, set[str]] = {}
        self.plan_start_written = False  # a bad plan.start is reported once, not on every task

    # -- reporting -------------------------------------------------------------------------

    def error(self, pos: tuple[int, int], key: str, **params: Any) -> None:
        self.problems.append(Problem(pos[0] + 1, pos[1] + 1, Text.of(key, **params)))

    def warn(self, pos: tuple[int, int], key: str, **params: Any) -> None:
        self.problems.append(
            Problem(pos[0] + 1, pos[1] + 1, Text.of(key, **params), Severity.WARNING)
        )

    # -- positions -------------------------------------------------------------------------

    @staticmethod
    def key_pos(node: CommentedMap, key: str) -> tuple[int, int]:
        line, col = node.lc.key(key)
        return int(line), int(col)

    @staticmethod
    def value_pos(node: CommentedMap, key: str) -> tuple[int, int]:
        if node.get(key) is None:
            return _Reader.key_pos(node, key)
        line, col = node.lc.value(key)
        return int(line), int(col)

    @staticmethod
    def node_pos(node: CommentedMap | CommentedSeq) -> tuple[int, int]:
        return int(node.lc.line), int(node.lc.col)

    @staticmethod
    def item_pos(node: CommentedSeq, index: int) -> tuple[int, int]:
        line, col = node.lc.item(index)
        return int(line), int(col)

    # -- shapes ----------------------------------------------------------------------------

    def fields(
        self,
        node: object,
        pos: tuple[int, int],
        where: str,
        allowed: Iterable[str],
        required: Iterable[str] = (),
    ) -> CommentedMap | None:
        """``node`` as a mapping whose keys are checked against ``allowed``."""
        if not isinstance(node, CommentedMap):
            self.error(pos, "plan.wrong_type", field=where, expected="mapping", got=_kind(node))
            return None
        allowed = tuple(allowed)
        suggested = set()
        for key in node:
            if not isinstance(key, str) or key not in allowed:
                guess = closest(str(key), allowed, cutoff=0.6)
                suggested.update([guess] if guess else [])
                self.error(
                    self.key_pos(node, key),
                    "plan.unknown_field",
                    field=str(key),
                    where=where,
                    suggestion=guess,
                    allowed=allowed,
                )
        for key in required:
            # "tittle: …" is one mistake: its "did you mean title?" says all there is to say.
            if node.get(key) is None and key not in suggested:
                at = self.key_pos(node, key) if key in node else self.node_pos(node)
                self.error(at, "plan.missing_field", field=key, where=where)
        return node

    def items(
        self, node: CommentedMap, key: str, where: str
    ) -> Iterator[tuple[object, tuple[int, int]]]:
        """The entries of a list field, with positions; nothing if absent or not a list."""
        value = node.get(key)
        if value is None:
            return
        if not isinstance(value, CommentedSeq):
            self.error(
                self.value_pos(node, key),
                "plan.wrong_type",
                field=where,
                expected="list",
                got=_kind(value),
            )
            return
        for index, item in enumerate(value):
            yield item, self.item_pos(value, index)

    # -- scalars ---------------------------------------------------------------------------

    def text(self, node: CommentedMap, key: str, where: str, required: bool = False) -> str | None:
        value = node.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.error(
                self.value_pos(node, key),
                "plan.wrong_type",
                field=where,
                expected="string",
                got=_kind(value),
            )
            return None
        stripped = str(value).strip()
        if required and not stripped:
            self.error(self.value_pos(node, key), "plan.missing_field", field=key, where=where)
            return None
        return stripped or None

    def identifier(self, value: object, pos: tuple[int, int], where: str) -> str | None:
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.error(pos, "plan.wrong_type", field=where, expected="id", got=_kind(value))
            return None
        ident = str(value)
        if not ID_PATTERN.match(ident):
            self.error(pos, "plan.bad_id", field=where, value=ident)
            return None
        if len(ident) > ID_MAX_LENGTH:
            self.error(pos, "plan.id_too_long", field=where, value=ident, limit=ID_MAX_LENGTH)
            return None
        return ident

    def integer(self, node: CommentedMap, key: str, where: str, lo: int, hi: int) -> int | None:
        value = node.get(key)
        if value is None:
            return None
        pos = self.value_pos(node, key)
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(pos, "plan.wrong_type", field=where, expected="integer", got=_kind(value))
            return None
        if not lo <= value <= hi:
            self.error(pos, "plan.out_of_range", field=where, value=value, lo=lo, hi=hi)
            return None
        return int(value)

    def number(self, node: CommentedMap, key: str, where: str) -> float | None:
        value = node.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(
                self.value_pos(node, key),
                "plan.wrong_type",
                field=where,
                expected="number",
                got=_kind(value),
            )
            return None
        return float(value)

    def flag(self, node: CommentedMap, key: str, where: str) -> bool | None:
        value = node.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            at = self.value_pos(node, key)
            self.error(at, "plan.wrong_type", field=where, expected="bool", got=_kind(value))
            return None
        return value

    def texts(
        self, node: CommentedMap, key: str, where: str, lines: bool = False
    ) -> tuple[str, ...]:
        """A list of texts; a single text is a list of one (of its lines, with ``lines``)."""
        value = node.get(key)
        if isinstance(value, str):
            parts = value.splitlines() if lines else [value]
            return tuple(part.strip() for part in parts if part.strip())
        found: list[str] = []
        for item, pos in self.items(node, key, where):
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                self.error(pos, "plan.wrong_type", field=where, expected="string", got=_kind(item))
            elif str(item).strip():
                found.append(" ".join(str(item).split()) if lines else str(item).strip())
        return tuple(found)

    def day(self, value: object, pos: tuple[int, int], where: str) -> date | None:
        if isinstance(value, bool) or not isinstance(value, str):
            self.error(pos, "plan.wrong_type", field=where, expected="date", got=_kind(value))
            return None
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            self.error(pos, "plan.bad_date_format", field=where, value=value)
            return None
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            self.error(pos, "plan.impossible_date", field=where, value=value)
            return None

    def day_field(self, node: CommentedMap, key: str, where: str) -> date | None:
        if node.get(key) is None:
            return None
        return self.day(node[key], self.value_pos(node, key), where)

    def choice(
        self, node: CommentedMap, key: str, where: str, choices: Iterable[str]
    ) -> str | None:
        value = node.get(key)
        if value is None:
            return None
        choices = tuple(choices)
        if not isinstance(value, str) or value not in choices:
            lowered = str(value).strip().lower()
            guess = [lowered] if lowered in choices else []
            guess = guess or difflib.get_close_matches(str(value), choices, n=1, cutoff=0.5)
            self.error(
                self.value_pos(node, key),
                "plan.bad_choice",
                field=where,
                value=str(value),
                choices=choices,
                suggestion=guess[0] if guess else None,
            )
            return None
        return value

    def refer(self, kind: str, ident: str, pos: tuple[int, int]) -> None:
        """Checked once everything is read, so order in the file does not matter."""
        self._references.append((kind, ident, pos))

    def unique(self, seen: _Seen, kind: str, ident: str, pos: tuple[int, int]) -> bool:
        if ident in seen.lines:
            self.error(pos, "plan.duplicate_id", kind=kind, id=ident, first_line=seen.lines[ident])
            return False
        seen.lines[ident] = pos[0] + 1
        self.declared.setdefault(kind, set()).add(ident)
        return True

    # -- the document ----------------------------------------------------------------------

    def read(self, root: CommentedMap) -> Plan | None:
        top = self.fields(
            root,
            (0, 0),
            "tasks.yaml",
            allowed=(
                "plan",
                "rules",
                "schedules",
                "departments",
                "coordinators",
                "broadcast",
                "bulletin",
                "escalation",
                "campaigns",
            ),
            required=("plan", "departments", "campaigns"),
        )
        assert top is not None
        settings = self.read_settings(root)
        departments, people = self.read_departments(root)
        coordinators = self.read_coordinators(root)
        broadcast = self.read_broadcast(root)
        bulletin = self.read_bulletin(root)
        escalation = self.read_escalation(root)
        plan_start = settings.start if settings else None
        campaigns, tasks = self.read_campaigns(root, plan_start)
        self.check_references(
            self.declared.get("department", set()), self.declared.get("person", set())
        )
        self.check_owners(root, departments, people, tasks, coordinators)
        if settings is None:
            return None
        settings = PlanSettings(
            name=settings.name,
            timezone=settings.timezone,
            locale=settings.locale,
            start=settings.start,
            calendar=settings.calendar,
            rules=settings.rules,
            schedules=settings.schedules,
            coordinators=coordinators,
            broadcast=broadcast,
            bulletin=bulletin,
            escalation=escalation,
        )
        self.check_calendar(root, settings, tasks)
        self.check_leaders(root, escalation, departments, tasks)
        return Plan(settings, tuple(departments), tuple(people), tuple(campaigns), tuple(tasks))

    def read_settings(self, root: CommentedMap) -> PlanSettings | None:
        if "plan" not in root:
            return None
        node = self.fields(
            root["plan"],
            self.value_pos(root, "plan"),
            "plan",
            allowed=(
                "name",
                "timezone",
                "start",
                "holidays",
                "extra_holidays",
                "extra_workdays",
                "locale",
            ),
            required=("name",),
        )
        if node is None:
            return None
        name = self.text(node, "name", "plan.name", required=True) or ""
        timezone = self.zone(node)
        start = self.day_field(node, "start", "plan.start")
        self.plan_start_written = node.get("start") is not None
        holidays = self.choice(node, "holidays", "plan.holidays", [h.value for h in Holidays])
        locale = self.choice(node, "locale", "plan.locale", LOCALES) or "zh-CN"
        extra_holidays = self.days(node, "extra_holidays", "plan.extra_holidays")
        extra_workdays = self.days(node, "extra_workdays", "plan.extra_workdays")
        for both in sorted(extra_holidays & extra_workdays):
            self.error(self.value_pos(node, "extra_workdays"), "plan.day_both_ways", day=both)
        calendar = CalendarSpec(Holidays(holidays or "cn"), extra_holidays, extra_workdays)
        return PlanSettings(
            name=name,
            timezone=timezone,
            locale=locale,
            start=start,
            calendar=calendar,
            rules=self.read_rules(root),
            schedules=self.read_schedules(root),
        )

    def zone(self, node: CommentedMap) -> str:
        value = node.get("timezone")
        if value is None:
            return "Asia/Shanghai"
        pos = self.value_pos(node, "timezone")
        if isinstance(value, str):
            try:
                ZoneInfo(value)
                return value
            except (ZoneInfoNotFoundError, ValueError):
                pass
        self.error(pos, "plan.unknown_timezone", value=str(value), suggestion=_zone_guess(value))
        return "Asia/Shanghai"

    def days(self, node: CommentedMap, key: str, where: str) -> frozenset[date]:
        found = (self.day(item, pos, where) for item, pos in self.items(node, key, where))
        return frozenset(d for d in found if d is not None)

    def read_rules(self, root: CommentedMap) -> Rules:
        if root.get("rules") is None:
            return Rules()
        node = self.fields(
            root["rules"],
            self.value_pos(root, "rules"),
            "rules",
            allowed=(*RULE_RANGES, *FLAGS, *CHOICES),
        )
        if node is None:
            return Rules()
        values: dict[str, int | bool | None] = {
            key: self.integer(node, key, f"rules.{key}", lo, hi)
            for key, (lo, hi) in RULE_RANGES.items()
        }
        values.update({key: self.flag(node, key, f"rules.{key}") for key in FLAGS})
        counts_as = self.choice(
            node, "extended_counts_as", "rules.extended_counts_as", CHOICES["extended_counts_as"]
        )
        if counts_as is not None:
            values["extended_counts_as"] = ExtendedCountsAs(counts_as)  # type: ignore[assignment]
        rules = Rules(**{k: v for k, v in values.items() if v is not None})  # type: ignore[arg-type]
        if rules.red_lag < rules.yellow_lag:
            at = self.value_pos(node, "red_lag") if "red_lag" in node else self.node_pos(node)
            self.error(at, "plan.red_below_yellow", red=rules.red_lag, yellow=rules.yellow_lag)
        return rules

    def read_schedules(self, root: CommentedMap) -> dict[ScheduleKind, str]:
        from superbot.domain.model import DEFAULT_SCHEDULES

        schedules = dict(DEFAULT_SCHEDULES)
        if root.get("schedules") is None:
            return schedules
        kinds = [k.value for k in ScheduleKind]
        node = self.fields(
            root["schedules"], self.value_pos(root, "schedules"), "schedules", allowed=kinds
        )
        if node is None:
            return schedules
        for kind in ScheduleKind:
            value = node.get(kind.value)
            if value is None:
                continue
            pos = self.value_pos(node, kind.value)
            if not isinstance(value, str):
                self.error(
                    pos,
                    "plan.wrong_type",
                    field=f"schedules.{kind}",
                    expected="crontab",
                    got=_kind(value),
                )
                continue
            try:
                Crontab.parse(value)
            except CrontabError as error:
                quoted = isinstance(value, DoubleQuotedScalarString | SingleQuotedScalarString)
                at = (pos[0], pos[1] + error.offset + (1 if quoted else 0))
                self.error(
                    at, "plan.bad_schedule", name=kind.value, value=str(value), problem=error.text
                )
                continue
            schedules[kind] = str(value)
        return schedules

    def read_departments(self, root: CommentedMap) -> tuple[list[Department], list[Person]]:
        departments: list[Department] = []
        people: list[Person] = []
        seen_departments, seen_people = _Seen(), _Seen()
        seen_accounts = _Seen()
        for item, pos in self.items(root, "departments", "departments"):
            node = self.fields(
                item,
                pos,
                "departments[]",
                allowed=("id", "name", "people", "liaison", "leader"),
                required=("id", "name"),
            )
            if node is None:
                continue
            ident = (
                self.identifier(node["id"], self.value_pos(node, "id"), "department.id")
                if node.get("id") is not None
                else None
            )
            name = self.text(node, "name", "department.name", required=True)
            if (
                ident is not None
                and self.unique(seen_departments, "department", ident, self.value_pos(node, "id"))
                and name is not None
            ):
                departments.append(
                    Department(
                        ident,
                        name,
                        liaisons=self.people_refs(node, "liaison", "department.liaison"),
                        leaders=self.people_refs(node, "leader", "department.leader"),
                    )
                )
            for person_node, person_pos in self.items(node, "people", "people"):
                person = self.read_person(
                    person_node, person_pos, ident or "?", seen_people, seen_accounts
                )
                if person is not None:
                    people.append(person)
        return departments, people

    def read_person(
        self, item: object, pos: tuple[int, int], department: str, seen: _Seen, accounts: _Seen
    ) -> Person | None:
        node = self.fields(
            item,
            pos,
            "people[]",
            allowed=("id", "name", "position", "email", "telegram"),
            required=("id", "name"),
        )
        if node is None or node.get("id") is None:
            return None
        ident = self.identifier(node["id"], self.value_pos(node, "id"), "person.id")
        name = self.text(node, "name", "person.name", required=True)
        position = self.text(node, "position", "person.position")
        email = self.text(node, "email", "person.email")
        if email is not None and not EMAIL_PATTERN.match(email):
            self.error(self.value_pos(node, "email"), "plan.bad_email", value=email)
            email = None
        telegram = self.telegram_id(node)
        if telegram is not None and not self.unique(
            accounts, "account", str(telegram), self.value_pos(node, "telegram")
        ):
            telegram = None  # one Telegram account speaks for one person
        if ident is None or not self.unique(seen, "person", ident, self.value_pos(node, "id")):
            return None
        if name is None:
            return None
        return Person(ident, name, department, position, email, telegram)

    def telegram_id(self, node: CommentedMap) -> int | None:
        value = node.get("telegram")
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            self.error(self.value_pos(node, "telegram"), "plan.bad_telegram_user", value=str(value))
            return None
        return int(value)

    def read_coordinators(self, root: CommentedMap) -> tuple[str, ...]:
        coordinators: list[str] = []
        for item, pos in self.items(root, "coordinators", "coordinators"):
            ident = self.identifier(item, pos, "coordinators[]")
            if ident is None:
                continue
            if ident in coordinators:
                self.error(pos, "plan.duplicate_in_list", value=ident, field="coordinators")
                continue
            self.refer("person", ident, pos)
            coordinators.append(ident)
        return tuple(coordinators)

    def read_broadcast(self, root: CommentedMap) -> Broadcast:
        if root.get("broadcast") is None:
            return Broadcast()
        node = self.fields(
            root["broadcast"],
            self.value_pos(root, "broadcast"),
            "broadcast",
            allowed=("telegram_chats", "emails", "webhooks"),
        )
        if node is None:
            return Broadcast()
        chats: list[int] = []
        for item, pos in self.items(node, "telegram_chats", "broadcast.telegram_chats"):
            if isinstance(item, bool) or not isinstance(item, int) or item == 0:
                self.error(pos, "plan.bad_telegram_chat", value=str(item))
            else:
                chats.append(int(item))
        emails: list[str] = []
        for item, pos in self.items(node, "emails", "broadcast.emails"):
            if not isinstance(item, str) or not EMAIL_PATTERN.match(item.strip()):
                self.error(pos, "plan.bad_email", value=str(item))
            else:
                emails.append(item.strip())
        webhooks = [
            hook
            for item, pos in self.items(node, "webhooks", "broadcast.webhooks")
            if (hook := self.read_webhook(item, pos)) is not None
        ]
        return Broadcast(tuple(chats), tuple(emails), tuple(webhooks))

    def read_bulletin(self, root: CommentedMap) -> BulletinSettings:
        if root.get("bulletin") is None:
            return BulletinSettings()
        node = self.fields(
            root["bulletin"],
            self.value_pos(root, "bulletin"),
            "bulletin",
            allowed=("issuer", "to", "cc", "requirements"),
        )
        if node is None:
            return BulletinSettings()
        return BulletinSettings(
            issuer=self.text(node, "issuer", "bulletin.issuer"),
            to=self.texts(node, "to", "bulletin.to"),
            cc=self.texts(node, "cc", "bulletin.cc"),
            requirements=self.texts(node, "requirements", "bulletin.requirements", lines=True),
        )

    def people_refs(self, node: CommentedMap, key: str, where: str) -> tuple[str, ...]:
        """One person id or a list of them (a department's 联络员, 分管领导)."""
        value = node.get(key)
        if value is None:
            return ()
        entries = (
            [(value, self.value_pos(node, key))]
            if not isinstance(value, CommentedSeq)
            else list(self.items(node, key, where))
        )
        found: list[str] = []
        for item, pos in entries:
            ident = self.identifier(item, pos, where)
            if ident is None:
                continue
            if ident in found:
                self.error(pos, "plan.duplicate_in_list", value=ident, field=key)
                continue
            self.refer("person", ident, pos)
            found.append(ident)
        return tuple(found)

    def read_escalation(self, root: CommentedMap) -> tuple[EscalationRule, ...]:
        rules: list[EscalationRule] = []
        for item, pos in self.items(root, "escalation", "escalation"):
            node = self.fields(
                item,
                pos,
                "escalation[]",
                allowed=("light", "consecutive", "document", "to", "reply_workdays"),
                required=("light", "document"),
            )
            if node is None:
                continue
            light = self.choice(node, "light", "escalation[].light", ("yellow", "red"))
            document = self.named(node, "document", "escalation[].document", DOCUMENT_NAMES)
            counts = {
                key: self.integer(node, key, f"escalation[].{key}", lo, hi)
                for key, (lo, hi) in ESCALATION_RANGES.items()
            }
            to: list[Role] = []
            for entry, at in self.items(node, "to", "escalation[].to"):
                role = ROLE_NAMES.get(str(entry).strip())
                if role is None:
                    self.error(
                        at,
                        "plan.bad_choice",
                        field="escalation[].to",
                        value=str(entry),
                        choices=tuple(r.value for r in Role),
                        suggestion=closest(str(entry), [r.value for r in Role], cutoff=0.5),
                    )
                elif role not in to:
                    to.append(role)
            if light is None or document is None:
                continue
            rules.append(
                EscalationRule(
                    light=light,
                    consecutive=counts["consecutive"] or 1,
                    document=document,
                    to=tuple(to) or (Role.LIAISON,),
                    reply_workdays=counts["reply_workdays"] or EscalationRule.reply_workdays,
                )
            )
        return tuple(rules)

    def named(
        self, node: CommentedMap, key: str, where: str, names: dict[str, DocumentKind]
    ) -> DocumentKind | None:
        value = node.get(key)
        if value is None:
            return None
        found = names.get(str(value).strip())
        if found is None:
            self.error(
                self.value_pos(node, key),
                "plan.bad_choice",
                field=where,
                value=str(value),
                choices=tuple(n for n in names if not n.isascii()),
                suggestion=closest(str(value), list(names), cutoff=0.5),
            )
        return found

    def read_webhook(self, item: object, pos: tuple[int, int]) -> Webhook | None:
        node = self.fields(
            item,
            pos,
            "webhooks[]",
            allowed=("kind", "url_env", "secret_env"),
            required=("kind", "url_env"),
        )
        if node is None:
            return None
        kind = self.choice(node, "kind", "webhooks[].kind", [k.value for k in RobotKind])
        url_env = self.env_name(node, "url_env")
        secret_env = self.env_name(node, "secret_env")
        if kind is None or url_env is None:
            return None
        return Webhook(RobotKind(kind), url_env, secret_env)

    def env_name(self, node: CommentedMap, key: str) -> str | None:
        value = self.text(node, key, f"webhooks[].{key}")
        if value is None:
            return None
        if not ENV_PATTERN.match(value):
            self.error(self.value_pos(node, key), "plan.bad_env_name", field=key, value=value)
            return None
        return value

    def read_campaigns(
        self, root: CommentedMap, plan_start: date | None
    ) -> tuple[list[Campaign], list[Task]]:
        campaigns: list[Campaign] = []
        tasks: list[Task] = []
        seen_campaigns, seen_tasks = _Seen(), _Seen()
        for item, pos in self.items(root, "campaigns", "campaigns"):
            node = self.fields(
                item,
                pos,
                "campaigns[]",
                allowed=("id", "name", "description", "tasks"),
                required=("id", "name"),
            )
            if node is None:
                continue
            ident = (
                self.identifier(node["id"], self.value_pos(node, "id"), "campaign.id")
                if node.get("id") is not None
                else None
            )
            name = self.text(node, "name", "campaign.name", required=True)
            description = self.text(node, "description", "campaign.description")
            if (
                ident is not None
                and self.unique(seen_campaigns, "campaign", ident, self.value_pos(node, "id"))
                and name is not None
            ):
                campaigns.append(Campaign(ident, name, description))
            for task_node, task_pos in self.items(node, "tasks", "tasks"):
                task = self.read_task(task_node, task_pos, ident or "?", plan_start, seen_tasks)
                if task is not None:
                    tasks.append(task)
        return campaigns, tasks

    def read_task(
        self,
        item: object,
        pos: tuple[int, int],
        campaign: str,
        plan_start: date | None,
        seen: _Seen,
    ) -> Task | None:
        node = self.fields(
            item,
            pos,
            "tasks[]",
            allowed=("id", "title", "description", "lead", "support", "start", "due", "indicators"),
            required=("id", "title", "lead", "due"),
        )
        if node is None:
            return None
        ident = (
            self.identifier(node["id"], self.value_pos(node, "id"), "task.id")
            if node.get("id") is not None
            else None
        )
        if ident is not None and not self.unique(seen, "task", ident, self.value_pos(node, "id")):
            ident = None
        title = self.text(node, "title", "task.title", required=True)
        description = self.text(node, "description", "task.description")
        lead = None
        if node.get("lead") is not None:
            lead = self.identifier(node["lead"], self.value_pos(node, "lead"), "task.lead")
            if lead is not None:
                self.refer("department", lead, self.value_pos(node, "lead"))
        support = self.read_support(node, lead)
        start = self.day_field(node, "start", "task.start")
        if start is None and node.get("start") is None:
            start = plan_start
            if plan_start is None and not self.plan_start_written:
                self.error(self.node_pos(node), "plan.missing_start", task=ident or "?")
        due = self.day_field(node, "due", "task.due")
        if start is not None and due is not None and due < start:
            self.error(self.value_pos(node, "due"), "plan.due_before_start", due=due, start=start)
            due = None
        indicators = self.read_indicators(node)
        if None in (ident, title, lead, start, due):
            return None
        assert ident
        assert title
        assert lead
        assert start
        assert due
        return Task(ident, campaign, title, lead, start, due, support, description, indicators)

    def read_support(self, node: CommentedMap, lead: str | None) -> tuple[str, ...]:
        support: list[str] = []
        for item, pos in self.items(node, "support", "task.support"):
            ident = self.identifier(item, pos, "task.support[]")
            if ident is None:
                continue
            if ident == lead:
                self.error(pos, "plan.lead_in_support", department=ident)
            elif ident in support:
                self.error(pos, "plan.duplicate_in_list", value=ident, field="support")
            else:
                self.refer("department", ident, pos)
                support.append(ident)
        return tuple(support)

    def read_indicators(self, node: CommentedMap) -> tuple[Indicator, ...]:
        indicators: list[Indicator] = []
        seen = _Seen()
        for item, pos in self.items(node, "indicators", "task.indicators"):
            ind = self.fields(
                item,
                pos,
                "indicators[]",
                allowed=("id", "name", "unit", "target"),
                required=("id", "name"),
            )
            if ind is None or ind.get("id") is None:
                continue
            ident = self.identifier(ind["id"], self.value_pos(ind, "id"), "indicator.id")
            name = self.text(ind, "name", "indicator.name", required=True)
            unit = self.text(ind, "unit", "indicator.unit") or ""
            target = self.number(ind, "target", "indicator.target")
            if (
                ident is None
                or name is None
                or not self.unique(seen, "indicator", ident, self.value_pos(ind, "id"))
            ):
                continue
            indicators.append(Indicator(ident, name, unit, target))
        return tuple(indicators)

    # -- cross-references and advice -------------------------------------------------------

    def check_references(self, departments: set[str], people: set[str]) -> None:
        known = {"department": departments, "person": people}
        for kind, ident, pos in self._references:
            if ident not in known[kind]:
                guess = closest(ident, sorted(known[kind]), cutoff=0.6)
                self.error(
                    pos,
                    "plan.unknown_ref",
                    kind=kind,
                    id=ident,
                    suggestion=guess,
                )

    def check_owners(
        self,
        root: CommentedMap,
        departments: list[Department],
        people: list[Person],
        tasks: list[Task],
        coordinators: tuple[str, ...],
    ) -> None:
        staffed = {p.department_id for p in people}
        leads = {t.lead for t in tasks}
        for item, pos in self.items(root, "departments", "departments"):
            if isinstance(item, CommentedMap) and item.get("id") in leads - staffed:
                self.warn(pos, "plan.no_owner", department=str(item["id"]))
        if not coordinators and "departments" in root:
            self.warn(self.key_pos(root, "departments"), "plan.no_coordinators")
        _ = departments

    def check_leaders(
        self,
        root: CommentedMap,
        escalation: tuple[EscalationRule, ...],
        departments: list[Department],
        tasks: list[Task],
    ) -> None:
        """A rung that writes to 分管领导 needs each lead department to name one."""
        if not any(Role.LEADER in rule.to for rule in escalation):
            return
        leads = {t.lead for t in tasks}
        lacking = [d.id for d in departments if d.id in leads and not d.leaders]
        if lacking:
            self.warn(self.key_pos(root, "escalation"), "plan.no_leader", departments=lacking)

    def check_calendar(self, root: CommentedMap, settings: PlanSettings, tasks: list[Task]) -> None:
        if not tasks:
            return
        calendar = WorkdayCalendar(settings.calendar)
        first = min(t.start for t in tasks)
        last = max(t.due for t in tasks)
        pos = self.key_pos(root, "plan")
        plan_node = root.get("plan")
        if isinstance(plan_node, CommentedMap) and "holidays" in plan_node:
            pos = self.value_pos(plan_node, "holidays")
        for warning in calendar.warnings_for(first, last):
            self.problems.append(Problem(pos[0] + 1, pos[1] + 1, warning, Severity.WARNING))
