"""Views built by hand for the render tests: no plan, one task, the shipped plan, 2,000 tasks.

The lights are the real ones (``assess_tasks``); the reports are invented, the same every
run, so that every light, state and kind of note shows up somewhere.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from superbot.domain.ladder import EscalationDocument
from superbot.domain.lights import Light
from superbot.domain.model import (
    BulletinIssue,
    Campaign,
    Department,
    DocumentKind,
    EscalationRule,
    Indicator,
    Person,
    Plan,
    PlanSettings,
    Report,
    State,
    Task,
)
from superbot.domain.periods import Period, month_of, week_before
from superbot.domain.review import Due, Request, RequestKind
from superbot.plan.load import read_plan_file
from superbot.service.bulletin import MonthFacts, compose_bulletin
from superbot.service.history import Field, TaskChange
from superbot.service.outcomes import Evidence
from superbot.service.ports import PlanNotice
from superbot.service.review import Waiting
from superbot.service.status import LoopFacts, TaskStatus, assess_tasks
from superbot.service.store import ActivePlan, PlanVersion
from superbot.service.views import (
    Bulletin,
    DigestView,
    Escalation,
    FailedDelivery,
    LightCounts,
    ReminderView,
    ReportLine,
    Silence,
)

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_TASKS = ROOT / "tests" / "plan.yaml"
ZONE = ZoneInfo("Asia/Shanghai")
TRICKY = "R&D <核心> & “引号”"
MONTH = month_of(date(2022, 6, 1))
AS_OF = MONTH.last  # lights at the end of June
DIGEST_DAY = date(2022, 6, 27)  # a Monday: the digest covers 20–26 June
REMINDER_DAY = date(2022, 6, 20)


@dataclass(frozen=True)
class Case:
    """Every view of one plan."""

    name: str
    plan: Plan
    statuses: tuple[TaskStatus, ...]
    bulletin: Bulletin
    digest: DigestView
    reminders: tuple[ReminderView, ...]  # one per lead department with an owner
    notices: tuple[PlanNotice, ...]


# -- plans ---------------------------------------------------------------------------------


def empty_plan() -> Plan:
    """No tasks; one department with an owner, so that an empty reminder renders too."""
    return Plan(
        settings=PlanSettings(name="空白计划", start=date(2022, 1, 1), coordinators=("wang",)),
        departments=(Department("dck", "督查科"),),
        people=(Person("wang", "王丽", "dck"),),
    )


def one_task_plan() -> Plan:
    department = Department("rd", f"{TRICKY} 研发中心")
    owner = Person("owner", "张三", "rd", email="zhang@example.gov.cn", telegram=123456789)
    coordinator = Person("coord", "王丽", "rd", email="wangli@example.gov.cn")
    task = Task(
        id="rd-1",
        campaign_id="c1",
        title=f"{TRICKY} 攻关",
        lead="rd",
        start=date(2022, 1, 1),
        due=date(2022, 12, 31),
        indicators=(Indicator("patents", "发明专利授权", "件", 12),),
    )
    return Plan(
        settings=PlanSettings(
            name=f"{TRICKY} 计划", start=date(2022, 1, 1), coordinators=("coord",)
        ),
        departments=(department,),
        people=(owner, coordinator),
        campaigns=(Campaign("c1", f"{TRICKY} 专项"),),
        tasks=(task,),
    )


@cache
def shipped_plan() -> Plan:
    result = read_plan_file(SHIPPED_TASKS)
    assert result.plan is not None, result.problems
    plan = result.plan
    # One title a person might really write, to prove it survives every format.
    first = dataclasses.replace(plan.tasks[0], title=f"{TRICKY} 高新技术产业投资攻坚")
    return dataclasses.replace(plan, tasks=(first, *plan.tasks[1:]))


def huge_plan(tasks: int = 2000, departments: int = 300, campaigns: int = 40) -> Plan:
    depts = tuple(
        Department(f"d{i}", f"第{i}号单位（区科技创新和产业促进服务中心{TRICKY}）")
        for i in range(departments)
    )
    people = tuple(
        Person(f"p{i}-{j}", f"责任人{i}之{j}", f"d{i}") for i in range(departments) for j in (1, 2)
    )
    camps = tuple(
        Campaign(f"c{i}", f"第{i}个专项行动：科技创新提质增效攻坚") for i in range(campaigns)
    )
    items = tuple(
        Task(
            id=f"t{i}",
            campaign_id=f"c{i % campaigns}",
            title=f"第{i}项重点任务：推进{TRICKY}产业园区和创新平台建设",
            lead=f"d{i % departments}",
            start=date(2022, 1, 1),
            due=date(2022, 7, 1) + timedelta(days=i % 200) if i % 3 else date(2022, 6, 1),
            support=(f"d{(i + 1) % departments}", f"d{(i + 2) % departments}"),
        )
        for i in range(tasks)
    )
    return Plan(
        settings=PlanSettings(name="超大计划", start=date(2022, 1, 1), coordinators=("p0-1",)),
        departments=depts,
        people=people,
        campaigns=camps,
        tasks=items,
    )


def active(plan: Plan) -> ActivePlan:
    return ActivePlan(
        settings=plan.settings,
        departments={d.id: d for d in plan.departments},
        people={p.id: p for p in plan.people},
        campaigns={c.id: c for c in plan.campaigns},
        tasks=list(plan.tasks),
        coordinators=plan.settings.coordinators,
        accounts={p.id: p.accounts for p in plan.people},
    )


# -- reports -------------------------------------------------------------------------------


def at(day: date) -> datetime:
    return datetime.combine(day, time(10, 30), ZONE)


def invented_reports(plan: Plan, until: date) -> dict[str, Report]:
    """The latest report of each task on ``until``: a mix of every kind."""
    reports: dict[str, Report] = {}
    owners = {p.department_id: p.id for p in reversed(plan.people)}
    for i, task in enumerate(plan.tasks):
        kind = i % 8
        day = until - timedelta(days=(i * 5) % 45)
        person = owners.get(task.lead)
        values = {ind.id: round(ind.target * 0.4, 1) for ind in task.indicators if ind.target}
        report: Report | None
        if kind == 0:
            report = None
        elif kind == 1:
            report = Report(task.id, at(day), 100, State.DONE, "已按计划完成，材料已报送。", person)
        elif kind == 2:
            report = Report(
                task.id, at(day), 30, State.BLOCKED, f"{TRICKY}：用地指标未落实", person
            )
        elif kind == 3:
            report = Report(task.id, at(day), 40, State.AT_RISK, "资金拨付进度偏慢", person)
        elif kind == 4:
            report = Report(task.id, at(day), 10, None, None, person)
        elif kind == 5:
            report = Report(task.id, at(day), 50, State.ON_TRACK, "按计划推进", person, values)
        elif kind == 6:
            note = "已完成前期调研、方案编制和专家论证，正在组织实施，" * 4
            report = Report(task.id, at(day), 80, State.ON_TRACK, note, person, values)
        else:
            report = Report(task.id, at(day), 60, None, "<script>alert(1)</script>", person)
        if report is not None and report.at.date() <= until:
            reports[task.id] = report
    return reports


# -- views ---------------------------------------------------------------------------------


def by_severity(statuses: Sequence[TaskStatus]) -> tuple[TaskStatus, ...]:
    return tuple(sorted(statuses, key=lambda s: (s.light.severity, s.task.due)))


def statuses_of(plan: Plan, reports: Mapping[str, Report], as_of: date) -> tuple[TaskStatus, ...]:
    return tuple(assess_tasks(active(plan), reports, as_of))


def claims(plan: Plan, reports: Mapping[str, Report]) -> dict[str, date]:
    """One task whose owner said done at the month's end and waits for review (待审核)."""
    open_ = [t for t in plan.tasks if t.id in reports and reports[t.id].state is State.ON_TRACK]
    return {open_[0].id: AS_OF - timedelta(days=2)} if open_ else {}


