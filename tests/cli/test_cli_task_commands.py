"""status · report, and wrong arguments, as a coordinator sees them: output and exit status."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from superbot.cli import main
from superbot.cli.runtime import Runtime
from superbot.config import Config
from superbot.plan.load import read_plan_file

SHIPPED = Path(__file__).resolve().parents[1] / "plan.yaml"
PLAN = read_plan_file(SHIPPED).plan
assert PLAN is not None
JSON_FIELDS = {
    "id",
    "title",
    "campaign",
    "lead",
    "support",
    "due",
    "percent",
    "state",
    "light",
    "reasons",
    "last_report",
}


@pytest.fixture(autouse=True)
def _no_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("FORCE_COLOR", raising=False)


REPORTS = [
    ("zcq8-1", "--percent", "40", "--by", "limh", "--at", "2022-06-10 15:00"),
    ("zcq8-2", "--percent", "20", "--state", "at_risk", "--at", "2022-06-15"),
    ("zcq8-3", "--percent", "30", "--state", "blocked", "--at", "2022-06-15"),
    ("zcq8-4", "--done", "--at", "2022-06-01"),
]


def database_after(folder: Path, *commands: tuple[str, ...]) -> Path:
    """A database built once through the real commands; tests get their own copies."""
    config = Config(
        database_url=f"sqlite:///{folder / 'cli.db'}",
        tasks_path=SHIPPED,
        outbox_dir=folder / "outbox",
        environ={},
    )
    for args in commands:
        runtime = Runtime(config, out=io.StringIO())
        try:
            assert main(list(args), runtime=runtime) == 0, args
        finally:
            if "store" in runtime.__dict__:
                runtime.store.engine.dispose()
    return folder / "cli.db"


def copy_database(database: Path, tmp_path: Path) -> None:
    """To where the ``cli`` fixture's configuration looks for it."""
    for suffix in ("", "-wal", "-shm"):
        source = database.with_name(database.name + suffix)
        if source.exists():
            shutil.copy(source, tmp_path / f"cli.db{suffix}")


@pytest.fixture(scope="module")
def synced_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return database_after(tmp_path_factory.mktemp("synced"), ("sync",))


@pytest.fixture(scope="module")
def reported_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped plan synced, with four tasks' progress entered by phone in June 2022."""
    return database_after(
        tmp_path_factory.mktemp("reported"),
        ("sync",),
        *[("report", *r) for r in REPORTS],
        ("approve", "zcq8-4"),  # the plan reviews a "done" before it counts
    )


@pytest.fixture
def synced(cli: Any, synced_database: Path, tmp_path: Path) -> Any:
    copy_database(synced_database, tmp_path)
    return cli


@pytest.fixture
def reported(cli: Any, reported_database: Path, tmp_path: Path) -> Any:
    copy_database(reported_database, tmp_path)
    return cli


def lines(text: str) -> list[str]:
    return text.rstrip("\n").split("\n")


def status_json(cli: Any, *args: str) -> list[dict[str, Any]]:
    result = cli("status", "--json", *args)
    assert result.status == 0, result.err
    return json.loads(result.out)  # type: ignore[no-any-return]


def one_line(text: str) -> str:
    assert text.endswith("\n")
    assert text.count("\n") == 1, text
    assert "Traceback" not in text
    return text.rstrip("\n")


# -- status ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        pytest.param((), id="plain"),
        pytest.param(("--json",), id="json"),
        pytest.param(("--campaign", "zcq8"), id="campaign"),
        pytest.param(("--lead", "gxk"), id="lead"),
    ],
)
def test_status_before_any_sync(cli: Any, args: tuple[str, ...]) -> None:
    result = cli("status", *args)
    assert result.status == 1
    assert one_line(result.err) == "数据库里还没有任务：请先运行 superbot sync"
    assert result.out == ""


