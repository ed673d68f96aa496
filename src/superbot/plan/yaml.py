"""tasks.yaml text → YAML nodes with the line and column of each, within bounds.

libyaml (PyYAML's C parser) composes the node tree; nothing is constructed. The readers in
``fields.py`` type each scalar when they read it, by YAML 1.2's core schema as the file's
header teaches it: ``yes``/``no``/``on`` are words, ``2022-12-31`` stays the text typed
(dates are read and reported by us), ``1e400`` is infinite and refused by the reader.

Bounds, so that a saved file can never freeze or exhaust the bot:
- size: :data:`MAX_BYTES`, checked before the text is decoded;
- nesting: libyaml refuses more than :data:`MAX_DEPTH` levels (a plan needs eight);
- aliases: ``*name`` shares a node instead of copying it, but whoever walks the tree walks
  every use: a few lines of nested aliases (an "alias bomb", or the same with merge keys
  ``<<``) expand to billions of nodes. The expanded size is counted without expanding and
  refused past :data:`MAX_EXPANSION` times the written size.

A syntax error becomes one :class:`~superbot.plan.problems.Problem` in the coordinator's
words (``plan.syntax`` with a ``problem`` code for the template), at the line where the
mistake starts, naming a full-width character (``：``, ``“``, a full-width space) when that
is what broke the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from yaml.composer import Composer
from yaml.error import MarkedYAMLError, YAMLError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader, ReaderError
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from superbot.domain.text import Text
from superbot.plan.problems import Problem

MAX_BYTES = 64 * 1024 * 1024  # a province's 100,000 tasks take about 34 MB
MAX_DEPTH = 1000  # libyaml's own limit on nesting; the pure-Python parser stops earlier
MAX_EXPANSION = 10  # aliases may multiply the written nodes by this much …
EXPANSION_ALLOWANCE = 10_000  # … plus this many, so that small files may share freely

Position = tuple[int, int]  # 0-based line and column, as the parser counts them

# Tags of the YAML core schema. Scalars the parser types implicitly get IMPLICIT: the reader
# types them from their text and style, and only when it reads them.
IMPLICIT = "?"
STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
TIMESTAMP = "tag:yaml.org,2002:timestamp"
SEQ = "tag:yaml.org,2002:seq"
MAP = "tag:yaml.org,2002:map"
MERGE = "<<"

NULLS = frozenset({"", "~", "null", "Null", "NULL"})
BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
INFINITIES = {
    f"{sign}.{word}": float(f"{sign or '+'}inf")
    for sign in ("", "+", "-")
    for word in ("inf", "Inf", "INF")
}
NANS = frozenset({".nan", ".NaN", ".NAN"})
INTEGER = re.compile(r"[-+]?(?:[0-9]+|0x[0-9a-fA-F]+|0o[0-7]+)\Z")
DECIMAL = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
EXPLICIT_KINDS = {
    STR: "string",
    TIMESTAMP: "string",  # kept as typed, like an untagged date
    INT: "integer",
    FLOAT: "number",
    BOOL: "bool",
    NULL: "null",
    SEQ: "list",
    MAP: "mapping",
}

# Characters a Chinese keyboard gives where YAML needs the ASCII one.
FULL_WIDTH = {
    "：": ":",
    "，": ",",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "\u3000": " ",
    "－": "-",
    "［": "[",
    "］": "]",
    "｛": "{",
    "｝": "}",
    "＃": "#",
}
# What YAML accepts as text (its "printable" set); anything else is a control character.
_NOT_PRINTABLE = re.compile(
    "[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)


def _resolve(self: object, kind: type, value: object, implicit: object) -> str:
    """Collections get their tag; scalars are typed by the reader when it reads them."""
    if kind is ScalarNode:
        return IMPLICIT
    return SEQ if kind is SequenceNode else MAP


class _PythonComposer(Reader, Scanner, Parser, Composer, BaseResolver):
    """PyYAML without libyaml: the same nodes, several times slower."""

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        BaseResolver.__init__(self)

    resolve = _resolve


def _composer() -> Callable[[str], Any]:
    try:
        from yaml._yaml import CParser
    except ImportError:
        return _PythonComposer

    class _CComposer(CParser, BaseResolver):
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            BaseResolver.__init__(self)

        resolve = _resolve

    return _CComposer


_Composer = _composer()


# -- composing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Unreadable:
    """The text is not a YAML document: where, and why in the coordinator's words."""

    line: int  # 1-based
    col: int
    text: Text


