"""The ranking of departments in the monthly 督查通报, by the plan's :class:`Scoring`.

With the default scheme, score (0–100) = 70 % task score + 30 % reporting rate, where

* task score is the mean, over the tasks the department leads, of: done on time 100,
  green 100, done late 80, yellow 60, red 0 — the lights at the end of the month;
* reporting rate is the share of its tasks open during the month that received at least
  one progress report in the month (100 when it had none open).

Every part of that is a setting (docs/scoring.md): the deduction method (``base`` plus
signed points, 广元's cards), each task's ``weight``, supporting units at a share of the
lead, a missed report counted once, accepted reasons for 受阻 left unscored, early
completion, monthly or cumulative scope, and ranking within a department ``category``.
Higher is better; ties share a rank. The 通报's footer words the scheme from the same values.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from superbot.domain.lights import Light
from superbot.domain.periods import month_of
from superbot.domain.scoring import Method, Reporting, Scoring, ScoringPeriod


@dataclass(frozen=True)
class TaskStanding:
    """One task's part in one department's score."""

    light: Light  # as the ranking scores it (a 待审核 task: its accepted progress)
    done_late: bool
    open_in_period: bool  # not done before the period began, and started by its end
    reported_in_period: bool
    weight: float = 1.0  # tasks.yaml ``weight``
    done_early: bool = False  # done at least ``early_days`` before its due date
    excused: bool = False  # 受阻, and a coordinator accepted the reason (正当理由)
    missed: int = 0  # months it owed a report and got none (this one, or all so far)
    support: bool = False  # the department supports the task (配合单位) rather than leads it
    silent: bool = False  # owed a report this month (open, not settled) and its lead sent none


@dataclass(frozen=True)
class Score:
    department_id: str
    tasks: int  # tasks scored
    task_score: float
    report_rate: float  # 0–100
    reported: int
    expected_reports: int
    score: float
    rank: int = 0
    category: str | None = None
    missed: int = 0  # task-months without a report, when they are deducted
    excused: int = 0  # tasks not scored for an accepted reason


def missed_before(
    start: date, first: date, reported_months: Collection[str], done_on: date | None
) -> int:
    """Months from the one ``start`` falls in up to the one beginning ``first`` (not included)
    in which the task was open and got no report: cumulative scoring deducts each once."""
    count = 0
    month = month_of(start)
    while month.first < first:
        if (done_on is None or done_on >= month.first) and month.key not in reported_months:
            count += 1
        month = month_of(month.last + timedelta(days=1))
    return count


def is_early(done_on: date | None, due: date, early_days: int) -> bool:
    return done_on is not None and (due - done_on).days >= early_days


def outcome(standing: TaskStanding) -> str:
    """The key of :data:`superbot.domain.scoring.OUTCOMES` a task is scored by."""
    if standing.light is Light.DONE:
        if standing.done_late:
            return "done_late"
        return "done_early" if standing.done_early else "done_on_time"
    if standing.light is Light.PENDING:  # never a standing; counted as its progress would be
        return "green"
    return standing.light.value


def task_points(standing: TaskStanding, scoring: Scoring | None = None) -> float:
    return (scoring or Scoring()).worth(outcome(standing))


def is_scored(standing: TaskStanding, scoring: Scoring) -> bool:
    if scoring.excuse_accepted and standing.excused:
        return False
    if scoring.period is ScoringPeriod.MONTHLY and not standing.open_in_period:
        return False
    # Reporting by deduction: a silent task's whole penalty is the deduction.
    return not (scoring.reporting is Reporting.DEDUCTION and standing.silent)


def score_department(
    department_id: str,
    standings: Sequence[TaskStanding],
    scoring: Scoring | None = None,
    category: str | None = None,
) -> Score | None:
    """The department's score; None when nothing of it is scored (a unit with no tasks)."""
    scoring = scoring or Scoring()
    scored = [s for s in standings if is_scored(s, scoring)]
    shares = [s.weight * (scoring.support_share if s.support else 1.0) for s in scored]
    led = [s for s in standings if not s.support]
    missed = sum(s.missed for s in led) if scoring.reporting is Reporting.DEDUCTION else 0
    if not any(shares) and not missed:
        return None
    expected = [s for s in led if s.open_in_period]
    reported = sum(1 for s in expected if s.reported_in_period)
    report_rate = 100.0 * reported / len(expected) if expected else 100.0
    worth = [scoring.worth(outcome(s)) for s in scored]
    if scoring.method is Method.DEDUCTION:
        task_score = scoring.base + sum(w * p for w, p in zip(shares, worth, strict=True))
    elif any(shares):
        task_score = sum(w * p for w, p in zip(shares, worth, strict=True)) / sum(shares)
    else:
        task_score = scoring.base  # every task silent: nothing but the deductions
    if scoring.method is Method.AVERAGE and scoring.reporting is Reporting.RATE:
        score = scoring.task_share * task_score + scoring.report_share * report_rate
    else:
        score = task_score - missed * scoring.missed_report
    return Score(
        department_id,
        sum(1 for share in shares if share),
        task_score,
        report_rate,
        reported,
        len(expected),
        round(score, 1),
        category=category if scoring.by_category else None,
        missed=missed,
        excused=sum(1 for s in standings if s.excused and scoring.excuse_accepted),
    )


def rank(scores: Iterable[Score]) -> list[Score]:
    """Best first within each category (categories in the order first met; a company is
    never ranked against bureaus); equal scores share a rank (1, 2, 2, 4). Stable for equal
    scores."""
    groups: dict[str | None, list[Score]] = {}
    for score in scores:
        groups.setdefault(score.category, []).append(score)
    ranked: list[Score] = []
    for group in groups.values():
        placed: list[Score] = []
        for position, score in enumerate(sorted(group, key=lambda s: -s.score), start=1):
            shared = placed and placed[-1].score == score.score
            placed.append(replace(score, rank=placed[-1].rank if shared else position))
        ranked.extend(placed)
    return ranked
