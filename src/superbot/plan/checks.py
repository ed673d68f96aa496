"""Checks across the plan, once every section is read: references, owners, the calendar's
reach, and the advice the shipped file's own header gives (short titles)."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from yaml.nodes import MappingNode, Node

from superbot.domain.calendar import WorkdayCalendar
from superbot.domain.model import Department, EscalationRule, Person, PlanSettings, Role, Task
from superbot.domain.scoring import Method, Reporting, Scoring
from superbot.domain.suggest import closest
from superbot.plan.fields import Fields
from superbot.plan.problems import Problem, Severity
from superbot.plan.yaml import Entries, position

if TYPE_CHECKING:
    from superbot.plan.sections import PlanReader

# "标题 title 尽量不超过 20 个字（要在手机上显示）": a 字 is a Chinese character; Latin
# letters and digits are half as wide, two to a 字, as a phone lays them out.
TITLE_LIMIT = 20


def references(reader: PlanReader) -> None:
    for kind, ident, node in reader.references:
        known = reader.declared[kind]
        if ident not in known:
            reader.error(
                position(node),
                "plan.unknown_ref",
                kind=kind,
                id=ident,
                suggestion=closest(ident, sorted(known), cutoff=0.6),
            )


def owners(
    reader: Fields,
    root: Entries,
    people: list[Person],
    tasks: list[Task],
    coordinators: tuple[str, ...],
) -> None:
    staffed = {p.department_id for p in people}
    unstaffed = {t.lead for t in tasks} - staffed
    if unstaffed:
        for item in reader.items(root, "departments", "departments"):
            entries = reader.document.entries(item) if isinstance(item, MappingNode) else None
            ident = entries.get("id") if entries is not None else None
            if ident is not None and str(ident.value) in unstaffed:
                reader.warn(position(item), "plan.no_owner", department=str(ident.value))
    if not coordinators and "departments" in root:
        reader.warn(root.key_position("departments"), "plan.no_coordinators")


def calendar(reader: Fields, root: Entries, settings: PlanSettings, tasks: list[Task]) -> None:
    """Years the holiday data does not cover, pointed at ``plan.holidays`` (or ``plan``)."""
    if not tasks:
        return
    first = min(t.start for t in tasks)
    last = max(t.due for t in tasks)
    pos = root.key_position("plan")
    plan = root.get("plan")
    if isinstance(plan, MappingNode):
        entries = reader.document.entries(plan)
        if "holidays" in entries:
            pos = entries.value_position("holidays")
    for warning in WorkdayCalendar(settings.calendar).warnings_for(first, last):
        reader.problems.append(Problem(pos[0] + 1, pos[1] + 1, warning, Severity.WARNING))


def title_width(reader: Fields, title: str, node: Node) -> None:
    if len(title) <= TITLE_LIMIT:  # no title this short can be too wide: the common case
        return
    halves = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in title)
    characters = (halves + 1) // 2
    if characters > TITLE_LIMIT:
        reader.warn(position(node), "plan.long_title", length=characters, limit=TITLE_LIMIT)


def leaders(
    reader: Fields,
    root: Entries,
    escalation: tuple[EscalationRule, ...],
    departments: list[Department],
    tasks: list[Task],
) -> None:
    """A rung that writes to 分管领导 needs each lead department to name one."""
    if not any(Role.LEADER in rule.to for rule in escalation):
        return
    leads = {t.lead for t in tasks}
    lacking = [d.id for d in departments if d.id in leads and not d.leaders]
    if lacking:
        reader.warn(root.key_position("escalation"), "plan.no_leader", departments=lacking)


def scoring(reader: Fields, node: Entries, scheme: Scoring) -> None:
    """The scheme as a whole: parts that only make sense together."""
    at = position(node.node)
    if scheme.method is Method.AVERAGE and scheme.reporting is Reporting.RATE:
        total = scheme.task_share + scheme.report_share
        if abs(total - 1) > 1e-9:
            where = next((k for k in ("task_share", "report_share") if k in node), None)
            reader.error(
                node.value_position(where) if where else at,
                "plan.shares_not_whole",
                tasks=scheme.task_share,
                reports=scheme.report_share,
            )
    if scheme.method is Method.DEDUCTION and scheme.reporting is Reporting.RATE:
        where = next((k for k in ("reporting", "method", "preset") if k in node), None)
        reader.error(node.value_position(where) if where else at, "plan.rate_needs_average")
    if scheme.reporting is Reporting.DEDUCTION and not scheme.missed_report:
        where = "reporting" if "reporting" in node else None
        reader.error(node.value_position(where) if where else at, "plan.missed_report_needed")
