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
    assert book.sheetnames == [
        names[key] for key in ("overview", "ranking", "tasks", "red", "indicators")
    ]
    tasks, red = book[names["tasks"]], book[names["red"]]
    ranking, indicators = book[names["ranking"]], book[names["indicators"]]
    assert header(tasks) == words.headers["tasks"]
    assert header(red) == words.headers["tasks"]
    assert header(ranking) == words.headers["ranking"]
    assert header(indicators) == words.headers["indicators"]
    assert header(book[names["overview"]]) == words.headers["overview"]
    assert tasks.max_row == len(view.statuses) + 1
    assert red.max_row == len(view.red) + 1
    assert ranking.max_row == len(view.ranking) + 1
    assert indicators.max_row == len(view.indicators) + 1
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"


def test_every_task_with_its_columns() -> None:
    view = cases()["shipped"].bulletin
    book, words = workbook(view)
    sheet = book[words.sheets["tasks"]]
    column = {name: i for i, name in enumerate(words.headers["tasks"])}
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [r[column["编号"]] for r in rows] == [s.task.id for s in view.statuses]
    for row, s in zip(rows, view.statuses, strict=True):
        assert row[column["专项"]] == s.campaign.name
        assert row[column["任务"]] == s.task.title
        assert row[column["牵头单位"]] == s.lead.name
        assert row[column["配合单位"]] == ("；".join(d.name for d in s.support) or None)
        assert row[column["截止日期"]].date() == s.task.due
        assert row[column["完成进度（%）"]] == s.assessment.percent
        assert (
            row[column["灯"]]
            == {"red": "红灯", "yellow": "黄灯", "green": "绿灯", "done": "办结"}[s.light.value]
        )
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
    book, words = workbook(dataclasses.replace(view, statuses=(evil,), red=(evil,)))
    cell = book[words.sheets["tasks"]]["C2"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("x")', "s")


def test_a_huge_plan_has_every_task() -> None:
    view = huge().bulletin
    book, words = workbook(view)
    assert book[words.sheets["tasks"]].max_row == 2001
