"""tasks.yaml → a validated :class:`Plan`, or every problem at once with its line and column.

Nothing here raises on bad input: a coordinator gets a list of :class:`Problem` and the plan
only when there is no error. Positions are 1-based, as editors show them.

The levels, outermost first: this module (bytes → text → result), ``yaml`` (text → nodes
with positions, within bounds; syntax errors), ``sections`` (the document's sections →
domain values), ``fields`` (one typed value), ``checks`` (across sections).
"""

from __future__ import annotations

import gc
import hashlib
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from yaml.nodes import MappingNode

from superbot.domain.text import Text
from superbot.plan.problems import LoadResult, Problem, Severity, failed
from superbot.plan.sections import PlanReader
from superbot.plan.yaml import MAX_BYTES, Document, Unreadable, compose, kind_of

__all__ = ["MAX_BYTES", "LoadResult", "Problem", "Severity", "parse_plan", "read_plan_file"]

# A line with something on it other than a comment or a document marker.
_CONTENT = re.compile(r"^[^\S\n]*(?!#|---[^\S\n]*$|\.\.\.[^\S\n]*$)\S", re.MULTILINE)


def read_plan_file(path: Path) -> LoadResult:
    """The plan in the file at ``path``; never more than :data:`MAX_BYTES` of it is read."""
    try:
        with path.open("rb") as file:
            source = file.read(MAX_BYTES + 1)
            size = max(len(source), os.fstat(file.fileno()).st_size)
    except FileNotFoundError:
        return failed(str(path), 1, 1, Text.of("plan.not_found"))
    except IsADirectoryError:
        return failed(str(path), 1, 1, Text.of("plan.is_directory"))
    except OSError as error:
        return failed(str(path), 1, 1, Text.of("plan.unreadable", reason=error.strerror))
    return parse_plan(source, str(path), size=size)


def parse_plan(source: bytes, path: str = "tasks.yaml", *, size: int | None = None) -> LoadResult:
    digest = hashlib.sha256(source).hexdigest()
    if len(source) > MAX_BYTES:
        too_large = Text.of("plan.too_large", size=size or len(source), limit=MAX_BYTES)
        return failed(path, 1, 1, too_large, digest)
    try:
        text = source.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line, col = _position_of_byte(source, error.start)
        return failed(path, line, col, Text.of("plan.not_utf8", byte=error.start), digest)
    if not _CONTENT.search(text):
        return failed(path, 1, 1, Text.of("plan.empty"), digest)
    with _collector_paused():
        return _read(text, path, digest)


def _read(text: str, path: str, digest: str) -> LoadResult:
    """Returns before the collector resumes: the node tree is freed by then (see below)."""
    root = compose(text)
    if isinstance(root, Unreadable):
        return failed(path, root.line, root.col, root.text, digest)
    if root is None:
        return failed(path, 1, 1, Text.of("plan.empty"), digest)
    if not isinstance(root, MappingNode):
        return failed(path, 1, 1, Text.of("plan.top_not_mapping", got=kind_of(root)), digest)
    reader = PlanReader(Document(text, root))
    plan = reader.read()
    problems = tuple(sorted(reader.problems, key=lambda p: (p.line, p.col)))
    has_error = any(p.severity is Severity.ERROR for p in problems)
    return LoadResult(path, problems, None if has_error else plan, digest)


def _position_of_byte(source: bytes, offset: int) -> tuple[int, int]:
    before = source[:offset]
    line = before.count(b"\n") + 1
    line_start = before.rfind(b"\n") + 1
    col = len(before[line_start:].decode("utf-8", errors="replace")) + 1
    return line, col


_pauses = 0
_pauses_lock = threading.Lock()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Reading a plan allocates millions of small objects and frees them by reference
    counting alone (the node tree has no cycles); meanwhile the cyclic collector would walk
    the growing tree again and again: 4× the parse itself at 10,000 tasks. Paused for the
    parse, in whichever thread it runs, and resumed after the last one — once the tree is
    freed, or the first collection after would walk all of it once more."""
    global _pauses
    with _pauses_lock:
        if _pauses == 0 and not gc.isenabled():
            paused_here = False  # someone else keeps it off: leave it to them
        else:
            paused_here = True
            _pauses += 1
            gc.disable()
    try:
        yield
    finally:
        if paused_here:
            with _pauses_lock:
                _pauses -= 1
                if _pauses == 0:
                    gc.enable()
