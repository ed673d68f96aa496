"""The 督查通报 workbook opens in openpyxl with its sheets, headers and one row per task."""

from __future__ import annotations

import dataclasses
import io
from typing import Any

import openpyxl
import pytest
from tests.render.views import TRICKY, cases, huge

from superbot.render.environment import Templates, make_environment
from superbot.render.messages import MessageRenderer
from superbot.service.views import Bulletin

LABELS = {"red": "红灯", "yellow": "黄灯", "green": "绿灯", "done": "办结"}


def workbook(view: Bulletin, locale: str = "zh-CN") -> tuple[Any, Any]:
    templates = Templates(make_environment(), locale)
    content = MessageRenderer(templates, {}).bulletin_document(view, "xlsx")
    assert isinstance(content, bytes)
    return openpyxl.load_workbook(io.BytesIO(content)), templates.module("bulletin/xlsx.j2")


def header(sheet: Any, row: int = 1) -> list[Any]:
    values = [cell.value for cell in sheet[row]]
    while values and values[-1] is None:  # a wider table further down the sheet
        values.pop()
    return values


@pytest.mark.parametrize("plan", ["empty", "one", "shipped"])
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_sheets_headers_and_rows(plan: str, locale: str) -> None:
    view = cases()[plan].bulletin
    book, words = workbook(view, locale)
    names = words.sheets
    # One sheet per section of the 通报, in its order, the full table last.
    assert book.sheetnames == [
        names[key]
        for key in (
            "overview",
            "ranking",
            "red",
            "yellow",
            "completed",
            "silent",
            "indicators",
            "tasks",
        )
    ]
    rows = {
        "tasks": (words.headers["tasks"], len(view.statuses)),
        "red": (words.headers["items"], len(view.red)),
        "yellow": (words.headers["items"], len(view.yellow)),
        "completed": (words.headers["completed"], len(view.completed)),
        "silent": (words.headers["silent"], len(view.silent)),
        "ranking": (words.headers["ranking"], len(view.ranking)),
        "indicators": (words.headers["indicators"], len(view.indicators)),
    }
    for key, (labels, count) in rows.items():
        sheet = book[names[key]]
        assert header(sheet) == labels, key
        assert sheet.max_row == count + 1, key
    assert header(book[names["overview"]]) == words.headers["overview"]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"


def test_every_task_with_its_columns() -> None:
    view = cases()["shipped"].bulletin
    book, words = workbook(view)
    sheet = book[words.sheets["tasks"]]
    column = {name: i for i, name in enumerate(words.headers["tasks"])}
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [r[column["编号"]] for r in rows] == [s.task.id for s in view.statuses]
    labels = {"red": "●红灯", "yellow": "●黄灯", "green": "●绿灯", "done": "●办结"}
    for row, s in zip(rows, view.statuses, strict=True):
        assert row[column["专项"]] == s.campaign.name
        assert row[column["任务"]] == s.task.title
        assert row[column["牵头单位"]] == s.lead.name
        assert row[column["配合单位"]] == ("；".join(d.name for d in s.support) or None)
        assert row[column["截止日期"]].date() == s.task.due
        assert row[column["完成进度（%）"]] == s.assessment.percent
        assert row[column["灯"]] == labels[s.light.value]  # a word, never a colour alone
        assert row[column["情况"]]
    assert any(TRICKY in (r[column["任务"]] or "") for r in rows)
    assert any(TRICKY in (r[column["报送说明"]] or "") for r in rows)


def test_light_cells_are_filled_in_colour_and_columns_have_widths() -> None:
    view = cases()["shipped"].bulletin
    book, words = workbook(view)
    sheet = book[words.sheets["tasks"]]
    light = words.headers["tasks"].index("灯") + 1
    for row, s in enumerate(view.statuses, start=2):
        cell = sheet.cell(row, light)
        assert cell.fill.fgColor.rgb == "FF" + words.fills[s.light.value]
    widths = {key: dim.width for key, dim in sheet.column_dimensions.items()}
    assert widths["C"] > widths["B"]  # titles are wider than ids
    assert all(6 <= width <= 60 for width in widths.values())