def compose(text: str) -> Node | Unreadable | None:
    """The document's root node (None for a document with no content), or why there is none."""
    composer = _Composer(text)
    try:
        root: Node | None = composer.get_single_node()
    except MarkedYAMLError as error:
        return _syntax(error, text)
    except ReaderError:
        line, col, code = _control_character(text)
        return Unreadable(line, col, Text.of("plan.control_character", code=code))
    except RecursionError:  # the pure-Python composer recurses per level
        return Unreadable(1, 1, Text.of("plan.syntax", problem="too_deep", limit=MAX_DEPTH))
    except YAMLError:
        return Unreadable(1, 1, Text.of("plan.syntax", problem="other"))
    finally:
        composer.dispose()
    if root is not None and _has_anchor(text):
        bomb = _alias_bomb(root)
        if bomb is not None:
            return bomb
    return root


def _has_anchor(text: str) -> bool:
    """Whether an ``&name`` may be in the text: only then can aliases share nodes. Errs on
    the side of yes (``"a &b"`` in quotes), which costs only the count below."""
    index = text.find("&")
    while index >= 0:
        before = text[index - 1] if index else "\n"
        after = text[index + 1 : index + 2]
        if before in " \t\r\n[{,:?-" and after and after not in " \t\r\n,[]{}":
            return True
        index = text.find("&", index + 1)
    return False


def _control_character(text: str) -> tuple[int, int, int]:
    found = _NOT_PRINTABLE.search(text)
    if found is None:  # the parser saw one we do not: say where it starts, whatever it is
        return 1, 1, 0
    line, col = position_of(text, found.start())
    return line, col, ord(found.group())


