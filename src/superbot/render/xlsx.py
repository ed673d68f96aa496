"""The 督查通报 as an .xlsx workbook: 总览, 部门排名, 任务明细, 红灯, 指标.

Every word on the sheets (names, headers, light labels, the formula) and the light colours
come from the ``bulletin/xlsx.j2`` template as :class:`WorkbookWords`; this module only lays
them out.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from superbot.domain.text import Text
from superbot.render.terminal import display_width
from superbot.service.status import TaskStatus
from superbot.service.views import Bulletin, LightCounts

SHEETS = ("overview", "ranking", "tasks", "red", "indicators")
HEADER_FILL = "FFE8EAED"
MIN_WIDTH, MAX_WIDTH = 6, 60
DATE_FORMAT = "yyyy-mm-dd"

Value = str | int | float | date | None


@dataclass(frozen=True)
class WorkbookWords:
    sheets: Mapping[str, str]  # SHEETS → sheet name
    headers: Mapping[str, Sequence[str]]  # overview, campaigns, ranking, tasks, indicators
    overview: Mapping[str, str]  # row labels of the 总览 sheet, by key
    lights: Mapping[str, str]  # light → label
    fills: Mapping[str, str]  # light → cell colour (RRGGBB)
    fonts: Mapping[str, str]  # light → text colour on that fill
    separator: str  # between reasons
    month: str  # the month covered, worded
    formula: str  # how the ranking is scored
    say: Callable[[Text], str]


def bulletin_workbook(view: Bulletin, words: WorkbookWords) -> bytes:
    book = Workbook()
    first = book.active
    assert isinstance(first, Worksheet)
    sheets = {
        key: _Sheet(first if index == 0 else book.create_sheet(), words.sheets[key])
        for index, key in enumerate(SHEETS)
    }
    _overview(sheets["overview"], view, words)
    _ranking(sheets["ranking"], view, words)
    _tasks(sheets["tasks"], view.statuses, words)
    _tasks(sheets["red"], [item.status for item in view.red], words)
    _indicators(sheets["indicators"], view, words)
    for sheet in sheets.values():
        sheet.finish()
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class _Sheet:
    """A worksheet written row by row (openpyxl's ``max_row`` scans every row it has)."""

    def __init__(self, sheet: Worksheet, title: str) -> None:
        # Excel: at most 31 characters, none of []:*?/\
        sheet.title = "".join("_" if ch in "[]:*?/\\" else ch for ch in title)[:31] or "_"
        self.sheet = sheet
        self.row = 0
        self.widths: dict[int, int] = {}

    def header(self, labels: Sequence[str]) -> None:
        self.row += 1
        for column, label in enumerate(labels, start=1):
            cell = self._cell(column, label)
            cell.font = Font(bold=True)
            cell.fill = PatternFill(fill_type="solid", fgColor=HEADER_FILL)
            cell.alignment = Alignment(vertical="center")

    def add(self, values: Sequence[Value], *, bold: bool = False) -> int:
        self.row += 1
        for column, value in enumerate(values, start=1):
            cell = self._cell(column, value)
            if bold:
                cell.font = Font(bold=True)
        return self.row

    def skip(self) -> None:
        self.row += 1

    def paint(self, row: int, column: int, light: str, words: WorkbookWords) -> None:
        cell = self.sheet.cell(row, column)
        fill, font = words.fills.get(light), words.fonts.get(light)
        if fill is not None:
            cell.fill = PatternFill(fill_type="solid", fgColor=_argb(fill))
        if font is not None:
            cell.font = Font(bold=True, color=_argb(font))

    def wrap(self, row: int, column: int) -> None:
        self.sheet.cell(row, column).alignment = Alignment(wrap_text=True, vertical="top")

    def finish(self) -> None:
        self.sheet.freeze_panes = "A2"
        for column, width in self.widths.items():
            letter = get_column_letter(column)
            self.sheet.column_dimensions[letter].width = min(max(width + 2, MIN_WIDTH), MAX_WIDTH)

    def _cell(self, column: int, value: Value) -> Cell:
        cell = self.sheet.cell(self.row, column)
        assert isinstance(cell, Cell)
        if isinstance(value, str) and value:
            cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
            # A title starting with "=" is text, never a formula a spreadsheet would run.
            cell.data_type = "s"
        elif not isinstance(value, str):
            cell.value = value
        if isinstance(value, date):
            cell.number_format = DATE_FORMAT
        if value is not None and value != "":
            text = value.isoformat() if isinstance(value, date) else str(value)
            width = max((display_width(line) for line in text.splitlines()), default=0)
            self.widths[column] = max(self.widths.get(column, 0), width)
        return cell


def _overview(sheet: _Sheet, view: Bulletin, words: WorkbookWords) -> None:
    counts = view.counts
    values: dict[str, Value] = {
        "plan": view.plan_name,
        "month": words.month,
        "as_of": view.as_of,
        "issued_on": view.issued_on,
        "total": counts.total,
        "red": counts.red,
        "yellow": counts.yellow,
        "green": counts.green,
        "done": counts.done,
        "completion_rate": round(counts.completion_rate, 1),
        "completed": len(view.completed),
        "silent": len(view.silent),
        "formula": words.formula,
    }
    sheet.header(words.headers["overview"])
    for key, label in words.overview.items():
        if key in values:
            row = sheet.add([label, values[key]])
            if key == "formula":
                sheet.wrap(row, 2)
    sheet.skip()
    sheet.header(words.headers["campaigns"])
    for summary in view.campaigns:
        sheet.add([summary.campaign.name, *_count_cells(summary.counts)])
    sheet.add([words.overview.get("total", ""), *_count_cells(counts)], bold=True)


def _count_cells(counts: LightCounts) -> list[Value]:
    return [
        counts.total,
        counts.red,
        counts.yellow,
        counts.green,
        counts.done,
        round(counts.completion_rate, 1),
    ]


def _ranking(sheet: _Sheet, view: Bulletin, words: WorkbookWords) -> None:
    sheet.header(words.headers["ranking"])
    for entry in view.ranking:
        score, counts = entry.score, entry.counts
        sheet.add(
            [
                score.rank,
                entry.department.name,
                score.score,
                round(score.task_score, 1),
                round(score.report_rate, 1),
                score.tasks,
                score.reported,
                score.expected_reports,
                counts.red,
                counts.yellow,
                counts.green,
                counts.done,
            ]
        )


LIGHT_COLUMN = 10  # "light" in the tasks sheet's headers


def _tasks(sheet: _Sheet, statuses: Iterable[TaskStatus], words: WorkbookWords) -> None:
    sheet.header(words.headers["tasks"])
    for s in statuses:
        a = s.assessment
        latest = s.latest
        row = sheet.add(
            [
                s.campaign.name,
                s.task.id,
                s.task.title,
                s.lead.name,
                words.separator.join(d.name for d in s.support),
                s.task.start,
                s.task.due,
                a.percent,
                round(a.expected, 1),
                words.lights[s.light.value],
                words.separator.join(words.say(r) for r in a.reasons),
                a.last_report,
                latest.note if latest is not None and latest.note else None,
            ]
        )
        sheet.paint(row, LIGHT_COLUMN, s.light.value, words)


def _indicators(sheet: _Sheet, view: Bulletin, words: WorkbookWords) -> None:
    sheet.header(words.headers["indicators"])
    leads = {s.task.id: s.lead.name for s in view.statuses}
    for reading in view.indicators:
        attainment = reading.attainment
        sheet.add(
            [
                reading.task.id,
                reading.task.title,
                leads.get(reading.task.id),
                reading.indicator.name,
                reading.indicator.unit,
                reading.indicator.target,
                reading.value,
                None if attainment is None else round(attainment, 1),
                reading.reported_on,
            ]
        )


def _argb(colour: str) -> str:
    value = colour.lstrip("#").upper()
    return value if len(value) == 8 else f"FF{value}"
