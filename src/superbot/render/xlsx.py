"""The 督查通报 as an .xlsx workbook, one sheet per section of the 通报: 总览, 单位排名,
红灯事项, 黄灯预警, 本月办结, 未报送单位, 定量指标, 任务明细; and, when the 通报 has them,
待审核, 督办事项 and 清单调整.

Every word on the sheets (names, headers, light labels, the formula, the page footer) and the
light colours come from the ``bulletin/xlsx.j2`` template as :class:`WorkbookWords`; this
module only lays them out. Every sheet prints as it should: A4 landscape, one page wide,
its header row on every page, frozen under the header, filtered, long text wrapped.
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
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from superbot.domain.text import Text
from superbot.render.terminal import display_width
from superbot.service.history import TaskChange
from superbot.service.status import TaskStatus
from superbot.service.views import Bulletin, BulletinItem, Deadline, Escalation, LightCounts

SHEETS = ("overview", "ranking", "red", "yellow", "completed", "silent", "indicators", "tasks")
OPTIONAL_SHEETS = ("pending", "escalations", "changes")  # only when the 通报 has some
HEADER_FILL = "FFE8EAED"
MIN_WIDTH, MAX_WIDTH = 6, 60
# Long text (titles, reasons, notes) wraps at this width instead of widening the page.
WRAP_WIDTH = 36
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
    places: Mapping[str, str]  # department id → its place in the ranking, worded
    page_header: str  # printed at the top of every page (&A is the sheet's name)
    page_footer: str  # printed at the bottom (&P page, &N pages)
    # Escalation documents and plan changes, worded: number, kind, rule; what changed.
    escalation: Callable[[Escalation], Sequence[str]] = lambda _: ("", "", "")
    change: Callable[[TaskChange], str] = lambda _: ""


def bulletin_workbook(view: Bulletin, words: WorkbookWords) -> bytes:
    book = Workbook()
    first = book.active
    assert isinstance(first, Worksheet)
    present = {"pending": view.pending, "escalations": view.escalations, "changes": view.changes}
    keys = [*SHEETS, *(key for key in OPTIONAL_SHEETS if present[key])]
    sheets = {
        key: _Sheet(first if index == 0 else book.create_sheet(), words.sheets[key])
        for index, key in enumerate(keys)
    }
    _overview(sheets["overview"], view, words)
    _ranking(sheets["ranking"], view, words)
    _items(sheets["red"], [i for group in view.red_by_department for i in group.items], words)
    _items(sheets["yellow"], [i for group in view.yellow_by_department for i in group.items], words)
    _completed(sheets["completed"], view, words)
    _silent(sheets["silent"], view, words)
    _indicators(sheets["indicators"], view, words)
    _tasks(sheets["tasks"], view.items or [_plain_item(s) for s in view.statuses], words)
    if "pending" in sheets:
        _items(sheets["pending"], view.pending, words)
    if "escalations" in sheets:
        _escalations(sheets["escalations"], view, words)
    if "changes" in sheets:
        _changes(sheets["changes"], view, words)
    for key, sheet in sheets.items():
        sheet.finish(words, table=key != "overview")
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
        self.columns = 0

    def header(self, labels: Sequence[str]) -> None:
        self.row += 1
        self.columns = max(self.columns, len(labels))
        for column, label in enumerate(labels, start=1):
            cell = self._cell(column, label)
            cell.font = Font(bold=True)
            cell.fill = PatternFill(fill_type="solid", fgColor=HEADER_FILL)
            cell.alignment = Alignment(vertical="center", wrap_text=True)

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

    def finish(self, words: WorkbookWords, *, table: bool) -> None:
        sheet = self.sheet
        sheet.freeze_panes = "A2"
        for column, width in self.widths.items():
            letter = get_column_letter(column)
            fitted = min(max(width + 2, MIN_WIDTH), MAX_WIDTH)
            if width > WRAP_WIDTH:  # wrap long text: the page stays readable when scaled
                fitted = WRAP_WIDTH
                for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
            sheet.column_dimensions[letter].width = fitted
        if table and self.columns and self.row > 1:
            last = get_column_letter(self.columns)
            sheet.auto_filter.ref = f"A1:{last}{self.row}"
        # Printing: A4 landscape, one page wide (as many tall as it takes), the header row
        # on every page, the sheet's name and page numbers in the margins.
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        sheet.print_options.horizontalCentered = True
        sheet.page_margins = PageMargins(left=0.4, right=0.4, top=0.7, bottom=0.7)
        sheet.print_title_rows = "1:1"
        for margin, text in (
            (sheet.oddHeader, words.page_header),
            (sheet.oddFooter, words.page_footer),
        ):
            if margin is not None:
                margin.center.text = text

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
    letterhead = view.letterhead
    values: dict[str, Value] = {
        "number": letterhead.issue.number if letterhead else None,
        "issuer": letterhead.issuer if letterhead else None,
        "plan": view.plan_name,
        "month": words.month,
        "as_of": view.as_of,
        "issued_on": view.issued_on,
        "total": counts.total,
        "red": counts.red,
        "yellow": counts.yellow,
        "pending": counts.pending,
        "green": counts.green,
        "done": counts.done,
        "completion_rate": round(counts.completion_rate, 1),
        "completed": len(view.completed),
        "silent": len(view.silent),
        "formula": words.formula,
    }
    sheet.header(words.headers["overview"])
    for key, label in words.overview.items():
        if key in values and not (key == "pending" and not counts.pending):
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
                words.places.get(entry.department.id, str(score.rank)),
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
ITEM_LIGHT_COLUMN = 5  # and in the red and yellow sheets'


def _items(sheet: _Sheet, items: Iterable[BulletinItem], words: WorkbookWords) -> None:
    """Red or yellow: by lead department, worst first, days counted to the issue date."""
    sheet.header(words.headers["items"])
    for item in items:
        a = item.assessment
        latest = item.latest
        row = sheet.add(
            [
                item.lead.name,
                item.task.id,
                item.task.title,
                item.task.due,
                words.lights[item.light.value],
                item.deadline.days_late,
                a.percent,
                round(a.expected, 1),
                round(item.lag, 1),
                words.separator.join(words.say(r) for r in item.reasons),
                a.last_report,
                latest.note if latest is not None and latest.note else None,
            ]
        )
        sheet.paint(row, ITEM_LIGHT_COLUMN, item.light.value, words)


def _completed(sheet: _Sheet, view: Bulletin, words: WorkbookWords) -> None:
    sheet.header(words.headers["completed"])
    for s in view.completed:
        on = s.assessment.last_report
        sheet.add(
            [
                s.lead.name,
                s.task.id,
                s.task.title,
                s.task.due,
                on,
                max((on - s.task.due).days, 0) if on is not None else None,
            ]
        )


def _silent(sheet: _Sheet, view: Bulletin, words: WorkbookWords) -> None:
    sheet.header(words.headers["silent"])
    for s in view.silent:
        sheet.add(
            [
                s.department.name,
                words.separator.join(p.name for p in s.people) or None,
                len(s.tasks),
                words.separator.join(t.title for t in s.tasks),
            ]
        )


def _plain_item(status: TaskStatus) -> BulletinItem:
    """A task of a view built without items, its reasons as they are."""
    deadline = Deadline(status.task.due, 0)
    return BulletinItem(status, deadline, status.reasons, status.assessment.lag)


def _tasks(sheet: _Sheet, items: Iterable[BulletinItem], words: WorkbookWords) -> None:
    sheet.header(words.headers["tasks"])
    for s in items:
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
                words.separator.join(words.say(r) for r in s.reasons),
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


ESCALATION_LIGHT_COLUMN = 6


def _escalations(sheet: _Sheet, view: Bulletin, words: WorkbookWords) -> None:
    sheet.header(words.headers["escalations"])
    for escalation in view.escalations:
        number, kind, rule = words.escalation(escalation)
        document = escalation.document
        row = sheet.add(
            [
                number,
                kind,
                escalation.item.lead.name,
                escalation.item.task.id,
                escalation.item.task.title,
                words.lights[document.light.value],
                rule,
                document.reply_by,
            ]
        )
        sheet.paint(row, ESCALATION_LIGHT_COLUMN, document.light.value, words)


def _changes(sheet: _Sheet, view: Bulletin, words: WorkbookWords) -> None:
    sheet.header(words.headers["changes"])
    for change in view.changes:
        row = sheet.add([change.on, change.task_id, change.title, words.change(change)])
        sheet.wrap(row, 4)


def _argb(colour: str) -> str:
    value = colour.lstrip("#").upper()
    return value if len(value) == 8 else f"FF{value}"
