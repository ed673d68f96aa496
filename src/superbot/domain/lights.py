"""红黄绿灯: a task's light is computed from stored facts and a date, never stored.

The rules are the README's (docs/supervision.md has the loop's), in the order a 督查科
reads them: done first, then red, then yellow; each light comes with the reasons that made
it, as :class:`Text`.

A task whose owner asked to close it (办结申请) is 待审核 (``pending``) until a coordinator
decides: it is not done. Its *standing* — the light the ranking scores — is the light its
accepted progress gives, so a claim alone earns nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from itertools import pairwise
from zoneinfo import ZoneInfo

from superbot.domain.calendar import WorkdayCalendar
from superbot.domain.indicators import shortfall, target_on
from superbot.domain.model import ExtendedCountsAs, Milestone, Report, Rules, State, Task
from superbot.domain.scoring import DueSoon
from superbot.domain.text import Text


class Light(StrEnum):
    RED = "red"
    YELLOW = "yellow"
    PENDING = "pending"  # 待审核: done by the owner's word, waiting for a coordinator
    GREEN = "green"
    DONE = "done"

    @property
    def severity(self) -> int:
        """Sort key: red first, done last."""
        return _SEVERITY[self]


_SEVERITY = {Light.RED: 0, Light.YELLOW: 1, Light.PENDING: 2, Light.GREEN: 3, Light.DONE: 4}


@dataclass(frozen=True)
class Assessment:
    light: Light
    reasons: tuple[Text, ...]
    percent: int  # latest reported percent, 0 without a report
    expected: float  # 时序进度: share of the task's calendar days passed, 0–100
    state: State | None
    last_report: date | None  # day of the latest progress report, in the plan's zone
    # What the ranking scores: ``light``, except for a pending task (the light of its accepted
    # progress) and, with ``extended_counts_as: late``, an extended one (its original date).
    standing: Light | None = None
    late: bool = False  # done after the date the ranking holds it to
    claimed_on: date | None = None  # 待审核: the day the owner asked to close it
    original_due: date | None = None  # the plan's date, when an approved extension moved it
    excused: bool = False  # 受阻 for a reason a coordinator accepted (正当理由)

    @property
    def scored(self) -> Light:
        return self.standing or self.light

    @property
    def lag(self) -> float:
        return self.expected - self.percent

    @property
    def lag_points(self) -> int:
        return round_half_up(self.lag)


def _indicators_behind(
    task: Task, values: Mapping[str, float], as_of: date, expected: float, rules: Rules
) -> list[tuple[Text, bool]]:
    """Indicators far from their (pro-rata) target, when the plan makes that a light: the
    percent an owner types cannot keep 投资增速 −5 % against 15 % green."""
    if rules.indicator_yellow is None and rules.indicator_red is None:
        return []
    found = []
    for indicator in task.indicators:
        value = values.get(indicator.id)
        behind = shortfall(indicator, value, as_of, expected)
        if behind is None:
            continue
        is_red = rules.indicator_red is not None and behind > rules.indicator_red
        if is_red or (rules.indicator_yellow is not None and behind >= rules.indicator_yellow):
            text = Text.of(
                "light.indicator_behind",
                name=indicator.name,
                value=value,
                target=target_on(indicator, as_of),
                unit=indicator.unit,
                kind=indicator.kind.value,
                points=round(behind, 1),
            )
            found.append((text, is_red))
    return found


_ALSO_ON_RED = ("light.due_soon", "light.stale", "light.milestone_missed")


def lag_points(lag: float) -> float:
    """Lag as shown: one decimal, so a lag of 30.4 never reads "30" on a red light."""
    return round(lag, 1)


def round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def expected_progress(
    start: date, due: date, as_of: date, milestones: tuple[Milestone, ...] = ()
) -> float:
    """Share (0–100) of the calendar days from ``start`` to ``due`` that have passed; with
    milestones (节点), a straight line from each one to the next instead: 0 % at the start,
    each milestone's percent on its day, 100 % at the due date."""
    if as_of <= start:
        return 100.0 if as_of >= due else 0.0
    if as_of >= due:
        return 100.0
    points = [(start, 0.0)]
    points += [(m.day, float(m.percent)) for m in milestones if start < m.day < due]
    points.append((due, 100.0))
    for (day0, percent0), (day1, percent1) in pairwise(points):
        if as_of <= day1:
            return percent0 + (percent1 - percent0) * (as_of - day0).days / (day1 - day0).days
    return 100.0


def supervised_from(task: Task, rules: Rules) -> date:
    """Expected progress counts from the task's start, or from 督办起始 when that is later: a
    plan put under supervision in June does not owe January to May."""
    start = rules.supervision_start
    return max(task.start, start) if start is not None and start < task.due else task.start


def missed_milestones(
    task: Task, percent: int, as_of: date, start: date | None = None
) -> list[Milestone]:
    """Milestones whose day has passed (after supervision began) without their percent."""
    since = start or task.start
    return [m for m in task.milestones if since <= m.day < as_of and percent < m.percent]


def is_done(latest: Report | None) -> bool:
    return latest is not None and (
        latest.state is State.DONE or (latest.percent is not None and latest.percent >= 100)
    )


def is_overdue(task: Task, as_of: date) -> bool:
    return as_of > task.due


def is_stale(task: Task, last_report: date | None, as_of: date, rules: Rules) -> bool:
    """No report in the last ``stale_days`` days although the task started (and was under
    supervision) before that."""
    if (as_of - supervised_from(task, rules)).days <= rules.stale_days:
        return False
    return last_report is None or (as_of - last_report).days > rules.stale_days


