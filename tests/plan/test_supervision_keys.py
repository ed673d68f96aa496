"""tasks.yaml's supervision keys: rules.review_done, rules.extended_counts_as, escalation: and
departments' liaison and leader — read as written, each mistake with its line and column."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.plan.test_load import MINIMAL, SAY, edit, parse, positions

from superbot.domain.model import DocumentKind, EscalationRule, ExtendedCountsAs, Role
from superbot.plan.load import read_plan_file
from superbot.store.codec import plan_from_json, plan_to_json, settings_from_json, settings_to_json

SHIPPED = Path(__file__).resolve().parents[1] / "plan.yaml"

LADDER = """\
rules:
  review_done: true
  extended_counts_as: late
escalation:
  - light: yellow
    consecutive: 2
    document: 督办单
  - light: red
    document: letter
    to: [联络员, leader]
    reply_workdays: 5
  - {light: red, consecutive: 3, document: 约谈, to: [coordinators]}
"""


def with_roles(source: str = MINIMAL) -> str:
    return edit(
        "    name: 高新科", "    name: 高新科\n    liaison: zhang\n    leader: [li]", source
    )


def test_the_ladder_roles_and_rules_are_read_as_written() -> None:
    result = parse(with_roles() + LADDER)
    assert result.problems == ()
    plan = result.plan
    assert plan is not None
    rules = plan.settings.rules
    assert (rules.review_done, rules.extended_counts_as) == (True, ExtendedCountsAs.LATE)
    assert plan.settings.escalation == (
        EscalationRule("yellow", 2, DocumentKind.NOTICE, (Role.LIAISON,), 10),
        EscalationRule("red", 1, DocumentKind.LETTER, (Role.LIAISON, Role.LEADER), 5),
        EscalationRule("red", 3, DocumentKind.INTERVIEW, (Role.COORDINATORS,), 10),
    )
    [gxk, fgj] = plan.departments
    assert (gxk.liaisons, gxk.leaders) == (("zhang",), ("li",))
    assert (fgj.liaisons, fgj.leaders) == ((), ())


def test_defaults_without_the_keys() -> None:
    plan = parse(MINIMAL).plan
    assert plan is not None
    assert plan.settings.rules.review_done is False
    assert plan.settings.rules.extended_counts_as is ExtendedCountsAs.ON_TIME
    assert plan.settings.escalation == ()


@pytest.mark.parametrize(
    ("tail", "expected", "message"),
    [
        (
            "escalation:\n  - light: orange\n    document: 督办单\n",
            [(28, 12, "plan.bad_choice")],
            "escalation[].light 只能是 yellow 或 red，这里是 “orange”",
        ),
        (
            "escalation:\n  - light: red\n    document: 督办函\n",
            [(29, 15, "plan.bad_choice")],
            "escalation[].document 只能是 督办单 或 督办通知 或 专函 或 督办专函 或 约谈，"
            "这里是 “督办函”，是不是想写 督办专函？",
        ),
        (
            "escalation:\n  - light: red\n    document: 专函\n    to: [分管领导, boss]\n",
            [(30, 16, "plan.bad_choice")],
            "escalation[].to 只能是 联络员 或 分管领导 或 督查科，这里是 “boss”",
        ),
        (
            "escalation:\n  - light: red\n    document: 专函\n    consecutive: 0\n",
            [(30, 18, "plan.out_of_range")],
            None,
        ),
        (
            "escalation:\n  - document: 专函\n",
            [(28, 5, "plan.missing_field")],
            None,
        ),
        (
            "rules:\n  extended_counts_as: sometimes\n",
            [(28, 23, "plan.bad_choice")],
            None,
        ),
        (
            "rules:\n  review_done: 是\n",
            [(28, 16, "plan.wrong_type")],
            None,
        ),
    ],
)
def test_each_mistake_with_its_line_and_column(
    tail: str, expected: list[tuple[int, int, str]], message: str | None
) -> None:
    result = parse(with_roles() + tail)
    assert positions(result.errors) == expected
    assert result.plan is None
    if message is not None:
        assert SAY(result.errors[0].text) == message


def test_a_liaison_or_leader_who_is_nobody_is_an_unknown_reference() -> None:
    source = edit(
        "    name: 高新科", "    name: 高新科\n    liaison: zhangsan\n    leader: [li, li]"
    )
    result = parse(source)
    assert positions(result.errors) == [
        (7, 14, "plan.unknown_ref"),
        (8, 18, "plan.duplicate_in_list"),
    ]
    assert SAY(result.errors[0].text) == "没有编号为 zhangsan 的人员，是不是想写 zhang？"


def test_a_rung_for_leaders_warns_of_lead_departments_without_one() -> None:
    result = parse(MINIMAL + LADDER)
    assert result.errors == ()
    [warning] = result.warnings
    assert warning.text.key == "plan.no_leader"
    assert SAY(warning.text).startswith(
        "提醒：督办升级规则要发给分管领导（to: leader），但牵头单位 gxk"
    )


def test_the_shipped_plan_reviews_done_escalates_and_names_roles() -> None:
    plan = read_plan_file(SHIPPED).plan
    assert plan is not None
    assert plan.settings.rules.review_done
    assert [r.document for r in plan.settings.escalation] == [
        DocumentKind.NOTICE,
        DocumentKind.LETTER,
        DocumentKind.INTERVIEW,
    ]
    people = {p.id for p in plan.people}
    leads = {t.lead for t in plan.tasks}
    for department in plan.departments:
        assert set(department.liaisons) <= people
        assert set(department.leaders) <= people
        if department.id in leads:
            assert department.leaders, department.id  # every 专函 has someone to go to


def test_settings_and_plans_survive_the_database() -> None:
    plan = parse(with_roles() + LADDER).plan
    assert plan is not None
    assert settings_from_json(settings_to_json(plan.settings)) == plan.settings
    assert plan_from_json(plan_to_json(plan)) == plan
    # Settings stored before the loop existed read with its defaults.
    old = settings_to_json(plan.settings)
    del old["escalation"]
    del old["rules"]["review_done"], old["rules"]["extended_counts_as"]
    restored = settings_from_json(old)
    assert restored.escalation == ()
    assert restored.rules.review_done is False