def test_status_table_shows_lights_and_reasons(reported: Any) -> None:
    result = reported("status", "--as-of", "2022-06-20")
    assert result.status == 0
    out = lines(result.out)
    assert out[0] == f"{PLAN.settings.name} · 截至 2022-06-20"
    assert out[1].split() == ["灯", "编号", "任务", "牵头单位", "进度", "截止", "情况"]
    rows = {line.split()[2]: line for line in out[2:] if line.startswith("● ")}
    assert len(rows) == len(PLAN.tasks)
    expected = {
        "zcq8-1": ("● 绿灯", "40%", "进度正常（已完成 40%，时序进度 46.7%）"),
        "zcq8-2": ("● 黄灯", "20%", "责任单位报告存在风险；进度滞后 26.7 个百分点"),
        "zcq8-3": ("● 红灯", "30%", "责任单位报告工作受阻"),
        "zcq8-4": ("● 办结", "100%", "已于 2022-06-01 办结"),
        "zcq8-5": ("● 红灯", "0%", "进度滞后 46.7 个百分点；尚未报送过进度"),
    }
    for task_id, (light, percent, reason) in expected.items():
        row = rows[task_id]
        assert row.startswith(light), row
        assert f" {percent} " in row, row
        assert row.endswith(reason), row
    counts = {
        light: sum(row.startswith(f"● {light}") for row in rows.values())
        for light in ("红灯", "黄灯", "绿灯", "办结")
    }
    assert out[-1] == (
        f"共 {len(PLAN.tasks)} 项：红灯 {counts['红灯']}，黄灯 {counts['黄灯']}，"
        f"绿灯 {counts['绿灯']}，办结 {counts['办结']}"
    )
    assert counts["办结"] == 1


def test_status_json(reported: Any) -> None:
    statuses = status_json(reported, "--as-of", "2022-06-20", "--sort", "file")
    assert [s["id"] for s in statuses] == [t.id for t in PLAN.tasks]
    for s in statuses:
        assert set(s) >= JSON_FIELDS, s
    by_id = {s["id"]: s for s in statuses}
    first = by_id["zcq8-1"]
    assert {k: first[k] for k in JSON_FIELDS} == {
        "id": "zcq8-1",
        "title": "高新技术产业投资攻坚",
        "campaign": "zcq8",
        "lead": "fgj",
        "support": ["tcj", "jxj", "gxk"],
        "due": "2022-12-31",
        "percent": 40,
        "state": "on_track",
        "light": "green",
        "reasons": ["进度正常（已完成 40%，时序进度 46.7%）"],
        "last_report": "2022-06-10T15:00:00+08:00",
    }
    assert first["last_report_by"] == "limh"
    assert (by_id["zcq8-2"]["light"], by_id["zcq8-2"]["state"]) == ("yellow", "at_risk")
    assert (by_id["zcq8-3"]["light"], by_id["zcq8-3"]["state"]) == ("red", "blocked")
    assert (by_id["zcq8-4"]["light"], by_id["zcq8-4"]["percent"]) == ("done", 100)
    assert by_id["zcq8-5"]["last_report"] is None
    assert by_id["zcq8-5"]["percent"] == 0
    assert by_id["zcq8-5"]["state"] is None


def test_status_sorts_worst_first_unless_told_file_order(reported: Any) -> None:
    worst = status_json(reported, "--as-of", "2022-06-20")
    severity = {"red": 0, "yellow": 1, "pending": 2, "green": 3, "done": 4}
    keys = [(severity[s["light"]], s["due"]) for s in worst]
    assert keys == sorted(keys)
    assert worst[0]["light"] == "red"
    assert worst[-1]["light"] == "done"
    in_file = status_json(reported, "--as-of", "2022-06-20", "--sort", "file")
    assert [s["id"] for s in in_file] == [t.id for t in PLAN.tasks]
    assert sorted(s["id"] for s in in_file) == sorted(s["id"] for s in worst)
    table = lines(reported("status", "--as-of", "2022-06-20").out)
    rows = [line for line in table if line.startswith("● ")]
    assert rows[0].startswith("● 红灯")
    assert rows[-1].startswith("● 办结")


