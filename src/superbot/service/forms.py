"""The 填报表: a spreadsheet per department and round that the department fills in and sends
back (``superbot form``, ``superbot import``, or attached to an email reply).

A form holds the department's open tasks with their description locked, a percent column
(0–100), a state drop-down, a note column and a column per indicator, and a hidden signature
naming the department and the round. A returned form is checked whole: every problem is
reported with its cell, and nothing is recorded from a form that has one. Each row records
under a reference of its own (form, department, round, task), so importing the same form
again records nothing new, and a corrected form replaces what the earlier one recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from superbot.domain.model import Account, Department, Indicator, Report, State, Task
from superbot.domain.periods import Period
from superbot.domain.progress import read_progress
from superbot.domain.suggest import closest
from superbot.domain.text import Text
from superbot.service.errors import ServiceError
from superbot.service.people import Member, Right, find_department, find_person, member, right
from superbot.service.reminders import open_tasks_by_lead
from superbot.service.report import ReportRequest, record_report, validated_report
from superbot.service.status import TaskStatus, load_plan
from superbot.service.store import ActivePlan, Store

SOURCE = "form"


@dataclass(frozen=True)
class FormView:
    """One department's form for one round."""

    department: Department
    period: Period
    as_of: date
    tasks: tuple[TaskStatus, ...]

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        """Every indicator of the form's tasks, once, in task order."""
        seen: dict[str, Indicator] = {}
        for s in self.tasks:
            for indicator in s.task.indicators:
                seen.setdefault(indicator.id, indicator)
        return tuple(seen.values())


def build_forms(
    store: Store, period: Period, as_of: date, department: str | None = None
) -> list[FormView]:
    plan = load_plan(store)
    if department is not None:
        department = find_department(plan, department).id
    by_lead = open_tasks_by_lead(plan, store, as_of)
    return [
        FormView(d, period, as_of, tuple(by_lead[d.id]))
        for d in plan.departments.values()
        if d.id in by_lead and (department is None or d.id == department)
    ]


# -- a returned form, as the workbook reader found it ----------------------------------------


@dataclass(frozen=True)
class Cell:
    ref: str  # A1 style, on ``sheet``
    value: object  # as the workbook holds it: None, str, int, float, a date


@dataclass(frozen=True)
class FormRow:
    task: Cell
    percent: Cell
    state: Cell
    note: Cell
    values: Mapping[str, Cell] = field(default_factory=dict)  # indicator id → its cell


@dataclass(frozen=True)
class FormSheet:
    """What a returned form says; ``states`` maps the drop-down's words to states."""

    filename: str
    sheet: str
    department: str
    period: str
    rows: tuple[FormRow, ...]
    states: Mapping[str, State]


@dataclass(frozen=True)
class FormProblem:
    """One thing wrong, at ``FILE:SHEET!CELL`` (or the whole file when ``cell`` is empty)."""

    place: str
    text: Text

    @property
    def cell(self) -> str:
        return self.place.rpartition("!")[2] if "!" in self.place else self.place


class FormUnreadable(Exception):
    """Not a 填报表 superbot wrote (or one whose signature was damaged)."""

    def __init__(self, text: Text) -> None:
        super().__init__(repr(text))
        self.text = text


class FormFile(Protocol):
    def read(self, filename: str, content: bytes) -> FormSheet:
        """The form's rows, or :class:`FormUnreadable`."""
        ...

    def is_form(self, content: bytes) -> bool: ...


@dataclass(frozen=True)
class FormImported:
    filename: str
    department: Department | None
    period: str
    problems: tuple[FormProblem, ...] = ()
    recorded: tuple[Report, ...] = ()  # new or changed
    unchanged: int = 0  # rows an earlier import of this form recorded already


