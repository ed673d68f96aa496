"""The ranking of departments in the monthly 督查通报.

Score (0–100) = 70 % task score + 30 % reporting rate, where

* task score is the mean, over the tasks the department leads, of: done on time 100,
  green 100, done late 80, yellow 60, red 0 — the lights at the end of the month;
* reporting rate is the share of its tasks open during the month that received at least
  one progress report in the month (100 when it had none open).

Higher is better; ties share a rank. The README and the bulletin's footer print this formula
from the same constants.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from superbot.domain.lights import Light

TASK_WEIGHT = 0.7
REPORT_WEIGHT = 0.3
POINTS = {"done_on_time": 100, "green": 100, "done_late": 80, "yellow": 60, "red": 0}


@dataclass(frozen=True)
class TaskStanding:
    """One led task's part in its department's score."""

    light: Light
    done_late: bool
    open_in_period: bool  # not done before the period began, and started by its end
    reported_in_period: bool


@dataclass(frozen=True)
class Score:
    department_id: str
    tasks: int
    task_score: float
    report_rate: float  # 0–100
    reported: int
    expected_reports: int
    score: float
    rank: int = 0


def task_points(standing: TaskStanding) -> int:
    if standing.light is Light.DONE:
        return POINTS["done_late"] if standing.done_late else POINTS["done_on_time"]
    return POINTS[standing.light.value]


def score_department(department_id: str, standings: Sequence[TaskStanding]) -> Score:
    task_score = sum(task_points(s) for s in standings) / len(standings)
    expected = [s for s in standings if s.open_in_period]
    reported = sum(1 for s in expected if s.reported_in_period)
    report_rate = 100.0 * reported / len(expected) if expected else 100.0
    score = round(TASK_WEIGHT * task_score + REPORT_WEIGHT * report_rate, 1)
    return Score(
        department_id, len(standings), task_score, report_rate, reported, len(expected), score
    )


def rank(scores: Iterable[Score]) -> list[Score]:
    """Best first; equal scores share a rank (1, 2, 2, 4). Stable for equal scores."""
    ordered = sorted(scores, key=lambda s: -s.score)
    ranked: list[Score] = []
    for position, score in enumerate(ordered, start=1):
        shared = ranked and ranked[-1].score == score.score
        ranked.append(
            Score(
                score.department_id,
                score.tasks,
                score.task_score,
                score.report_rate,
                score.reported,
                score.expected_reports,
                score.score,
                ranked[-1].rank if shared else position,
            )
        )
    return ranked
