"""Telegram HTML as Telegram measures it, and cut where Telegram would refuse it.

Telegram counts a message after parsing its HTML: tags do not count, ``&amp;`` is one
character, and length is in UTF-16 code units (an emoji outside the BMP counts two). A
message over :data:`TEXT_LIMIT` is refused, so long texts are split on line boundaries.
Templates keep each line's tags balanced, which is what makes a line a safe place to cut;
:func:`split_lines` checks it.
"""

from __future__ import annotations

import html
import re

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024

# A tag (quoted attribute values may hold ">"), or an entity.
_TOKEN = re.compile(
    r"<(?P<close>/?)(?P<name>[A-Za-z][A-Za-z0-9-]*)(?:[^>\"']|\"[^\"]*\"|'[^']*')*>"
    r"|&(?:#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,7}|[A-Za-z][A-Za-z0-9]*);"
)


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def visible_text(source: str) -> str:
    """What a person reads: tags dropped, entities decoded, outer whitespace trimmed."""
    pieces: list[str] = []
    at = 0
    for match in _TOKEN.finditer(source):
        pieces.append(source[at : match.start()])
        if match.group().startswith("&"):
            pieces.append(html.unescape(match.group()))
        at = match.end()
    pieces.append(source[at:])
    return "".join(pieces).strip()


def visible_length(source: str) -> int:
    """Length of ``source`` as Telegram counts it against :data:`TEXT_LIMIT`."""
    return utf16_units(visible_text(source))


def split_lines(source: str, limit: int = TEXT_LIMIT) -> list[str]:
    """``source`` in pieces of at most ``limit`` visible units, cut between lines.

    Every line must close the tags it opens (ValueError otherwise). A single line longer
    than ``limit`` is cut inside, closing its open tags and opening them again.
    """
    pieces: list[str] = []
    lines: list[str] = []
    used = 0
    for number, line in enumerate(source.split("\n"), start=1):
        _check_balanced(line, number)
        size = _units(line)
        if size > limit:
            if lines:
                pieces.append("\n".join(lines))
            *whole, rest = _cut_line(line, limit)
            pieces.extend(whole)
            lines, used = [rest], _units(rest)
            continue
        needed = size + (1 if lines else 0)  # the newline joining it to the piece
        if lines and used + needed > limit:
            pieces.append("\n".join(lines))
            lines, used, needed = [], 0, size
        lines.append(line)
        used += needed
    if lines:
        pieces.append("\n".join(lines))
    kept = [piece.strip("\n") for piece in pieces if visible_text(piece)]
    return kept or [source]


def _units(line: str) -> int:
    """Visible units of one line, whitespace included (Telegram only trims a whole text)."""
    total = 0
    at = 0
    for match in _TOKEN.finditer(line):
        total += utf16_units(line[at : match.start()])
        if match.group().startswith("&"):
            total += utf16_units(html.unescape(match.group()))
        at = match.end()
    return total + utf16_units(line[at:])


def _check_balanced(line: str, number: int) -> None:
    open_tags: list[str] = []
    for match in _TOKEN.finditer(line):
        name = match.group("name")
        if name is None:
            continue
        name = name.lower()
        if not match.group("close"):
            open_tags.append(name)
        elif not open_tags or open_tags.pop() != name:
            raise ValueError(f"line {number} closes <{name}> it did not open: {line[:80]!r}")
    if open_tags:
        raise ValueError(f"line {number} leaves <{open_tags[-1]}> open: {line[:80]!r}")


def _cut_line(line: str, limit: int) -> list[str]:
    """One balanced line in pieces of at most ``limit`` units, tags closed and reopened."""
    pieces: list[str] = []
    out: list[str] = []
    stack: list[tuple[str, str]] = []  # (name, opening tag as written)
    used = 0

    def flush() -> None:
        nonlocal out, used
        closing = "".join(f"</{name}>" for name, _ in reversed(stack))
        pieces.append("".join(out) + closing)
        out = [tag for _, tag in stack]
        used = 0

    def add(text: str, width: int) -> None:
        nonlocal used
        if used + width > limit and used > 0:
            flush()
        out.append(text)
        used += width

    at = 0
    for match in [*_TOKEN.finditer(line), None]:
        end = match.start() if match is not None else len(line)
        for char in line[at:end]:
            add(char, utf16_units(char))
        if match is None:
            break
        token = match.group()
        if token.startswith("&"):
            add(token, utf16_units(html.unescape(token)))
        elif match.group("close"):
            stack.pop()
            out.append(token)
        else:
            stack.append((match.group("name").lower(), token))
            out.append(token)
        at = match.end()
    pieces.append("".join(out))
    return pieces
