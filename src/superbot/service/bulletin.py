"""Building the monthly 督查通报 from the store: lights at month end, ranking, silences.

The lights and the ranking are those at the end of the month; every word relative to a day
(overdue by, days left, silent since) is relative to the 通报's own date, the day it is
issued. :func:`compose_bulletin` is pure: it takes what :func:`read_month` reads.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from superbot.domain.lights import Light, is_done, supervised_from
from superbot.domain.model import BulletinIssue, Campaign, Report, Task
from superbot.domain.periods import Period, end_of_day, local_day, start_of_day
from superbot.domain.ranking import (
    TaskStanding,
    is_early,
    missed_before,
    rank,
    score_department,
)
from superbot.domain.review import Due
from superbot.domain.scoring import Reporting, ScoringPeriod
from superbot.domain.text import Text
from superbot.service.history import TaskChange, task_changes
from superbot.service.status import (
    LoopFacts,
    TaskStatus,
    assess_tasks,
    excused_tasks,
    loop_facts,
    plan_on,
)
from superbot.service.store import ActivePlan, Store
from superbot.service.views import (
    Bulletin,
    BulletinItem,
    CampaignSummary,
    Deadline,
    DepartmentItems,
    DepartmentRank,
    Escalation,
    IndicatorGroup,
    IndicatorReading,
    Letterhead,
    LightCounts,
    Silence,
)

# A department with more indicators than this without any report gets one line for them.
UNREPORTED_RUN = 3
# Reasons worded from the end of the month that the 通报 words from its own date instead.
_DEADLINE_REASONS = ("light.overdue", "light.due_soon")


@dataclass(frozen=True)
class MonthFacts:
    """What the store holds about one month, read once."""

    before: Mapping[str, Report]  # latest progress before the month began
    at_end: Mapping[str, Report]  # latest progress at its end
    reported: frozenset[str]  # tasks with any report in the month
    values: Mapping[tuple[str, str], tuple[float, datetime]]  # latest indicator values
    loop: LoopFacts = field(default_factory=LoopFacts)  # 待审核 and extensions at its end
    # Due dates moved by extensions approved after the month's end, by the issue date: the
    # 通报 words deadlines from its own date, so from the date then in force.
    issue_dues: Mapping[str, Due] = field(default_factory=dict)
    changes: tuple[TaskChange, ...] = ()  # tasks.yaml edits since the previous 通报
    # Cumulative deductions for missed reports only: the months each task had a report in,
    # and the day it was first reported done.
    reported_months: Mapping[str, frozenset[str]] = field(default_factory=dict)
    done_on: Mapping[str, date] = field(default_factory=dict)


def read_month(
    store: Store, plan: ActivePlan, period: Period, issued_on: date | None = None
) -> MonthFacts:
    """The month's facts; the plan changes are those made since the 通报 before it up to the
    end of ``issued_on`` (the month's end when not given)."""
    zone = plan.zone
    first, last = start_of_day(period.first, zone), end_of_day(period.last, zone)
    previous = [
        i
        for key in store.issued_keys(ISSUED_PREFIX)
        if (key.removeprefix(ISSUED_PREFIX) < period.key)
        and (i := store.bulletin_issue(key.removeprefix(ISSUED_PREFIX))) is not None
    ]
    since = (
        end_of_day(max(i.issued_on for i in previous), zone)
        if previous
        else first - timedelta(microseconds=1)
    )
    until = end_of_day(max(issued_on or period.last, period.last), zone)
    scoring = plan.settings.scoring
    months: dict[str, set[str]] = defaultdict(set)
    done_on: dict[str, date] = {}
    if scoring.reporting is Reporting.DEDUCTION and scoring.period is ScoringPeriod.CUMULATIVE:
        earliest = min((t.start for t in plan.tasks), default=period.first)
        for report in store.reports_between(start_of_day(earliest, zone), last):
            day = local_day(report.at, zone)
            months[report.task_id].add(f"{day:%Y-%m}")
            if is_done(report) and report.task_id not in done_on:
                done_on[report.task_id] = day
    return MonthFacts(
        reported_months={task_id: frozenset(keys) for task_id, keys in months.items()},
        done_on=done_on,
        before=store.latest_progress(first - timedelta(microseconds=1), archived=True),
        at_end=store.latest_progress(last, archived=True),
        reported=frozenset(r.task_id for r in store.reports_between(first, last)),
        values=store.latest_values(last),
        loop=_with_reasons_accepted_by(store, plan, loop_facts(store, plan, last), last, until),
        issue_dues=loop_facts(store, plan, until).dues,
        changes=tuple(
            c
            for c in task_changes(store, zone, since=since, until=until)
            if c.version.number > 1  # the first sync is the plan itself, not a change to it
        ),
    )


def _with_reasons_accepted_by(
    store: Store, plan: ActivePlan, loop: LoopFacts, last: datetime, until: datetime
) -> LoopFacts:
    """A reason accepted after the month's end but before the 通报 is issued counts for the
    blockage reported in the month: the 督查科 decides it while preparing the 通报."""
    if not plan.settings.scoring.excuse_accepted:
        return loop
    return replace(loop, excused=excused_tasks(store, last, accepted_by=until))


# The issued copies of a month's 通报 are kept under this key: ``bulletin:2022-09``.
ISSUED_PREFIX = "bulletin:"


def issue_of(
    store: Store,
    period: Period,
    on: date,
    now: datetime,
    *,
    record: bool,
    redate: bool = False,
) -> BulletinIssue:
    """The month's 期号 and date. Once issued, a month keeps its number and its date (``on``
    replaces the date only with ``redate``); the first issue takes the next number of the
    year of the month covered, stored only when ``record`` (a preview or a dry run is not
    an issue)."""
    year = period.first.year
    issued = store.bulletin_issue(period.key)
    if issued is not None and not redate:
        return issued
    if record:
        return store.save_bulletin_issue(period.key, year, on, now)
    if issued is not None:
        return BulletinIssue(issued.period, issued.year, issued.number, on)
    return BulletinIssue(period.key, year, store.next_bulletin_number(year), on)


def build_bulletin(
    store: Store,
    period: Period,
    issue: BulletinIssue,
    escalations: Sequence[Escalation] = (),
) -> Bulletin:
    """The month's 通报 with the plan as it stood at the month's end."""
    plan = plan_on(store, period.last)
    facts = read_month(store, plan, period, issue.issued_on)
    return compose_bulletin(plan, period, issue, facts, escalations)


def compose_bulletin(
    plan: ActivePlan,
    period: Period,
    issue: BulletinIssue,
    facts: MonthFacts,
    escalations: Sequence[Escalation] = (),
) -> Bulletin:
    zone = plan.zone
    statuses = [
        _moved_since(s, facts.issue_dues.get(s.task.id))
        for s in assess_tasks(plan, facts.at_end, period.last, facts.loop)
        if s.task.start <= period.last
    ]
    open_in_period = {s.task.id for s in statuses if not is_done(facts.before.get(s.task.id))}
    completed = [s for s in statuses if s.light is Light.DONE and s.task.id in open_in_period]
    issued_on = issue.issued_on
    red = _worst_first(_item(s, issued_on) for s in statuses if s.light is Light.RED)
    yellow = _worst_first(_item(s, issued_on) for s in statuses if s.light is Light.YELLOW)
    pending = sorted(
        (_item(s, issued_on) for s in statuses if s.light is Light.PENDING),
        key=lambda i: (i.assessment.claimed_on or period.last, i.task.id),
    )
    readings = indicator_readings(statuses, facts.values, zone, period.last)
    silent = silences(plan, statuses, open_in_period, facts.reported)
    if not plan.settings.rules.name_people_in_bulletin:
        silent = [Silence(s.department, (), s.tasks) for s in silent]
    return Bulletin(
        plan_name=plan.settings.name,
        period=period,
        as_of=period.last,
        issued_on=issued_on,
        rules=plan.settings.rules,
        counts=LightCounts.of(statuses),
        campaigns=tuple(
            CampaignSummary(campaign, LightCounts.of(group))
            for campaign, group in _by_campaign(plan, statuses)
        ),
        ranking=tuple(_ranking(plan, period, statuses, open_in_period, facts)),
        red=tuple(red),
        yellow=tuple(yellow),
        completed=tuple(completed),
        indicators=tuple(readings),
        silent=tuple(silent),
        statuses=tuple(statuses),
        scoring=plan.settings.scoring,
        letterhead=letterhead(plan, issue),
        red_by_department=tuple(_by_department(red)),
        yellow_by_department=tuple(_by_department(yellow)),
        indicator_groups=tuple(indicator_groups(plan, readings)),
        escalations=tuple(escalations),
        items=tuple(_item(s, issued_on) for s in statuses),
        pending=tuple(pending),
        changes=facts.changes,
    )


def _moved_since(status: TaskStatus, due: Due | None) -> TaskStatus:
    """The light of the month's end, the due date of the issue date."""
    if due is None or due.day == status.task.due:
        return status
    extended = Text.of("light.extended", original=due.original, due=due.day)
    reasons = [r for r in status.assessment.reasons if r.key != "light.extended"]
    return replace(
        status,
        task=replace(status.task, due=due.day),
        assessment=replace(
            status.assessment, reasons=(*reasons, extended), original_due=due.original
        ),
    )


def letterhead(plan: ActivePlan, issue: BulletinIssue) -> Letterhead:
    """tasks.yaml's ``bulletin`` section; the issuer defaults to the coordinators' office."""
    settings = plan.settings.bulletin
    offices = [
        plan.departments[plan.people[p].department_id].name
        for p in plan.coordinators
        if p in plan.people and plan.people[p].department_id in plan.departments
    ]
    issuer = settings.issuer or (offices[0] if offices else plan.settings.name)
    return Letterhead(issue, issuer, settings.to, settings.cc, settings.requirements)


def _item(status: TaskStatus, issued_on: date) -> BulletinItem:
    a = status.assessment
    deadline = Deadline(status.task.due, (issued_on - status.task.due).days)
    year = issued_on.year
    said = Text.of("bulletin.deadline", due=deadline.due, late=deadline.days_late, year=year)
    reasons: list[Text] = []
    for reason in a.reasons:
        if reason.key in _DEADLINE_REASONS:
            if said not in reasons:
                reasons.insert(0, said)
        elif reason.key == "light.stale":
            reasons.append(Text.of("bulletin.silent_since", since=a.last_report, year=year))
        elif reason.key == "light.done":
            reasons.append(Text.of("bulletin.done", on=a.last_report, due=deadline.due, year=year))
        elif reason.key == "light.pending":
            reasons.append(Text.of("bulletin.pending", on=a.claimed_on, year=year))
        elif reason.key == "light.extended":
            reasons.append(Text.of("bulletin.extended", original=a.original_due, year=year))
        else:
            reasons.append(reason)
    return BulletinItem(status, deadline, tuple(reasons), a.lag)


def _worst_first(items: Iterable[BulletinItem]) -> list[BulletinItem]:
    """Longest overdue first, then furthest behind; plan order among equals."""
    return sorted(items, key=lambda i: (-max(i.deadline.days_late, 0), -i.lag, i.task.due))


def _by_department(items: Sequence[BulletinItem]) -> Iterable[DepartmentItems]:
    """Grouped by lead department, the department with the worst item first."""
    groups: dict[str, list[BulletinItem]] = {}
    for item in items:  # already worst first: a department's first item is its worst
        groups.setdefault(item.lead.id, []).append(item)
    for group in groups.values():
        yield DepartmentItems(group[0].lead, tuple(group))


def _by_campaign(
    plan: ActivePlan, statuses: Sequence[TaskStatus]
) -> Iterable[tuple[Campaign, list[TaskStatus]]]:
    groups: dict[str, list[TaskStatus]] = defaultdict(list)
    for s in statuses:
        groups[s.task.campaign_id].append(s)
    for campaign_id, campaign in plan.campaigns.items():
        if groups.get(campaign_id):
            yield campaign, groups[campaign_id]


def _ranking(
    plan: ActivePlan,
    period: Period,
    statuses: Sequence[TaskStatus],
    open_in_period: set[str],
    facts: MonthFacts,
) -> list[DepartmentRank]:
    scoring = plan.settings.scoring
    rules = plan.settings.rules
    standings: dict[str, list[TaskStanding]] = defaultdict(list)
    led: dict[str, list[TaskStatus]] = defaultdict(list)
    for s in statuses:
        a = s.assessment
        reported = s.task.id in facts.reported
        settled = s.light in (Light.DONE, Light.PENDING)  # nothing owed on it
        silent = s.task.id in open_in_period and not reported and not settled
        missed = int(silent)
        if scoring.period is ScoringPeriod.CUMULATIVE:
            missed += missed_before(
                supervised_from(s.task, rules),
                period.first,
                facts.reported_months.get(s.task.id, frozenset()),
                facts.done_on.get(s.task.id),
            )
        standing = TaskStanding(
            light=a.scored,
            done_late=a.late,
            open_in_period=s.task.id in open_in_period,
            reported_in_period=reported,
            weight=s.task.weight,
            done_early=a.scored is Light.DONE
            and is_early(a.last_report, s.task.due, scoring.early_days),
            excused=a.excused,
            missed=missed,
            silent=silent,
        )
        standings[s.task.lead].append(standing)
        led[s.task.lead].append(s)
        if scoring.support_share:
            # A supporting unit shares the task's light, not its lead's duty to report; a
            # task left unscored for its silence is left unscored for them too.
            for department in s.task.support:
                standings[department].append(replace(standing, support=True, missed=0))
    scores = [
        score
        for department_id, department in plan.departments.items()
        if department_id in standings
        and (
            score := score_department(
                department_id, standings[department_id], scoring, department.category
            )
        )
        is not None
    ]
    ranked = rank(scores)
    shared = {
        (score.category, score.rank)
        for score in ranked
        if sum(s.rank == score.rank and s.category == score.category for s in ranked) > 1
    }
    return [
        DepartmentRank(
            plan.departments[score.department_id],
            score,
            LightCounts.of(led[score.department_id]),
            tied=(score.category, score.rank) in shared,
        )
        for score in ranked
    ]


def indicator_readings(
    statuses: Sequence[TaskStatus],
    values: Mapping[tuple[str, str], tuple[float, datetime]],
    zone: ZoneInfo,
    as_of: date | None = None,
) -> list[IndicatorReading]:
    readings = []
    for s in statuses:
        for indicator in s.task.indicators:
            found = values.get((s.task.id, indicator.id))
            value, at = found if found else (None, None)
            readings.append(
                IndicatorReading(
                    s.task,
                    indicator,
                    value,
                    at.astimezone(zone).date() if at is not None else None,
                    as_of,
                )
            )
    return readings


def indicator_groups(
    plan: ActivePlan, readings: Sequence[IndicatorReading]
) -> Iterable[IndicatorGroup]:
    """Per lead department in plan order; more than :data:`UNREPORTED_RUN` indicators without
    a report are said in one line instead of a row each."""
    by_lead: dict[str, list[IndicatorReading]] = defaultdict(list)
    for reading in readings:
        by_lead[reading.task.lead].append(reading)
    for department_id, department in plan.departments.items():
        group = by_lead.get(department_id)
        if not group:
            continue
        missing = tuple(r for r in group if r.value is None)
        if len(missing) > UNREPORTED_RUN:
            yield IndicatorGroup(
                department, tuple(r for r in group if r.value is not None), missing
            )
        else:
            yield IndicatorGroup(department, tuple(group), ())


def silences(
    plan: ActivePlan,
    statuses: Sequence[TaskStatus],
    owed: set[str],
    reported: Iterable[str],
) -> list[Silence]:
    """Departments with tasks that owed a report (open in the period) and got none."""
    heard = set(reported)
    missing: dict[str, list[Task]] = defaultdict(list)
    for s in statuses:
        # A task its owner reported done waits for the coordinators: nothing is owed on it.
        settled = s.light in (Light.DONE, Light.PENDING)
        if s.task.id in owed and s.task.id not in heard and not settled:
            missing[s.task.lead].append(s.task)
    return [
        Silence(department, tuple(plan.owners(department_id)), tuple(missing[department_id]))
        for department_id, department in plan.departments.items()
        if missing.get(department_id)
    ]