def assess(
    task: Task,
    latest: Report | None,
    as_of: date,
    rules: Rules,
    calendar: WorkdayCalendar,
    zone: ZoneInfo,
    *,
    claimed_on: date | None = None,
    original_due: date | None = None,
    excused: bool = False,
    values: Mapping[str, float] | None = None,
) -> Assessment:
    """The light of ``task`` on ``as_of`` given its latest accepted progress report (or None).

    ``task.due`` is the effective due date; ``original_due`` the plan's when an approved
    extension moved it. ``claimed_on``: the owner asked to close the task that day and no
    coordinator has decided yet. ``excused``: a coordinator accepted the reason the task is
    受阻 (正当理由): it stays red, says so, and the ranking leaves it out when the scheme says.
    ``values``: the latest value of each of the task's indicators, for ``rules.indicator_*``.
    """
    shown = _assess(task, latest, as_of, rules, calendar, zone, values or {})
    if excused and shown.state is State.BLOCKED and shown.light is Light.RED:
        accepted = Text.of("light.blocked_accepted")
        shown = replace(
            shown,
            reasons=tuple(accepted if r.key == "light.blocked" else r for r in shown.reasons),
            excused=True,
        )
    if claimed_on is None and original_due is None:
        return shown  # nearly every task: what it shows is what it scores
    held_to = task.due
    scored = shown
    if original_due is not None and rules.extended_counts_as is ExtendedCountsAs.LATE:
        held_to = original_due
        scored = _assess(
            replace(task, due=original_due), latest, as_of, rules, calendar, zone, values or {}
        )
    light, reasons = shown.light, list(shown.reasons)
    if claimed_on is not None and shown.light is not Light.DONE:
        light = Light.PENDING
        reasons = [
            Text.of("light.pending", on=claimed_on),
            *(r for r in reasons if r.key not in _NOT_WORTH_SAYING_WHEN_PENDING),
        ]
    if original_due is not None:
        reasons.append(Text.of("light.extended", original=original_due, due=task.due))
    return replace(
        shown,
        light=light,
        reasons=tuple(reasons),
        standing=scored.light,
        late=shown.light is Light.DONE
        and shown.last_report is not None
        and shown.last_report > held_to,
        claimed_on=claimed_on if light is Light.PENDING else None,
        original_due=original_due,
    )


_NOT_WORTH_SAYING_WHEN_PENDING = ("light.on_track", "light.not_started", "light.due_soon")


def _assess(
    task: Task,
    latest: Report | None,
    as_of: date,
    rules: Rules,
    calendar: WorkdayCalendar,
    zone: ZoneInfo,
    values: Mapping[str, float],
) -> Assessment:
    last_report = latest.at.astimezone(zone).date() if latest is not None else None
    percent = latest.percent if latest is not None and latest.percent is not None else 0
    state = latest.state if latest is not None else None
    start = supervised_from(task, rules)
    expected = expected_progress(start, task.due, as_of, task.milestones)

    def result(light: Light, reasons: list[Text]) -> Assessment:
        late = light is Light.DONE and last_report is not None and last_report > task.due
        return Assessment(light, tuple(reasons), percent, expected, state, last_report, late=late)

    if is_done(latest):
        return result(Light.DONE, [Text.of("light.done", on=last_report, due=task.due)])

    lag = expected - percent
    red: list[Text] = []
    if is_overdue(task, as_of):
        red.append(Text.of("light.overdue", days=(as_of - task.due).days, due=task.due))
    if state is State.BLOCKED:
        red.append(Text.of("light.blocked"))
    if lag > rules.red_lag:
        red.append(Text.of("light.lag", points=lag_points(lag), expected=expected))

    yellow: list[Text] = []
    for text, is_red in _indicators_behind(task, values, as_of, expected, rules):
        (red if is_red else yellow).append(text)
    reminders: list[Text] = []  # said on a green light, never making it yellow
    workdays_left = calendar.workdays_between(as_of, task.due)
    if workdays_left <= rules.warn_workdays and not is_overdue(task, as_of):
        due_soon = Text.of(
            "light.due_soon",
            workdays=workdays_left,
            due=task.due,
            days=(task.due - as_of).days,  # 0 workdays left is not "due today" before a holiday
        )
        (reminders if rules.due_soon is DueSoon.REMINDER else yellow).append(due_soon)
    for milestone in missed_milestones(task, percent, as_of, start):
        yellow.append(
            Text.of(
                "light.milestone_missed",
                on=milestone.day,
                what=milestone.description,
                percent=milestone.percent,
            )
        )
    if state is State.AT_RISK:
        yellow.append(Text.of("light.at_risk"))
    if lag >= rules.yellow_lag and not lag > rules.red_lag:
        yellow.append(Text.of("light.lag", points=lag_points(lag), expected=expected))
    stale = is_stale(task, last_report, as_of, rules)
    if stale:
        days = None if last_report is None else (as_of - last_report).days
        yellow.append(Text.of("light.stale", days=days))

    if red:
        # A red task also says when it is close to its deadline or silent: a 督查科 asks both.
        also = [r for r in yellow + reminders if r.key in _ALSO_ON_RED]
        return result(Light.RED, red + also)
    if yellow:
        return result(Light.YELLOW, yellow + reminders)

    if as_of < task.start:
        return result(Light.GREEN, [Text.of("light.not_started", start=task.start)])
    on_track = Text.of("light.on_track", percent=percent, expected=expected)
    return result(Light.GREEN, [on_track, *reminders])
