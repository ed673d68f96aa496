"""The escalation ladder (督办升级): 督办单, then 专函, then 约谈, as tasks.yaml ``escalation``
orders them.

It is read at each issued 督查通报, from the lights the task had in the 通报 issued so far:

* a task climbs only while it stays yellow or red; a 通报 in which it is neither ends the
  episode, and the next one starts again at the first rung;
* the first rung fires when its rule holds ("yellow in 2 consecutive 通报");
* a rung above fires only when the document below it went unanswered: its reply-by date
  has passed with no progress on the task; then the rung's own rule must hold too;
* a document answered with progress holds the ladder where it is: the same rung fires again
  once its rule holds anew, counting only the 通报 issued after that reply-by date;
* the top rung does not repeat.

The lights counted are the ones the ranking scores (a 待审核 task counts as what its accepted
progress says), so a claim of "done" made just before a 通报 does not reset the ladder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from superbot.domain.calendar import WorkdayCalendar
from superbot.domain.lights import Light
from superbot.domain.model import DocumentKind, EscalationRule
from superbot.domain.text import Text

WARNING = (Light.YELLOW, Light.RED)


@dataclass(frozen=True)
class Seen:
    """The task in one issued 通报."""

    period: str  # 2022-09
    issued_on: date
    light: Light  # as the ranking scored it


@dataclass(frozen=True)
class Fired:
    """An escalation document already issued for the task."""

    rung: int  # index in the ladder
    period: str  # the 通报 that fired it
    reply_by: date
    answered: bool  # progress arrived by ``reply_by``


@dataclass(frozen=True)
class Step:
    """What fires now: the rung, and the count of consecutive 通报 that made its rule hold."""

    rung: int
    rule: EscalationRule
    streak: int


@dataclass(frozen=True)
class EscalationDocument:
    """A 督办单, 专函 or 约谈 proposal: numbered 〔year〕督办第 N 号 once issued."""

    kind: DocumentKind
    rung: int
    task_id: str
    department_id: str  # the lead department it is addressed to
    period: str  # the 通报 that fired it
    issued_on: date
    reply_by: date
    light: Light  # the task's light in that 通报
    streak: int  # consecutive 通报 with that light
    percent: int  # accepted progress then: an answer is progress beyond it
    due: date
    rule: EscalationRule
    reasons: tuple[Text, ...]  # the task's reasons in that 通报
    year: int | None = None
    number: int | None = None  # a preview's is the number it would take
    id: int | None = None  # None: a preview, not issued


def streak(seen: Sequence[Seen], light: str) -> int:
    """Consecutive 通报, newest first, with at least ``light`` (yellow counts red too)."""
    wanted = (Light.RED,) if light == Light.RED.value else WARNING
    count = 0
    for entry in reversed(seen):
        if entry.light not in wanted:
            break
        count += 1
    return count


def next_step(
    rules: Sequence[EscalationRule],
    seen: Sequence[Seen],
    fired: Sequence[Fired],
    today: date,
) -> Step | None:
    """The rung that fires at the 通报 issued ``today``; ``seen`` ends with that 通报."""
    if not rules or not seen or seen[-1].light not in WARNING:
        return None
    if any(f.period == seen[-1].period for f in fired):
        return None  # this 通报 has fired already
    began = seen[-streak(seen, Light.YELLOW.value)].period
    mine = [f for f in fired if f.period >= began]
    if not mine:
        return _if_holds(rules, 0, seen)
    last = mine[-1]
    if last.reply_by >= today:
        return None  # still within the time given to reply
    if last.answered:
        since = [s for s in seen if s.issued_on > last.reply_by]
        return _if_holds(rules, last.rung, since)
    if last.rung + 1 >= len(rules):
        return None
    return _if_holds(rules, last.rung + 1, seen)


def _if_holds(rules: Sequence[EscalationRule], rung: int, seen: Sequence[Seen]) -> Step | None:
    rule = rules[rung]
    count = streak(seen, rule.light)
    return Step(rung, rule, count) if count >= rule.consecutive else None


def reply_by(issued_on: date, workdays: int, calendar: WorkdayCalendar) -> date:
    """The ``workdays``-th workday after ``issued_on``."""
    day = issued_on
    for _ in range(workdays):
        day = calendar.next_workday(day + timedelta(days=1))
    return day
