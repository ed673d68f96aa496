"""The same conversations as on Telegram, on 钉钉, 企业微信 and 飞书 alike: the monthly reminder
as cards, a button and a typed note, free text, binding, rights, coordinators' commands, and a
platform delivering the same callback twice."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from tests.chat.conftest import LIMH, STRANGER, WANGLI, ZHANGJH, ChatWorld
from tests.fakes.dingtalk_api import FakeDingtalk
from tests.fakes.feishu_api import FakeFeishu

from superbot.chat.app import ChatApp
from superbot.chat.events import Said
from superbot.domain.model import Account


async def test_a_reminder_card_a_button_a_note_and_the_new_light(chat: ChatWorld) -> None:
    chat.bind(LIMH)
    await chat.send_reminders()

    [head] = chat.fake.texts(LIMH)
    assert "进度报送提醒" in head
    assert "李明辉，您好！" in head
    card = chat.fake.card_about(LIMH, "zcq8-1")
    assert "高新技术产业投资攻坚" in card.title
    assert "zcq8-1" in card.text
    assert [label for label, _ in card.buttons] == [
        "30%",
        "60%",
        "90%",
        "✅ 已完成",
        "⛔ 受阻",
        "📝 补充说明",
    ]
    assert "进度 0%" in card.text

    [recorded] = await chat.presses(LIMH, card, "60%")
    assert "已记录" in recorded
    assert "进度 60%" in recorded
    await chat.fake.await_for(lambda f: card.updates, what="the card updated")
    assert "进度 60%" in card.shown.text
    assert card.shown.title.startswith("🟢")  # 60% on 22 June is ahead of the calendar
    assert next(label for label, _ in card.shown.buttons) == "30%"  # it can be pressed again

    [noted] = await chat.says(LIMH, "设备已招标")
    assert "已补充说明" in noted
    assert "设备已招标" in noted
    assert [(r.percent, r.note) for r in chat.reports("zcq8-1")] == [(60, "设备已招标")]
    if isinstance(chat.fake, FakeFeishu):  # 飞书 shows a button's answer as a toast
        assert chat.fake.toasts == ["已记录：进度 60%"]
        assert chat.fake.pings >= 1 or not chat.fake.long_connection


async def test_free_text_names_the_task_or_needs_no_name_with_one_task(chat: ChatWorld) -> None:
    chat.bind(LIMH)
    chat.bind(ZHANGJH)
    [recorded] = await chat.says(LIMH, "45% 项目入库 12 个")  # 李明辉 leads one open task
    assert "已记录" in recorded
    assert "进度 45%" in recorded
    [which] = await chat.says(ZHANGJH, "60%")  # 张建华 leads twelve
    assert "请写明是哪一项" in which
    [named] = await chat.says(ZHANGJH, "zcq8-2 30% 已完成选址")
    assert "进度 30%" in named
    assert [(r.percent, r.note) for r in chat.reports("zcq8-1")] == [(45, "项目入库 12 个")]
    assert [(r.percent, r.note) for r in chat.reports("zcq8-2")] == [(30, "已完成选址")]


async def test_an_unbound_person_learns_nothing_and_binds_with_a_code(chat: ChatWorld) -> None:
    [refused] = await chat.says(STRANGER, "zcq8-1 完成")
    assert "还没有绑定" in refused
    assert "zcq8-1" not in refused
    assert "高新技术" not in refused
    assert chat.reports("zcq8-1") == []

    [welcome] = await chat.says(STRANGER, f"绑定 {chat.invite('limh')}")
    assert "绑定成功" in welcome
    assert "李明辉，您好！" in welcome
    [recorded] = await chat.says(STRANGER, "zcq8-1 完成 已竣工验收")
    assert "已记录" in recorded


async def test_a_support_department_adds_notes_but_cannot_report_progress(chat: ChatWorld) -> None:
    chat.bind(ZHANGJH)  # 高新科 supports zcq8-1, led by 区发改局
    [refused] = await chat.says(ZHANGJH, "zcq8-1 完成")
    assert "配合" in refused or "牵头" in refused
    assert chat.reports("zcq8-1") == []
    [noted] = await chat.says(ZHANGJH, "zcq8-1 已配合完成项目申报材料审核")
    assert "已记录" in noted
    [(report,)] = [chat.reports("zcq8-1")]
    assert (report.percent, report.note) == (None, "已配合完成项目申报材料审核")


async def test_coordinators_use_the_bots_commands_as_text(chat: ChatWorld) -> None:
    chat.bind(WANGLI)
    status = "\n".join(await chat.says(WANGLI, "/status"))  # in pieces the platform takes
    assert status.startswith("📊 任务总览")
    assert "🔴" in status
    before = len(chat.fake.to(WANGLI))
    await asyncio.to_thread(chat.fake.user_sends, WANGLI, "/bulletin")
    await chat.app.drain()
    [bulletin] = chat.fake.to(WANGLI)[before:]
    assert bulletin.kind == "markdown"  # the robot's 通报, to the coordinator alone
    assert "督查通报" in bulletin.title + bulletin.text
    assert "红灯" in bulletin.text
    overdue = "\n".join(await chat.says(WANGLI, "/overdue"))
    assert "逾期" in overdue
    chat.bind(LIMH)
    [refused] = await chat.says(LIMH, "/status")
    assert "督查科" in refused
    help_ = "\n".join(await chat.says(LIMH, "/help"))
    assert "zcq8-1 60% 设备已招标" in help_
    assert "直接回复" not in help_  # no "reply to the message" where messages cannot be replied to


async def test_a_callback_delivered_twice_records_and_answers_once(chat: ChatWorld) -> None:
    chat.bind(LIMH)
    await chat.send_reminders()
    card = chat.fake.card_about(LIMH, "zcq8-1")
    await chat.presses(LIMH, card, "90%")
    again = await asyncio.to_thread(chat.fake.redeliver)
    assert again.status == 200
    await chat.says(LIMH, "设备已安装")
    texts_before = len(chat.fake.texts(LIMH))
    again = await asyncio.to_thread(chat.fake.redeliver)
    assert again.status == 200
    await chat.app.drain()
    await chat.says(LIMH, "/tasks")  # answered after anything the redelivery would have said
    assert len(chat.fake.texts(LIMH)) == texts_before + 1
    assert [(r.percent, r.note) for r in chat.reports("zcq8-1")] == [(90, "设备已安装")]


@pytest.mark.parametrize("platform", ["dingtalk-stream"])
async def test_dingtalk_stream_answers_pings_and_connects_again_when_asked(
    chat: ChatWorld,
) -> None:
    fake = chat.fake
    assert isinstance(fake, FakeDingtalk)
    await fake.await_for(lambda f: f.pongs, what="the ping answered")  # type: ignore[attr-defined]
    first = fake.acks.copy()
    await asyncio.to_thread(fake.disconnect)
    await fake.await_for(lambda f: not f.connected, what="the connection closed")  # type: ignore[attr-defined]
    await fake.await_for(lambda f: f.connected, what="a new connection")  # type: ignore[attr-defined]
    chat.bind(LIMH)
    [recorded] = await chat.says(LIMH, "zcq8-1 50% 重新连接后")
    assert "进度 50%" in recorded
    assert len(fake.acks) > len(first)


@pytest.mark.parametrize("platform", ["wecom"])
async def test_an_event_seen_before_is_not_handled_again(chat: ChatWorld) -> None:
    chat.bind(LIMH)
    said = Said(Account("wecom", LIMH), "msg-42", "zcq8-1 30% 第一次")
    first = await chat.app.handle(said)
    again = await chat.app.handle(replace(said, text="zcq8-1 90% 第二次"))  # same message id
    await chat.app.drain()
    assert (first.duplicate, again.duplicate) == (False, True)
    assert [(r.percent, r.note) for r in chat.reports("zcq8-1")] == [(30, "第一次")]


@pytest.mark.parametrize("platform", ["dingtalk-stream", "feishu-long"])
async def test_a_connection_survives_an_event_that_fails_and_gets_it_again(
    chat: ChatWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What fails to be handled is not acknowledged, so the platform delivers it again; the
    connection stays up for everything else."""
    chat.bind(LIMH)
    real = ChatApp._handle
    failures = []

    async def failing_once(self: ChatApp, *args: object) -> object:
        if not failures:
            failures.append(args)
            raise OSError("database unreachable")
        return await real(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(ChatApp, "_handle", failing_once)
    if isinstance(chat.fake, FakeDingtalk):
        chat.fake.ack_timeout = 1.0
    answer = await asyncio.to_thread(chat.fake.user_sends, LIMH, "zcq8-1 40% 第一次")
    if isinstance(chat.fake, FakeFeishu):
        assert answer.status == 500  # answered as failed: 飞书 retries it
    else:
        assert answer.status == 0  # no acknowledgement (the fake gave up waiting)
    assert chat.fake.connected  # type: ignore[attr-defined]
    again = await asyncio.to_thread(chat.fake.redeliver)
    assert again.status == 200
    await chat.app.drain()
    assert [(r.percent, r.note) for r in chat.reports("zcq8-1")] == [(40, "第一次")]


async def test_a_done_waits_for_review_and_a_coordinator_approves_it_on_a_card(
    chat: ChatWorld,
) -> None:
    chat.bind(LIMH)
    chat.bind(WANGLI)
    [asked] = await chat.says(LIMH, "zcq8-1 完成 已竣工验收")
    assert "办结申请" in asked
    await chat.fake.await_for(lambda f: f.cards(WANGLI), what="the request to the coordinator")
    [request] = chat.fake.cards(WANGLI)
    assert "办结申请" in request.title + request.text
    assert [label for label, _ in request.buttons] == ["✅ 同意", "↩️ 退回"]
    owner_before = len(chat.fake.texts(LIMH)) + len(chat.fake.to(LIMH))
    [approved] = await chat.presses(WANGLI, request, "✅ 同意")
    assert "同意办结" in approved
    await chat.runtime.dispatcher().dispatch()
    await chat.fake.await_for(
        lambda f: len(f.texts(LIMH)) + len(f.to(LIMH)) > owner_before, what="the owner told"
    )
    told = chat.fake.to(LIMH)[-1]
    assert "同意" in told.title + told.text


@pytest.mark.parametrize("platform", ["feishu", "wecom"])
async def test_a_coordinator_returns_a_request_with_the_reason_typed_next(
    chat: ChatWorld,
) -> None:
    chat.bind(LIMH)
    chat.bind(WANGLI)
    await chat.says(LIMH, "zcq8-1 完成 已竣工验收")
    await chat.fake.await_for(lambda f: f.cards(WANGLI), what="the request to the coordinator")
    [request] = chat.fake.cards(WANGLI)
    [prompt] = await chat.presses(WANGLI, request, "↩️ 退回")
    assert "原因" in prompt
    [returned] = await chat.says(WANGLI, "佐证材料不全，请补充竣工验收报告")
    assert "退回" in returned
    await chat.runtime.dispatcher().dispatch()
    await chat.fake.await_for(
        lambda f: any("佐证材料不全" in d.text for d in f.to(LIMH)), what="the owner told why"
    )


@pytest.mark.parametrize("platform", ["dingtalk"])
async def test_a_reason_that_names_a_task_is_still_the_reason(chat: ChatWorld) -> None:
    """A coordinator may report on any task: the reason of a 退回 that starts with a task's
    id must not become a report on it."""
    chat.bind(LIMH)
    chat.bind(WANGLI)
    await chat.says(LIMH, "zcq8-1 完成 已竣工验收")
    await chat.fake.await_for(lambda f: f.cards(WANGLI), what="the request to the coordinator")
    [request] = chat.fake.cards(WANGLI)
    await chat.presses(WANGLI, request, "↩️ 退回")
    before = len(chat.reports("zcq8-1"))
    [returned] = await chat.says(WANGLI, "zcq8-1 缺竣工验收报告")
    assert "退回" in returned
    assert len(chat.reports("zcq8-1")) == before
