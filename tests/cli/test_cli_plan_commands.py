"""check · sync · schedule, as a coordinator runs them: what is printed, and the exit status."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import Cli

from superbot.plan.load import read_plan_file

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "tests" / "plan.yaml"
PLAN = read_plan_file(SHIPPED).plan
assert PLAN is not None
ADDED = len(PLAN.departments) + len(PLAN.people) + len(PLAN.campaigns) + len(PLAN.tasks)


@pytest.fixture(autouse=True)
def _no_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("FORCE_COLOR", raising=False)


def lines(text: str) -> list[str]:
    return text.rstrip("\n").split("\n")


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def remove_task(path: Path, task_id: str, next_line: str) -> None:
    """Delete the task block starting at ``- id: task_id`` up to ``next_line``."""
    text = path.read_text(encoding="utf-8")
    start = text.index(f"      - id: {task_id}\n")
    end = text.index(next_line, start)
    path.write_text(text[:start] + text[end:], encoding="utf-8")


BROKEN = """\
plan:
  name: 测试计划
  start: 2022-01-01
  timezone: Asia/Shanghia
departments:
  - id: gxk
    name: 高新科
    people:
      - id: zhang
        name: 张三
coordinators: [zhang]
campaigns:
  - id: c1
    name: 专项一
    tasks:
      - id: t1
        tittle: 任务一
        lead: gxx
        due: 2022-02-30
