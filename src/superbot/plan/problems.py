"""What reading tasks.yaml tells a coordinator: problems with their line and column."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from superbot.domain.model import Plan
from superbot.domain.text import Text


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    line: int  # 1-based, as editors show them
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


def failed(path: str, line: int, col: int, text: Text, sha256: str = "") -> LoadResult:
    """The whole file is unusable: exactly one problem."""
    return LoadResult(path, (Problem(line, col, text),), None, sha256)