def position_of(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def _alias_bomb(root: Node) -> Unreadable | None:
    """How many nodes a full walk would visit, counted once per distinct node (post-order)."""
    sizes: dict[int, int] = {}
    entered: set[int] = set()  # the nodes on the path from the root: an alias to one loops
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            entered.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            continue
        if key in sizes:
            continue
        if key in entered:
            line, col = node.start_mark.line + 1, node.start_mark.column + 1
            return Unreadable(line, col, Text.of("plan.alias_loop"))
        entered.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
    limit = MAX_EXPANSION * len(sizes) + EXPANSION_ALLOWANCE
    if sizes[id(root)] <= limit:
        return None
    # Point at the smallest part that alone expands past the limit: that is the bomb.
    node = root
    while True:
        bigger = [c for c in _children(node) if sizes[id(c)] > limit]
        if not bigger:
            break
        node = max(bigger, key=lambda c: sizes[id(c)])
    mark = node.start_mark
    return Unreadable(
        mark.line + 1,
        mark.column + 1,
        Text.of("plan.alias_bomb", nodes=sizes[id(root)], limit=limit),
    )


# -- syntax errors, in the coordinator's words ---------------------------------------------


def _syntax(error: MarkedYAMLError, text: str) -> Unreadable:
    lines = _Lines(text)
    problem = error.problem or ""
    context = error.context or ""
    mark = error.problem_mark or error.context_mark
    line, col = (mark.line, mark.column) if mark is not None else (0, 0)
    opened = error.context_mark
    params: dict[str, Any] = {}

    runaway = _runaway_quote(lines, line, col)
    at_end = problem == "found unexpected end of stream" and "quoted scalar" in context
    if runaway is None and at_end and opened is not None:
        runaway = opened.line, opened.column
    if runaway is not None:
        # A quote left open swallows the lines below it, up to the next quote or the end of
        # the file, where the parser fails: the mistake is where it opened.
        line, col = runaway
        quote = lines.char(line, col)
        closing = _full_width_closing(lines[line][col + 1 :])
        if closing is not None:
            return _unreadable(line, col + 1 + closing[0], "full_width", char=closing[1])
        return _unreadable(line, col, "unclosed_quote", quote=quote)
    if problem == "could not find expected ':'" and opened is not None:
        line, col = opened.line, opened.column
        code = "no_colon"
    elif problem == "mapping values are not allowed in this context":
        # A plain value may run over several lines; the key the parser choked on began on
        # the first of them, usually a line whose colon is full-width.
        for earlier in range(line, max(-1, line - 20), -1):
            culprit = _key_culprit(lines[earlier])
            if culprit is not None:
                return _unreadable(earlier, culprit[0], "full_width", char=culprit[1])
            if earlier < line and _structural(lines[earlier]):
                break
        code = "colon_in_value"
        if ":" not in lines[line][:col].lstrip(" -"):
            # "key: value" on its own line, indented deeper than the key above it: YAML
            # reads it as the rest of the value above, then finds this colon.
            above = _key_above(lines, line)
            if above is not None:
                code, params = "deeper_than_above", {"line": above[0] + 1, "column": above[1] + 1}
    elif problem in {"did not find expected key", "did not find expected '-' indicator"}:
        code = "indentation"
        if opened is not None:
            params = {"line": opened.line + 1, "column": opened.column + 1}
    elif problem in {"did not find expected ',' or ']'", "did not find expected ',' or '}'"}:
        code = "unclosed_bracket"
        if opened is not None:
            params = {
                "bracket": lines.char(opened.line, opened.column),
                "line": opened.line + 1,
                "column": opened.column + 1,
            }
    elif problem == "found character that cannot start any token":
        char = lines.char(line, col)
        code = "tab" if char == "\t" else "reserved_character"
        params = {"char": char}
    elif problem.startswith("found a tab character"):
        code = "tab"
    elif problem == "exceeded maximum nesting depth":
        code, params = "too_deep", {"limit": MAX_DEPTH}
    elif problem in {
        "found unknown escape character",
        "found invalid Unicode character escape code",
    }:
        code = "escape"
    elif problem == "block sequence entries are not allowed in this context":
        code = "dash_in_value"
    elif problem == "but found another document":
        code = "two_documents"
    elif problem == "found undefined alias":
        code, params = "undefined_alias", {"name": _word_at(lines[line], col + 1)}
    elif problem == "second occurrence" and opened is not None:
        name = _word_at(lines[line], col + 1)
        code, params = "duplicate_anchor", {"name": name, "line": opened.line + 1}
    else:
        code = "other"
    culprit = _key_culprit(lines[line])
    if culprit is not None and code not in {"undefined_alias", "duplicate_anchor", "too_deep"}:
        return _unreadable(line, culprit[0], "full_width", char=culprit[1])
    return _unreadable(line, col, code, **params)


def _unreadable(line: int, col: int, code: str, /, **params: Any) -> Unreadable:
    return Unreadable(line + 1, col + 1, Text.of("plan.syntax", problem=code, **params))


class _Lines:
    """The file's lines, split only when a syntax error needs them."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._lines: list[str] | None = None

    def __getitem__(self, index: int) -> str:
        if self._lines is None:
            self._lines = self.text.split("\n")
        return self._lines[index] if 0 <= index < len(self._lines) else ""

    def char(self, line: int, col: int) -> str:
        text = self[line]
        return text[col] if col < len(text) else ""


def _runaway_quote(lines: _Lines, line: int, col: int) -> tuple[int, int] | None:
    """Where a quote opened that swallowed the lines down to the error, if one did: the error
    line holds an odd number of that quote before the error (the one taken as the closing),
    and the nearest line above with any of it holds an odd number too (the opening)."""
    head = lines[line][:col]
    for quote in "\"'":
        if head.count(quote) % 2 == 0:
            continue
        for earlier in range(line - 1, max(-1, line - 2000), -1):
            text = lines[earlier]
            if quote not in text:
                continue
            if text.count(quote) % 2 == 1:
                return earlier, text.rfind(quote)
            break
    return None


def _key_culprit(line: str) -> tuple[int, str] | None:
    """A full-width character where a key's syntax needs an ASCII one: ``name：x``, a
    full-width space for indentation or after the colon."""
    body = line.lstrip(" ")
    indent = len(line) - len(body)
    if body.startswith(("\u3000", "－")):
        return indent, body[0]
    while body.startswith("- "):  # list items: "- name：x"
        rest = body[2:].lstrip(" ")
        indent += len(body) - len(rest)
        body = rest
    if body.startswith("#"):
        return None
    colon = body.find(":")
    wide = body.find("：")
    if wide >= 0 and (colon < 0 or wide < colon):
        return indent + wide, "："
    if colon >= 0 and body[colon + 1 : colon + 2] == "\u3000":
        return indent + colon + 1, "\u3000"
    return None


def _key_above(lines: _Lines, line: int) -> tuple[int, int] | None:
    """The line and column of the key on the nearest line above with text on it."""
    for earlier in range(line - 1, max(-1, line - 50), -1):
        body = lines[earlier].lstrip(" ")
        if body and not body.startswith("#"):
            key = body.lstrip("- ")
            return earlier, len(lines[earlier]) - len(key)
    return None


def _structural(line: str) -> bool:
    """A line a multi-line plain value cannot have started before."""
    body = line.strip()
    return not body or body.startswith(("#", "- ")) or ": " in body or body.endswith(":")


def _full_width_closing(rest: str) -> tuple[int, str] | None:
    for offset, char in enumerate(rest):
        if char in "”’":
            return offset, char
    return None


def _word_at(line: str, col: int) -> str:
    found = re.match(r"[^\s,\[\]{}]+", line[col:])
    return found.group() if found else ""


def full_width_in(text: str) -> str | None:
    """The first character typed full-width where YAML or an id needs ASCII."""
    return next((char for char in text if char in FULL_WIDTH), None)


# -- reading nodes ------------------------------------------------------------------------


def position(node: Node) -> Position:
    mark = node.start_mark
    return mark.line, mark.column


def is_null(node: Node) -> bool:
    if node.tag == IMPLICIT and isinstance(node, ScalarNode):
        return not node.style and node.value in NULLS
    return node.tag == NULL


# A plain scalar is text unless it starts like a null, a bool or a number: most values
# (titles, names, ids) are known to be text by their first character.
_MAY_BE_TYPED = frozenset("0123456789+-.~nNtTfF")


def kind_of(node: Node) -> str:
    """null, bool, integer, number, string, list, mapping or other: what the template names."""
    tag = node.tag
    if tag == IMPLICIT and isinstance(node, ScalarNode):
        if node.style:  # quoted or a block scalar: text, whatever it looks like
            return "string"
        value = node.value
        if value and value[0] not in _MAY_BE_TYPED:
            return "string"
        if value in NULLS:
            return "null"
        if value in BOOLS:
            return "bool"
        if INTEGER.match(value):
            return "integer"
        if DECIMAL.match(value) or value in INFINITIES or value in NANS:
            return "number"
        return "string"
    kind = EXPLICIT_KINDS.get(tag, "other")
    if kind == "integer" and not INTEGER.match(node.value.strip()):
        return "other"
    if kind == "number" and kind_of(ScalarNode(IMPLICIT, node.value.strip())) not in {
        "integer",
        "number",
    }:
        return "other"
    return kind


def integer_value(node: Node) -> int | None:
    """The integer a scalar of kind ``integer`` spells; None past Python's 4,300 digits."""
    text: str = node.value.strip()
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    try:
        if digits.startswith("0x"):
            return sign * int(digits[2:], 16)
        if digits.startswith("0o"):
            return sign * int(digits[2:], 8)
        return sign * int(digits)
    except ValueError:
        return None


def number_value(node: Node) -> float:
    """The number a scalar of kind ``integer`` or ``number`` spells: inf and nan included."""
    text: str = node.value.strip()
    if text in INFINITIES:
        return INFINITIES[text]
    if text in NANS:
        return float("nan")
    if INTEGER.match(text):
        whole = integer_value(node)
        return float("inf") if whole is None or abs(whole) > 10**308 else float(whole)
    return float(text)


class Entries:
    """A YAML mapping by key, in file order; the first of a key written twice is kept.

    ``get(key)`` is the value, or None when absent or written empty (``key:``, ``key: ~``):
    the dictionary's own ``get``, called for nearly every field of every task.
    """

    __slots__ = ("get", "node", "pairs", "values")
    get: Callable[[str], Node | None]

    def __init__(self, node: MappingNode) -> None:
        self.node = node
        self.pairs: dict[str, tuple[Node, Node]] = {}
        self.values: dict[str, Node | None] = {}
        self.get = self.values.get

    def add(self, name: str, key: Node, value: Node) -> None:
        self.pairs[name] = (key, value)
        self.values[name] = None if is_null(value) else value

    def __contains__(self, key: str) -> bool:
        return key in self.pairs

    def __iter__(self) -> Iterator[str]:
        return iter(self.pairs)

    def key_position(self, key: str) -> Position:
        return position(self.pairs[key][0])

    def value_position(self, key: str) -> Position:
        """Where the value starts; the key's position when there is no value."""
        key_node, value = self.pairs[key]
        return position(key_node if self.values[key] is None else value)


class Document:
    """The composed tree of one file and what reading its mappings found.

    Mappings reached through an alias are read once: their problems (a key written twice, a
    bad merge) are reported once, at the anchor where they are written.
    """

    def __init__(self, text: str, root: Node) -> None:
        self.text = text
        self.root = root
        self.problems: list[Problem] = []
        self._entries: dict[int, Entries] = {}

    def entries(self, node: MappingNode) -> Entries:
        found = self._entries.get(id(node))
        if found is not None:
            return found
        entries = Entries(node)
        pairs, values = entries.pairs, entries.values
        merges: list[Node] = []
        for key, value in node.value:  # the hot loop of a large plan: is_null and add inlined
            name = key.value if key.__class__ is ScalarNode else self.snippet(key)
            if name == MERGE and key.tag == IMPLICIT and not key.style:
                merges.append(value)
            elif name not in pairs:
                pairs[name] = (key, value)
                tag = value.tag
                if tag == IMPLICIT:
                    values[name] = None if not value.style and value.value in NULLS else value
                else:
                    values[name] = None if tag == NULL else value
            else:
                line, col = position(key)
                first_line = pairs[name][0].start_mark.line + 1
                text = Text.of("plan.duplicate_key", name=name, first_line=first_line)
                self.problems.append(Problem(line + 1, col + 1, text))
        self._entries[id(node)] = entries
        for value in merges:
            self._merge(entries, value)
        return entries

    def read_the_rest(self) -> None:
        """Read the mappings nothing read (under a misplaced or misspelt key), for their own
        problems: a file with errors gets all of them at once. Never needed for a valid plan."""
        seen: set[int] = set()
        stack = [self.root]
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, MappingNode):
                self.entries(node)
            stack.extend(_children(node))

    def _merge(self, entries: Entries, value: Node) -> None:
        """``<<: *base`` or ``<<: [*a, *b]``: keys written here win, then the first source."""
        sources = value.value if isinstance(value, SequenceNode) else [value]
        for source in sources:
            if not isinstance(source, MappingNode):
                line, col = position(source)
                self.problems.append(Problem(line + 1, col + 1, Text.of("plan.bad_merge")))
                continue
            for name, (key, merged) in self.entries(source).pairs.items():
                if name not in entries.pairs:
                    entries.add(name, key, merged)

    def snippet(self, node: Node, limit: int = 40) -> str:
        """A value as written, on one line and short: for messages, never the expanded value."""
        if isinstance(node, ScalarNode):
            written = str(node.value)
        else:
            written = self.text[node.start_mark.index : node.end_mark.index]
        written = " ".join(written.split())
        return written if len(written) <= limit else written[: limit - 1] + "…"
