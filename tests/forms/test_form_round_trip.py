"""The 填报表 round-trip: a form written by ``superbot form``, filled in with openpyxl as a
person fills it in Excel, imported with ``superbot import``."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from tests.conftest import Cli


@pytest.fixture
def synced(cli: Cli) -> Cli:
    assert cli("sync").status == 0
    return cli


def written(cli: Cli, tmp_path: Path, *args: str) -> dict[str, Path]:
    out = tmp_path / "forms"
    result = cli("form", "--month", "2022-06", "-o", str(out), *args)
    assert result.status == 0, result.err
    return {p.name: p for p in out.glob("*.xlsx")}


def rows_by_task(sheet: openpyxl.worksheet.worksheet.Worksheet) -> dict[str, int]:
    return {
        str(sheet.cell(r, 2).value): r
        for r in range(4, sheet.max_row + 1)
        if sheet.cell(r, 2).value is not None
    }


def test_a_form_per_department_with_locked_columns_and_validation(
    synced: Cli, tmp_path: Path
) -> None:
    forms = written(synced, tmp_path)
    assert "填报表-2022-06-高新科（科技局高新技术科）.xlsx" in forms
    book = openpyxl.load_workbook(forms["填报表-2022-06-高新科（科技局高新技术科）.xlsx"])
    sheet = book["填报表"]
    assert sheet["A1"].value == "2022年6月重点工作进度填报表 — 高新科（科技局高新技术科）"
    headers = [sheet.cell(3, c).value for c in range(1, sheet.max_column + 1)]
    assert headers[:9] == [
        "序号", "任务编号", "任务名称", "截止日期", "当前灯色", "上次报送",
        "本月进度（%）", "状态", "进展说明",
    ]  # fmt: skip
    rows = rows_by_task(sheet)
    assert "zcq8-2" in rows
    row = rows["zcq8-2"]
    assert sheet.protection.sheet  # the description cannot be typed over
    assert sheet.cell(row, 3).protection.locked
    assert not sheet.cell(row, 7).protection.locked  # percent
    assert not sheet.cell(row, 8).protection.locked  # state
    assert not sheet.cell(row, 9).protection.locked  # note
    rules = {str(dv.sqref): dv for dv in sheet.data_validations.dataValidation}
    percent = next(dv for ref, dv in rules.items() if f"G{row}" in ref)
    assert (percent.type, percent.formula1, percent.formula2) == ("whole", "0", "100")
    state = next(dv for ref, dv in rules.items() if f"H{row}" in ref)
    assert state.formula1 == '"正常推进,有风险,受阻,已完成"'
    assert book["superbot"].sheet_state == "veryHidden"


def test_a_filled_form_imports_and_a_second_import_records_nothing_new(
    synced: Cli, tmp_path: Path
) -> None:
    path = written(synced, tmp_path, "--dept", "gxk")[
        "填报表-2022-06-高新科（科技局高新技术科）.xlsx"
    ]
    book = openpyxl.load_workbook(path)
    sheet = book["填报表"]
    rows = rows_by_task(sheet)
    sheet.cell(rows["zcq8-2"], 7).value = 60
    sheet.cell(rows["zcq8-2"], 9).value = "研发费用加计扣除已申报"
    sheet.cell(rows["zcq8-3"], 8).value = "受阻"
    sheet.cell(rows["zcq8-3"], 9).value = "评审专家未到位"
    sheet.cell(rows["qy-8"], 8).value = "已完成"
    book.save(path)

    first = synced("import", str(path), "--by", "zhangjh")
    assert first.status == 0, first.err
    assert "登记 3 项" in first.out
    status = {s["id"]: s for s in json.loads(synced("status", "--json").out)}
    assert status["zcq8-2"]["percent"] == 60
    assert status["zcq8-3"]["state"] == "blocked"
    assert status["qy-8"]["light"] == "pending"  # a "done" waits for the coordinators
    assert status["zcq8-2"]["last_report_by"] == "zhangjh"

    again = synced("import", str(path), "--by", "zhangjh")
    assert again.status == 0, again.err
    assert "登记 0 项，3 项与上次导入相同" in again.out


def test_a_bad_percent_and_an_unknown_task_are_both_reported_and_nothing_is_recorded(
    synced: Cli, tmp_path: Path
) -> None:
    path = written(synced, tmp_path, "--dept", "gxk")[
        "填报表-2022-06-高新科（科技局高新技术科）.xlsx"
    ]
    book = openpyxl.load_workbook(path)
    sheet = book["填报表"]
    rows = rows_by_task(sheet)
    sheet.protection.sheet = False  # someone unprotected it and typed over an id
    sheet.cell(rows["zcq8-2"], 7).value = 150
    sheet.cell(rows["zcq8-3"], 7).value = 40
    sheet.cell(rows["qy-8"], 2).value = "qy-88"
    sheet.cell(rows["qy-8"], 7).value = 100
    book.save(path)

    result = synced("import", str(path))

    assert result.status == 1
    problems = result.err.splitlines()
    assert f"{path}:填报表!G{rows['zcq8-2']}: 进度应在 0 到 100 之间，这里是 150" in problems
    assert any(line.startswith(f"{path}:填报表!B{rows['qy-8']}: ") for line in problems)
    assert "qy-88" in result.err
    assert "一项也没有登记" in result.out
    status = json.loads(synced("status", "--json").out)
    assert all(s["last_report"] is None for s in status if s["id"] in ("zcq8-3", "qy-8"))


def test_a_percent_typed_as_60_percent_and_a_wrong_state(synced: Cli, tmp_path: Path) -> None:
    path = written(synced, tmp_path, "--dept", "gxk")[
        "填报表-2022-06-高新科（科技局高新技术科）.xlsx"
    ]
    book = openpyxl.load_workbook(path)
    sheet = book["填报表"]
    rows = rows_by_task(sheet)
    sheet.cell(rows["zcq8-2"], 7).value = 0.6  # Excel keeps "60%" as 0.6 in a percent format
    sheet.cell(rows["zcq8-2"], 7).number_format = "0%"
    sheet.cell(rows["zcq8-3"], 8).value = "差不多了"
    book.save(path)

    result = synced("import", str(path))

    assert result.status == 1
    assert f"填报表!H{rows['zcq8-3']}: 状态“差不多了”不在下拉列表里" in result.err
    assert f"G{rows['zcq8-2']}" not in result.err  # 60% was read as 60


def test_a_spreadsheet_that_is_not_a_form(synced: Cli, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active["A1"] = "进度"  # type: ignore[index]
    path = tmp_path / "自己做的表.xlsx"
    book.save(path)
    result = synced("import", str(path))
    assert result.status == 1
    assert f"{path}: 不是本系统生成的填报表" in result.err


def test_an_altered_signature_is_refused(synced: Cli, tmp_path: Path) -> None:
    path = written(synced, tmp_path, "--dept", "gxk")[
        "填报表-2022-06-高新科（科技局高新技术科）.xlsx"
    ]
    book = openpyxl.load_workbook(path)
    hidden = book["superbot"]
    hidden["A1"] = str(hidden["A1"].value).replace('"gxk"', '"fgj"')
    book.save(path)
    result = synced("import", str(path))
    assert result.status == 1
    assert "签名对不上" in result.err


def test_no_forms_for_a_month_without_open_tasks(synced: Cli, tmp_path: Path) -> None:
    result = synced("form", "--month", "2021-06", "-o", str(tmp_path / "none"))
    assert result.status == 0
    assert "没有需要填报的任务" in result.out
