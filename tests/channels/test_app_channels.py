"""The chat apps' channels against the fake platforms: tokens fetched once and again when
refused, and each platform's failures told apart — wait and retry, never, or our settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.bot.conftest import Clock
from tests.fakes import dingtalk_api, feishu_api, wecom_api
from tests.fakes.chat_platform import FakePlatform
from tests.fakes.dingtalk_api import FakeDingtalk
from tests.fakes.feishu_api import FakeFeishu
from tests.fakes.wecom_api import FakeWecom

from superbot.channels.app import AppChannel
from superbot.channels.dingtalk_app import DingtalkAppChannel
from superbot.channels.feishu_app import FeishuAppChannel
from superbot.channels.wecom_app import WecomAppChannel
from superbot.service.outbox import Dispatcher, NewItem, dedupe_key
from superbot.service.ports import Button, ChannelError, Message
from superbot.store.outbox import SqlOutbox
from superbot.store.sql import SqlStore

USER = "u1"
CARD = Message(
    "🟡 高新技术产业投资攻坚",
    "zcq8-1 · 黄灯\n进度 0%",
    buttons=((Button("30%", "p:zcq8-1:30"), Button("60%", "p:zcq8-1:60")),),
)


@dataclass
class Case:
    fake: FakePlatform
    channel: AppChannel
    send_path: str
    busy: tuple[int, dict[str, Any]]  # "too fast"
    nobody: str  # a user the app cannot reach
    wrong_secret: Callable[[], AppChannel]


def _wecom(fake: FakeWecom) -> Case:
    def channel(secret: str = wecom_api.SECRET) -> AppChannel:
        return WecomAppChannel(wecom_api.CORP_ID, str(wecom_api.AGENT_ID), secret, fake.url)

    return Case(
        fake,
        channel(),
        "/cgi-bin/message/send",
        (200, {"errcode": 45009, "errmsg": "api freq out of limit"}),
        "nobody",
        lambda: channel("wrong"),
    )


def _dingtalk(fake: FakeDingtalk) -> Case:
    def channel(secret: str = dingtalk_api.CLIENT_SECRET) -> AppChannel:
        return DingtalkAppChannel(dingtalk_api.CLIENT_ID, secret, dingtalk_api.ROBOT_CODE, fake.url)

    return Case(
        fake,
        channel(),
        "/v1.0/robot/oToMessages/batchSend",
        (403, {"code": "Forbidden.AccessDenied.QpsLimitForApi", "message": "qps"}),
        "nobody",
        lambda: channel("wrong"),
    )


def _feishu(fake: FakeFeishu) -> Case:
    def channel(secret: str = feishu_api.APP_SECRET) -> AppChannel:
        return FeishuAppChannel(feishu_api.APP_ID, secret, fake.url)

    return Case(
        fake,
        channel(),
        "/open-apis/im/v1/messages",
        (400, {"code": 230020, "msg": "frequency limit"}),
        "nobody",
        lambda: channel("wrong"),
    )


@pytest.fixture(params=["wecom", "dingtalk", "feishu"])
def case(request: pytest.FixtureRequest) -> Iterator[Case]:
    fakes = {"wecom": FakeWecom, "dingtalk": FakeDingtalk, "feishu": FakeFeishu}
    builders: dict[str, Callable[[Any], Case]] = {
        "wecom": _wecom,
        "dingtalk": _dingtalk,
        "feishu": _feishu,
    }
    with fakes[request.param]({USER}) as fake:
        yield builders[request.param](fake)


async def test_a_token_is_fetched_once_and_again_when_refused(case: Case) -> None:
    channel = case.channel
    await channel.send(Message("", "第一条"), USER)
    await channel.send(Message("", "第二条"), USER)
    case.fake.expire_tokens()
    await channel.send(Message("", "第三条"), USER)
    await channel.aclose()
    assert case.fake.texts(USER) == ["第一条", "第二条", "第三条"]
    assert len(case.fake.tokens) == 2  # fetched at the start and once after it expired


async def test_a_card_is_sent_and_replaced_in_place(case: Case) -> None:
    channel = case.channel
    receipt = await channel.send(CARD, USER)
    [card] = case.fake.cards(USER)
    assert card.buttons == [("30%", "p:zcq8-1:30"), ("60%", "p:zcq8-1:60")]
    if isinstance(case.fake, FakeDingtalk | FakeFeishu):
        assert receipt.ref == card.card
        newer = Message("🟢 高新技术产业投资攻坚", "进度 60%", buttons=CARD.buttons)
        await channel.update_card(card.card, None, newer, USER)
        assert "进度 60%" in card.shown.text
        assert card.shown.title.startswith("🟢")
    await channel.aclose()


async def test_too_fast_is_retried_later(case: Case) -> None:
    status, body = case.busy
    case.fake.fail_next(case.send_path, status, body)
    with pytest.raises(ChannelError) as raised:
        await case.channel.send(Message("", "好"), USER)
    assert not raised.value.permanent
    assert raised.value.retry_after is not None
    await case.channel.aclose()


async def test_a_server_error_is_retried(case: Case) -> None:
    case.fake.fail_next(case.send_path, 503, {"code": -1, "errcode": -1})
    with pytest.raises(ChannelError) as raised:
        await case.channel.send(Message("", "好"), USER)
    assert not raised.value.permanent
    await case.channel.aclose()


async def test_someone_the_app_cannot_reach_is_permanent(case: Case) -> None:
    with pytest.raises(ChannelError) as raised:
        await case.channel.send(Message("", "好"), case.nobody)
    assert raised.value.permanent
    await case.channel.aclose()


async def test_a_wrong_secret_is_permanent_and_says_so_without_the_secret(case: Case) -> None:
    channel = case.wrong_secret()
    with pytest.raises(ChannelError) as raised:
        await channel.send(Message("", "好"), USER)
    assert raised.value.permanent
    assert "wrong" not in str(raised.value)
    await channel.aclose()


def test_each_app_paces_per_person_and_in_all(case: Case) -> None:
    limits = {limit.key: (limit.count, limit.per_seconds) for limit in case.channel.limits("u9")}
    name = case.channel.name
    assert set(limits) == {f"{name}:*", f"{name}:u9"}
    expected = {
        "wecom_app": (30, 60.0),  # 30 messages a minute to one member
        "dingtalk_app": (20, 60.0),
        "feishu_app": (5, 1.0),  # 5 a second to one user
    }
    assert limits[f"{name}:u9"] == expected[name]


async def test_the_dispatcher_keeps_to_wecoms_30_a_minute(sqlite_store: SqlStore) -> None:
    """企业微信 drops, without an error, what a member gets past 30 a minute: the pace of
    its channel is what keeps every message."""
    clock = Clock(datetime(2022, 6, 22, 2, 0, tzinfo=UTC))

    async def sleep(seconds: float) -> None:
        clock.now += timedelta(seconds=seconds)

    with FakeWecom({USER}, now=clock) as fake:
        channel = WecomAppChannel(
            wecom_api.CORP_ID, str(wecom_api.AGENT_ID), wecom_api.SECRET, fake.url
        )
        outbox = SqlOutbox(sqlite_store.engine)
        items = [
            NewItem(
                dedupe_key("nudge", "2022-06-22", channel.name, USER, str(n)),
                "nudge",
                "2022-06-22",
                channel.name,
                USER,
                Message("", f"第{n}条"),
                seq=n,
            )
            for n in range(35)
        ]
        outbox.enqueue(items, clock())
        dispatcher = Dispatcher(outbox, {channel.name: channel}, clock=clock, sleep=sleep)
        report = await dispatcher.dispatch()
        await channel.aclose()
    assert report.sent == 35
    assert fake.dropped == 0
    assert len(fake.texts(USER)) == 35
    assert clock.now >= datetime(2022, 6, 22, 2, 1, tzinfo=UTC)  # the 31st waited a minute