def change_of(plan: Plan) -> tuple[TaskChange, ...]:
    """A due date moved by editing tasks.yaml, as the next 通报 and the digest say it."""
    if not plan.tasks:
        return ()
    task = plan.tasks[-1]
    version = PlanVersion(2, 2, at(AS_OF - timedelta(days=5)), "tasks.yaml", "0" * 64)
    moved = task.due + timedelta(days=92)
    return (
        TaskChange(version, version.at.date(), task.id, task.title, Field.DUE, task.due, moved),
    )


def escalations_of(view: Bulletin) -> tuple[Escalation, ...]:
    """A 督办单 for the worst red task and a 专函 for the next, as the ladder would fire them."""
    fired = []
    for number, (item, kind) in enumerate(
        zip(view.red, (DocumentKind.NOTICE, DocumentKind.LETTER), strict=False), start=7
    ):
        rule = EscalationRule("yellow" if kind is DocumentKind.NOTICE else "red", 2, kind)
        document = EscalationDocument(
            kind=kind,
            rung=0 if kind is DocumentKind.NOTICE else 1,
            task_id=item.task.id,
            department_id=item.lead.id,
            period=view.period.key,
            issued_on=view.issued_on,
            reply_by=view.issued_on + timedelta(days=14),
            light=item.assessment.scored,
            streak=2,
            percent=item.assessment.percent,
            due=item.task.due,
            rule=rule,
            reasons=item.reasons,
            year=view.issued_on.year,
            number=number,
            id=number,
        )
        fired.append(Escalation(item, document))
    return tuple(fired)


