"""待审核 and approved extensions in the lights: a claim of "done" is its own light and scores
what the accepted progress says; an extended task is judged by its new date and shows the
original; the ranking holds it to the date the plan says (``rules.extended_counts_as``)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from superbot.domain.calendar import CalendarSpec, WorkdayCalendar
from superbot.domain.lights import Light, assess
from superbot.domain.model import ExtendedCountsAs, Report, Rules, State, Task
from superbot.domain.ranking import TaskStanding, score_department
from superbot.render.environment import Texts, make_environment

ZONE = ZoneInfo("Asia/Shanghai")
CN = WorkdayCalendar(CalendarSpec())
SAY = Texts(make_environment())
START = date(2022, 1, 1)
DUE = date(2022, 4, 11)  # a 100-day task: on day N its expected progress is N %


def day(n: int) -> date:
    return START + timedelta(days=n)


def task(due: date = DUE) -> Task:
    return Task("t1", "c1", "高新技术产业投资攻坚", "gxk", START, due)


def report(on: date, percent: int, state: State | None = None) -> Report:
    return Report("t1", datetime(on.year, on.month, on.day, 10, tzinfo=ZONE), percent, state)


def test_a_claim_is_pending_and_scores_what_the_accepted_progress_says() -> None:
    # Day 60: 40 % accepted, 20 points behind (yellow); the owner says done on day 58.
    a = assess(task(), report(day(50), 40), day(60), Rules(), CN, ZONE, claimed_on=day(58))
    assert a.light is Light.PENDING
    assert a.scored is Light.YELLOW
    assert a.percent == 40
    assert [SAY(r) for r in a.reasons] == [
        "已申请办结，待督查科审核（2022-02-28 申请）",
        "进度滞后 20 个百分点",
    ]


def test_a_claim_on_track_says_only_that_it_waits() -> None:
    a = assess(task(), report(day(55), 60), day(60), Rules(), CN, ZONE, claimed_on=day(59))
    assert a.light is Light.PENDING
    assert a.scored is Light.GREEN
    assert [r.key for r in a.reasons] == ["light.pending"]


def test_a_task_done_before_a_new_claim_stays_done() -> None:
    a = assess(
        task(), report(day(40), 100, State.DONE), day(60), Rules(), CN, ZONE, claimed_on=day(58)
    )
    assert a.light is Light.DONE
    assert a.claimed_on is None


def test_pending_is_not_done_in_the_ranking() -> None:
    pending = assess(task(), report(day(50), 40), day(60), Rules(), CN, ZONE, claimed_on=day(58))
    done = assess(task(), report(day(58), 100, State.DONE), day(60), Rules(), CN, ZONE)
    scores = [
        score_department("gxk", [TaskStanding(a.scored, a.late, False, False)]).task_score
        for a in (pending, done)
    ]
    assert scores == [60, 100]  # yellow 60: the claim earns nothing until approved


def test_an_extended_task_is_judged_by_its_new_date_and_shows_the_original() -> None:
    extended = task(due=DUE + timedelta(days=100))
    # Past the original date, on schedule for the new one: 55 % of 200 days at day 110.
    a = assess(extended, report(day(105), 55), day(110), Rules(), CN, ZONE, original_due=DUE)
    assert a.light is Light.GREEN
    assert a.original_due == DUE
    assert SAY(a.reasons[-1]) == "已批准延期至 2022-07-20，原定 2022-04-11"


def test_extended_counts_as_late_holds_the_ranking_to_the_original_date() -> None:
    extended = task(due=DUE + timedelta(days=100))
    late = Rules(extended_counts_as=ExtendedCountsAs.LATE)
    open_ = assess(extended, report(day(105), 55), day(110), late, CN, ZONE, original_due=DUE)
    assert open_.light is Light.GREEN
    assert open_.scored is Light.RED  # overdue against the original date
    done = report(day(150), 100, State.DONE)
    on_time = assess(extended, done, day(160), Rules(), CN, ZONE, original_due=DUE)
    held = assess(extended, done, day(160), late, CN, ZONE, original_due=DUE)
    assert (on_time.light, on_time.late) == (Light.DONE, False)
    assert (held.light, held.late) == (Light.DONE, True)
