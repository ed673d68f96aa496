"""How the 督查通报 scores departments (tasks.yaml ``scoring``): the settings and their presets.

Offices score differently, so the scheme is data: a preset names a scheme whole, and any key
written next to it replaces that part of it. ``default`` is the formula superbot always had,
so a plan without ``scoring`` ranks as it did. docs/scoring.md works every rule through with
numbers; the 通报's footer words the scheme from these same values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class Method(StrEnum):
    AVERAGE = "average"  # 平均分: the weighted mean of the tasks' points, 0–100
    DEDUCTION = "deduction"  # 扣分制: ``base`` plus each task's (signed) points


class Reporting(StrEnum):
    """How a missed progress report counts — once, whichever way."""

    RATE = "rate"  # the month's reporting rate, weighted by ``report_share`` (average only)
    DEDUCTION = "deduction"  # ``missed_report`` points off per task and month without a report;
    # that task's light is not scored for the month, so silence is not also 0 % progress
    LIGHT = "light"  # not scored apart: a silent task is scored by the light silence gives it


class DueSoon(StrEnum):
    YELLOW = "yellow"  # near the deadline and not done: 黄灯
    REMINDER = "reminder"  # 提醒 on a green light: said, not scored


class ScoringPeriod(StrEnum):
    CUMULATIVE = "cumulative"  # every task started so far; missed months since the start
    MONTHLY = "monthly"  # the tasks open in the month; its missed reports only


# What a task's outcome at the month's end is worth. Average: points out of 100.
# Deduction: points added to ``base`` (negative: deducted).
OUTCOMES = ("done_early", "done_on_time", "done_late", "green", "yellow", "red")

DEFAULT_POINTS: Mapping[str, float] = MappingProxyType(
    {
        "done_early": 100,
        "done_on_time": 100,
        "done_late": 80,
        "green": 100,
        "yellow": 60,
        "red": 0,
    }
)


@dataclass(frozen=True)
class Scoring:
    preset: str = "default"
    method: Method = Method.AVERAGE
    base: float = 100  # deduction: the score before any deduction
    task_share: float = 0.7  # average: the tasks' part of the score …
    report_share: float = 0.3  # … and the reporting rate's (reporting: rate)
    points: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_POINTS))
    by_category: bool = True  # ranked within the departments' ``category``
    support_share: float = 0.0  # a 配合单位 scored on the task at this share of the lead
    reporting: Reporting = Reporting.RATE
    missed_report: float = 0  # reporting: deduction — points off per task and month
    excuse_accepted: bool = False  # 受阻 with a reason a coordinator accepted: not scored
    early_days: int = 30  # done at least this many days before the due date: done_early
    period: ScoringPeriod = ScoringPeriod.CUMULATIVE

    def worth(self, outcome: str) -> float:
        return float(self.points.get(outcome, 0))


PRESETS: Mapping[str, Scoring] = MappingProxyType(
    {
        "default": Scoring(),
        # 广元-style cards: a yellow card costs 1 point, a red one 2, from 100.
        "cards": Scoring(
            preset="cards",
            method=Method.DEDUCTION,
            points={"yellow": -1, "red": -2},
            reporting=Reporting.LIGHT,
        ),
        # A task not done on time costs its lead unit 5 points and each supporting unit 3.
        "lead_support": Scoring(
            preset="lead_support",
            method=Method.DEDUCTION,
            points={"red": -5},
            support_share=0.6,
            reporting=Reporting.LIGHT,
        ),
    }
)


def scoring_of(preset: str, **changes: Any) -> Scoring:
    """The preset with the keys written next to it."""
    base = PRESETS[preset]
    points = changes.pop("points", None)
    if points is not None:
        changes["points"] = {**base.points, **points}
    return replace(base, **changes)


def scoring_to_json(scoring: Scoring) -> dict[str, Any]:
    return {
        "preset": scoring.preset,
        "method": scoring.method.value,
        "base": scoring.base,
        "task_share": scoring.task_share,
        "report_share": scoring.report_share,
        "points": dict(scoring.points),
        "by_category": scoring.by_category,
        "support_share": scoring.support_share,
        "reporting": scoring.reporting.value,
        "missed_report": scoring.missed_report,
        "excuse_accepted": scoring.excuse_accepted,
        "early_days": scoring.early_days,
        "period": scoring.period.value,
    }


def scoring_from_json(data: Mapping[str, Any] | None) -> Scoring:
    if not data:
        return Scoring()  # settings stored before scoring was configurable
    return Scoring(
        preset=data["preset"],
        method=Method(data["method"]),
        base=data["base"],
        task_share=data["task_share"],
        report_share=data["report_share"],
        points=dict(data["points"]),
        by_category=data["by_category"],
        support_share=data["support_share"],
        reporting=Reporting(data["reporting"]),
        missed_report=data["missed_report"],
        excuse_accepted=data["excuse_accepted"],
        early_days=data["early_days"],
        period=ScoringPeriod(data["period"]),
    )
