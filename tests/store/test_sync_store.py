"""Sync and reports on a real database: every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import StatementError

from superbot.domain.model import Indicator, Plan, Report, Rules, ScheduleKind, State
from superbot.plan.load import parse_plan, read_plan_file
from superbot.service.sync import Action, Kind, SyncResult, sync
from superbot.store.sql import SqlStore
from superbot.store.tables import ReportRow, SyncRunRow

SHIPPED = Path(__file__).resolve().parents[1] / "plan.yaml"
NOW = datetime(2022, 6, 15, 2, 0, tzinfo=UTC)

SMALL = textwrap.dedent(
    """\
    plan:
      name: 测试计划
      start: 2022-01-01
    departments:
      - id: gxk
        name: 高新科
        people:
          - id: zhang
            name: 张三
            email: zhang@example.gov.cn
      - id: fgj
        name: 发改局
        people:
          - id: li
            name: 李四
      - id: czj
        name: 财政局
        people:
          - id: sun
            name: 孙五
    coordinators: [zhang]
    campaigns:
      - id: c1
        name: 专项一
        tasks:
          - id: t1
            title: 高新技术产业投资攻坚
            lead: gxk
            support: [fgj]
            due: 2022-12-31
            indicators:
              - id: invest
                name: 投资增速
                unit: "%"
                target: 15
          - id: t2
            title: 研发投入攻坚
            lead: fgj
            due: 2022-06-30
      - id: c2
        name: 专项二
        tasks:
          - id: t3
            title: 人才集聚
            lead: czj
            support: [gxk, fgj]
            due: 2022-09-30
    """
)


def plan_of(source: str) -> Plan:
    result = parse_plan(source.encode(), "tasks.yaml")
    assert result.errors == (), result.errors
    assert result.plan is not None
    return result.plan


BASE = plan_of(SMALL)


def run(store: SqlStore, plan: Plan, *, dry_run: bool = False, at: datetime = NOW) -> SyncResult:
    return sync(store, plan, now=at, source="tasks.yaml", sha256="0" * 64, dry_run=dry_run)


def count(store: SqlStore, table: Any) -> int:
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


def summary(result: SyncResult) -> dict[str, int]:
    return {action.value: result.count(action) for action in Action}


def changes(result: SyncResult) -> list[tuple[str, str, str, dict[str, tuple[Any, Any]]]]:
    return [
        (c.kind.value, c.id, c.action.value, {f.name: (f.old, f.new) for f in c.fields})
        for c in result.changes
    ]


def with_task(plan: Plan, task_id: str, **values: Any) -> Plan:
    return replace(
        plan, tasks=tuple(replace(t, **values) if t.id == task_id else t for t in plan.tasks)
    )


def without(plan: Plan, **ids: str) -> Plan:
    """``plan`` without the task/person/department/campaign of the given ids."""
    kept = {
        "tasks": tuple(t for t in plan.tasks if t.id != ids.get("task")),
        "people": tuple(p for p in plan.people if p.id != ids.get("person")),
        "departments": tuple(d for d in plan.departments if d.id != ids.get("department")),
        "campaigns": tuple(c for c in plan.campaigns if c.id != ids.get("campaign")),
    }
    return replace(plan, **kept)


def add_report(store: SqlStore, task: str, at: datetime, percent: int | None, **kw: Any) -> Report:
    ref = kw.pop("ref", None)
    return store.add_report(Report(task, at, percent, **kw), source_ref=ref)


# -- first sync, no-op, dry run ----------------------------------------------------------------


def test_first_sync_adds_everything(store: SqlStore) -> None:
    plan = read_plan_file(SHIPPED).plan
    assert plan is not None
    result = run(store, plan)
    added = len(plan.departments) + len(plan.people) + len(plan.campaigns) + len(plan.tasks)
    assert summary(result) == {"added": added, "changed": 0, "archived": 0, "restored": 0}
    assert {c.kind for c in result.changes if c.kind is Kind.TASK} == {Kind.TASK}
    assert len([c for c in result.changes if c.kind is Kind.TASK]) == len(plan.tasks)
    assert result.settings_changed == ("plan",)
    assert result.applied
    active = store.active_plan()
    assert active is not None
    assert [t.id for t in active.tasks] == [t.id for t in plan.tasks]
    assert tuple(active.tasks) == plan.tasks
    assert active.settings == plan.settings
    assert active.coordinators == plan.settings.coordinators
    assert count(store, SyncRunRow) == 1


def test_second_sync_of_the_same_plan_does_nothing(store: SqlStore) -> None:
    run(store, BASE)
    again = run(store, plan_of(SMALL), at=NOW + timedelta(hours=1))
    assert again.nothing_to_do
    assert again.changes == ()
    assert again.settings_changed == ()
    assert not again.order_changed
    assert not again.applied
    assert count(store, SyncRunRow) == 1
    last = store.active_plan()
    assert last is not None
    assert last.last_sync is not None
    assert last.last_sync.at == NOW


def test_shipped_plan_second_sync_is_a_no_op(store: SqlStore) -> None:
    plan = read_plan_file(SHIPPED).plan
    assert plan is not None
    run(store, plan)
    assert run(store, read_plan_file(SHIPPED).plan).nothing_to_do  # type: ignore[arg-type]
    assert count(store, SyncRunRow) == 1


def test_dry_run_writes_nothing(store: SqlStore) -> None:
    preview = run(store, BASE, dry_run=True)
    assert summary(preview)["added"] == 3 + 3 + 2 + 3
    assert not preview.applied
    assert store.active_plan() is None
    assert store.snapshot().tasks == {}
    assert count(store, SyncRunRow) == 0

    run(store, BASE)
    changed = with_task(BASE, "t1", title="改过的标题")
    preview = run(store, without(changed, task="t2"), dry_run=True)
    assert changes(preview) == [
        ("task", "t1", "changed", {"title": ("高新技术产业投资攻坚", "改过的标题")}),
        ("task", "t2", "archived", {}),
    ]
    snapshot = store.snapshot()
    assert snapshot.tasks["t1"].value.title == "高新技术产业投资攻坚"
    assert not snapshot.tasks["t2"].archived
    assert count(store, SyncRunRow) == 1


# -- what changed, field by field --------------------------------------------------------------

T1 = BASE.tasks[0]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            lambda p: with_task(p, "t1", title="高新技术产业投资攻坚行动"),
            {"title": ("高新技术产业投资攻坚", "高新技术产业投资攻坚行动")},
            id="title",
        ),
        pytest.param(
            lambda p: with_task(p, "t1", due=T1.due - timedelta(days=30)),
            {"due": (T1.due, T1.due - timedelta(days=30))},
            id="due",
        ),
        pytest.param(lambda p: with_task(p, "t1", lead="czj"), {"lead": ("gxk", "czj")}, id="lead"),
        pytest.param(
            lambda p: with_task(p, "t1", support=("fgj", "czj")),
            {"support": (("fgj",), ("fgj", "czj"))},
            id="support",
        ),
        pytest.param(
            lambda p: with_task(p, "t1", support=()), {"support": (("fgj",), ())}, id="no-support"
        ),
        pytest.param(
            lambda p: with_task(p, "t1", indicators=(Indicator("invest", "投资增速", "%", 20.0),)),
            {"indicators": (("投资增速=15%",), ("投资增速=20%",))},
            id="indicator-target",
        ),
        pytest.param(
            lambda p: with_task(
                p,
                "t1",
                indicators=(*T1.indicators, Indicator("firms", "新增企业", "家", 12.5)),
            ),
            {"indicators": (("投资增速=15%",), ("投资增速=15%", "新增企业=12.5家"))},
            id="indicator-added",
        ),
        pytest.param(
            lambda p: with_task(p, "t1", indicators=()),
            {"indicators": (("投资增速=15%",), ())},
            id="indicator-removed",
        ),
        pytest.param(
            lambda p: with_task(p, "t1", title="新标题", start=T1.start + timedelta(days=31)),
            {
                "title": ("高新技术产业投资攻坚", "新标题"),
                "start": (T1.start, T1.start + timedelta(days=31)),
            },
            id="two-fields-at-once",
        ),
        pytest.param(
            lambda p: with_task(p, "t1", campaign_id="c2"),
            {"campaign_id": ("c1", "c2")},
            id="moved-to-another-campaign",
        ),
    ],
)
def test_a_changed_task_shows_exactly_the_changed_fields(
    store: SqlStore, change: Any, expected: dict[str, tuple[Any, Any]]
) -> None:
    run(store, BASE)
    result = run(store, change(BASE), at=NOW + timedelta(days=1))
    assert changes(result) == [("task", "t1", "changed", expected)]
    assert summary(result) == {"added": 0, "changed": 1, "archived": 0, "restored": 0}
    assert result.applied
    assert run(store, change(BASE), at=NOW + timedelta(days=2)).nothing_to_do
    assert count(store, SyncRunRow) == 2


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            lambda p: replace(
                p,
                people=tuple(
                    replace(x, email="new@example.gov.cn") if x.id == "zhang" else x
                    for x in p.people
                ),
            ),
            [
                (
                    "person",
                    "zhang",
                    "changed",
                    {"email": ("zhang@example.gov.cn", "new@example.gov.cn")},
                )
            ],
            id="person-email",
        ),
        pytest.param(
            lambda p: replace(
                p,
                people=tuple(
                    replace(x, department_id="czj") if x.id == "li" else x for x in p.people
                ),
            ),
            [("person", "li", "changed", {"department_id": ("fgj", "czj")})],
            id="person-moved",
        ),
        pytest.param(
            lambda p: replace(
                p,
                departments=tuple(
                    replace(d, name="区发改局") if d.id == "fgj" else d for d in p.departments
                ),
            ),
            [("department", "fgj", "changed", {"name": ("发改局", "区发改局")})],
            id="department-renamed",
        ),
        pytest.param(
            lambda p: replace(
                p,
                campaigns=tuple(
                    replace(c, name="专项二（调整）") if c.id == "c2" else c for c in p.campaigns
                ),
            ),
            [("campaign", "c2", "changed", {"name": ("专项二", "专项二（调整）")})],
            id="campaign-renamed",
        ),
    ],
)
def test_changed_people_departments_and_campaigns(
    store: SqlStore, change: Any, expected: list[Any]
) -> None:
    run(store, BASE)
    result = run(store, change(BASE), at=NOW + timedelta(days=1))
    assert changes(result) == expected
    assert run(store, change(BASE), at=NOW + timedelta(days=2)).nothing_to_do


# -- archive and restore -------------------------------------------------------------------------


def test_a_removed_task_is_archived_with_its_reports_and_comes_back_with_them(
    store: SqlStore,
) -> None:
    run(store, BASE)
    add_report(store, "t2", NOW - timedelta(days=20), 30)
    add_report(store, "t2", NOW - timedelta(days=10), 50, state=State.AT_RISK)
    add_report(store, "t2", NOW - timedelta(days=5), None, note="配合单位说明")

    archived = run(store, without(BASE, task="t2"), at=NOW + timedelta(days=1))
    assert [(c.kind, c.id, c.action, c.reports) for c in archived.changes] == [
        (Kind.TASK, "t2", Action.ARCHIVED, 3)
    ]
    assert count(store, ReportRow) == 3
    assert len(store.task_reports("t2")) == 3
    assert store.task_archived("t2") is True
    active = store.active_plan()
    assert active is not None
    assert active.task("t2") is None
    assert store.snapshot().tasks["t2"].archived
    assert run(store, without(BASE, task="t2"), at=NOW + timedelta(days=2)).nothing_to_do

    restored = run(store, BASE, at=NOW + timedelta(days=3))
    assert [(c.kind, c.id, c.action, c.reports, c.fields) for c in restored.changes] == [
        (Kind.TASK, "t2", Action.RESTORED, 3, ())
    ]
    assert summary(restored) == {"added": 0, "changed": 0, "archived": 0, "restored": 1}
    assert store.task_archived("t2") is False
    latest = store.latest_progress(NOW + timedelta(days=3))
    assert latest["t2"].percent == 50
    assert latest["t2"].state is State.AT_RISK
    active = store.active_plan()
    assert active is not None
    assert [t.id for t in active.tasks] == ["t1", "t2", "t3"]
    assert run(store, BASE, at=NOW + timedelta(days=4)).nothing_to_do


def test_a_task_restored_with_changes_lists_them(store: SqlStore) -> None:
    run(store, BASE)
    run(store, without(BASE, task="t3"), at=NOW + timedelta(days=1))
    back = with_task(BASE, "t3", title="人才集聚（恢复）")
    result = run(store, back, at=NOW + timedelta(days=2))
    assert changes(result) == [
        ("task", "t3", "restored", {"title": ("人才集聚", "人才集聚（恢复）")})
    ]
    active = store.active_plan()
    assert active is not None
    assert active.task("t3") == back.tasks[2]


def test_latest_progress_leaves_out_archived_tasks(store: SqlStore) -> None:
    run(store, BASE)
    add_report(store, "t2", NOW - timedelta(days=1), 40)
    run(store, without(BASE, task="t2"), at=NOW + timedelta(days=1))
    assert "t2" not in store.latest_progress(NOW + timedelta(days=1))


@pytest.mark.parametrize(
    ("removed", "kind"),
    [
        pytest.param({"person": "sun"}, "person", id="person"),
        pytest.param(
            {"department": "czj", "person": "sun", "task": "t3"}, "department", id="department"
        ),
        pytest.param({"campaign": "c2", "task": "t3"}, "campaign", id="campaign"),
    ],
)
def test_removed_people_departments_and_campaigns_are_archived(
    store: SqlStore, removed: dict[str, str], kind: str
) -> None:
    run(store, BASE)
    smaller = without(BASE, **removed)
    if kind == "department":  # nobody may point at the removed department any more
        smaller = replace(
            smaller,
            tasks=tuple(
                replace(t, support=tuple(s for s in t.support if s != "czj")) for t in smaller.tasks
            ),
        )
    result = run(store, smaller, at=NOW + timedelta(days=1))
    archived = {(c.kind.value, c.id) for c in result.changes if c.action is Action.ARCHIVED}
    assert archived == set(removed.items())
    snapshot = store.snapshot()
    stores = {
        "person": snapshot.people,
        "department": snapshot.departments,
        "campaign": snapshot.campaigns,
        "task": snapshot.tasks,
    }
    for k, v in removed.items():
        assert stores[k][v].archived, (k, v)
    active = store.active_plan()
    assert active is not None
    assert removed[kind] not in {**active.people, **active.departments, **active.campaigns}
    assert run(store, smaller, at=NOW + timedelta(days=2)).nothing_to_do
    restored = run(store, BASE, at=NOW + timedelta(days=3))
    assert {(c.kind.value, c.id) for c in restored.changes} == archived
    assert {c.action for c in restored.changes} == {Action.RESTORED}


# -- order and settings --------------------------------------------------------------------------


def test_an_order_only_change_is_detected_and_persisted(store: SqlStore) -> None:
    run(store, BASE)
    swapped = replace(BASE, tasks=(BASE.tasks[1], BASE.tasks[0], BASE.tasks[2]))
    result = run(store, swapped, at=NOW + timedelta(days=1))
    assert result.changes == ()
    assert result.order_changed
    assert not result.nothing_to_do
    assert result.applied
    active = store.active_plan()
    assert active is not None
    assert [t.id for t in active.tasks] == ["t2", "t1", "t3"]
    assert run(store, swapped, at=NOW + timedelta(days=2)).nothing_to_do
    assert count(store, SyncRunRow) == 2


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        pytest.param(
            lambda s: replace(s, rules=Rules(warn_workdays=3, yellow_lag=15, red_lag=40)),
            ("rules",),
            id="rules",
        ),
        pytest.param(
            lambda s: replace(s, schedules={**s.schedules, ScheduleKind.DIGEST: "0 17 * * 5"}),
            ("schedules",),
            id="schedules",
        ),
        pytest.param(lambda s: replace(s, name="新的计划名称"), ("name",), id="name"),
        pytest.param(
            lambda s: replace(s, coordinators=("zhang", "li")), ("coordinators",), id="coordinators"
        ),
        pytest.param(
            lambda s: replace(s, timezone="Asia/Urumqi", locale="en"),
            ("timezone", "locale"),
            id="timezone-and-locale",
        ),
    ],
)
def test_settings_changes_are_detected_and_applied(
    store: SqlStore, change: Any, fields: tuple[str, ...]
) -> None:
    run(store, BASE)
    changed = replace(BASE, settings=change(BASE.settings))
    result = run(store, changed, at=NOW + timedelta(days=1))
    assert result.changes == ()
    assert result.settings_changed == fields
    assert result.applied
    active = store.active_plan()
    assert active is not None
    assert active.settings == changed.settings
    assert run(store, changed, at=NOW + timedelta(days=2)).nothing_to_do


def test_a_new_coordinator_is_marked_as_one(store: SqlStore) -> None:
    run(store, BASE)
    run(
        store,
        replace(BASE, settings=replace(BASE.settings, coordinators=("li",))),
        at=NOW + timedelta(days=1),
    )
    active = store.active_plan()
    assert active is not None
    assert active.coordinators == ("li",)


# -- reports -------------------------------------------------------------------------------------


def test_a_report_with_the_same_source_ref_updates_instead_of_adding(store: SqlStore) -> None:
    run(store, BASE)
    first = store.add_report(
        Report(
            "t1",
            NOW - timedelta(hours=2),
            30,
            State.ON_TRACK,
            "初报",
            "zhang",
            MappingProxyType({"invest": 10.0}),
            source="telegram",
        ),
        source_ref="tg:123:456",
    )
    edited = store.add_report(
        Report(
            "t1",
            NOW - timedelta(hours=1),
            35,
            State.AT_RISK,
            "更正",
            "zhang",
            MappingProxyType({"invest": 12.5}),
            source="telegram",
        ),
        source_ref="tg:123:456",
    )
    assert edited.id == first.id
    (only,) = store.task_reports("t1")
    assert (only.percent, only.state, only.note, dict(only.values)) == (
        35,
        State.AT_RISK,
        "更正",
        {"invest": 12.5},
    )
    assert only.at == NOW - timedelta(hours=1)
    other = store.add_report(Report("t1", NOW, 40), source_ref="tg:123:789")
    assert other.id != first.id
    assert len(store.task_reports("t1")) == 2
    store.add_report(Report("t1", NOW, 41))
    store.add_report(Report("t1", NOW, 42))
    assert len(store.task_reports("t1")) == 4


def test_latest_progress_ignores_later_reports_and_note_only_reports(store: SqlStore) -> None:
    run(store, BASE)
    add_report(store, "t1", datetime(2022, 5, 1, 2, tzinfo=UTC), 20)
    add_report(store, "t1", datetime(2022, 5, 20, 2, tzinfo=UTC), 35, person_id="zhang")
    add_report(store, "t1", datetime(2022, 5, 25, 2, tzinfo=UTC), None, note="只有说明")
    add_report(store, "t1", datetime(2022, 6, 10, 2, tzinfo=UTC), 60)
    add_report(store, "t3", datetime(2022, 6, 1, 2, tzinfo=UTC), 10)

    assert store.latest_progress(datetime(2022, 4, 30, tzinfo=UTC)) == {}
    may = store.latest_progress(datetime(2022, 5, 31, tzinfo=UTC))
    assert set(may) == {"t1"}
    assert (may["t1"].percent, may["t1"].person_id) == (35, "zhang")
    exactly = store.latest_progress(datetime(2022, 6, 10, 2, tzinfo=UTC))
    assert exactly["t1"].percent == 60
    assert exactly["t3"].percent == 10
    before = store.latest_progress(datetime(2022, 6, 10, 1, 59, 59, tzinfo=UTC))
    assert before["t1"].percent == 35


def test_same_instant_reports_the_later_entry_wins(store: SqlStore) -> None:
    run(store, BASE)
    add_report(store, "t1", NOW, 20)
    add_report(store, "t1", NOW, 25)
    assert store.latest_progress(NOW)["t1"].percent == 25


def test_times_come_back_as_aware_utc(store: SqlStore) -> None:
    run(store, BASE)
    beijing = datetime(2022, 6, 1, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    store.add_report(Report("t1", beijing, 20, recorded_at=NOW))
    (between,) = store.reports_between(beijing - timedelta(seconds=1), beijing)
    for report in (*store.task_reports("t1"), store.latest_progress(NOW)["t1"], between):
        assert report.at == beijing
        assert report.at.tzinfo is UTC
        assert report.at.hour == 1
        assert report.recorded_at == NOW
        assert report.recorded_at is not None
        assert report.recorded_at.tzinfo is UTC
    active = store.active_plan()
    assert active is not None
    assert active.last_sync is not None
    assert active.last_sync.at == NOW
    assert active.last_sync.at.tzinfo is UTC


def test_the_report_add_report_returns_is_in_utc_too(store: SqlStore) -> None:
    run(store, BASE)
    beijing = datetime(2022, 6, 1, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    saved = store.add_report(Report("t1", beijing, 20, recorded_at=NOW))
    assert saved.at == beijing
    assert saved.at.tzinfo is UTC


def test_naive_times_are_refused(store: SqlStore) -> None:
    run(store, BASE)
    with pytest.raises(StatementError, match="naive"):
        store.add_report(Report("t1", datetime(2022, 6, 1, 9, 30), 20))


def test_a_report_at_midnight_belongs_to_the_day_that_starts_then(store: SqlStore) -> None:
    run(store, BASE)
    midnight = datetime(2022, 6, 1, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    add_report(store, "t1", midnight, 40)
    add_report(store, "t1", midnight - timedelta(microseconds=1), 30)

    june = store.reports_between(midnight, midnight + timedelta(days=30))

    assert [r.percent for r in june] == [40]
