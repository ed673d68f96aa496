"""superbot bulletin --month 2022-09 --format docx|xlsx|html|md|pdf: a file a 督查科 would send
as it is, numbered, dated the day it is written out (the clock is the test's: 8 October 2022,
after the National Day holiday)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import docx
import openpyxl
import pytest
from tests.conftest import Cli
from tests.office import office, pages  # noqa: F401  (the fixture)

ZONE = ZoneInfo("Asia/Shanghai")


def clock(day: str) -> Callable[[], datetime]:
    moment = datetime.fromisoformat(f"{day}T09:00").replace(tzinfo=ZONE)
    return lambda: moment


@pytest.fixture
def office_cli(cli: Cli) -> Cli:
    cli.clock = clock("2022-10-08")
    assert cli("sync").status == 0
    # zcq8-1 is behind; dls3-4 was due on 30 September and is half done.
    for task, percent, day in (("zcq8-1", "20", "2022-09-10"), ("dls3-4", "50", "2022-09-15")):
        result = cli("report", task, "--percent", percent, "--at", day)
        assert result.status == 0, result.err
    return cli


@pytest.mark.parametrize("fmt", ["docx", "xlsx", "html", "md"])
def test_every_format_is_written_numbered_and_dated(
    office_cli: Cli, tmp_path: Path, fmt: str
) -> None:
    target = tmp_path / f"september.{fmt}"
    result = office_cli("bulletin", "--month", "2022-09", "--format", fmt, "-o", str(target))
    assert result.status == 0, result.err
    assert result.out.strip() == f"已写入 {target}（第 1 期，2022年10月8日印发）"
    content = target.read_bytes()
    if fmt == "docx":
        paragraphs = [p.text for p in docx.Document(io.BytesIO(content)).paragraphs]
        assert paragraphs[:3] == [
            "督查通报",
            "第 1 期",
            "高新区（xx区）科技局督查科\t2022年10月8日",
        ]
        assert "关于2022年9月重点工作推进情况的通报" in paragraphs
    elif fmt == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(content))
        assert book.sheetnames[0] == "总览"
        assert book["任务明细"].page_setup.orientation == "landscape"
    else:
        text = content.decode()
        assert "第 1 期" in text
        # Due on the month's last day, read eight days later: overdue, not "due today".
        assert "9月30日截止（已逾期 8 天）" in text
        assert "今天截止" not in text


def test_a_month_keeps_its_number_and_date(office_cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "x.md"
    assert (
        office_cli("bulletin", "--month", "2022-09", "-o", str(out), "--format", "md").status == 0
    )
    office_cli.clock = clock("2022-11-03")
    august = office_cli("bulletin", "--month", "2022-08", "-o", str(out), "--format", "md")
    assert "第 2 期" in august.out
    again = office_cli("bulletin", "--month", "2022-09", "-o", str(out), "--format", "md")
    assert again.out.strip().endswith("（第 1 期，2022年10月8日印发）")
    redated = office_cli(
        "bulletin", "--month", "2022-09", "--date", "2022-10-09", "-o", str(out), "--format", "md"
    )
    assert redated.out.strip().endswith("（第 1 期，2022年10月9日印发）")


def test_binary_formats_are_not_written_to_the_terminal(office_cli: Cli) -> None:
    result = office_cli("bulletin", "--month", "2022-09", "--format", "docx", "-o", "-")
    assert result.status == 2
    assert len(result.err.strip().splitlines()) == 1


def test_pdf_without_libreoffice_is_one_line(
    office_cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUPERBOT_SOFFICE", str(tmp_path / "no-such-soffice"))
    target = tmp_path / "september.pdf"
    result = office_cli("bulletin", "--month", "2022-09", "--format", "pdf", "-o", str(target))
    assert result.status == 1
    [line] = result.err.strip().splitlines()
    assert line.startswith("没有找到 LibreOffice")
    assert not target.exists()


@pytest.mark.usefixtures("office")
def test_pdf_through_libreoffice(office_cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "september.pdf"
    result = office_cli("bulletin", "--month", "2022-09", "--format", "pdf", "-o", str(target))
    assert result.status == 0, result.err
    pdf = target.read_bytes()
    assert pdf.startswith(b"%PDF")
    first = pages(pdf)[0]
    assert first.lstrip().startswith("督查通报")
