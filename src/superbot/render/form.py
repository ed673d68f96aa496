"""The 填报表 workbook, written and read back by this one module (its layout is its contract).

Sheet 1 (named by ``templates/<locale>/form/xlsx.j2``): a title row, an instructions row,
the header row, then one row per task. The task's number, id, title, due date, light and
last report are locked (the sheet is protected without a password, so nobody overwrites them
by accident); the percent (whole numbers 0–100), the state (a drop-down), the note and the
indicator cells that belong to the row's task are open. A very hidden sheet carries the
signature: the department, the round, the locale, which task each row holds and which
indicator each column holds, and a digest of all of it, so a returned form is matched to its
department and round, and a damaged one is refused.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import jinja2
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from superbot.domain.model import State
from superbot.domain.text import Text
from superbot.render.environment import Templates
from superbot.service.forms import Cell, FormRow, FormSheet, FormUnreadable, FormView

SIGNATURE_SHEET = "superbot"
MARK = "superbot-form"
VERSION = 1
FIRST_ROW = 4  # title, instructions, headers, then tasks
MAX_BYTES = 10 * 1024 * 1024  # a returned form bigger than this is not opened
_LOCKED_FILL = PatternFill("solid", fgColor="F1F3F4")
_OPEN_FILL = PatternFill("solid", fgColor="FFFDE7")
_HEADER_FILL = PatternFill("solid", fgColor="E8EAED")
_THIN = Side(style="thin", color="BDC1C6")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_LIGHT_FILLS = {"red": "FCE8E6", "yellow": "FEF7E0", "green": "E6F4EA", "done": "E8F0FE"}


@dataclass(frozen=True)
class FormWords:
    """Everything the form says, from ``templates/<locale>/form/xlsx.j2``."""

    locale: str
    sheet: str
    title: str
    instructions: str
    headers: Mapping[str, str]  # number, id, title, due, light, last, percent, state, note
    lights: Mapping[str, str]
    states: Mapping[State, str]  # the drop-down's words
    never: str  # "not reported yet"
    percent_error: str
    state_error: str
    value_error: str
    indicator_header: Any  # (name, unit) → the column's header


_FIXED = ("number", "id", "title", "due", "light", "last", "percent", "state", "note")
_WIDTHS = {"number": 6, "id": 11, "title": 30, "due": 12, "light": 9, "last": 22}
_WIDTHS |= {"percent": 12, "state": 11, "note": 44}


def form_workbook(view: FormView, words: FormWords) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = words.sheet[:31]
    indicators = view.indicators
    columns = len(_FIXED) + len(indicators)
    last_column = get_column_letter(columns)

    sheet["A1"] = words.title
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.merge_cells(f"A1:{last_column}1")
    sheet["A2"] = words.instructions
    sheet["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.merge_cells(f"A2:{last_column}2")
    sheet.row_dimensions[2].height = 48
    headers = [words.headers[key] for key in _FIXED]
    headers += [str(words.indicator_header(i.name, i.unit)) for i in indicators]
    for column, header in enumerate(headers, start=1):
        cell = sheet.cell(3, column, header)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        cell.border = _BORDER
    for key, width in _WIDTHS.items():
        sheet.column_dimensions[get_column_letter(_FIXED.index(key) + 1)].width = width
    for offset in range(len(indicators)):
        sheet.column_dimensions[get_column_letter(len(_FIXED) + 1 + offset)].width = 16

    percent = DataValidation(
        type="whole", operator="between", formula1="0", formula2="100", allow_blank=True
    )
    percent.error, percent.errorTitle, percent.showErrorMessage = words.percent_error, "", True
    state_list = ",".join(words.states[s] for s in State)
    state = DataValidation(type="list", formula1=f'"{state_list}"', allow_blank=True)
    state.error, state.showErrorMessage = words.state_error, True
    value = DataValidation(type="decimal", operator="between", formula1="-1E+12", formula2="1E+12")
    value.error, value.showErrorMessage, value.allow_blank = words.value_error, True, True
    for validation in (percent, state, value):
        sheet.add_data_validation(validation)

    rows = []
    for number, s in enumerate(view.tasks, start=1):
        row = FIRST_ROW + number - 1
        a = s.assessment
        last = (
            f"{a.percent}% · {s.latest.at.date().isoformat()}"
            if s.latest is not None
            else words.never
        )
        fixed: list[int | str | date] = [
            number,
            s.task.id,
            s.task.title,
            s.task.due,
            words.lights[s.light.value],
            last,
        ]
        for column, content in enumerate(fixed, start=1):
            cell = sheet.cell(row, column, content)
            cell.fill = _LOCKED_FILL
            cell.border = _BORDER
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.cell(row, 4).number_format = "yyyy-mm-dd"
        sheet.cell(row, 5).fill = PatternFill("solid", fgColor=_LIGHT_FILLS[s.light.value])
        for key in ("percent", "state", "note"):
            _open(sheet.cell(row, _FIXED.index(key) + 1))
        sheet.cell(row, _FIXED.index("note") + 1).alignment = Alignment(wrap_text=True)
        percent.add(sheet.cell(row, _FIXED.index("percent") + 1))
        state.add(sheet.cell(row, _FIXED.index("state") + 1))
        own = {i.id for i in s.task.indicators}
        for offset, indicator in enumerate(indicators):
            value_cell = sheet.cell(row, len(_FIXED) + 1 + offset)
            value_cell.border = _BORDER
            if indicator.id in own:
                _open(value_cell)
                value.add(value_cell)
            else:
                value_cell.fill = _LOCKED_FILL
        rows.append((row, s.task.id))
    sheet.freeze_panes = f"D{FIRST_ROW}"
    sheet.protection.sheet = True  # without a password: it guards against slips, not people
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_title_rows = "3:3"

    signature = {
        "mark": MARK,
        "version": VERSION,
        "department": view.department.id,
        "period": view.period.key,
        "locale": words.locale,
        "sheet": sheet.title,
        "rows": rows,
        "indicators": [[len(_FIXED) + 1 + n, i.id] for n, i in enumerate(indicators)],
    }
    hidden = book.create_sheet(SIGNATURE_SHEET)
    hidden.sheet_state = "veryHidden"
    hidden["A1"] = json.dumps(signature, ensure_ascii=False, sort_keys=True)
    hidden["A2"] = _digest(signature)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def form_words(templates: Templates, view: FormView | None = None) -> FormWords:
    """The words of ``form/xlsx.j2`` (the title and instructions for ``view``)."""
    words: Any = templates.module("form/xlsx.j2")
    return FormWords(
        locale=templates.locale,
        sheet=str(words.sheet),
        title=_line(words.title(view)) if view is not None else "",
        instructions=_line(words.instructions(view)) if view is not None else "",
        headers={str(k): str(v) for k, v in words.headers.items()},
        lights={str(k): str(v) for k, v in words.lights.items()},
        states={State(str(k)): str(v) for k, v in words.states.items()},
        never=str(words.never),
        percent_error=str(words.percent_error),
        state_error=str(words.state_error),
        value_error=str(words.value_error),
        indicator_header=lambda name, unit: _line(words.indicator(name, unit)),
    )


def form_states(env: jinja2.Environment, locale: str) -> dict[State, str]:
    """The drop-down's words of a locale (without making that locale the environment's)."""
    words: Any = env.get_template(f"{locale}/form/xlsx.j2").module
    return {State(str(k)): str(v) for k, v in words.states.items()}


def form_filename(templates: Templates, view: FormView) -> str:
    words: Any = templates.module("form/xlsx.j2")
    return _line(words.filename(view)) + ".xlsx"


def _line(value: object) -> str:
    return " ".join(str(value).split())


def _open(cell: Any) -> None:
    cell.protection = Protection(locked=False)
    cell.fill = _OPEN_FILL
    cell.border = _BORDER


def _digest(signature: Mapping[str, Any]) -> str:
    text = json.dumps(signature, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


class FormWorkbooks:
    """Reads returned forms; the drop-down's words, by the locale the form was written in,
    give the states back."""

    def __init__(self, states: Mapping[str, Mapping[State, str]]) -> None:
        self.states = states

    def is_form(self, content: bytes) -> bool:
        try:
            return self._signature(content) is not None
        except FormUnreadable:  # ours, but damaged: importing it says so
            return True

    def read(self, filename: str, content: bytes) -> FormSheet:
        if len(content) > MAX_BYTES:
            raise FormUnreadable(Text.of("form.too_big"))
        found = self._signature(content)
        if found is None:
            raise FormUnreadable(Text.of("form.not_a_form"))
        book, signature = found
        if signature.get("version") != VERSION:
            raise FormUnreadable(Text.of("form.old_version"))
        name = str(signature["sheet"])
        if name not in book.sheetnames:
            raise FormUnreadable(Text.of("form.sheet_missing", sheet=name))
        sheet = book[name]
        said = self.states.get(str(signature.get("locale")), next(iter(self.states.values())))
        columns = {key: _FIXED.index(key) + 1 for key in _FIXED}
        indicator_columns = {str(i): int(c) for c, i in signature["indicators"]}
        rows = []
        for row_number, _task in signature["rows"]:

            def cell(column: int, row: int = int(row_number)) -> Cell:
                return Cell(f"{get_column_letter(column)}{row}", _value(sheet, row, column))

            rows.append(
                FormRow(
                    task=cell(columns["id"]),
                    percent=_percent_cell(sheet, int(row_number), columns["percent"]),
                    state=cell(columns["state"]),
                    note=cell(columns["note"]),
                    values={ident: cell(column) for ident, column in indicator_columns.items()},
                )
            )
        states = {label: state for state, label in said.items()}
        return FormSheet(
            filename,
            name,
            str(signature["department"]),
            str(signature["period"]),
            tuple(rows),
            states,
        )

    def _signature(self, content: bytes) -> tuple[Any, dict[str, Any]] | None:
        if not zipfile.is_zipfile(io.BytesIO(content)):
            return None
        try:
            book = load_workbook(io.BytesIO(content), data_only=True)
        except (OSError, KeyError, ValueError, zipfile.BadZipFile):
            return None
        if SIGNATURE_SHEET not in book.sheetnames:
            return None
        hidden = book[SIGNATURE_SHEET]
        try:
            signature = json.loads(str(hidden["A1"].value))
        except (TypeError, ValueError):
            return None
        if not isinstance(signature, dict) or signature.get("mark") != MARK:
            return None
        if hidden["A2"].value != _digest(signature):
            raise FormUnreadable(Text.of("form.signature_broken"))
        return book, signature


def _value(sheet: Worksheet, row: int, column: int) -> object:
    return sheet.cell(row, column).value


def _percent_cell(sheet: Worksheet, row: int, column: int) -> Cell:
    """A percent typed as ``60%`` is kept by Excel as 0.6 in a percent format."""
    cell = sheet.cell(row, column)
    value: object = cell.value
    if isinstance(value, int | float) and "%" in str(cell.number_format):
        value = round(value * 100, 6)
    return Cell(f"{get_column_letter(column)}{row}", value)