def bulletin_view(
    plan: Plan,
    reports: Mapping[str, Report],
    period: Period,
    issued_on: date | None = None,
    *,
    supervised: bool = False,
) -> Bulletin:
    """The real composition (``compose_bulletin``) over the invented reports; ``supervised``
    adds a claim waiting for review, a plan edit and the documents the ladder fired."""
    facts = MonthFacts(
        before={t: r for t, r in reports.items() if r.at.astimezone(ZONE).date() < period.first},
        at_end=reports,
        reported=frozenset(t for t, r in reports.items() if r.at.astimezone(ZONE).date() in period),
        values={
            (t, indicator): (value, r.at)
            for t, r in reports.items()
            for indicator, value in r.values.items()
        },
        loop=LoopFacts(claims=claims(plan, reports)) if supervised else LoopFacts(),
        changes=change_of(plan) if supervised else (),
    )
    day = issued_on or period.last + timedelta(days=1)
    issue = BulletinIssue(period.key, period.first.year, period.first.month, day)
    view = compose_bulletin(active(plan), period, issue, facts)
    return dataclasses.replace(view, escalations=escalations_of(view)) if supervised else view


def reminder_views(
    plan: Plan, reports: Mapping[str, Report], day: date
) -> tuple[ReminderView, ...]:
    statuses = statuses_of(plan, reports, day)
    coordinators = tuple(p for p in plan.people if p.id in plan.settings.coordinators)
    views = []
    for department in plan.departments:
        owners = [p for p in plan.people if p.department_id == department.id]
        open_tasks = [
            s for s in statuses if s.task.lead == department.id and s.light is not Light.DONE
        ]
        if owners and (open_tasks or not plan.tasks):
            views.append(
                ReminderView(
                    person=owners[0],
                    department=department,
                    period=month_of(day),
                    as_of=day,
                    tasks=by_severity(open_tasks),
                    coordinators=coordinators,
                )
            )
    return tuple(views)