def test_overview_has_the_counts_and_the_formula() -> None:
    view = cases()["shipped"].bulletin
    book, words = workbook(view)
    sheet = book[words.sheets["overview"]]
    values = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]}
    assert values["任务总数"] == view.counts.total
    assert values["红灯"] == view.counts.red
    assert values["通报月份"] == "2022年6月"
    assert "× 70%" in values["排名计分办法"]
    assert "× 30%" in values["排名计分办法"]
    campaigns = [row[0] for row in sheet.iter_rows(values_only=True)]
    for summary in view.campaigns:
        assert summary.campaign.name in campaigns


def test_a_title_that_looks_like_a_formula_stays_text() -> None:
    view = cases()["one"].bulletin
    s = view.statuses[0]
    evil = dataclasses.replace(s, task=dataclasses.replace(s.task, title='=HYPERLINK("x")\x07'))
    item = dataclasses.replace(view.items[0], status=evil)
    book, words = workbook(dataclasses.replace(view, statuses=(evil,), items=(item,)))
    cell = book[words.sheets["tasks"]]["C2"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("x")', "s")


def test_a_huge_plan_has_every_task() -> None:
    view = huge().bulletin
    book, words = workbook(view)
    assert book[words.sheets["tasks"]].max_row == 2001


def test_every_sheet_prints_landscape_one_page_wide_with_its_header_on_every_page() -> None:
    view = cases()["shipped"].bulletin
    book, words = workbook(view)
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert setup.orientation == "landscape", sheet.title
        assert int(setup.paperSize) == int(sheet.PAPERSIZE_A4), sheet.title
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert sheet.print_title_rows == "$1:$1", sheet.title
        assert "&P" in sheet.oddFooter.center.text
        assert "&A" in sheet.oddHeader.center.text
    for key in ("ranking", "red", "yellow", "tasks", "indicators"):
        sheet = book[words.sheets[key]]
        last = sheet.cell(1, len(header(sheet))).column_letter
        assert sheet.auto_filter.ref == f"A1:{last}{sheet.max_row}", key


def test_chinese_titles_fit_their_columns_and_long_text_wraps() -> None:
    view = cases()["shipped"].bulletin
    book, words = workbook(view)
    sheet = book[words.sheets["tasks"]]
    labels = words.headers["tasks"]
    title = sheet.column_dimensions["C"]
    longest = max(len(s.task.title) for s in view.statuses)
    # A Chinese character is two columns wide: the column is as wide as a title needs,
    # up to the wrap width, beyond which titles wrap instead of widening the page.
    assert title.width >= min(2 * longest, 36)
    assert sheet["C2"].alignment.wrap_text or title.width >= 2 * longest
    for column, label in enumerate(labels, start=1):  # headers are never cut off
        width = sheet.column_dimensions[sheet.cell(1, column).column_letter].width
        assert width >= min(2 * len(label), 36) or sheet.cell(1, column).alignment.wrap_text


def test_red_and_yellow_sheets_are_by_department_worst_first() -> None:
    view = cases()["shipped"].bulletin
    book, words = workbook(view)
    sheet = book[words.sheets["red"]]
    column = {name: i for i, name in enumerate(words.headers["items"])}
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    expected = [item.task.id for group in view.red_by_department for item in group.items]
    assert [r[column["编号"]] for r in rows] == expected
    assert all(r[column["灯"]] == "●红灯" for r in rows)
    light = column["灯"] + 1
    assert sheet.cell(2, light).fill.fgColor.rgb == "FF" + words.fills["red"]


def test_ranking_writes_places_in_words() -> None:
    view = cases()["shipped"].bulletin
    book, words = workbook(view)
    places = [
        row[0] for row in book[words.sheets["ranking"]].iter_rows(min_row=2, values_only=True)
    ]
    assert places[0] in ("第一名", "并列第一名")