"""


# -- check -----------------------------------------------------------------------------------


def test_check_a_valid_plan(cli, tasks_file: Path) -> None:
    result = cli("check")
    assert result.status == 0
    assert lines(result.out) == [
        f"✓ {tasks_file} 校验通过：{len(PLAN.departments)} 个单位，{len(PLAN.people)} 人，"
        f"{len(PLAN.campaigns)} 个专项，{len(PLAN.tasks)} 项任务。"
    ]
    assert result.err == ""


def test_check_lists_every_error_as_path_line_col(cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN, encoding="utf-8")
    result = cli("check", "--tasks", str(broken))
    assert result.status == 1
    assert lines(result.out) == [
        f"{broken}:4:13: 未知时区 “Asia/Shanghia”，是不是想写 Asia/Shanghai？",
        f"{broken}:17:9: tasks[] 中没有字段 tittle，是不是想写 title？",
        f"{broken}:18:15: 没有编号为 gxx 的单位，是不是想写 gxk？",
        f"{broken}:19:14: task.due 的日期 2022-02-30 不存在",
        f"✗ {broken}：共 4 处错误，任务清单未生效，数据库未做任何修改。",
    ]
    # check never touches the database
    assert cli("status").status == 1


def test_check_shows_warnings_and_still_passes(cli, tmp_path: Path) -> None:
    plan = tmp_path / "warn.yaml"
    plan.write_text(
        BROKEN.replace("  timezone: Asia/Shanghia\n", "")
        .replace("coordinators: [zhang]\n", "")
        .replace("tittle", "title")
        .replace("gxx", "gxk")
        .replace("2022-02-30", "2028-02-29"),
        encoding="utf-8",
    )
    result = cli("check", "--tasks", str(plan))
    assert result.status == 0
    out = lines(result.out)
    assert out[0].startswith(f"{plan}:1:1: 2027 年没有法定节假日安排数据")
    assert out[1].startswith(f"{plan}:1:1: 2028 年没有法定节假日安排数据")
    assert (
        out[2] == f"{plan}:4:1: 提醒：没有设置 coordinators（督查科人员），周报和错误通知将无人接收"
    )
    assert out[3] == f"✓ {plan} 校验通过：1 个单位，1 人，1 个专项，1 项任务；3 条提醒。"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(
            "plan:\n  name: 测试计划\n".encode("gbk"),
            "2:9: 文件不是 UTF-8 编码（第 15 个字节无法识别），请用 UTF-8 重新保存",
            id="gbk",
        ),
        pytest.param(
            b"", "1:1: 文件是空的：至少需要 plan、departments 和 campaigns 三部分", id="empty"
        ),
        pytest.param(
            b"a: [1\nb: 2",
            "2:2: YAML 格式有误：第 1 行第 4 列的“[”没有配对的“]”，或是中间少了英文逗号",
            id="not-yaml",
        ),
        pytest.param(
            b"\x00\x01\x02",
            "1:1: 文件中有不可打印的控制字符 U+0000，"
            "不像是文本格式的任务清单（是不是选错了文件？）",
            id="binary",
        ),
        pytest.param(
            b"- a\n- b\n",
            "1:1: 文件顶层应是 plan:、departments:、campaigns: 等字段，"
            "这里是列表（每项以 - 开头，或写成 [a, b]）",
            id="a-list",
        ),
    ],
)
def test_check_a_file_that_is_not_a_plan(cli, tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "plan.yaml"
    path.write_bytes(content)
    result = cli("check", "--tasks", str(path))
    assert result.status == 1
    assert lines(result.out) == [
        f"{path}:{message}",
        f"✗ {path}：共 1 处错误，任务清单未生效，数据库未做任何修改。",
    ]
    assert "Traceback" not in result.out + result.err


def test_check_a_missing_file(cli, tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    result = cli("check", "--tasks", str(missing))
    assert result.status == 1
    assert lines(result.out) == [
        f"{missing}:1:1: 找不到任务清单文件",
        f"✗ {missing}：共 1 处错误，任务清单未生效，数据库未做任何修改。",
    ]


# -- sync ------------------------------------------------------------------------------------


def test_sync_dry_run_then_sync_then_nothing_to_do(cli) -> None:
    preview = cli("sync", "--dry-run")
    assert preview.status == 0
    out = lines(preview.out)
    assert "+ 单位 gxk  高新科（科技局高新技术科）" in out
    assert "+ 人员 wangli  王丽" in out
    assert "+ 专项 zcq8  自创区“八大专项攻坚行动”" in out
    assert "+ 任务 zcq8-1  高新技术产业投资攻坚" in out
    assert len([line for line in out if line.startswith("+ ")]) == ADDED
    assert "~ 设置：全部设置" in out
    assert out[-1] == (
        f"（预览）将新增 {ADDED}，修改 0，归档 0，恢复 0；"
        "数据库未做任何修改，去掉 --dry-run 即可应用。"
    )
    not_yet = cli("status")
    assert not_yet.status == 1

    applied = cli("sync")
    assert applied.status == 0
    assert lines(applied.out)[:-1] == out[:-1]
    assert lines(applied.out)[-1] == f"已同步：新增 {ADDED}，修改 0，归档 0，恢复 0。"

    again = cli("sync")
    assert again.status == 0
    assert lines(again.out) == ["数据库与任务清单一致，没有需要同步的变化。"]


def test_sync_shows_changed_fields_archives_and_restores(cli, tasks_file: Path) -> None:
    assert cli("sync").status == 0
    assert cli("report", "dls3-8", "--percent", "40", "--at", "2022-06-01").status == 0
    original = tasks_file.read_text(encoding="utf-8")

    replace_once(tasks_file, "title: 高新技术产业投资攻坚\n", "title: 高新技术产业投资攻坚行动\n")
    replace_once(
        tasks_file,
        "        lead: jsj\n        support: [zlb]\n",
        "        lead: jsj\n        support: [zlb, fgj]\n",
    )
    remove_task(tasks_file, "dls3-8", "  - id: yangu\n")
    preview = cli("sync", "--dry-run")
    assert preview.status == 0
    assert lines(preview.out) == [
        "~ 任务 zcq8-1  高新技术产业投资攻坚行动",
        "    标题：高新技术产业投资攻坚 → 高新技术产业投资攻坚行动",
        "~ 任务 dls3-2  交通路网建设会战",
        "    配合单位：zlb → zlb、fgj",
        "- 任务 dls3-8  走廊三年行动计划中期评估（归档，保留 1 条进度记录）",
        "（预览）将新增 0，修改 2，归档 1，恢复 0；数据库未做任何修改，去掉 --dry-run 即可应用。",
    ]
    applied = cli("sync")
    assert lines(applied.out)[-1] == "已同步：新增 0，修改 2，归档 1，恢复 0。"
    assert lines(cli("sync").out) == ["数据库与任务清单一致，没有需要同步的变化。"]

    tasks_file.write_text(original, encoding="utf-8")
    restored = cli("sync")
    assert restored.status == 0
    assert lines(restored.out) == [
        "~ 任务 zcq8-1  高新技术产业投资攻坚",
        "    标题：高新技术产业投资攻坚行动 → 高新技术产业投资攻坚",
        "~ 任务 dls3-2  交通路网建设会战",
        "    配合单位：zlb、fgj → zlb",
        "+ 任务 dls3-8  走廊三年行动计划中期评估（恢复，带回 1 条进度记录）",
        "已同步：新增 0，修改 2，归档 0，恢复 1。",
    ]
    status = json.loads(cli("status", "--as-of", "2022-06-02", "--json").out)
    (dls38,) = [s for s in status if s["id"] == "dls3-8"]
    assert dls38["percent"] == 40


def test_sync_of_a_changed_rule_says_so(cli, tasks_file: Path) -> None:
    cli("sync")
    replace_once(tasks_file, "  red_lag: 30 ", "  red_lag: 40 ")
    result = cli("sync")
    assert lines(result.out) == ["~ 设置：红黄灯规则", "已同步：新增 0，修改 0，归档 0，恢复 0。"]


def test_sync_of_a_broken_file_changes_nothing(cli, tasks_file: Path) -> None:
    assert cli("sync").status == 0
    before = cli("status", "--as-of", "2022-06-30", "--json").out
    replace_once(tasks_file, "title: 高新技术产业投资攻坚\n", "title: 改了标题\n")
    replace_once(
        tasks_file,
        "        lead: fgj\n        support: [tcj, jxj, gxk]\n",
        "        lead: fgx\n        support: [tcj, jxj, gxk]\n",
    )
    result = cli("sync")
    assert result.status == 1
    out = lines(result.out)
    assert len(out) == 2
    assert re.fullmatch(
        rf"{re.escape(str(tasks_file))}:\d+:15: 没有编号为 fgx 的单位，是不是想写 fgj？", out[0]
    )
    assert out[1] == f"✗ {tasks_file}：共 1 处错误，任务清单未生效，数据库未做任何修改。"
    assert cli("status", "--as-of", "2022-06-30", "--json").out == before


def test_sync_of_a_broken_file_before_any_sync_creates_nothing(cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN, encoding="utf-8")
    assert cli("sync", "--tasks", str(broken)).status == 1
    assert cli("sync", "--tasks", str(broken), "--dry-run").status == 1
    assert cli("status").status == 1


# -- schedule --------------------------------------------------------------------------------


def test_schedule_shifts_sends_past_the_national_day_holiday(cli) -> None:
    result = cli("schedule", "--from", "2022-09-25", "-n", "3")
    assert result.status == 0
    assert lines(result.out) == [
        "从 2022-09-25 00:00 起（Asia/Shanghai）：",
        "",
        '月度提醒（reminder）  "0 9 20 * *"',
        "  2022-10-20 周四 09:00",
        "  2022-11-21 周一 09:00  ← 11-20 非工作日，顺延",
        "  2022-12-20 周二 09:00",
        "",
        '督查通报（bulletin）  "0 9 1 * *"',
        "  2022-10-08 周六 09:00  ← 10-01 非工作日，顺延",
        "  2022-11-01 周二 09:00",
        "  2022-12-01 周四 09:00",
        "",
        '督查周报（digest）  "30 8 * * 1"',
        "  2022-09-26 周一 08:30",
        "  2022-10-08 周六 08:30  ← 10-03 非工作日，顺延",
        "  2022-10-10 周一 08:30",
    ]


def test_schedule_with_holidays_weekends_and_custom_crontabs(cli, tasks_file: Path) -> None:
    replace_once(tasks_file, "  holidays: cn\n", "  holidays: weekends\n")
    replace_once(tasks_file, '  digest: "30 8 * * 1"', '  digest: "0 17 * * 7"')
    result = cli("schedule", "--from", "2022-09-25", "-n", "2")
    assert result.status == 0
    out = lines(result.out)
    bulletin = out.index('督查通报（bulletin）  "0 9 1 * *"')
    assert out[bulletin + 1] == "  2022-10-03 周一 09:00  ← 10-01 非工作日，顺延"
    digest = out.index('督查周报（digest）  "0 17 * * 7"')
    # Day-of-week 7 is Sunday, shifted to Monday.
    assert out[digest + 1 : digest + 3] == [
        "  2022-09-26 周一 17:00  ← 09-25 非工作日，顺延",
        "  2022-10-03 周一 17:00  ← 10-02 非工作日，顺延",
    ]


def test_schedule_of_a_broken_file(cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN, encoding="utf-8")
    result = cli("schedule", "--tasks", str(broken))
    assert result.status == 1
    assert lines(result.out)[-1] == f"✗ {broken}：共 4 处错误，任务清单未生效，数据库未做任何修改。"


# -- the installed console script ------------------------------------------------------------


def test_the_console_script_checks_the_shipped_plan(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "superbot"
    done = subprocess.run(
        [str(script), "check", "--tasks", str(SHIPPED)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "HOME": str(tmp_path)},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"✓ {SHIPPED} 校验通过：")
    assert done.stderr == ""


def test_the_console_script_refuses_wrong_arguments_in_one_line(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "superbot"
    done = subprocess.run(
        [str(script), "status", "--as-of", "2022-02-30"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "HOME": str(tmp_path)},
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1
    assert "2022-02-30" in done.stderr
    assert "Traceback" not in done.stderr


def test_check_reports_a_bad_scoring_section_like_any_other(cli, tasks_file: Path) -> None:
    shipped = tasks_file.read_text(encoding="utf-8")
    line = len(shipped.splitlines()) + 1
    tasks_file.write_text(
        shipped + "scoring:\n  preset: 广元\n  support_share: 2\n  reporting: rate\n",
        encoding="utf-8",
    )
    result = cli("check")
    assert result.status == 1
    assert lines(result.out)[:2] == [
        f"{tasks_file}:{line + 1}:11: scoring.preset 只能是 default 或 cards 或 lead_support，"
        "这里是 “广元”",
        f"{tasks_file}:{line + 2}:18: scoring.support_share 的值 2 超出范围，应在 0 到 1 之间",
    ]


# -- sync: a renamed id, a dry run on nothing ------------------------------------------------


def test_a_dry_run_before_any_sync_creates_no_database(cli: Cli, tmp_path: Path) -> None:
    result = cli("sync", "--dry-run")
    assert result.status == 0, result.err
    assert "（预览）将新增 " in result.out
    assert not (tmp_path / "cli.db").exists()


def rename_zcq8_1(tasks_file: Path) -> None:
    text = tasks_file.read_text(encoding="utf-8")
    assert text.count("      - id: zcq8-1\n") == 1
    tasks_file.write_text(text.replace("      - id: zcq8-1\n", "      - id: zcq8-01\n"), "utf-8")


RENAMED = (
    "任务 zcq8-1 和 zcq8-01 标题相同（“高新技术产业投资攻坚”），看起来是改了编号："
    "同步会归档 zcq8-1（它的 1 条进度记录留在旧编号下），并把 zcq8-01 作为新任务从零开始。"
)


def test_a_renamed_id_is_asked_about(cli: Cli, tasks_file: Path) -> None:
    assert cli("sync").status == 0
    assert cli("report", "zcq8-1", "--percent", "10", "--at", "2022-06-01").status == 0
    rename_zcq8_1(tasks_file)
    preview = cli("sync", "--dry-run")
    assert preview.status == 0
    assert RENAMED in preview.out
    assert preview.out.rstrip().endswith("请在 tasks.yaml 里把编号改回 zcq8-1；同步时会先询问。")
    refused = cli("sync")  # nobody at the terminal to answer
    assert refused.status == 1
    assert RENAMED in refused.err
    assert refused.err.rstrip().endswith(
        "没有同步。确是有意改编号，请加 --yes 再运行 superbot sync"
    )
    assert refused.out == ""
    assert cli("report", "zcq8-1", "--percent", "20", "--at", "2022-06-02").status == 0  # kept
    cli.answers = [False]
    assert cli("sync").status == 1
    cli.answers = [True]
    assert cli("sync").status == 0
    gone = cli("report", "zcq8-1", "--percent", "30", "--at", "2022-06-03")
    assert gone.status == 2


def test_yes_syncs_a_rename_without_asking(cli: Cli, tasks_file: Path) -> None:
    assert cli("sync").status == 0
    rename_zcq8_1(tasks_file)
    result = cli("sync", "--yes")
    assert result.status == 0, result.err
    assert "+ 任务 zcq8-01  高新技术产业投资攻坚" in result.out
