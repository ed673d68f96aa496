"""A plan's own scoring scheme from the command line, on SQLite and PostgreSQL: a company is
ranked among companies, a supporting bureau at half, a blocked task whose reason the
督查科 accepted (``superbot accept-reason``) costs nothing, and the 通报 says all of it."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from tests.conftest import Cli, Result

from superbot.config import Config

ZONE = ZoneInfo("Asia/Shanghai")

PLAN = """\
plan:
  name: 计分测试计划
  start: 2022-01-01
scoring:
  support_share: 0.5
  excuse_accepted: true
  due_soon: reminder
departments:
  - id: dck
    name: 督查科
    category: 科室
    people:
      - {id: wang, name: 王丽}
  - id: gxk
    name: 高新科
    category: 科室
    people:
      - {id: zhang, name: 张建华}
  - id: fgj
    name: 区发改局
    category: 区级部门
    people:
      - {id: li, name: 李明}
  - id: jsj
    name: 区住建局
    category: 区级部门
    people:
      - {id: zhao, name: 赵强}
  - id: yg
    name: 眼谷公司
    category: 平台与企业
    people:
      - {id: chen, name: 陈晨}
coordinators: [wang]
campaigns:
  - id: c1
    name: 专项一
    tasks:
      - {id: a, title: 任务甲, lead: gxk, support: [fgj], due: 2022-12-31}
      - {id: b, title: 任务乙, lead: gxk, due: 2022-12-31, weight: 2}
      - {id: c, title: 任务丙, lead: fgj, due: 2022-12-31}
      - {id: d, title: 任务丁, lead: jsj, due: 2022-12-31}
      - {id: e, title: 任务戊, lead: yg, due: 2022-12-31}
"""


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2022, 10, 8, 9, tzinfo=ZONE)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], tmp_path: Path, database_url: str) -> Cli:
    tasks = tmp_path / "tasks.yaml"
    tasks.write_text(PLAN, encoding="utf-8")
    config = Config(
        database_url=database_url,
        tasks_path=tasks,
        outbox_dir=tmp_path / "outbox",
        environ={},
    )
    return Cli(capsys, config, Clock())


def ok(result: Result) -> str:
    assert result.status == 0, result.out + result.err
    return result.out


def test_ranked_within_category_with_support_and_accepted_reasons(run: Cli, tmp_path: Path) -> None:
    ok(run("sync"))
    # Expected progress on 30 September: 272/364 = 74.7 %.
    for task, percent, state in (
        ("a", 80, "on_track"),  # green
        ("b", 20, "on_track"),  # 54.7 behind: red
        ("c", 75, "on_track"),  # green
        ("d", 30, "blocked"),  # red: 受阻
        ("e", 75, "on_track"),  # green
    ):
        ok(
            run(
                "report", task, "--percent", str(percent), "--state", state,
                "--at", "2022-09-20T10:00",
            )
        )  # fmt: skip
    refused = run("accept-reason", "c", "--reason", "未受阻")
    assert refused.status == 2
    assert "最近一次报送不是“受阻”" in refused.err
    accepted = ok(run("accept-reason", "d", "--reason", "待区政府协调用地指标", "--by", "wang"))
    assert accepted.strip() == (
        "已认可 d “任务丁”的受阻理由（正当理由），任务仍受阻期间有效，排名不扣分"
    )

    def reasons(day: str) -> str:
        found = {s["id"]: s for s in json.loads(ok(run("status", "--json", "--as-of", day)))}
        assert found["d"]["light"] == "red"  # still 受阻: said, not hidden
        return " ".join(found["d"]["reasons"])

    assert "理由已经督查科认可（正当理由）" in reasons("2022-10-08")
    assert "认可" not in reasons("2022-09-30")  # on that day nobody had accepted it yet

    md = tmp_path / "通报.md"
    ok(run("bulletin", "--month", "2022-09", "--format", "md", "-o", str(md)))
    text = md.read_text(encoding="utf-8")
    ranking = [line for line in text.splitlines() if "第一名" in line or "第二名" in line]
    # 科室: 高新科 leads a (green, 100) and b (red, weight 2): (100 + 0) / 3 = 33.3 →
    # 0.7 × 33.3 + 0.3 × 100 = 53.3. 区级部门: 区发改局 leads c (green) and supports a at
    # half (green): 100; 区住建局's only task is excused: not ranked. 平台与企业: 眼谷公司 100,
    # ranked among companies only.
    assert [_cells(line)[:3] for line in ranking] == [
        ["科室第一名", "高新科", "53.3"],
        ["区级部门第一名", "区发改局", "100"],
        ["平台与企业第一名", "眼谷公司", "100"],
    ]
    assert "区住建局" not in "\n".join(ranking)
    footer = text.rsplit("排名计分办法", 1)[1]
    assert "配合单位按任务分值的 50% 计分" in footer
    assert "工作受阻且理由经督查科认可（正当理由）的任务不计分" in footer
    assert "按单位类别（科室、区级部门、平台与企业）分别排名" in footer
    assert "临近截止只作提醒，不作黄灯、不扣分" in footer


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


INDICATOR_PLAN = """\
plan:
  name: 指标测试计划
  start: 2022-01-01
  supervision_start: 2022-06-01
rules:
  indicator_yellow: 5
  indicator_red: 15
departments:
  - id: fgj
    name: 区发改局
    people:
      - {id: li, name: 李明}
coordinators: [li]
campaigns:
  - id: c1
    name: 专项一
    tasks:
      - id: invest
        title: 高新技术产业投资攻坚
        lead: fgj
        due: 2022-12-31
        milestones:
          - {date: 2022-09-30, description: 重大项目全部开工, percent: 70}
        indicators:
          - {id: growth, name: 高新技术产业投资增速, unit: "%", kind: rate, target: 15}
          - {id: rank, name: 全市排名, unit: 名, kind: rank, target: 3}
"""


def test_an_indicator_far_behind_turns_the_light_from_the_command_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, database_url: str
) -> None:
    tasks = tmp_path / "tasks.yaml"
    tasks.write_text(INDICATOR_PLAN, encoding="utf-8")
    config = Config(database_url=database_url, tasks_path=tasks, environ={})
    run = Cli(capsys, config, Clock())
    ok(run("sync"))
    ok(
        run(
            "report", "invest", "--percent", "75", "--at", "2022-09-20T10:00",
            "--value", "growth=-5", "--value", "rank=2",
        )
    )  # fmt: skip
    [task] = json.loads(ok(run("status", "--json", "--as-of", "2022-09-30")))
    # 75 % meets the 70 % milestone and the line from 督办起始 (1 June): green by percent. The
    # growth rate is 20 points short of 15 %: red. Second place meets a top-3 target.
    assert task["light"] == "red"
    assert task["reasons"] == ["指标“高新技术产业投资增速”为 -5%，低于目标 15% 20 个百分点"]
