"""The README's quick start, run from the command line as a newcomer would: every colour in
the September 通报, 示例 on everything it writes, and the real database untouched."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from tests.conftest import ROOT, Cli
from tests.fakes.clock import FakeClock

from superbot.config import Config


@pytest.fixture
def newcomer(capsys: pytest.CaptureFixture[str], tmp_path: Path, cli_clock: FakeClock) -> Cli:
    config = Config(
        database_url=f"sqlite:///{tmp_path / 'superbot.db'}",
        tasks_path=ROOT / "tasks.yaml",
        outbox_dir=tmp_path / "outbox",
        environ={},
    )
    return Cli(capsys, config, cli_clock)  # any day will do: the example brings its own


def test_the_quick_start_shows_a_mid_year_picture(newcomer: Cli, tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    progress = ROOT / "examples" / "progress.yaml"
    result = newcomer("demo", "--dir", str(demo), "--progress", str(progress))
    assert result.status == 0, result.out + result.err
    assert result.out.startswith("【示例】以下是示例数据")
    assert "共 18 项：红灯 4，黄灯 4，待审核 1，绿灯 7，办结 2" in result.out

    md = (demo / "督查通报-2022-09.md").read_text(encoding="utf-8")
    assert "# 督查通报（2022年9月）" in md
    assert "【示例】高新区（xx区）科技局督查科" in md
    for colour in ("●红灯", "●黄灯", "●待审核", "●绿灯", "●办结"):
        assert colour in md, colour
    html = (demo / "督查通报-2022-09.html").read_text(encoding="utf-8")
    assert "【示例】" in html
    for colour in ("红灯", "黄灯", "待审核", "绿灯", "办结"):
        assert colour in html
    word = docx.Document(io.BytesIO((demo / "督查通报-2022-09.docx").read_bytes()))
    assert any("【示例】" in p.text for p in word.paragraphs)
    assert (demo / "督查通报-2022-09.xlsx").stat().st_size > 0

    # The 通报 went to the file outbox, one folder per person, and says 示例 there too.
    sent = list((demo / "outbox").rglob("*.txt"))
    bulletins = [p.read_text(encoding="utf-8") for p in sent if "督查通报" in p.name]
    assert len(bulletins) >= 10
    assert all("【示例】" in text for text in bulletins)
    # The ranking is by category: a bureau is never ranked against the 科室.
    assert "科室第一名" in md
    assert "区级部门第一名" in md or "区级部门并列第一名" in md
    # The shipped scheme at work. 成果转化科 leads cg-1 (done 15 September, early: 105),
    # cg-2 (silent since June: its light not scored, July–September missed: 3 × 5) and cg-3
    # (green: 100): (105 + 100) ÷ 2 − 15 = 87.5.
    assert "| 科室第一名 | 成果转化科（科技大市场） | 87.5 | 102.5 |" in md
    # 区市场监管局 only supports cg-2, unscored for its lead's silence: not ranked at all.
    ranking = md.split("单位排名", 1)[1].split("##", 1)[0]
    assert "区市场监管局" not in ranking

    # Nothing touched the real database or outbox.
    assert not (tmp_path / "superbot.db").exists()
    assert not (tmp_path / "outbox").exists()

    # Run again: the same picture, not a second year on top of the first.
    again = newcomer("demo", "--dir", str(demo), "--progress", str(progress))
    assert again.status == 0, again.err
    assert "共 18 项：红灯 4，黄灯 4，待审核 1，绿灯 7，办结 2" in again.out