def digest_view(
    plan: Plan, reports: Mapping[str, Report], day: date, *, supervised: bool = False
) -> DigestView:
    week = week_before(day)
    now = statuses_of(plan, reports, day)
    before = {s.task.id: s.light for s in statuses_of(plan, reports, week.first)}
    people = {p.id: p for p in plan.people}
    tasks = {t.id: t for t in plan.tasks}
    lines = tuple(
        ReportLine(r, tasks[r.task_id], people.get(r.person_id or ""))
        for r in reports.values()
        if r.at.astimezone(ZONE).date() in week
    )

    def new(light: Light) -> tuple[TaskStatus, ...]:
        return tuple(s for s in now if s.light is light and before.get(s.task.id) is not light)

    silent_since = day - timedelta(days=31)
    silent_tasks: dict[str, list[Task]] = defaultdict(list)
    for s in now:
        last = s.assessment.last_report
        if s.light is not Light.DONE and (last is None or last < silent_since):
            silent_tasks[s.task.lead].append(s.task)
    departments = {d.id: d for d in plan.departments}
    failed = (
        (
            FailedDelivery(
                "bulletin",
                "2022-05",
                "telegram",
                "123456789",
                "张三",
                "telegram: Forbidden: bot was blocked by the user",
                None,
            ),
            FailedDelivery(
                "reminder",
                "2022-06",
                "email",
                "bad@example",
                None,
                f"email: recipient refused: 550 {TRICKY}",
                None,
            ),
        )
        if plan.tasks
        else ()
    )
    return DigestView(
        plan_name=plan.settings.name,
        period=week,
        as_of=day,
        counts=LightCounts.of(now),
        reports=lines,
        new_red=new(Light.RED),
        new_yellow=new(Light.YELLOW),
        completed=new(Light.DONE),
        silent=tuple(
            Silence(
                departments[d], tuple(p for p in plan.people if p.department_id == d), tuple(ts)
            )
            for d, ts in silent_tasks.items()
        ),
        silent_since=silent_since,
        upcoming=by_severity(
            [
                s
                for s in now
                if s.light is not Light.DONE and day <= s.task.due <= day + timedelta(days=14)
            ]
        ),
        failed=failed,
        plan_changes=change_of(plan) if supervised else (),
        waiting=waiting_of(plan, reports, day) if supervised else (),
    )


def waiting_of(plan: Plan, reports: Mapping[str, Report], day: date) -> tuple[Waiting, ...]:
    """A 办结申请 with its evidence and a 延期申请, waiting for the coordinators."""
    if not plan.tasks:
        return ()
    departments = {d.id: d for d in plan.departments}
    people = {p.department_id: p for p in plan.people}
    first, last = plan.tasks[0], plan.tasks[-1]
    asked = at(day - timedelta(days=3))
    claim = Request(RequestKind.DONE, first.id, asked, people[first.lead].id, report_id=1)
    extension = Request(
        RequestKind.EXTENSION,
        last.id,
        asked,
        people[last.lead].id,
        due_from=last.due,
        due_to=last.due + timedelta(days=92),
        reason=f"{TRICKY} 土地审批未完成",
    )
    evidence = (Evidence("验收报告 <终稿>.pdf", "ab" * 32, 245_760),)
    return (
        Waiting(
            claim,
            first,
            departments[first.lead],
            people[first.lead],
            Due(first.due),
            asked,
            reports.get(first.id),
            evidence,
        ),
        Waiting(extension, last, departments[last.lead], people[last.lead], Due(last.due), asked),
    )


def notices(plan: Plan) -> tuple[PlanNotice, ...]:
    if not plan.tasks:
        return (PlanNotice("tasks.yaml", (), applied=True),)
    problems = tuple(
        f"tasks.yaml:{40 + i}:9: 任务 {t.id} 的标题 “{t.title}” 有误 <{i}> & 需修改"
        for i, t in enumerate(plan.tasks)
    )
    diff = tuple(f"~ {t.id} {t.title}" for t in plan.tasks[:3])
    return (
        PlanNotice("tasks.yaml", problems, applied=False),
        PlanNotice("tasks.yaml", diff, applied=True),
    )


def case(name: str, plan: Plan, *, supervised: bool = False) -> Case:
    """Every view of ``plan``; ``supervised``: with what the supervision loop adds (待审核,
    督办事项, plan edits, the review queue)."""
    reports = invented_reports(plan, AS_OF)
    digest_reports = invented_reports(plan, DIGEST_DAY)
    return Case(
        name=name,
        plan=plan,
        statuses=statuses_of(plan, reports, AS_OF),
        bulletin=bulletin_view(plan, reports, MONTH, supervised=supervised),
        digest=digest_view(plan, digest_reports, DIGEST_DAY, supervised=supervised),
        reminders=reminder_views(plan, invented_reports(plan, REMINDER_DAY), REMINDER_DAY),
        notices=notices(plan),
    )


@cache
def cases() -> dict[str, Case]:
    return {
        "empty": case("empty", empty_plan()),
        "one": case("one", one_task_plan()),
        "shipped": case("shipped", shipped_plan()),
        "supervised": case("supervised", shipped_plan(), supervised=True),
    }


@cache
def huge() -> Case:
    return case("huge", huge_plan())
