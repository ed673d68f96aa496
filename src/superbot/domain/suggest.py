"""“Did you mean …?” for ids and names people mistype."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, choices: Iterable[str], cutoff: float = 0.5) -> str | None:
    """The likeliest meant choice: similar enough, then fewest edits away (fgx → fgj, not gxk)."""
    candidates = difflib.get_close_matches(word, list(choices), n=5, cutoff=cutoff)
    return min(candidates, key=lambda c: edits(word, c)) if candidates else None


def edits(a: str, b: str) -> int:
    """Levenshtein distance."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return row[-1]
