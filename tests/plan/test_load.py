"""tasks.yaml validation: every error kind with its line and column, all at once, no traceback."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest

from superbot.domain.calendar import Holidays
from superbot.domain.model import RobotKind, Rules, ScheduleKind
from superbot.plan.load import LoadResult, Problem, Severity, parse_plan, read_plan_file
from superbot.render.environment import Texts, make_environment

SHIPPED = Path(__file__).resolve().parents[1] / "plan.yaml"
SAY = Texts(make_environment())

# A small valid plan; the cases below change one line of it. Line numbers for reference:
#  1 plan:            5 - id: gxk        10 - id: fgj       15 coordinators     20 - id: t1
#  2   name           6   name           11   name          16 campaigns        21   title
#  3   start          7   people         12   people        17 - id: c1         22   lead
#  4 departments      8   - id: zhang    13   - id: li      18   name           23   support
#                     9     name         14     name        19   tasks          24   due
MINIMAL = textwrap.dedent(
    """\
    plan:
      name: 测试计划
      start: 2022-01-01
    departments:
      - id: gxk
        name: 高新科
        people:
          - id: zhang
            name: 张三
      - id: fgj
        name: 发改局
        people:
          - id: li
            name: 李四
    coordinators: [zhang]
    campaigns:
      - id: c1
        name: 专项一
        tasks:
          - id: t1
            title: 任务一
            lead: gxk
            support: [fgj]
            due: 2022-12-31
    """
)


def edit(old: str, new: str, source: str = MINIMAL) -> str:
    """``source`` with the one line ``old`` replaced by ``new`` (which may be several lines)."""
    lines = source.splitlines(keepends=True)
    hits = [i for i, line in enumerate(lines) if line.strip() == old.strip()]
    assert len(hits) == 1, f"{old!r} is not exactly one line of the source"
    lines[hits[0]] = new + "\n" if new else ""
    return "".join(lines)


def parse(source: str | bytes) -> LoadResult:
    return parse_plan(source.encode() if isinstance(source, str) else source, "tasks.yaml")


def positions(problems: tuple[Problem, ...]) -> list[tuple[int, int, str]]:
    return [(p.line, p.col, p.text.key) for p in problems]


def test_the_minimal_plan_is_valid() -> None:
    result = parse(MINIMAL)
    assert result.problems == ()
    assert result.ok
    assert result.plan is not None
    assert [t.id for t in result.plan.tasks] == ["t1"]
    assert result.plan.tasks[0].start == date(2022, 1, 1)
    assert result.plan.settings.coordinators == ("zhang",)


# -- every error kind, with its line and column ---------------------------------------------

ERRORS = [
    # unknown fields
    pytest.param(
        edit("        title: 任务一", "        tittle: 任务一"),
        [(21, 9, "plan.unknown_field")],
        id="unknown-task-field-tittle",
    ),
    pytest.param(
        edit("due: 2022-12-31", "        due: 2022-12-31\n        owner: 张三"),
        [(25, 9, "plan.unknown_field")],
        id="unknown-task-field-without-suggestion",
    ),
    pytest.param(
        edit("  start: 2022-01-01", "  start: 2022-01-01\n  timezon: Asia/Shanghai"),
        [(4, 3, "plan.unknown_field")],
        id="unknown-plan-field",
    ),
    pytest.param(
        edit("        name: 张三", "        name: 张三\n        mail: zhang@example.gov.cn"),
        [(10, 9, "plan.unknown_field")],
        id="unknown-person-field",
    ),
    pytest.param(
        MINIMAL + "rule:\n  red_lag: 20\n",
        [(25, 1, "plan.unknown_field")],
        id="unknown-top-level-field",
    ),
    # missing required fields
    pytest.param(
        edit("  name: 测试计划", ""), [(2, 3, "plan.missing_field")], id="missing-plan-name"
    ),
    pytest.param(
        edit("due: 2022-12-31", ""), [(20, 9, "plan.missing_field")], id="missing-task-due"
    ),
    pytest.param(
        edit("        lead: gxk", ""), [(20, 9, "plan.missing_field")], id="missing-task-lead"
    ),
    pytest.param(
        edit("        title: 任务一", '        title: ""'),
        [(21, 16, "plan.missing_field")],
        id="empty-task-title",
    ),
    pytest.param(
        edit("    name: 高新科", ""), [(5, 5, "plan.missing_field")], id="missing-department-name"
    ),
    pytest.param(
        edit("        name: 张三", ""), [(8, 9, "plan.missing_field")], id="missing-person-name"
    ),
    pytest.param(
        edit("  - id: c1", "  - name: 无编号专项").replace("    name: 专项一\n", ""),
        [(17, 5, "plan.missing_field")],
        id="missing-campaign-id",
    ),
    pytest.param(
        "plan:\n  name: 测试\ndepartments: []\n",
        [(1, 1, "plan.missing_field")],
        id="missing-campaigns-section",
    ),
    # wrong types
    pytest.param(
        MINIMAL + "rules:\n  red_lag: high\n",
        [(26, 12, "plan.wrong_type")],
        id="string-for-integer-rule",
    ),
    pytest.param(
        MINIMAL + "rules:\n  yellow_lag: 12.5\n",
        [(26, 15, "plan.wrong_type")],
        id="number-for-integer-rule",
    ),
    pytest.param(
        edit("        title: 任务一", "        title: [任务一]"),
        [(21, 16, "plan.wrong_type")],
        id="list-for-title",
    ),
    pytest.param(
        edit("        title: 任务一", "        title: true"),
        [(21, 16, "plan.wrong_type")],
        id="bool-for-title",
    ),
    pytest.param(
        edit("due: 2022-12-31", "        due: 20221231"),
        [(24, 14, "plan.wrong_type")],
        id="number-for-date",
    ),
    pytest.param(
        edit("        support: [fgj]", "        support: {fgj: 1}"),
        [(23, 18, "plan.wrong_type")],
        id="mapping-for-list",
    ),
    pytest.param(
        edit("coordinators: [zhang]", "coordinators: zhang"),
        [(15, 15, "plan.wrong_type")],
        id="string-for-list",
    ),
    pytest.param(
        MINIMAL.replace("    people:\n      - id: li\n        name: 李四\n", "    people: 李四\n"),
        [(12, 13, "plan.wrong_type")],
        id="string-for-people",
    ),
    pytest.param(
        "plan: 测试计划\ndepartments: []\ncampaigns: []\n",
        [(1, 7, "plan.wrong_type")],
        id="string-for-plan-mapping",
    ),
    pytest.param(
        MINIMAL.replace(
            "    people:\n      - id: li\n        name: 李四\n", "    people: [李四]\n"
        ),
        [(12, 14, "plan.wrong_type")],
        id="string-for-a-person",
    ),
    pytest.param(
        MINIMAL + "  - id: c2\n    name: 专项二\n    tasks:\n      - 任务二\n",
        [(28, 9, "plan.wrong_type")],
        id="string-for-a-task",
    ),
    pytest.param(
        edit(
            "due: 2022-12-31",
            "        due: 2022-12-31\n        indicators:\n          - id: invest\n"
            "            target: 十五",
        ),
        [(26, 13, "plan.missing_field"), (27, 21, "plan.wrong_type")],
        id="indicator-without-name-and-with-a-word-for-target",
    ),
    pytest.param(
        edit("  start: 2022-01-01", "  start: 2022-01-01\n  extra_holidays: 2022-10-10"),
        [(4, 19, "plan.wrong_type")],
        id="date-for-a-list-of-dates",
    ),
    pytest.param(
        MINIMAL + "schedules:\n  reminder: 5\n",
        [(26, 13, "plan.wrong_type")],
        id="number-for-crontab",
    ),
    pytest.param(
        edit("        name: 张三", "        name: 张三\n        telegram: '@zhangsan'"),
        [(10, 19, "plan.bad_telegram_user")],
        id="username-for-telegram-id",
    ),
    # bad ids
    pytest.param(
        edit("  - id: t1", "      - id: T1"), [(20, 13, "plan.bad_id")], id="task-id-uppercase"
    ),
    pytest.param(
        edit("  - id: t1", "      - id: _t1"),
        [(20, 13, "plan.bad_id")],
        id="task-id-underscore-first",
    ),
    pytest.param(
        edit("  - id: c1", "  - id: 专项1"), [(17, 9, "plan.bad_id")], id="campaign-id-chinese"
    ),
    pytest.param(
        edit("  - id: t1", "      - id: " + "t" * 65),
        [(20, 13, "plan.id_too_long")],
        id="task-id-longer-than-the-database-column",
    ),
    pytest.param(
        edit("coordinators: [zhang]", "coordinators: [zhang san]"),
        [(15, 16, "plan.bad_id")],
        id="coordinator-id-with-space",
    ),
    # duplicate ids: at the second occurrence, naming the first line
    pytest.param(
        MINIMAL + "  - id: c2\n    name: 专项二\n    tasks:\n      - id: t1\n"
        "        title: 重复\n        lead: gxk\n        due: 2022-12-31\n",
        [(28, 13, "plan.duplicate_id")],
        id="duplicate-task-across-campaigns",
    ),
    pytest.param(
        edit("      - id: li", "      - id: zhang"),
        [(13, 13, "plan.duplicate_id")],
        id="duplicate-person-across-departments",
    ),
    pytest.param(
        MINIMAL + "  - id: c1\n    name: 专项二\n",
        [(25, 9, "plan.duplicate_id")],
        id="duplicate-campaign",
    ),
    pytest.param(
        edit(
            "due: 2022-12-31",
            "        due: 2022-12-31\n        indicators:\n          - id: invest\n"
            "            name: 投资增速\n          - id: invest\n            name: 投资额",
        ),
        [(28, 17, "plan.duplicate_id")],
        id="duplicate-indicator-in-a-task",
    ),
    pytest.param(
        edit("coordinators: [zhang]", "coordinators: [zhang, zhang]"),
        [(15, 23, "plan.duplicate_in_list")],
        id="coordinator-listed-twice",
    ),
    pytest.param(
        edit("        support: [fgj]", "        support: [fgj, fgj]"),
        [(23, 24, "plan.duplicate_in_list")],
        id="support-listed-twice",
    ),
    # references
    pytest.param(
        edit("        lead: gxk", "        lead: gxx"),
        [(22, 15, "plan.unknown_ref")],
        id="unknown-lead",
    ),
    pytest.param(
        edit("        support: [fgj]", "        support: [fgi]"),
        [(23, 19, "plan.unknown_ref")],
        id="unknown-support",
    ),
    pytest.param(
        edit("coordinators: [zhang]", "coordinators: [zhagn]"),
        [(15, 16, "plan.unknown_ref")],
        id="unknown-coordinator",
    ),
    pytest.param(
        edit("        support: [fgj]", "        support: [gxk]"),
        [(23, 19, "plan.lead_in_support")],
        id="lead-listed-in-support",
    ),
    # dates
    pytest.param(
        edit("due: 2022-12-31", "        due: 2022-02-30"),
        [(24, 14, "plan.impossible_date")],
        id="february-30",
    ),
    pytest.param(
        edit("due: 2022-12-31", "        due: 2022-13-01"),
        [(24, 14, "plan.impossible_date")],
        id="month-13",
    ),
    pytest.param(
        edit("due: 2022-12-31", "        due: 2022/12/31"),
        [(24, 14, "plan.bad_date_format")],
        id="slashes",
    ),
    pytest.param(
        edit("due: 2022-12-31", "        due: 2022-6-30"),
        [(24, 14, "plan.bad_date_format")],
        id="one-digit-month",
    ),
    pytest.param(
        edit("due: 2022-12-31", "        due: 6月底"),
        [(24, 14, "plan.bad_date_format")],
        id="words",
    ),
    pytest.param(
        edit("  start: 2022-01-01", "  start: 2022-02-29"),
        [(3, 10, "plan.impossible_date")],
        id="plan-start-not-a-leap-year",
    ),
    pytest.param(
        edit("due: 2022-12-31", "        start: 2022-07-01\n        due: 2022-06-30"),
        [(25, 14, "plan.due_before_start")],
        id="due-before-task-start",
    ),
    pytest.param(
        edit("due: 2022-12-31", "        due: 2021-12-31"),
        [(24, 14, "plan.due_before_start")],
        id="due-before-plan-start-default",
    ),
    pytest.param(
        edit("  start: 2022-01-01", ""), [(19, 9, "plan.missing_start")], id="no-start-anywhere"
    ),
    pytest.param(
        edit(
            "  start: 2022-01-01", "  start: 2022-01-01\n  extra_holidays: [2022-10-10, 2022-10-32]"
        ),
        [(4, 32, "plan.impossible_date")],
        id="impossible-extra-holiday",
    ),
    pytest.param(
        edit(
            "  start: 2022-01-01",
            "  start: 2022-01-01\n  extra_holidays: [2022-10-08]\n  extra_workdays: [2022-10-08]",
        ),
        [(5, 19, "plan.day_both_ways")],
        id="day-both-holiday-and-workday",
    ),
    # crontab: the column points into the quoted string, at the bad field
    pytest.param(
        MINIMAL + 'schedules:\n  reminder: "0 9 32 * *"\n',
        [(26, 18, "plan.bad_schedule")],
        id="crontab-day-32-double-quoted",
    ),
    pytest.param(
        MINIMAL + "schedules:\n  bulletin: '0 9 1 13 *'\n",
        [(26, 20, "plan.bad_schedule")],
        id="crontab-month-13-single-quoted",
    ),
    pytest.param(
        MINIMAL + "schedules:\n  digest: 30 8 * * 8\n",
        [(26, 20, "plan.bad_schedule")],
        id="crontab-weekday-8-unquoted",
    ),
    pytest.param(
        MINIMAL + 'schedules:\n  digest: "30 25 * * 1"\n',
        [(26, 15, "plan.bad_schedule")],
        id="crontab-hour-25",
    ),
    pytest.param(
        MINIMAL + 'schedules:\n  bulletin: "0 9 30 2 *"\n',
        [(26, 18, "plan.bad_schedule")],
        id="crontab-never-fires-february-30",
    ),
    pytest.param(
        MINIMAL + 'schedules:\n  reminder: "0 9 20 *"\n',
        [(26, 22, "plan.bad_schedule")],
        id="crontab-four-fields",
    ),
    pytest.param(
        MINIMAL + 'schedules:\n  weekly: "30 8 * * 1"\n',
        [(26, 3, "plan.unknown_field")],
        id="unknown-schedule-name",
    ),
    # timezone, holidays, locale
    pytest.param(
        edit("  start: 2022-01-01", "  start: 2022-01-01\n  timezone: Asia/Shanghia"),
        [(4, 13, "plan.unknown_timezone")],
        id="timezone-typo",
    ),
    pytest.param(
        edit("  start: 2022-01-01", "  start: 2022-01-01\n  holidays: china"),
        [(4, 13, "plan.bad_choice")],
        id="holidays-china",
    ),
    pytest.param(
        edit("  start: 2022-01-01", "  start: 2022-01-01\n  holidays: true"),
        [(4, 13, "plan.bad_choice")],
        id="holidays-true",
    ),
    pytest.param(
        edit("  start: 2022-01-01", "  start: 2022-01-01\n  locale: zh"),
        [(4, 11, "plan.bad_choice")],
        id="locale-zh",
    ),
    # rules
    pytest.param(
        MINIMAL
        + "rules:\n  warn_workdays: -1\n  yellow_lag: 101\n  red_lag: 101\n  stale_days: 0\n",
        [
            (26, 18, "plan.out_of_range"),
            (27, 15, "plan.out_of_range"),
            (28, 12, "plan.out_of_range"),
            (29, 15, "plan.out_of_range"),
        ],
        id="rules-out-of-range",
    ),
    pytest.param(
        MINIMAL + "rules:\n  yellow_lag: 20\n  red_lag: 15\n",
        [(27, 12, "plan.red_below_yellow")],
        id="red-lag-below-yellow-lag",
    ),
    pytest.param(
        MINIMAL + "rules:\n  yellow_lag: 40\n",
        [(26, 3, "plan.red_below_yellow")],
        id="yellow-lag-above-default-red-lag",
    ),
    # emails, broadcast, webhooks
    pytest.param(
        edit("        name: 张三", "        name: 张三\n        email: zhang@example"),
        [(10, 16, "plan.bad_email")],
        id="bad-person-email",
    ),
    pytest.param(
        MINIMAL + "broadcast:\n  emails: [leaders@example.gov.cn, 领导邮箱]\n",
        [(26, 36, "plan.bad_email")],
        id="bad-broadcast-email",
    ),
    pytest.param(
        MINIMAL + "broadcast:\n  telegram_chats: [-1001234567890, 0, 群]\n",
        [(26, 36, "plan.bad_telegram_chat"), (26, 39, "plan.bad_telegram_chat")],
        id="bad-telegram-chats",
    ),
    pytest.param(
        MINIMAL + "broadcast:\n  webhooks:\n    - kind: wechat\n      url_env: WECOM_URL\n",
        [(27, 13, "plan.bad_choice")],
        id="bad-webhook-kind",
    ),
    pytest.param(
        MINIMAL + "broadcast:\n  webhooks:\n    - kind: wecom\n"
        "      url_env: https://qyapi.weixin.qq.com/x\n      secret_env: my secret\n",
        [(28, 16, "plan.bad_env_name"), (29, 19, "plan.bad_env_name")],
        id="urls-and-secrets-instead-of-env-names",
    ),
    pytest.param(
        MINIMAL + "broadcast:\n  webhooks:\n    - kind: dingtalk\n",
        [(27, 7, "plan.missing_field")],
        id="webhook-without-url-env",
    ),
    # duplicate YAML keys: the rest of the file is still checked
    pytest.param(
        edit("        lead: gxk", "        lead: gxk\n        lead: fgj"),
        [(23, 9, "plan.duplicate_key")],
        id="duplicate-key-in-a-task",
    ),
    pytest.param(
        MINIMAL + "plan:\n  name: 第二个\n",
        [(25, 1, "plan.duplicate_key")],
        id="duplicate-top-level-key",
    ),
]


@pytest.mark.parametrize(("source", "expected"), ERRORS)
def test_each_error_kind_with_its_line_and_column(
    source: str, expected: list[tuple[int, int, str]]
) -> None:
    result = parse(source)
    assert positions(result.errors) == expected
    assert result.plan is None
    assert not result.ok


@pytest.mark.parametrize(
    ("source", "message"),
    [
        pytest.param(
            edit("        title: 任务一", "        tittle: 任务一"),
            "tasks[] 中没有字段 tittle，是不是想写 title？",
            id="did-you-mean",
        ),
        pytest.param(
            edit("due: 2022-12-31", "        due: 2022-12-31\n        owner: 张三"),
            "tasks[] 中没有字段 owner；"
            "可用的字段：id、title、description、lead、support、start、due、weight、milestones、indicators",
            id="allowed-fields",
        ),
        pytest.param(edit("due: 2022-12-31", ""), "tasks[] 缺少必填字段 due", id="missing-field"),
        pytest.param(
            MINIMAL + "rules:\n  red_lag: high\n",
            "rules.red_lag 应为整数，这里是文字",
            id="wrong-type",
        ),
        pytest.param(
            edit("      - id: li", "      - id: zhang"),
            "人员编号 zhang 重复（第一次出现在第 8 行）；编号必须唯一",
            id="duplicate-id",
        ),
        pytest.param(
            edit("        lead: gxk", "        lead: gxx"),
            "没有编号为 gxx 的单位，是不是想写 gxk？",
            id="unknown-department",
        ),
        pytest.param(
            edit("        support: [fgj]", "        support: [fgi]"),
            "没有编号为 fgi 的单位，是不是想写 fgj？",
            id="unknown-support-department",
        ),
        pytest.param(
            edit("        support: [fgj]", "        support: [fgx]"),
            "没有编号为 fgx 的单位，是不是想写 fgj？",
            id="suggestion-is-the-fewest-edits-away-fgj-not-gxk",
        ),
        pytest.param(
            edit("        lead: gxk", "        lead: kjj"),
            "没有编号为 kjj 的单位",
            id="unknown-department-no-guess",
        ),
        pytest.param(
            edit("coordinators: [zhang]", "coordinators: [zhagn]"),
            "没有编号为 zhagn 的人员，是不是想写 zhang？",
            id="unknown-person",
        ),
        pytest.param(
            edit("due: 2022-12-31", "        due: 2022-02-30"),
            "task.due 的日期 2022-02-30 不存在",
            id="impossible-date",
        ),
        pytest.param(
            edit("due: 2022-12-31", "        due: 2022/12/31"),
            "task.due 的日期 “2022/12/31” 格式不对，请写成 YYYY-MM-DD，例如 2022-06-30",
            id="date-format",
        ),
        pytest.param(
            edit("due: 2022-12-31", "        due: 2021-12-31"),
            "截止日期 2021-12-31 早于开始日期 2022-01-01",
            id="due-before-start",
        ),
        pytest.param(
            MINIMAL + 'schedules:\n  bulletin: "0 9 30 2 *"\n',
            "schedules.bulletin “0 9 30 2 *” 有误：所列月份（2）都没有 30 日，该计划永远不会触发",
            id="crontab-never-fires",
        ),
        pytest.param(
            MINIMAL + 'schedules:\n  reminder: "0 9 32 * *"\n',
            "schedules.reminder “0 9 32 * *” 有误：日期字段的值 32 超出范围 1–31",
            id="crontab-out-of-range",
        ),
        pytest.param(
            edit("  start: 2022-01-01", "  start: 2022-01-01\n  timezone: Asia/Shanghia"),
            "未知时区 “Asia/Shanghia”，是不是想写 Asia/Shanghai？",
            id="timezone",
        ),
        pytest.param(
            edit("  start: 2022-01-01", "  start: 2022-01-01\n  timezone: Asia/Beijing"),
            "未知时区 “Asia/Beijing”，是不是想写 Asia/Shanghai？",
            id="beijing-time-is-asia-shanghai-not-brunei",
        ),
        pytest.param(
            edit("  start: 2022-01-01", "  start: 2022-01-01\n  timezone: UTC+8"),
            "未知时区 “UTC+8”，是不是想写 Asia/Shanghai？",
            id="utc-plus-8-is-asia-shanghai-not-utc",
        ),
        pytest.param(
            edit("  start: 2022-01-01", "  start: 2022-01-01\n  holidays: CN"),
            "plan.holidays 只能是 cn 或 weekends，这里是 “CN”，是不是想写 cn？",
            id="holidays-upper-case",
        ),
        pytest.param(
            edit("  start: 2022-01-01", "  start: 2022-01-01\n  holidays: weekend"),
            "plan.holidays 只能是 cn 或 weekends，这里是 “weekend”，是不是想写 weekends？",
            id="holidays-singular",
        ),
        pytest.param(
            MINIMAL + "rules:\n  stale_days: 0\n",
            "rules.stale_days 的值 0 超出范围，应在 1 到 366 之间",
            id="out-of-range",
        ),
        pytest.param(
            MINIMAL + "rules:\n  yellow_lag: 20\n  red_lag: 15\n",
            "red_lag（15）不能小于 yellow_lag（20）：滞后越多灯越红",
            id="red-below-yellow",
        ),
        pytest.param(
            edit("        support: [fgj]", "        support: [gxk]"),
            "gxk 已是牵头单位，不必再列为配合单位",
            id="lead-in-support",
        ),
        pytest.param(
            edit("        lead: gxk", "        lead: gxk\n        lead: fgj"),
            "字段 lead 重复出现（第一次在第 22 行）",
            id="duplicate-key",
        ),
    ],
)
def test_error_messages_in_chinese(source: str, message: str) -> None:
    (error,) = parse(source).errors
    assert SAY(error.text) == message


def test_duplicate_department_points_at_the_second_and_names_the_first() -> None:
    result = parse(edit("  - id: fgj", "  - id: gxk"))
    # The support reference to fgj is now unknown too: both are reported.
    assert positions(result.errors) == [
        (10, 9, "plan.duplicate_id"),
        (23, 19, "plan.unknown_ref"),
    ]
    assert SAY(result.errors[0].text) == "单位编号 gxk 重复（第一次出现在第 5 行）；编号必须唯一"


def test_a_reference_to_an_entry_with_its_own_error_is_not_called_unknown() -> None:
    # 发改局 lost its name: that is the error, not "no department fgj" on every task using it.
    result = parse(edit("    name: 发改局", ""))
    assert positions(result.errors) == [(10, 5, "plan.missing_field")]


def test_every_error_is_reported_at_once_sorted_by_line() -> None:
    source = textwrap.dedent(
        """\
        plan:
          name: 测试计划
          start: 2022-01-01
          timezone: Asia/Shanghia
          holidays: china
        rules:
          red_lag: 120
        schedules:
          reminder: "0 9 32 * *"
        departments:
          - id: gxk
            name: 高新科
            people:
              - id: zhang
                name: 张三
                email: zhang-at-example
        coordinators: [zhagn]
        campaigns:
          - id: c1
            name: 专项一
            tasks:
              - id: t1
                tittle: 任务一
                lead: gxx
                due: 2022-02-30
              - id: t1
                title: 任务二
                lead: gxk
                start: 2022-07-01
                due: 2022-06-30
        """
    )
    result = parse(source)
    assert positions(result.errors) == [
        (4, 13, "plan.unknown_timezone"),
        (5, 13, "plan.bad_choice"),
        (7, 12, "plan.out_of_range"),
        (9, 18, "plan.bad_schedule"),
        (16, 16, "plan.bad_email"),
        (17, 16, "plan.unknown_ref"),
        (23, 9, "plan.unknown_field"),
        (24, 15, "plan.unknown_ref"),
        (25, 14, "plan.impossible_date"),
        (26, 13, "plan.duplicate_id"),
        (30, 14, "plan.due_before_start"),
    ]
    assert result.plan is None


# -- warnings do not make a plan invalid ------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "warnings"),
    [
        pytest.param(
            MINIMAL.replace("    people:\n      - id: zhang\n        name: 张三\n", "").replace(
                "coordinators: [zhang]", "coordinators: [li]"
            ),
            [(5, 5, "plan.no_owner", "提醒：单位 gxk 牵头了任务，但没有人员，月度提醒将无人接收")],
            id="lead-department-without-people",
        ),
        pytest.param(
            edit("coordinators: [zhang]", ""),
            [
                (
                    4,
                    1,
                    "plan.no_coordinators",
                    "提醒：没有设置 coordinators（督查科人员），周报和错误通知将无人接收",
                )
            ],
            id="no-coordinators",
        ),
        pytest.param(
            edit("due: 2022-12-31", "        due: 2028-06-30").replace(
                "  start: 2022-01-01", "  start: 2022-01-01\n  holidays: cn"
            ),
            [
                (
                    4,
                    13,
                    "calendar.no_statutory_data",
                    "2027 年没有法定节假日安排数据（仅有 2004–2026 年），"
                    "暂按周末和常规法定节日推算，不含调休；"
                    "请在 plan.extra_holidays / plan.extra_workdays 中补充。",
                ),
                (
                    4,
                    13,
                    "calendar.no_statutory_data",
                    "2028 年没有法定节假日安排数据（仅有 2004–2026 年），"
                    "暂按周末和常规法定节日推算，不含调休；"
                    "请在 plan.extra_holidays / plan.extra_workdays 中补充。",
                ),
            ],
            id="years-past-the-calendar-data",
        ),
        pytest.param(
            edit("due: 2022-12-31", "        due: 2028-06-30").replace(
                "  start: 2022-01-01", "  start: 2022-01-01\n  holidays: weekends"
            ),
            [],
            id="years-past-the-data-with-holidays-weekends-need-no-data",
        ),
    ],
)
def test_warnings_leave_the_plan_valid(
    source: str, warnings: list[tuple[int, int, str, str]]
) -> None:
    result = parse(source)
    assert result.errors == ()
    assert result.ok
    assert all(p.severity is Severity.WARNING for p in result.warnings)
    assert [(p.line, p.col, p.text.key, SAY(p.text)) for p in result.warnings] == warnings


# -- the whole file fails: exactly one problem, never an exception -----------------------------


@pytest.mark.parametrize(
    ("source", "line", "col", "key", "message"),
    [
        pytest.param(
            "plan:\n  name: 测试计划\n".encode("gbk"),
            2,
            9,
            "plan.not_utf8",
            "文件不是 UTF-8 编码（第 15 个字节无法识别），请用 UTF-8 重新保存",
            id="gbk",
        ),
        pytest.param(
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            1,
            1,
            "plan.not_utf8",
            "文件不是 UTF-8 编码（第 1 个字节无法识别），请用 UTF-8 重新保存",
            id="png",
        ),
        pytest.param(
            b"",
            1,
            1,
            "plan.empty",
            "文件是空的：至少需要 plan、departments 和 campaigns 三部分",
            id="empty",
        ),
        pytest.param(b"\n  \n\t\n", 1, 1, "plan.empty", None, id="blank-lines"),
        pytest.param(b"# only\n# comments\n", 1, 1, "plan.empty", None, id="only-comments"),
        pytest.param(b"---\n# comment\n...\n", 1, 1, "plan.empty", None, id="document-markers"),
        pytest.param(
            b"a: [1\nb: 2",
            2,
            2,
            "plan.syntax",
            "YAML 格式有误：第 1 行第 4 列的“[”没有配对的“]”，或是中间少了英文逗号",
            id="unclosed-bracket",
        ),
        pytest.param(b"key: value: other\n", 1, 11, "plan.syntax", None, id="two-colons"),
        pytest.param(b"plan:\n\tname: x\n", 2, 1, "plan.syntax", None, id="tab-indent"),
        pytest.param(b"@@@ ### !!!\n", 1, 1, "plan.syntax", None, id="at-signs"),
        pytest.param(b"}{][::\n", 1, 1, "plan.syntax", None, id="brackets"),
        pytest.param(
            b"\x00\x01\x02\x03binary",
            1,
            1,
            "plan.control_character",
            "文件中有不可打印的控制字符 U+0000，不像是文本格式的任务清单（是不是选错了文件？）",
            id="control-characters",
        ),
        pytest.param(b"a: 1\n---\nb: 2\n", 2, 1, "plan.syntax", None, id="two-documents"),
        pytest.param(
            b"- plan\n- departments\n",
            1,
            1,
            "plan.top_not_mapping",
            "文件顶层应是 plan:、departments:、campaigns: 等字段，"
            "这里是列表（每项以 - 开头，或写成 [a, b]）",
            id="top-level-list",
        ),
        pytest.param(
            "只是一段文字\n".encode(),
            1,
            1,
            "plan.top_not_mapping",
            "文件顶层应是 plan:、departments:、campaigns: 等字段，这里是文字",
            id="top-level-scalar",
        ),
        pytest.param(b"42\n", 1, 1, "plan.top_not_mapping", None, id="top-level-number"),
        pytest.param(b"~\n", 1, 1, "plan.top_not_mapping", None, id="top-level-null"),
    ],
)
def test_a_file_that_is_not_a_plan_gets_exactly_one_problem(
    source: bytes, line: int, col: int, key: str, message: str | None
) -> None:
    result = parse(source)
    assert positions(result.problems) == [(line, col, key)]
    assert result.plan is None
    rendered = SAY(result.problems[0].text)
    assert "\n" not in rendered
    if message is not None:
        assert rendered == message


@pytest.mark.parametrize(
    ("make", "key", "message"),
    [
        pytest.param(
            lambda tmp: tmp / "missing.yaml", "plan.not_found", "找不到任务清单文件", id="missing"
        ),
        pytest.param(
            lambda tmp: tmp, "plan.is_directory", "这是一个文件夹，不是任务清单文件", id="folder"
        ),
    ],
)
def test_a_path_that_is_not_a_file(make: object, key: str, message: str, tmp_path: Path) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    result = read_plan_file(path)
    assert positions(result.problems) == [(1, 1, key)]
    assert SAY(result.problems[0].text) == message
    assert result.plan is None


def test_a_byte_order_mark_is_accepted() -> None:
    assert parse(b"\xef\xbb\xbf" + MINIMAL.encode()).ok


def test_quoted_dates_are_dates() -> None:
    result = parse(edit("due: 2022-12-31", "        due: '2022-12-31'"))
    assert result.plan is not None
    assert result.plan.tasks[0].due == date(2022, 12, 31)


def test_a_numeric_id_is_read_as_text() -> None:
    result = parse(edit("  - id: t1", "      - id: 2022"))
    assert result.plan is not None
    assert result.plan.tasks[0].id == "2022"


def test_the_sha256_identifies_the_bytes() -> None:
    assert parse(MINIMAL).sha256 == parse(MINIMAL).sha256
    assert parse(MINIMAL).sha256 != parse(MINIMAL + "# 注释\n").sha256


def test_settings_are_read_with_their_values() -> None:
    source = (
        edit(
            "  start: 2022-01-01",
            "  start: 2022-01-01\n  timezone: Asia/Urumqi\n  holidays: weekends\n"
            "  extra_holidays: [2022-09-14]\n  extra_workdays: [2022-09-17]\n  locale: en",
        )
        + "rules:\n  warn_workdays: 3\n  yellow_lag: 15\n  red_lag: 40\n  stale_days: 20\n"
        + 'schedules:\n  digest: "0 17 * * 5"\n'
        + "broadcast:\n  telegram_chats: [-1001234567890]\n  emails: [leaders@example.gov.cn]\n"
        + "  webhooks:\n    - kind: dingtalk\n      url_env: DING_URL\n"
        + "      secret_env: DING_SECRET\n"
    )
    result = parse(source)
    assert result.problems == ()
    assert result.plan is not None
    settings = result.plan.settings
    assert settings.timezone == "Asia/Urumqi"
    assert settings.locale == "en"
    assert settings.calendar.holidays is Holidays.WEEKENDS
    assert settings.calendar.extra_holidays == frozenset({date(2022, 9, 14)})
    assert settings.calendar.extra_workdays == frozenset({date(2022, 9, 17)})
    assert settings.rules == Rules(warn_workdays=3, yellow_lag=15, red_lag=40, stale_days=20)
    assert settings.schedules[ScheduleKind.DIGEST] == "0 17 * * 5"
    assert settings.schedules[ScheduleKind.REMINDER] == "0 9 20 * *"
    assert settings.broadcast.telegram_chats == (-1001234567890,)
    assert settings.broadcast.emails == ("leaders@example.gov.cn",)
    (hook,) = settings.broadcast.webhooks
    assert (hook.kind, hook.url_env, hook.secret_env) == (
        RobotKind.DINGTALK,
        "DING_URL",
        "DING_SECRET",
    )


# -- the shipped plan -------------------------------------------------------------------------


def test_the_shipped_plan_loads_without_errors() -> None:
    result = read_plan_file(SHIPPED)
    assert result.errors == ()
    plan = result.plan
    assert plan is not None
    assert len(plan.tasks) >= 40
    assert len(plan.departments) >= 10
    departments = {d.id for d in plan.departments}
    people = {p.id for p in plan.people}
    for task in plan.tasks:
        assert task.lead in departments, task.id
        assert set(task.support) <= departments, task.id
        assert task.lead not in task.support, task.id
        assert task.start <= task.due, task.id
    assert set(plan.settings.coordinators) <= people
    assert plan.settings.coordinators


def test_the_shipped_plan_has_the_eight_special_campaign_tasks() -> None:
    plan = read_plan_file(SHIPPED).plan
    assert plan is not None
    (eight,) = [c for c in plan.campaigns if "八大专项攻坚行动" in c.name]
    assert len([t for t in plan.tasks if t.campaign_id == eight.id]) == 8


def test_one_telegram_account_cannot_speak_for_two_people() -> None:
    result = parse(
        textwrap.dedent(
            """\
        plan: {name: x, start: 2022-01-01}
        departments:
          - id: a
            name: A
            people:
              - {id: p1, name: 甲, telegram: 123}
              - {id: p2, name: 乙, telegram: 123}
        coordinators: [p1]
        campaigns:
          - {id: c, name: C, tasks: [{id: t1, title: T, lead: a, due: 2022-12-31}]}
            """
        )
    )

    [problem] = result.errors
    assert (problem.line, problem.col, problem.text.key) == (7, 37, "plan.duplicate_id")
    assert problem.text.params["first_line"] == 6
