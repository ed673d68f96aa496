"""Reports a coordinator types in: judged on their own day, not entered twice, a lower percent
confirmed, a state alone accepted, the reporter of the right department, listed and undone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.cli.test_cli_task_commands import copy_database, database_after, lines, one_line
from tests.conftest import Cli
from tests.fakes.clock import FakeClock


@pytest.fixture(autouse=True)
def _no_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture(scope="module")
def synced_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return database_after(tmp_path_factory.mktemp("reports"), ("sync",))


@pytest.fixture
def synced(cli: Cli, synced_database: Path, tmp_path: Path) -> Cli:
    copy_database(synced_database, tmp_path)
    return cli


def task_json(cli: Cli, task: str, day: str) -> dict[str, Any]:
    result = cli("status", "--json", "--as-of", day)
    assert result.status == 0, result.err
    (found,) = [s for s in json.loads(result.out) if s["id"] == task]
    return found  # type: ignore[no-any-return]


def history_json(cli: Cli, task: str) -> list[dict[str, Any]]:
    result = cli("history", task, "--json")
    assert result.status == 0, result.err
    return json.loads(result.out)  # type: ignore[no-any-return]


def test_a_back_dated_report_is_judged_on_its_own_day(synced: Cli) -> None:
    # The clock says 2023-03-01, long after zcq8-2's due date; on 2022-09-20 it was only behind.
    result = synced("report", "zcq8-2", "--percent", "60", "--at", "2022-09-20")
    assert result.status == 0, result.err
    assert lines(result.out)[-1] == "截至 2022-09-20：● 黄灯 · 进度滞后 12 个百分点"


def test_a_report_of_now_is_judged_today(synced: Cli) -> None:
    result = synced("report", "zcq8-2", "--percent", "60")
    assert result.status == 0, result.err
    assert lines(result.out)[-1].startswith("当前：● 红灯 · 已逾期 60 天（截止 2022-12-31）")


def test_the_same_report_twice_within_a_minute_is_refused(
    synced: Cli, cli_clock: FakeClock
) -> None:
    args = ("report", "zcq8-2", "--percent", "40", "--by", "zhangjh", "--at", "2022-09-20")
    assert synced(*args).status == 0
    cli_clock.advance(seconds=30)
    again = synced(*args)
    assert again.status == 2
    assert one_line(again.err) == (
        "同样的报送刚刚（2023-03-01 09:00）已登记过（#1），没有再登记。"
        "确要再记一条，请稍后再试或改写说明"
    )
    assert len(history_json(synced, "zcq8-2")) == 1
    cli_clock.advance(seconds=31)  # more than a minute after the first: a new report
    assert synced(*args).status == 0
    assert len(history_json(synced, "zcq8-2")) == 2


def test_a_lower_percent_without_anyone_to_ask_is_refused(synced: Cli) -> None:
    assert synced("report", "zcq8-2", "--percent", "40", "--at", "2022-09-20").status == 0
    lower = synced("report", "zcq8-2", "--percent", "30", "--at", "2022-09-25")
    assert lower.status == 2
    assert one_line(lower.err) == (
        "进度 30% 比上次（2022-09-20 00:00）报的 40% 低：没有登记。确认无误请加 --yes 再运行"
    )
    assert [r["percent"] for r in history_json(synced, "zcq8-2")] == [40]
    assert synced("report", "zcq8-2", "--percent", "30", "--at", "2022-09-25", "--yes").status == 0
    assert [r["percent"] for r in history_json(synced, "zcq8-2")] == [40, 30]


@pytest.mark.parametrize(("answer", "status", "kept"), [(True, 0, [40, 30]), (False, 1, [40])])
def test_a_lower_percent_is_asked_about(
    synced: Cli, answer: bool, status: int, kept: list[int]
) -> None:
    assert synced("report", "zcq8-2", "--percent", "40", "--at", "2022-09-20").status == 0
    synced.answers = [answer]
    result = synced("report", "zcq8-2", "--percent", "30", "--at", "2022-09-25")
    assert synced.asked == ["进度 30% 比上次（2022-09-20 00:00）报的 40% 低，确定登记吗？"]
    assert result.status == status
    assert [r["percent"] for r in history_json(synced, "zcq8-2")] == kept


def test_blocked_alone_keeps_the_last_percent(synced: Cli) -> None:
    assert synced("report", "zcq8-2", "--percent", "40", "--at", "2022-09-20").status == 0
    result = synced("report", "zcq8-2", "--state", "blocked", "--at", "2022-09-26")
    assert result.status == 0, result.err
    assert (
        lines(result.out)[0]
        == "已登记 zcq8-2「规上工业研发投入攻坚」：进度 40%，受阻（2022-09-26 00:00）"
    )
    found = task_json(synced, "zcq8-2", "2022-09-30")
    assert (found["percent"], found["state"], found["light"]) == (40, "blocked", "red")


@pytest.mark.parametrize(
    ("by", "allowed"),
    [
        pytest.param("zhangjh", True, id="lead-department"),
        pytest.param("wangli", True, id="coordinator"),
        pytest.param("sunzm", True, id="the-lead's-leader"),
        pytest.param("limh", False, id="another-department"),
    ],
)
def test_by_must_be_of_the_lead_department(synced: Cli, by: str, allowed: bool) -> None:
    result = synced("report", "zcq8-2", "--percent", "40", "--by", by, "--at", "2022-09-20")
    if allowed:
        assert result.status == 0, result.err
        return
    assert result.status == 2
    assert one_line(result.err) == (
        "李明辉（区发改局）不是任务 zcq8-2 牵头单位（高新科（科技局高新技术科））的人员，"
        "不能作为报送人。配合单位的人员只能报送说明；确由督查科代报的，--by 写督查科人员或不写"
    )
    assert history_json(synced, "zcq8-2") == []


def test_history_lists_reports_with_years_and_undo_withdraws_one(
    synced: Cli, cli_clock: FakeClock
) -> None:
    for args in (
        ("--percent", "40", "--by", "张建华", "--at", "2022-09-20", "--note", "进展顺利"),
        ("--percent", "80", "--at", "2022-11-25"),  # a typo for 30
        ("--percent", "30", "--at", "2022-11-25 10:00", "--yes"),
    ):
        assert synced("report", "zcq8-2", *args).status == 0
    assert task_json(synced, "zcq8-2", "2022-11-24")["percent"] == 40
    assert task_json(synced, "zcq8-2", "2022-11-25")["percent"] == 30
    table = synced("history", "zcq8-2")
    assert table.status == 0
    assert lines(table.out)[0] == "zcq8-2「规上工业研发投入攻坚」的报送记录（3 条，按报送时间）："
    assert lines(table.out)[2].split() == [
        "#1", "2022-09-20", "00:00", "张建华", "代录", "40%", "正常推进", "进展顺利"
    ]  # fmt: skip
    cli_clock.advance(hours=1)
    undone = synced("undo", "2")
    assert undone.status == 0, undone.err
    assert lines(undone.out)[0] == (
        "已撤回报送 #2：zcq8-2 2022-11-25 00:00 报 80%。"
        "这条仍留在 superbot history 里，标为已撤回，红黄绿灯和通报不再计入。"
    )
    # The light no longer sees it; the history still does, marked.
    assert task_json(synced, "zcq8-2", "2022-11-25")["percent"] == 30
    assert task_json(synced, "zcq8-2", "2022-11-24")["percent"] == 40
    after = history_json(synced, "zcq8-2")
    assert [(r["id"], r["withdrawn_at"]) for r in after] == [
        (1, None),
        (2, "2023-03-01T10:00:00+08:00"),
        (3, None),
    ]
    table = synced("history", "zcq8-2")
    assert "#2（已撤回）" in table.out
    assert (
        "已撤回的 1 条只留作记录，红黄绿灯和通报不计入（#2 于 2023-03-01 10:00 撤回）。"
        in table.out
    )
    again = synced("undo", "2")
    assert again.status == 2
    assert one_line(again.err) == "报送 #2 已于 2023-03-01 10:00 撤回过了"
    missing = synced("undo", "99")
    assert missing.status == 2
    assert one_line(missing.err) == "没有编号为 #99 的报送（编号见 superbot history 任务编号）"


def test_undoing_a_done_report_withdraws_its_request(synced: Cli) -> None:
    assert synced("report", "zcq8-2", "--done", "--at", "2022-12-20").status == 0
    assert task_json(synced, "zcq8-2", "2022-12-21")["light"] == "pending"
    assert synced("undo", "1").status == 0
    assert task_json(synced, "zcq8-2", "2022-12-21")["light"] != "pending"
    assert synced("review", "--json").out.strip() == "[]"


def test_an_approved_done_report_cannot_be_undone(synced: Cli) -> None:
    assert synced("report", "zcq8-2", "--done", "--at", "2022-12-20").status == 0
    assert synced("approve", "zcq8-2").status == 0
    result = synced("undo", "1")
    assert result.status == 2
    assert one_line(result.err) == (
        "报送 #1 的办结申请已经审核通过（销号），不能撤回；如任务并未办结，"
        "请用 superbot report zcq8-2 登记实际进度"
    )
    assert task_json(synced, "zcq8-2", "2022-12-21")["light"] == "done"


def test_history_of_an_unknown_task(synced: Cli) -> None:
    result = synced("history", "zcq8-22")
    assert result.status == 2
    assert one_line(result.err) == "没有编号为 zcq8-22 的任务，是不是 zcq8-2？"


def test_the_dossier_keeps_a_withdrawn_report_marked(synced: Cli) -> None:
    assert synced("report", "zcq8-2", "--percent", "80", "--at", "2022-11-25").status == 0
    assert synced("undo", "1").status == 0
    dossier = synced("dossier", "zcq8-2", "-o", "-", "--format", "md")
    assert dossier.status == 0, dossier.err
    (line,) = [line for line in dossier.out.splitlines() if "报送：80%" in line]
    assert "（督查科录入）【已撤回：2023-03-01 09:00，不计入灯色和通报】" in line