def test_status_as_of_a_day_before_the_reports_ignores_them(reported: Any) -> None:
    by_id = {s["id"]: s for s in status_json(reported, "--as-of", "2022-06-09")}
    assert by_id["zcq8-1"]["percent"] == 0
    assert by_id["zcq8-1"]["last_report"] is None
    assert by_id["zcq8-4"]["light"] == "done"


@pytest.mark.parametrize(
    ("args", "check"),
    [
        pytest.param(
            ("--campaign", "zcq8"),
            lambda s: s["campaign"] == "zcq8",
            id="campaign",
        ),
        pytest.param(("--lead", "gxk"), lambda s: s["lead"] == "gxk", id="lead"),
        pytest.param(("--light", "green"), lambda s: s["light"] == "green", id="light"),
        pytest.param(
            ("--light", "red", "--light", "yellow"),
            lambda s: s["light"] in {"red", "yellow"},
            id="two-lights",
        ),
        pytest.param(
            ("--campaign", "zcq8", "--light", "red"),
            lambda s: s["campaign"] == "zcq8" and s["light"] == "red",
            id="campaign-and-light",
        ),
    ],
)
def test_status_filters(reported: Any, args: tuple[str, ...], check: Any) -> None:
    everything = status_json(reported, "--as-of", "2022-06-20")
    filtered = status_json(reported, "--as-of", "2022-06-20", *args)
    assert filtered
    assert filtered == [s for s in everything if check(s)]


def test_status_filter_campaign_has_the_eight_tasks(reported: Any) -> None:
    ids = [
        s["id"]
        for s in status_json(
            reported, "--as-of", "2022-06-20", "--campaign", "zcq8", "--sort", "file"
        )
    ]
    assert ids == [f"zcq8-{n}" for n in range(1, 9)]
    table = reported("status", "--as-of", "2022-06-20", "--campaign", "zcq8", "--light", "done")
    assert lines(table.out)[-1] == "共 1 项：红灯 0，黄灯 0，绿灯 0，办结 1"


def test_status_with_no_matching_task(reported: Any) -> None:
    result = reported(
        "status",
        "--as-of",
        "2022-06-20",
        "--campaign",
        "zcq8",
        "--light",
        "green",
        "--light",
        "done",
        "--lead",
        "zlb",
    )
    assert result.status == 0
    assert lines(result.out)[-1] == "没有符合条件的任务。"
    assert status_json(reported, "--lead", "zlb", "--campaign", "zcq8") == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(("--campaign", "zcq"), "没有编号为 zcq 的专项，是不是 zcq8？", id="campaign"),
        pytest.param(
            ("--campaign", "nothing-like-it"),
            "没有编号为 nothing-like-it 的专项",
            id="campaign-no-guess",
        ),
        pytest.param(("--lead", "gx"), "没有编号或名称为 gx 的单位，是不是 gxk？", id="lead"),
        pytest.param(
            ("--json", "--lead", "gx"), "没有编号或名称为 gx 的单位，是不是 gxk？", id="lead-json"
        ),
    ],
)
def test_status_unknown_campaign_or_lead(synced: Any, args: tuple[str, ...], message: str) -> None:
    result = synced("status", *args)
    assert result.status == 2
    assert one_line(result.err) == message
    assert result.out == ""


