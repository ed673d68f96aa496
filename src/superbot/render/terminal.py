"""Tables and colour for a terminal: widths count Chinese characters as two columns."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
COLOURS = {
    "red": "31",
    "yellow": "33",
    "pending": "35",
    "green": "32",
    "done": "36",
    "dim": "2",
    "bold": "1",
}


def display_width(text: str) -> int:
    plain = _ANSI.sub("", text)
    return sum(
        0
        if unicodedata.combining(ch)
        else 2
        if unicodedata.east_asian_width(ch) in ("W", "F")
        else 1
        for ch in plain
    )


def truncate(text: str, width: int) -> str:
    if display_width(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        w = display_width(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


class Painter:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: object, colour: str) -> str:
        code = COLOURS.get(colour)
        if not self.enabled or code is None:
            return str(text)
        return f"\x1b[{code}m{text}\x1b[0m"


def table(rows: Sequence[Sequence[object]], aligns: str = "", gap: int = 2) -> str:
    """Left-aligned columns (``r`` in ``aligns`` right-aligns one); the last is not padded."""
    cells = [[str(c) for c in row] for row in rows]
    if not cells:
        return ""
    columns = max(len(r) for r in cells)
    widths = [
        max((display_width(r[i]) for r in cells if i < len(r)), default=0) for i in range(columns)
    ]
    lines = []
    for row in cells:
        parts = []
        for i, cell in enumerate(row):
            pad = " " * (widths[i] - display_width(cell))
            last = i == len(row) - 1
            if i < len(aligns) and aligns[i] == "r":
                parts.append(pad + cell)
            else:
                parts.append(cell if last else cell + pad)
        lines.append((" " * gap).join(parts).rstrip())
    return "\n".join(lines)
