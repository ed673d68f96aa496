"""The task table as an .xlsx workbook: the rows the page shows, headed and worded by
``templates/<locale>/web/_words.j2``; prints one page wide with the header on every page."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.properties import PageSetupProperties

from superbot.domain.text import Text
from superbot.service.status import TaskStatus

WIDTHS = (12, 36, 24, 16, 24, 8, 12, 8, 40, 12)


def task_workbook(
    rows: Sequence[TaskStatus], words: Any, today: date, say: Callable[[Text], str]
) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = str(words.tasks_sheet)
    sheet.append([str(c) for c in words.task_columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for s in rows:
        a = s.assessment
        sheet.append(
            [
                s.task.id,
                _clean(s.task.title),
                _clean(s.campaign.name),
                _clean(s.lead.name),
                _clean(str(words.joined([d.name for d in s.support]))),
                a.percent,
                s.task.due,
                say(Text.of("light.label", light=s.light.value)),
                _clean(str(words.reasons([say(r) for r in a.reasons]))),
                a.last_report,
            ]
        )
    for column, width in zip("ABCDEFGHIJ", WIDTHS, strict=True):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        row[6].number_format = "yyyy-mm-dd"
        row[9].number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    footer = sheet.oddFooter
    if footer is not None:
        footer.center.text = f"{words.tasks_sheet} {today.isoformat()} &P/&N"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _clean(text: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", text)