# -- report ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "first_lines", "now_line"),
    [
        pytest.param(
            ("zcq8-1", "--percent", "40", "--at", "2022-06-10 15:00", "--by", "limh"),
            ["已登记 zcq8-1「高新技术产业投资攻坚」：进度 40%（2022-06-10 15:00，李明辉）"],
            "截至 2022-06-10：● 绿灯 · 进度正常（已完成 40%",
            id="percent-by-at",
        ),
        pytest.param(
            ("zcq8-1", "--percent", "55", "--at", "2022-06-10", "--state", "at_risk"),
            ["已登记 zcq8-1「高新技术产业投资攻坚」：进度 55%，有风险（2022-06-10 00:00）"],
            "截至 2022-06-10：● 黄灯 · 责任单位报告存在风险",
            id="state-at-risk",
        ),
        pytest.param(
            ("zcq8-1", "--percent", "30", "--at", "2022-06-10T09:30", "--state", "blocked"),
            ["已登记 zcq8-1「高新技术产业投资攻坚」：进度 30%，受阻（2022-06-10 09:30）"],
            "截至 2022-06-10：● 红灯 · 责任单位报告工作受阻",
            id="state-blocked",
        ),
        pytest.param(
            (
                "zcq8-1",
                "--percent",
                "60",
                "--at",
                "2022-06-10 15:00",
                "--value",
                "invest=12.5",
                "--note",
                "  上半年投资增速 12.5%，完成序时进度  ",
            ),
            [
                "已登记 zcq8-1「高新技术产业投资攻坚」：进度 60%（2022-06-10 15:00）",
                "指标：高新技术产业投资增速 12.5",
                "说明：上半年投资增速 12.5%，完成序时进度",
            ],
            "截至 2022-06-10：● 绿灯 · 进度正常（已完成 60%",
            id="value-and-note",
        ),
        pytest.param(
            (
                "zcq8-2",
                "--percent",
                "50",
                "--at",
                "2022-06-10",
                "--value",
                "rd_growth=13",
                "--value",
                "rd_rev=2.45",
            ),
            [
                "已登记 zcq8-2「规上工业研发投入攻坚」：进度 50%（2022-06-10 00:00）",
                "指标：规上工业研发费用增速 13、规上工业研发费用占营业收入比重 2.45",
            ],
            "截至 2022-06-10：● 绿灯 · 进度正常（已完成 50%",
            id="two-values",
        ),
    ],
)
def test_report(synced: Any, args: tuple[str, ...], first_lines: list[str], now_line: str) -> None:
    result = synced("report", *args)
    assert result.status == 0, result.err
    assert result.err == ""
    out = lines(result.out)
    assert out[:-1] == first_lines
    assert out[-1].startswith(now_line), out[-1]


@pytest.mark.parametrize(
    ("args", "first", "done"),
    [
        pytest.param(
            ("zcq8-1", "--done", "--at", "2022-06-11", "--by", "hejing"),
            "已登记 zcq8-1「高新技术产业投资攻坚」：报已完成（2022-06-11 00:00，何静）",
            "已于 2022-06-11 办结",
            id="done",
        ),
        pytest.param(
            ("zcq8-1", "--percent", "100", "--at", "2022-06-11"),
            "已登记 zcq8-1「高新技术产业投资攻坚」：报已完成（2022-06-11 00:00）",
            "已于 2022-06-11 办结",
            id="percent-100-is-done",
        ),
        pytest.param(
            ("dls3-8", "--done", "--at", "2022-07-04 10:00+08:00"),
            "已登记 dls3-8「走廊三年行动计划中期评估」：报已完成（2022-07-04 10:00）",
            "已于 2022-07-04 办结（逾期 4 天）",
            id="done-late-with-offset",
        ),
    ],
)
def test_a_done_report_waits_for_review_then_counts_from_its_own_date(
    synced: Any, args: tuple[str, ...], first: str, done: str
) -> None:
    result = synced("report", *args)
    assert result.status == 0, result.err
    out = lines(result.out)
    assert out[0] == first
    day = args[args.index("--at") + 1][:10]
    assert out[1].startswith(f"截至 {day}：● 待审核 · 已申请办结，待督查科审核（"), out[1]
    assert out[2] == (
        "已提交办结申请，待督查科审核（superbot review 查看，superbot approve / reject 处理）；"
        "审核通过前不计为办结。"
    )
    assert out[3] == "已通知督查科：送达 2 条。"  # 王丽, 陈晓峰: the file channel here
    approved = synced("approve", args[0])
    assert approved.status == 0, approved.err
    assert lines(approved.out)[1] == f"当前：● 办结 · {done}"


