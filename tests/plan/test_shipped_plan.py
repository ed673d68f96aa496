"""The shipped tasks.yaml is the project's showcase: it says only what its source says.

The source (``tests/plan_source.txt``, a web copy of the bureau's 2021 summary and 2022 plan)
masks every number as "xx", so no target may appear that it does not contain; it gives no
interim dates, and it names neither the eight 专项行动 nor the three 会战 one by one. The
supervision roles of the plan still work."""

from __future__ import annotations

import re
from pathlib import Path

from superbot.domain.model import DocumentKind, Plan
from superbot.plan.load import read_plan_file

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "tasks.yaml"
SOURCE = (ROOT / "tests" / "plan_source.txt").read_text(encoding="utf-8")


def _plan() -> Plan:
    result = read_plan_file(SHIPPED)
    assert result.problems == (), result.problems
    assert result.plan is not None
    return result.plan


def test_the_shipped_plan_passes_check_without_a_warning() -> None:
    _plan()


def test_no_target_appears_that_the_source_does_not_contain() -> None:
    numbers_in_source = set(re.findall(r"\d+(?:\.\d+)?", SOURCE))
    for task in _plan().tasks:
        for indicator in task.indicators:
            for target in (indicator.target, *indicator.quarterly):
                if target is not None:
                    assert f"{target:g}" in numbers_in_source, (task.id, indicator.id, target)


def test_every_masked_number_is_said_to_be_masked() -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    plan = _plan()
    indicators = sum(len(t.indicators) for t in plan.tasks)
    assert indicators >= 10
    # Each indicator carries its "原文为 xx" (or 2021's) comment on the line of its unit/kind.
    assert text.count("# 原文") >= indicators


def test_no_invented_interim_deadlines() -> None:
    # The source says "力争 2022 年……" and nothing finer.
    for task in _plan().tasks:
        assert task.due.isoformat() == "2022-12-31", task.id
        assert task.milestones == (), task.id


def test_the_2021_achievements_are_not_2022_tasks() -> None:
    for task in _plan().tasks:
        words = f"{task.title} {task.description or ''}"
        for done_in_2021 in ("孵化器", "眼谷壹号", "登峰造极", "一周年"):
            assert done_in_2021 not in words, (task.id, done_in_2021)


def test_titles_the_source_does_not_give_are_marked_as_an_editors_reading() -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    # Each campaign is a block that starts with its rule of dashes and the source's words.
    blocks = {
        m.group(1): block
        for block in text.split("  # " + "-" * 75 + "\n")
        if (m := re.search(r"^  - id: (\S+)$", block, re.MULTILINE))
    }
    for campaign_id in ("zcq8", "dls3"):
        assert (
            "名称原文都没有列出" in blocks[campaign_id] or "名称原文没有列出" in blocks[campaign_id]
        )
    dls3 = blocks["dls3"]
    titles = [line for line in dls3.splitlines() if line.strip().startswith("title:")]
    assert len(titles) == 3
    assert all("【编者解读】" in line for line in titles)
    # "xx大道东延等其余道路进展顺利": a road extension already under way, continued.
    [road] = [t for t in _plan().tasks if "东延" in t.title]
    assert "续建" in road.title


def test_departments_have_their_category_and_the_roles_still_work() -> None:
    plan = _plan()
    leads = {t.lead for t in plan.tasks} | {d for t in plan.tasks for d in t.support}
    for department in plan.departments:
        if department.id in leads:
            assert department.category in ("科室", "区级部门", "园区与平台", "企业"), department.id
    assert plan.settings.rules.review_done
    assert [r.document for r in plan.settings.escalation] == [
        DocumentKind.NOTICE,
        DocumentKind.LETTER,
        DocumentKind.INTERVIEW,
    ]
    people = {p.id for p in plan.people}
    assert plan.settings.coordinators
    assert set(plan.settings.coordinators) <= people
    for department in plan.departments:
        if department.id in {t.lead for t in plan.tasks}:
            assert department.leaders, department.id  # every 专函 has someone to go to
            assert set(department.leaders) <= people
