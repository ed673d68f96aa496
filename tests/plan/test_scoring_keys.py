"""tasks.yaml ``scoring``, ``category``, ``weight``, ``milestones``, ``supervision_start`` and
indicator ``direction``/``kind``/``quarterly``: read, kept in the database, and every mistake
reported at its line and column like any other section's."""

from __future__ import annotations

from datetime import date

from tests.plan.test_load import MINIMAL, SAY, edit, parse, positions

from superbot.domain.model import Direction, IndicatorKind, Milestone
from superbot.domain.scoring import DueSoon, Method, Reporting, ScoringPeriod
from superbot.store.codec import plan_from_json, plan_to_json, settings_from_json

SCORING = """\
scoring:
  preset: cards
  support_share: 0.5
  points: {yellow: -1.5, done_early: 1}
  excuse_accepted: true
  due_soon: reminder
  period: monthly
"""

RICH = edit("  start: 2022-01-01", "  start: 2022-01-01\n  supervision_start: 2022-03-01")
RICH = edit("    name: 高新科", "    name: 高新科\n    category: 科室", RICH)
RICH = edit(
    "        due: 2022-12-31",
    """\
        due: 2022-12-31
        weight: 2
        milestones:
          - {date: 2022-06-30, description: 完成用地报批, percent: 40}
          - {date: 2022-09-30, description: 主体开工, percent: 70}
        indicators:
          - id: rank
            name: 高新区综合排名
            kind: rank
            direction: down
            unit: "%"
          - id: invest
            name: 高新技术产业投资增速
            kind: rate
            unit: "%"
            quarterly: [null, 10, 12, 15]""",
    RICH,
)


def test_the_new_keys_are_read() -> None:
    result = parse(RICH + SCORING)
    assert result.problems == ()
    plan = result.plan
    assert plan is not None
    scoring = plan.settings.scoring
    assert scoring.preset == "cards"
    assert scoring.method is Method.DEDUCTION  # from the preset
    assert scoring.reporting is Reporting.LIGHT
    assert dict(scoring.points) == {"yellow": -1.5, "red": -2, "done_early": 1}
    assert scoring.support_share == 0.5
    assert scoring.excuse_accepted
    assert scoring.period is ScoringPeriod.MONTHLY
    assert plan.settings.rules.due_soon is DueSoon.REMINDER
    assert plan.settings.rules.supervision_start == date(2022, 3, 1)
    assert plan.departments[0].category == "科室"
    [task] = plan.tasks
    assert task.weight == 2
    assert task.milestones == (
        Milestone(date(2022, 6, 30), "完成用地报批", 40),
        Milestone(date(2022, 9, 30), "主体开工", 70),
    )
    rank, invest = task.indicators
    assert (rank.kind, rank.direction) == (IndicatorKind.RANK, Direction.DOWN)
    assert (invest.kind, invest.direction, invest.quarterly) == (
        IndicatorKind.RATE,
        Direction.UP,
        (None, 10, 12, 15),
    )
    # Kept as they are in the settings and in each plan version.
    assert plan_from_json(plan_to_json(plan)) == plan


def test_a_plan_without_scoring_scores_as_before() -> None:
    plan = parse(MINIMAL).plan
    assert plan is not None
    assert plan.settings.scoring.preset == "default"
    assert plan.settings.rules.due_soon is DueSoon.YELLOW
    # Settings stored before scoring existed read with the default scheme.
    from superbot.store.codec import settings_to_json

    old = settings_to_json(plan.settings)
    del old["scoring"]
    for key in ("due_soon", "supervision_start", "indicator_yellow", "indicator_red"):
        del old["rules"][key]
    assert settings_from_json(old) == plan.settings


def test_every_mistake_in_scoring_is_reported_where_it_is() -> None:
    bad = """\
scoring:
  preset: guangyuan
  method: points
  task_share: 1.5
  points: {yellow: -1, amber: 3, red: -300}
  excuse_accepted: maybe
  due_soon: orange
  early_days: -1
"""
    lines = len(MINIMAL.splitlines())
    result = parse(MINIMAL + bad)
    assert not result.ok
    assert positions(result.errors) == [
        (lines + 2, 11, "plan.bad_choice"),
        (lines + 3, 11, "plan.bad_choice"),
        (lines + 4, 15, "plan.out_of_range"),
        (lines + 5, 24, "plan.unknown_field"),
        (lines + 5, 39, "plan.out_of_range"),
        (lines + 6, 20, "plan.wrong_type"),
        (lines + 7, 13, "plan.bad_choice"),
        (lines + 8, 15, "plan.out_of_range"),
    ]
    said = [SAY(e.text) for e in result.errors]
    assert said[0].startswith("scoring.preset 只能是 default 或 cards 或 lead_support")
    assert said[2] == "scoring.task_share 的值 1.5 超出范围，应在 0 到 1 之间"
    assert said[3].startswith("scoring.points 中没有字段 amber")


def test_schemes_that_cannot_work_are_refused() -> None:
    lines = len(MINIMAL.splitlines())
    shares = parse(MINIMAL + "scoring:\n  task_share: 0.6\n  report_share: 0.3\n")
    assert positions(shares.errors) == [(lines + 2, 15, "plan.shares_not_whole")]
    assert SAY(shares.errors[0].text) == (
        "scoring 的 task_share（0.6）和 report_share（0.3）加起来应为 1"
    )
    rate = parse(MINIMAL + "scoring:\n  preset: cards\n  reporting: rate\n")
    assert positions(rate.errors) == [(lines + 3, 14, "plan.rate_needs_average")]
    missed = parse(MINIMAL + "scoring:\n  reporting: deduction\n")
    assert positions(missed.errors) == [(lines + 2, 14, "plan.missed_report_needed")]
    assert parse(MINIMAL + "scoring:\n  reporting: deduction\n  missed_report: 5\n").ok


def test_milestones_must_fall_within_the_task_and_go_forward() -> None:
    source = edit(
        "        due: 2022-12-31",
        """\
        due: 2022-12-31
        milestones:
          - {date: 2022-09-30, description: 主体开工, percent: 70}
          - {date: 2022-06-30, description: 完成用地报批, percent: 40}
          - {date: 2023-03-01, description: 竣工, percent: 100}
          - {date: 2022-10-30, description: 封顶, percent: 120}""",
    )
    result = parse(source)
    assert positions(result.errors) == [
        (27, 13, "plan.milestone_order"),
        (28, 20, "plan.milestone_outside"),
        (29, 58, "plan.out_of_range"),
    ]
    assert SAY(result.errors[1].text) == (
        "节点日期 2023-03-01 不在任务的开始（2022-01-01）和截止（2022-12-31）之间"
    )


def test_quarterly_targets_are_four() -> None:
    source = edit(
        "        due: 2022-12-31",
        """\
        due: 2022-12-31
        indicators:
          - {id: invest, name: 投资增速, unit: "%", kind: rate, quarterly: [10, 12]}""",
    )
    result = parse(source)
    assert positions(result.errors) == [(26, 72, "plan.quarterly_count")]
