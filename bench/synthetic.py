"""Synthetic plans shaped like the shipped tasks.yaml, and a year of their progress reports.

Everything is drawn from a seeded ``random.Random``: the same size gives the same plan and
the same reports on every run, so two runs of the benchmarks measure the same work.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from superbot.domain.lights import expected_progress
from superbot.domain.model import Plan, State, Task

ZONE = ZoneInfo("Asia/Shanghai")
YEAR = 2022
REPORTS_PER_TASK = 12  # one a month, January to December
AS_OF = date(YEAR, 12, 31)  # the day statuses are assessed: every report counts

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华建国志晓峰燕雨婷思远欣然海波立新佳怡"
OFFICES = (
    "发改局",
    "经信局",
    "财政局",
    "人力社保局",
    "市场监管局",
    "统计局",
    "投资促进局",
    "住建局",
    "综合行政执法局",
    "金融工作服务中心",
    "科技局",
    "教育局",
    "卫健局",
)
UNITS = ("科", "处", "办", "中心", "管委会")
POSITIONS = ("局长", "副局长", "科长", "副科长", "科员", "主任", "副主任")
VERBS = ("推进", "实施", "完成", "加快", "开展", "深化", "落实", "启动", "建成", "培育")
NOUNS = (
    "高新技术产业投资",
    "研发投入",
    "高企培育",
    "创新平台",
    "科技金融",
    "人才集聚",
    "成果转化",
    "主导产业",
    "场景建设",
    "交通路网",
    "环境整治",
    "孵化器",
    "众创空间",
    "技术合同登记",
    "专利质押融资",
    "科技特派员",
    "产学研合作",
    "首台套装备",
)
ENDINGS = ("攻坚", "工程", "行动", "专项", "提升", "建设", "改革", "试点")
CAMPAIGN_KINDS = ("专项攻坚行动", "会战", "重点工作", "提质增效行动", "三年行动计划")
INDICATORS = (
    ("增速", "%", 15.0),
    ("完成率", "%", 100.0),
    ("新增数", "家", 150.0),
    ("投资额", "亿元", 5.0),
    ("引进人才", "名", 800.0),
    ("项目数", "个", 20.0),
)
DUE_DATES = (  # weighted like the shipped plan: most tasks run to the end of the year
    *(date(YEAR, 12, 31),) * 8,
    date(YEAR, 3, 31),
    date(YEAR, 6, 30),
    date(YEAR, 9, 30),
    date(YEAR + 1, 6, 30),
)


@dataclass(frozen=True)
class Shape:
    """How big a synthetic plan is."""

    tasks: int
    departments: int
    campaigns: int

    @classmethod
    def of(cls, tasks: int) -> Shape:
        """10 departments for 100 tasks, 50 for 1,000, 200 for 5,000; ~12 tasks a campaign."""
        departments = max(3, min(200, tasks // 20 if tasks > 100 else tasks // 10))
        return cls(tasks, departments, max(1, round(tasks / 12)))


def plan_yaml(shape: Shape, seed: int = 2022) -> str:
    """The text of a valid tasks.yaml for ``shape``, laid out the way people write it."""
    rng = random.Random(seed)
    lines = [
        "# 合成的督查清单：基准测试用，结构同仓库里的 tasks.yaml。",
        "plan:",
        f"  name: 基准测试区科技局 {YEAR} 年重点工作（{shape.tasks} 项）",
        "  timezone: Asia/Shanghai",
        f"  start: {YEAR}-01-01",
        "  holidays: cn",
        "  extra_holidays: []",
        "  extra_workdays: []",
        "  locale: zh-CN",
        "",
        "rules:",
        "  warn_workdays: 5",
        "  yellow_lag: 10",
        "  red_lag: 30",
        "  stale_days: 31",
        "",
        "schedules:",
        '  reminder: "0 9 20 * *"   # 每月 20 日提醒',
        '  bulletin: "0 9 1 * *"    # 每月 1 日通报',
        '  digest: "30 8 * * 1"',
        "",
        "departments:",
    ]
    department_ids = [f"dept-{n:03d}" for n in range(1, shape.departments + 1)]
    person = 0
    for n, ident in enumerate(department_ids):
        lines += [
            f"  - id: {ident}",
            f"    name: 区{OFFICES[n % len(OFFICES)]}第{n + 1}{rng.choice(UNITS)}",
            "    people:",
        ]
        for _ in range(rng.choice((2, 2, 3))):
            person += 1
            lines += [
                f"      - id: p{person:04d}",
                f"        name: {_person_name(rng)}",
                f"        position: {rng.choice(POSITIONS)}",
                f"        email: p{person:04d}@example.gov.cn",
            ]
        lines.append("")
    lines += [
        "coordinators: [p0001, p0002]",
        "",
        "broadcast:",
        "  telegram_chats: [-1001234567890]",
        "  emails: [leaders@example.gov.cn]",
        "  webhooks:",
        "    - kind: wecom",
        "      url_env: WECOM_URL",
        "",
        "campaigns:",
    ]
    per_campaign = _split(shape.tasks, shape.campaigns)
    task = 0
    for c, count in enumerate(per_campaign, start=1):
        lines += [
            "  # " + "-" * 75,
            f"  - id: c{c:03d}",
            f"    name: {rng.choice(NOUNS)}“{rng.choice(CAMPAIGN_KINDS)}”",
            f"    description: 围绕{rng.choice(NOUNS)}，按月督查通报，确保年度目标全面完成。",
            "    tasks:",
        ]
        for _ in range(count):
            task += 1
            lines += _task_lines(rng, f"c{c:03d}-{task}", department_ids)
    return "\n".join(lines) + "\n"


def _task_lines(rng: random.Random, ident: str, departments: list[str]) -> list[str]:
    lead = rng.choice(departments)
    support = rng.sample([d for d in departments if d != lead], k=rng.choice((0, 1, 2, 3)))
    due = rng.choice(DUE_DATES)
    noun = rng.choice(NOUNS)
    lines = [
        f"      - id: {ident}",
        f"        title: {rng.choice(VERBS)}{noun}{rng.choice(ENDINGS)}",
        f"        description: 以{rng.choice(NOUNS)}为抓手，{rng.choice(VERBS)}{noun}，"
        f"确保{due.month}月底前完成年度任务。",
        f"        lead: {lead}",
    ]
    if support:
        lines.append(f"        support: [{', '.join(support)}]")
    if rng.random() < 0.15:
        lines.append(f"        start: {date(YEAR, rng.randint(2, min(due.month, 6)), 1)}")
    lines.append(f"        due: {due.isoformat()}")
    if rng.random() < 1 / 3:
        lines.append("        indicators:")
        for k, (what, unit, target) in enumerate(rng.sample(INDICATORS, k=rng.choice((1, 2)))):
            lines += [
                f"          - id: ind{k + 1}",
                f"            name: {noun}{what}",
                f'            unit: "{unit}"',
                f"            target: {target:g}",
            ]
    lines.append("")
    return lines


def _person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))


def _split(total: int, parts: int) -> list[int]:
    """``total`` tasks over ``parts`` campaigns, every campaign with at least one."""
    base, extra = divmod(total, parts)
    return [base + (1 if n < extra else 0) for n in range(parts)]


# -- progress reports ------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthlyReport:
    """One row of the ``report`` table, as the bot would have written it."""

    task_id: str
    person_id: str | None
    at: datetime  # aware UTC
    percent: int
    state: State | None
    note: str | None
    values: dict[str, float]


def monthly_reports(plan: Plan, seed: int = 2022) -> Iterator[MonthlyReport]:
    """Twelve reports per task, one around the 20th of each month, percent near schedule.

    Some owners run ahead, most a little behind, a few far behind or blocked: the lights at
    the end of the year come out as a real 通报 shows them, every colour present.
    """
    rng = random.Random(seed)
    owners: dict[str, list[str]] = {}
    for person in plan.people:
        owners.setdefault(person.department_id, []).append(person.id)
    for task in plan.tasks:
        pace = rng.choice((1.1, 1.0, 1.0, 0.9, 0.9, 0.8, 0.6, 0.3))
        for month in range(1, REPORTS_PER_TASK + 1):
            day = date(YEAR, month, rng.randint(18, 26))
            local = datetime.combine(day, time(rng.randint(9, 17), rng.randint(0, 59)), ZONE)
            percent = _reported_percent(task, day, pace, rng)
            yield MonthlyReport(
                task_id=task.id,
                person_id=rng.choice(owners[task.lead]),
                at=local.astimezone(UTC),
                percent=percent,
                state=_reported_state(percent, pace, rng),
                note=f"{month}月已{rng.choice(VERBS)}相关工作，进度{percent}%。"
                if rng.random() < 0.5
                else None,
                values={
                    ind.id: round((ind.target or 1) * percent / 100 * rng.uniform(0.8, 1.2), 2)
                    for ind in task.indicators
                },
            )


def _reported_percent(task: Task, day: date, pace: float, rng: random.Random) -> int:
    planned = expected_progress(task.start, task.due, day)
    return max(0, min(100, round(planned * pace + rng.uniform(-5, 5))))


def _reported_state(percent: int, pace: float, rng: random.Random) -> State | None:
    if percent >= 100:
        return State.DONE
    if pace < 0.5 and rng.random() < 0.3:
        return State.BLOCKED
    if pace < 0.9 and rng.random() < 0.2:
        return State.AT_RISK
    return State.ON_TRACK if rng.random() < 0.3 else None
