"""People bound on 钉钉, 企业微信 and 飞书 in tasks.yaml, and the one channel each personal
message takes: ``plan.channels`` order, overridable per person; group 通报 stay with the
robots."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime

import pytest
from tests.plan.test_load import parse, positions

from superbot.domain.model import Account, ScheduleKind
from superbot.plan.load import parse_plan
from superbot.render.environment import Templates, make_environment
from superbot.render.messages import MessageRenderer
from superbot.service.delivery import Delivery, Reach, round_for
from superbot.service.sync import sync
from superbot.store.outbox import SqlOutbox
from superbot.store.sql import SqlStore

NOW = datetime(2022, 6, 22, 2, 0, tzinfo=UTC)

PLAN = textwrap.dedent(
    """\
    plan:
      name: 测试计划
      start: 2022-01-01
      channels: [wecom, dingtalk, telegram, email]
    departments:
      - id: gxk
        name: 高新科
        people:
          - id: zhang
            name: 张三
            email: zhang@example.gov.cn
            telegram: 1001
            dingtalk: "0123456789"
            wecom: ZhangSan
          - id: wang
            name: 王五
            email: wang@example.gov.cn
            dingtalk: manager4220
            channels: [email]
          - id: zhao
            name: 赵六
            feishu: ou_7d8a6e6df7621556ce0d21922b676706ccs
    coordinators: [zhang]
    broadcast:
      webhooks:
        - {kind: dingtalk, url_env: DINGTALK_URL}
    campaigns:
      - id: c1
        name: 专项一
        tasks:
          - {id: t1, title: 任务一, lead: gxk, due: 2022-12-31}
    """
)


def test_people_are_bound_on_the_apps_in_tasks_yaml() -> None:
    result = parse(PLAN)
    assert result.errors == ()
    assert result.plan is not None
    people = {p.id: p for p in result.plan.people}
    assert people["zhang"].accounts == (
        Account("telegram", "1001"),
        Account("email", "zhang@example.gov.cn"),
        Account("dingtalk", "0123456789"),  # a leading zero is kept as written
        Account("wecom", "ZhangSan"),
    )
    assert people["wang"].channels == ("email",)
    assert result.plan.settings.channels == ("wecom", "dingtalk", "telegram", "email")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("dingtalk: manager4220", "dingtalk: 张 三", [(18, 19, "plan.bad_app_user")]),
        ("channels: [email]", "channels: [email, qq]", [(19, 27, "plan.bad_choice")]),
        ("channels: [email]", "channels: [email, email]", [(19, 27, "plan.duplicate_in_list")]),
        ("dingtalk: manager4220", 'dingtalk: "0123456789"', [(18, 19, "plan.duplicate_id")]),
    ],
    ids=["spaces", "unknown-channel", "twice", "one-account-two-people"],
)
def test_app_ids_and_channel_orders_are_checked(old: str, new: str, expected: list[object]) -> None:
    assert positions(parse(PLAN.replace(old, new, 1)).errors) == expected


def _delivery(store: SqlStore, reach: Reach) -> Delivery:
    renderer = MessageRenderer(
        Templates(make_environment()),
        {
            "dingtalk": 18000,
            "wecom": 4096,
            "feishu": 18000,
            "dingtalk_app": 5000,
            "wecom_app": 2048,
            "feishu_app": 18000,
        },
    )
    return Delivery(store, SqlOutbox(store.engine), renderer, reach)


def _routes(store: SqlStore, reach: Reach, source: str = PLAN) -> dict[str, set[str]]:
    loaded = parse_plan(source.encode(), "tasks.yaml")
    assert loaded.plan is not None, loaded.errors
    sync(store, loaded.plan, now=NOW, source="tasks.yaml", sha256="0" * 64, dry_run=False)
    items = _delivery(store, reach).items(round_for(ScheduleKind.REMINDER, NOW.date()), NOW)
    found: dict[str, set[str]] = {}
    for item in items:
        found.setdefault(item.person_id or "-", set()).add(item.channel)
    return found


def test_each_person_gets_the_reminder_once_on_the_first_channel_that_reaches_them(
    sqlite_store: SqlStore,
) -> None:
    everything = Reach(telegram=True, email=True, apps=frozenset({"dingtalk", "wecom", "feishu"}))
    assert _routes(sqlite_store, everything) == {
        "zhang": {"wecom_app"},  # the plan's first
        "wang": {"email"},  # his own order
        "zhao": {"feishu_app"},  # the only channel he is on, though the plan lists it not
    }
    no_wecom = Reach(telegram=True, email=True, apps=frozenset({"dingtalk"}))
    assert _routes(sqlite_store, no_wecom) == {
        "zhang": {"dingtalk_app"},
        "wang": {"email"},
        "zhao": {"none"},  # bound only where superbot is not configured: reported, not lost
    }


def test_without_plan_channels_the_apps_come_before_telegram_and_email(
    sqlite_store: SqlStore,
) -> None:
    source = PLAN.replace("  channels: [wecom, dingtalk, telegram, email]\n", "")
    reach = Reach(telegram=True, email=True, apps=frozenset({"dingtalk"}))
    assert _routes(sqlite_store, reach, source)["zhang"] == {"dingtalk_app"}
    only_mail = Reach(email=True)
    assert _routes(sqlite_store, only_mail, source)["zhang"] == {"email"}


def test_app_ids_survive_the_database_and_a_second_sync_changes_nothing(
    sqlite_store: SqlStore,
) -> None:
    loaded = parse_plan(PLAN.encode(), "tasks.yaml")
    assert loaded.plan is not None
    sync(sqlite_store, loaded.plan, now=NOW, source="tasks.yaml", sha256="0" * 64, dry_run=False)
    again = sync(
        sqlite_store, loaded.plan, now=NOW, source="tasks.yaml", sha256="1" * 64, dry_run=False
    )
    assert again.nothing_to_do
    plan = sqlite_store.active_plan()
    assert plan is not None
    assert plan.person_of(Account("dingtalk", "manager4220")) == plan.people["wang"]
    assert plan.account("zhao", "feishu") == "ou_7d8a6e6df7621556ce0d21922b676706ccs"
    assert plan.settings.channels == ("wecom", "dingtalk", "telegram", "email")
