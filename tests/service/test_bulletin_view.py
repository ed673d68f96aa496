"""What the 通报 says and in what order: dates from its own issue date, red and yellow by
department worst first, silent indicators in one line, units not people, shared places; and
its 期号, numbered per year and kept when a month is issued again (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from tests.render.views import active

from superbot.domain.model import (
    BulletinIssue,
    Campaign,
    Department,
    Indicator,
    Person,
    Plan,
    PlanSettings,
    Report,
    Rules,
    State,
    Task,
)
from superbot.domain.periods import parse_month
from superbot.render.environment import Templates, make_environment
from superbot.render.messages import MessageRenderer
from superbot.service.bulletin import MonthFacts, compose_bulletin, issue_of
from superbot.service.sync import sync
from superbot.store.sql import SqlStore

ZONE = ZoneInfo("Asia/Shanghai")
SEPTEMBER = parse_month("2022-09")
ISSUED = date(2022, 10, 8)  # after the National Day holiday


def at(day: date) -> datetime:
    return datetime.combine(day, time(10), ZONE)


def task(ident: str, lead: str, due: date, indicators: int = 0) -> Task:
    return Task(
        ident,
        "c1",
        f"任务{ident}",
        lead,
        date(2022, 1, 1),
        due,
        indicators=tuple(Indicator(f"i{n}", f"{ident}指标{n}", "%", 10) for n in range(indicators)),
    )


def plan(rules: Rules | None = None) -> Plan:
    return Plan(
        settings=PlanSettings(
            name="测试计划", start=date(2022, 1, 1), coordinators=("wang",), rules=rules or Rules()
        ),
        departments=(
            Department("dck", "督查科"),
            Department("gxk", "高新科"),
            Department("fgj", "区发改局"),
            Department("tjj", "区统计局"),
        ),
        people=(
            Person("wang", "王丽", "dck"),
            Person("zhang", "张建华", "gxk"),
            Person("li", "李明辉", "fgj"),
            Person("yang", "杨帆", "tjj"),
        ),
        campaigns=(Campaign("c1", "专项一"),),
        tasks=(
            task("due-sep30", "gxk", date(2022, 9, 30)),  # 50 % on 9-15: red, due "today" 9-30
            task("lag", "gxk", date(2022, 12, 31)),  # no report at all: far behind
            task("old", "fgj", date(2022, 3, 31)),  # 183 days overdue at the month's end
            task("risk", "fgj", date(2022, 12, 31)),  # at risk: yellow
            task("numbers", "tjj", date(2022, 12, 31), indicators=5),  # never reports them
            task("few", "gxk", date(2022, 12, 31), indicators=2),
        ),
    )


REPORTS = {
    "due-sep30": Report("due-sep30", at(date(2022, 9, 15)), 50, State.ON_TRACK, None, "zhang"),
    "old": Report("old", at(date(2022, 9, 20)), 40, State.ON_TRACK, None, "li"),
    "risk": Report("risk", at(date(2022, 9, 20)), 70, State.AT_RISK, None, "li"),
    "few": Report("few", at(date(2022, 9, 20)), 70, State.ON_TRACK, None, "zhang"),
    "numbers": Report("numbers", at(date(2022, 8, 1)), 60, State.ON_TRACK, None, "yang"),
}


def september(the_plan: Plan | None = None, issued_on: date = ISSUED):  # type: ignore[no-untyped-def]
    facts = MonthFacts(
        before={k: r for k, r in REPORTS.items() if r.at.date() < SEPTEMBER.first},
        at_end=REPORTS,
        reported=frozenset(k for k, r in REPORTS.items() if r.at.date() in SEPTEMBER),
        values={},
    )
    issue = BulletinIssue("2022-09", 2022, 9, issued_on)
    return compose_bulletin(active(the_plan or plan()), SEPTEMBER, issue, facts)


def renderer() -> MessageRenderer:
    return MessageRenderer(Templates(make_environment(), "zh-CN"), {})


def test_deadlines_are_worded_from_the_issue_date_not_the_month_end() -> None:
    view = september()
    item = next(i for i in view.red if i.task.id == "due-sep30")
    say = renderer()._templates.texts
    assert say(item.reasons[0]) == "9月30日截止（已逾期 8 天）"
    old = next(i for i in view.red if i.task.id == "old")
    assert say(old.reasons[0]) == "3月31日截止（已逾期 191 天）"
    documents = [renderer().bulletin_document(view, fmt) for fmt in ("md", "html")]
    [email] = renderer().bulletin(view, "email")
    telegram, _ = renderer().bulletin(view, "telegram")  # the summary, then its document
    for text in (*documents, email.message.body, telegram.message.body):
        assert "今天截止" not in str(text)
        assert "9月30日截止（已逾期 8 天）" in str(text)


def test_red_and_yellow_are_by_department_worst_first() -> None:
    view = september()
    assert [(g.department.id, [i.task.id for i in g.items]) for g in view.red_by_department] == [
        ("fgj", ["old"]),  # 191 days overdue
        ("gxk", ["due-sep30", "lag"]),  # 8 days overdue, then far behind but not yet due
    ]
    assert [i.task.id for i in view.red] == ["old", "due-sep30", "lag"]
    # Neither yellow task is overdue: the one further behind (and silent since August) first.
    assert [g.department.id for g in view.yellow_by_department] == ["tjj", "fgj"]


def test_a_long_run_of_silent_indicators_is_one_line_per_department() -> None:
    view = september()
    groups = {g.department.id: g for g in view.indicator_groups}
    assert len(groups["tjj"].unreported) == 5  # more than three: said together
    assert groups["tjj"].readings == ()
    assert len(groups["gxk"].readings) == 2  # a short run stays row by row
    assert groups["gxk"].unreported == ()
    markdown = str(renderer().bulletin_document(view, "md"))
    assert "区统计局：5 项指标均未报送数据" in markdown


@pytest.mark.parametrize("named", [False, True])
def test_units_not_people_unless_the_plan_says_so(named: bool) -> None:
    view = september(plan(Rules(name_people_in_bulletin=named)))
    assert view.silent
    assert all(bool(s.people) is named for s in view.silent)
    texts = [str(renderer().bulletin_document(view, fmt)) for fmt in ("md", "html")]
    texts += [
        p.message.body
        for channel in ("email", "telegram")
        for p in renderer().bulletin(view, channel)
        if p.message.body  # Telegram's document is a part of its own
    ]
    for text in texts:
        assert ("张建华" in text) is named


def test_equal_scores_share_a_place_in_words() -> None:
    view = september()
    places = {e.department.id: (e.score.rank, e.tied) for e in view.ranking}
    shared = [d for d, (_, tied) in places.items() if tied]
    markdown = str(renderer().bulletin_document(view, "md"))
    for entry in view.ranking:
        word = ("并列" if entry.tied else "") + "第"
        assert f"| {word}" in markdown
    assert "🥇" not in markdown
    assert len({places[d][0] for d in shared}) <= len(shared)


# -- 期号 -----------------------------------------------------------------------------------


def test_issue_numbers_are_per_year_and_kept(store: SqlStore) -> None:
    now = datetime(2022, 7, 1, tzinfo=UTC)
    june, july = parse_month("2022-06"), parse_month("2022-07")
    december, january = parse_month("2022-12"), parse_month("2023-01")
    preview = issue_of(store, june, date(2022, 7, 1), now, record=False)
    assert preview.number == 1
    assert store.bulletin_issue("2022-06") is None  # a preview issues nothing
    assert issue_of(store, june, date(2022, 7, 1), now, record=True).number == 1
    assert issue_of(store, july, date(2022, 8, 1), now, record=True).number == 2
    # June again, a month later: the same number and the date it was first issued.
    again = issue_of(store, june, date(2022, 8, 15), now, record=True)
    assert (again.number, again.issued_on) == (1, date(2022, 7, 1))
    # Re-dated on purpose: the number stays.
    redated = issue_of(store, june, date(2022, 7, 4), now, record=True, redate=True)
    assert (redated.number, redated.issued_on) == (1, date(2022, 7, 4))
    assert issue_of(store, december, date(2023, 1, 4), now, record=True).number == 3
    assert issue_of(store, january, date(2023, 2, 1), now, record=True).number == 1  # a new year


def test_a_sent_bulletin_takes_its_number_and_a_dry_run_does_not(sqlite_store: SqlStore) -> None:
    from superbot.domain.model import ScheduleKind
    from superbot.service.delivery import Delivery, Reach, round_for
    from superbot.store.outbox import SqlOutbox

    sync(
        sqlite_store,
        plan(),
        now=datetime(2022, 1, 1, tzinfo=UTC),
        source="test",
        sha256="x",
        dry_run=False,
    )
    delivery = Delivery(sqlite_store, SqlOutbox(sqlite_store.engine), renderer(), Reach())
    round_ = round_for(ScheduleKind.BULLETIN, date(2022, 10, 8))
    now = datetime(2022, 10, 8, 1, tzinfo=UTC)
    delivery.enqueue(round_, now, dry_run=True)
    assert sqlite_store.bulletin_issue("2022-09") is None
    delivery.enqueue(round_, now)
    issued = sqlite_store.bulletin_issue("2022-09")
    assert issued is not None
    assert (issued.number, issued.issued_on) == (1, date(2022, 10, 8))