def test_a_report_shows_up_in_status(synced: Any) -> None:
    result = synced(
        "report", "zcq8-1", "--percent", "60", "--state", "at_risk", "--by", "limh",
        "--at", "2022-06-10 15:00", "--value", "invest=12.5", "--note", "土地指标待落实",
    )  # fmt: skip
    assert result.status == 0
    (first,) = status_json(synced, "--as-of", "2022-06-30", "--campaign", "zcq8", "--lead", "fgj")
    assert first["percent"] == 60
    assert first["state"] == "at_risk"
    assert first["light"] == "yellow"
    assert first["reasons"] == ["责任单位报告存在风险"]
    assert first["last_report"] == "2022-06-10T15:00:00+08:00"
    assert first["last_report_by"] == "limh"
    assert first["last_report_note"] == "土地指标待落实"


def test_report_before_any_sync(cli: Any) -> None:
    result = cli("report", "zcq8-1", "--percent", "10")
    assert result.status == 1
    assert one_line(result.err) == "数据库里还没有任务：请先运行 superbot sync"


USAGE = "superbot report：参数有误：{}"
NOT_A_MOMENT = "--at “{}” 不是时间，请写成 YYYY-MM-DD 或 “YYYY-MM-DD HH:MM”"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ("zcq81", "--percent", "10"),
            "没有编号为 zcq81 的任务，是不是 zcq8-1？",
            id="unknown-task",
        ),
        pytest.param(
            ("nothing", "--percent", "10"), "没有编号为 nothing 的任务", id="unknown-task-no-guess"
        ),
        pytest.param(
            ("zcq8-1", "--percent", "150"), "进度应在 0 到 100 之间，这里是 150", id="percent-150"
        ),
        pytest.param(
            ("zcq8-1", "--percent", "-1"), "进度应在 0 到 100 之间，这里是 -1", id="percent-minus-1"
        ),
        pytest.param(
            ("zcq8-1", "--percent", "50", "--done"),
            USAGE.format("请用 --percent N 或 --done 二选一说明进度"),
            id="both-percent-and-done",
        ),
        pytest.param(
            ("zcq8-1",), USAGE.format("请用 --percent N 或 --done 二选一说明进度"), id="neither"
        ),
        pytest.param(
            ("zcq8-1", "--state", "on_track"),
            USAGE.format("请用 --percent N 或 --done 二选一说明进度"),
            id="on-track-alone",
        ),
        pytest.param(
            ("zcq8-1", "--done", "--state", "blocked"),
            "进度 100% 即为办结，不能同时标记为受阻",
            id="done-but-blocked",
        ),
        pytest.param(
            ("zcq8-1", "--percent", "100", "--state", "at_risk"),
            "进度 100% 即为办结，不能同时标记为有风险",
            id="100-but-at-risk",
        ),
        pytest.param(
            ("zcq8-1", "--percent", "10", "--by", "nobody"),
            "没有编号或姓名为 nobody 的人员",
            id="unknown-person",
        ),
        pytest.param(
            ("zcq8-1", "--percent", "10", "--by", "limhh"),
            "没有编号或姓名为 limhh 的人员，是不是 limh？",
            id="unknown-person-with-guess",
        ),
        pytest.param(
            ("zcq8-1", "--percent", "10", "--value", "nope=1"),
            "任务 zcq8-1 没有指标 nope（可填：invest）",
            id="unknown-indicator",
        ),
        pytest.param(
            ("dls3-4", "--percent", "10", "--value", "invest=1"),
            "任务 dls3-4 没有指标 invest（该任务没有定量指标）",
            id="indicator-on-a-task-without-any",
        ),
        pytest.param(
            ("zcq8-1", "--percent", "10", "--at", "2999-01-01"),
            "报送时间 2999-01-01 00:00 还没到，不能提前登记",
            id="future-at",
        ),
        pytest.param(
            ("zcq8-1", "--percent", "10", "--value", "invest"),
            USAGE.format("--value “invest” 应写成 指标编号=数值，例如 invest=12.5"),
            id="value-without-number",
        ),
        pytest.param(
            ("zcq8-1", "--percent", "10", "--value", "invest=很多"),
            USAGE.format("--value “invest=很多” 应写成 指标编号=数值，例如 invest=12.5"),
            id="value-not-a-number",
        ),
        pytest.param(
            ("zcq8-1", "--percent", "10", "--at", "昨天"),
            USAGE.format(NOT_A_MOMENT.format("昨天")),
            id="at-malformed",
        ),
        pytest.param(
            ("zcq8-1", "--percent", "10", "--at", "2022-02-30"),
            USAGE.format(NOT_A_MOMENT.format("2022-02-30")),
            id="at-impossible-date",
        ),
    ],
)
def test_report_refusals(synced: Any, args: tuple[str, ...], message: str) -> None:
    result = synced("report", *args)
    assert result.status == 2
    assert one_line(result.err) == message
    assert result.out == ""
    untouched = {s["id"]: s for s in status_json(synced, "--as-of", "2022-06-30")}
    assert untouched[args[0] if args[0] in untouched else "zcq8-1"]["last_report"] is None