class FormImport:
    def __init__(self, store: Store, forms: FormFile) -> None:
        self.store = store
        self.forms = forms

    def is_form(self, content: bytes) -> bool:
        return self.forms.is_form(content)

    def import_file(
        self, filename: str, content: bytes, now: datetime, by: str | None = None
    ) -> FormImported:
        """A coordinator's import: every task of the form's department may be reported."""
        return self._import(filename, content, now, by=by, sender=None)

    def import_mailed(
        self, sender: Account, filename: str, content: bytes, now: datetime
    ) -> FormImported:
        """A form attached to an email reply: reported by the sender, within their rights."""
        return self._import(filename, content, now, by=None, sender=sender)

    def _import(
        self,
        filename: str,
        content: bytes,
        now: datetime,
        *,
        by: str | None,
        sender: Account | None,
    ) -> FormImported:
        plan = load_plan(self.store)
        try:
            sheet = self.forms.read(filename, content)
        except FormUnreadable as unreadable:
            return FormImported(filename, None, "", (FormProblem(filename, unreadable.text),))
        department = plan.departments.get(sheet.department)
        if department is None:
            problem = Text.of("form.unknown_department", id=sheet.department)
            return FormImported(filename, None, sheet.period, (FormProblem(filename, problem),))
        person = by
        who = None
        if sender is not None:
            who = member(plan, sender)
            person = who.person.id if who is not None else None
        if person is not None:
            person = find_person(plan, person).id
        requests: list[tuple[ReportRequest, FormRow]] = []
        problems: list[FormProblem] = []
        for row in sheet.rows:
            request = self._request(plan, sheet, department, row, person, problems)
            if request is not None and who is not None:
                self._within_rights(plan, sheet, row, request, who, problems)
            if request is not None:
                try:
                    validated_report(self.store, plan, request, now)
                except ServiceError as refused:
                    problems.append(FormProblem(self._at(sheet, row.percent), refused.text))
                    continue
                requests.append((request, row))
        if problems:
            return FormImported(filename, department, sheet.period, tuple(problems))
        recorded: list[Report] = []
        unchanged = 0
        for request, _ in requests:
            earlier = self.store.report_by_ref(request.source_ref or "")
            if earlier is not None and _same(earlier, request):
                unchanged += 1
                continue
            recorded.append(record_report(self.store, request, now=now).report)
        return FormImported(filename, department, sheet.period, (), tuple(recorded), unchanged)

    def _request(
        self,
        plan: ActivePlan,
        sheet: FormSheet,
        department: Department,
        row: FormRow,
        person: str | None,
        problems: list[FormProblem],
    ) -> ReportRequest | None:
        task_id = str(row.task.value or "").strip().lower()
        task = plan.task(task_id)
        if task is None:
            text = (
                Text.of("report.archived_task", id=task_id)
                if self.store.task_archived(task_id)
                else Text.of(
                    "report.unknown_task",
                    id=task_id,
                    suggestion=closest(task_id, [t.id for t in plan.tasks]),
                )
            )
            problems.append(FormProblem(self._at(sheet, row.task), text))
            return None
        if task.lead != department.id:
            text = Text.of("form.not_the_departments", task=task.title, department=department.name)
            problems.append(FormProblem(self._at(sheet, row.task), text))
            return None
        before = len(problems)
        percent = self._percent(sheet, row.percent, problems)
        state = self._state(sheet, row.state, problems)
        values = self._values(sheet, task, row, problems)
        note = str(row.note.value).strip() if row.note.value is not None else ""
        if len(problems) > before:
            return None
        if percent is None and state is None and not values and not note:
            return None  # a row left empty: nothing to say about that task this round
        if state is State.DONE and percent is not None and percent < 100:
            problems.append(
                FormProblem(
                    self._at(sheet, row.state), Text.of("report.done_below_100", percent=percent)
                )
            )
            return None
        return ReportRequest(
            task_id=task.id,
            percent=percent,
            state=state,
            note=note or None,
            by=person,
            values=values,
            source=SOURCE,
            source_ref=f"{SOURCE}:{department.id}:{sheet.period}:{task.id}",
        )

    def _within_rights(
        self,
        plan: ActivePlan,
        sheet: FormSheet,
        row: FormRow,
        request: ReportRequest,
        who: Member,
        problems: list[FormProblem],
    ) -> None:
        task = plan.task(request.task_id)
        assert task is not None
        allowed = right(who, task)
        if allowed is not Right.PROGRESS:
            text = Text.of("form.not_yours", task=task.title, lead=plan.departments[task.lead].name)
            problems.append(FormProblem(self._at(sheet, row.task), text))

    def _percent(self, sheet: FormSheet, cell: Cell, problems: list[FormProblem]) -> int | None:
        value = cell.value
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            problems.append(
                FormProblem(self._at(sheet, cell), Text.of("form.bad_percent", value=str(value)))
            )
            return None
        if isinstance(value, str):
            reading = read_progress(value)
            if (
                reading.percent is None
                or reading.problems
                or reading.note
                or reading.state not in (None, State.ON_TRACK, State.DONE)
            ):
                problems.append(
                    FormProblem(
                        self._at(sheet, cell), Text.of("form.bad_percent", value=value.strip())
                    )
                )
                return None
            return reading.percent
        number = Decimal(str(value))
        if not 0 <= number <= 100:
            problems.append(
                FormProblem(
                    self._at(sheet, cell),
                    Text.of("report.percent_range", value=_plain_number(number)),
                )
            )
            return None
        return int(number.quantize(Decimal(1), ROUND_HALF_UP))

    def _state(self, sheet: FormSheet, cell: Cell, problems: list[FormProblem]) -> State | None:
        value = str(cell.value).strip() if cell.value is not None else ""
        if not value:
            return None
        state = sheet.states.get(value)
        if state is None:
            problems.append(
                FormProblem(
                    self._at(sheet, cell),
                    Text.of("form.bad_state", value=value, choices=tuple(sheet.states)),
                )
            )
        return state

    def _values(
        self, sheet: FormSheet, task: Task, row: FormRow, problems: list[FormProblem]
    ) -> dict[str, float]:
        values: dict[str, float] = {}
        known = {i.id for i in task.indicators}
        for indicator_id, cell in row.values.items():
            value = cell.value
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            if indicator_id not in known:
                continue  # the column belongs to another task of the form; its cell is locked
            try:
                values[indicator_id] = float(str(value).strip().rstrip("%"))
            except ValueError:
                problems.append(
                    FormProblem(self._at(sheet, cell), Text.of("form.bad_value", value=str(value)))
                )
        return values

    @staticmethod
    def _at(sheet: FormSheet, cell: Cell) -> str:
        return f"{sheet.filename}:{sheet.sheet}!{cell.ref}"


def _same(report: Report, request: ReportRequest) -> bool:
    percent, state = request.percent, request.state
    if state is State.DONE or percent == 100:
        percent, state = 100, State.DONE
    elif percent is not None and state is None:
        state = State.ON_TRACK
    same_progress = (percent is None or report.percent == percent) and (
        state is None or report.state is state
    )
    return (
        same_progress
        and (report.note or None) == (request.note or None)
        and dict(report.values) == dict(request.values)
    )


def _plain_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)
