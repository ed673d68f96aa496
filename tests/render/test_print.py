"""The 通报 printed through LibreOffice: the Word document on A4, the workbook landscape with
every task's row on one page width and the header on every page."""

from __future__ import annotations

import re

import pytest
from tests.office import office, page_sizes, pages, to_pdf  # noqa: F401  (the fixture)
from tests.render.views import cases

from superbot.render.environment import Templates, make_environment
from superbot.render.messages import MessageRenderer

A4 = (595.3, 841.9)  # points


def render(fmt: str) -> bytes:
    content = MessageRenderer(Templates(make_environment(), "zh-CN"), {}).bulletin_document(
        cases()["shipped"].bulletin, fmt
    )
    assert isinstance(content, bytes)
    return content


@pytest.mark.usefixtures("office")
def test_the_workbook_prints_each_task_on_one_page_width() -> None:
    view = cases()["shipped"].bulletin
    pdf = to_pdf(render("xlsx"), "bulletin.xlsx")
    sizes = page_sizes(pdf)
    assert sizes
    assert all(w > h and abs(w - A4[1]) < 1 and abs(h - A4[0]) < 1 for w, h in sizes)  # landscape
    printed = pages(pdf)
    tasks = [page for page in printed if "报送说明" in page and "开始日期" in page]
    assert tasks, "the task sheet printed"
    labels = {"red": "●红灯", "yellow": "●黄灯", "green": "●绿灯", "done": "●办结"}
    lines = [line for page in tasks for line in page.splitlines()]
    for s in view.statuses:
        # The row's id, dates and light are on one printed line: the row is one page wide.
        row = [line for line in lines if f" {s.task.id} " in f" {line} "]
        assert row, s.task.id
        assert any(labels[s.light.value] in line and str(s.task.due) in line for line in row)
    for page in tasks:  # every page of the sheet repeats its header
        assert "专项" in page
        assert "报送说明" in page
    # Forty portrait pages before; now every sheet is one page wide.
    assert len(printed) <= 12


@pytest.mark.usefixtures("office")
def test_the_word_document_prints_on_a4_with_its_letterhead_first() -> None:
    pdf = to_pdf(render("docx"), "bulletin.docx")
    sizes = page_sizes(pdf)
    assert any(abs(w - A4[0]) < 1 and abs(h - A4[1]) < 1 for w, h in sizes)
    assert any(w > h for w, h in sizes)  # the annex table is landscape
    first = pages(pdf)[0]
    assert first.lstrip().startswith("督查通报")
    assert re.search(r"第\s*6\s*期", first)
    assert re.search(r"—\s*1\s*—", first)  # the page number field, filled in