def test_report_on_an_archived_task(synced: Any, tasks_file: Path) -> None:
    assert synced("report", "dls3-8", "--percent", "40", "--at", "2022-06-01").status == 0
    text = tasks_file.read_text(encoding="utf-8")
    start = text.index("      - id: dls3-8\n")
    tasks_file.write_text(
        text[:start] + text[text.index("  - id: yangu\n", start) :], encoding="utf-8"
    )
    assert synced("sync").status == 0
    result = synced("report", "dls3-8", "--percent", "50", "--at", "2022-06-20")
    assert result.status == 2
    assert one_line(result.err) == "任务 dls3-8 已从任务清单中移除（已归档），不能再报送进度"


# -- wrong arguments -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ("frob",),
            "superbot：参数有误：没有 frob 这个命令，可用的命令："
            "accept-reason、approve、bulletin、check、demo、doctor、dossier、extend、form、history、"
            "import、"
            "invite、login、reject、report、review、run、schedule、send、status、sync、undo、web",
            id="unknown-command",
        ),
        pytest.param(
            ("status", "--bogus"),
            "superbot status：参数有误：没有选项 --bogus（用 superbot status --help 查看可用选项）",
            id="unknown-option",
        ),
        pytest.param(
            ("status", "--as-of", "2022-13-01"),
            "superbot status：参数有误：--as-of “2022-13-01” 不是日期，请写成 YYYY-MM-DD",
            id="bad-as-of",
        ),
        pytest.param(("status", "--light", "purple"), None, id="bad-light"),
        pytest.param(("status", "--as-of"), None, id="as-of-without-value"),
        pytest.param(("report",), None, id="report-without-task"),
        pytest.param(("report", "zcq8-1", "--percent", "ten"), None, id="percent-not-a-number"),
        pytest.param(
            ("report", "zcq8-1", "--percent", "10", "--state", "done"), None, id="state-done"
        ),
        pytest.param(("schedule", "-n", "0"), None, id="schedule-n-0"),
        pytest.param(("schedule", "--from", "tomorrow"), None, id="schedule-bad-from"),
        pytest.param(("sync", "--dry-run", "extra"), None, id="sync-extra-argument"),
        pytest.param(("check", "--tasks"), None, id="check-tasks-without-path"),
    ],
)
def test_wrong_arguments_are_one_line_and_status_2(
    cli: Any, args: tuple[str, ...], message: str | None
) -> None:
    result = cli(*args)
    assert result.status == 2
    line = one_line(result.err)
    assert line.startswith("superbot")
    assert "参数有误" in line
    if message is not None:
        assert line == message
    assert result.out == ""
