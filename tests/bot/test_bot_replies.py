"""Replying to a reminder's task message reports on that task, in the words people use."""

from __future__ import annotations

import pytest
from tests.bot.conftest import LIMH, ZHANGJH, World

from superbot.domain.model import State

# The bot's state (bindings, invites, de-duplicated updates, reports) on both databases.
ON_POSTGRESQL_TOO = True


@pytest.fixture
async def reminded(world: World) -> World:
    """李明辉 (区发改局) is bound and got this month's reminder about zcq8-1."""
    world.bind(LIMH)
    sent = await world.send_reminders()
    assert [m.chat_id for m in sent] == [LIMH, LIMH]  # the head and one task message
    return world


PHRASINGS = [
    ("60%", 60, State.ON_TRACK, "进度 60%"),
    ("60", 60, State.ON_TRACK, "进度 60%"),
    ("百分之六十", 60, State.ON_TRACK, "进度 60%"),
    ("完成", 100, State.DONE, "已完成（100%）"),
    ("已完成", 100, State.DONE, "已完成（100%）"),
    ("办结", 100, State.DONE, "已完成（100%）"),
    ("40", 40, State.ON_TRACK, "进度 40%"),
    ("受阻", 40, State.BLOCKED, "进度 40%，受阻"),  # the percent stays where it was
    ("卡住", 40, State.BLOCKED, "进度 40%，受阻"),
    ("有风险", 40, State.AT_RISK, "进度 40%，有风险"),
    ("滞后", 40, State.AT_RISK, "进度 40%，有风险"),
]


async def test_each_way_of_saying_it_records_progress(reminded: World) -> None:
    """One conversation: 李明辉 answers the reminder's task message again and again."""
    world = reminded
    task_message = world.task_message(LIMH, "zcq8-1")
    for reply, percent, state, said in PHRASINGS:
        [answer] = await world.says(LIMH, reply, reply_to=task_message.message_id)

        assert answer.text.startswith("✅ 已记录：高新技术产业投资攻坚"), reply
        assert said in answer.text, (reply, answer.text)
        assert "现在：" in answer.text, reply
        report = world.reports("zcq8-1")[-1]
        assert (report.percent, report.state, report.person_id) == (percent, state, "limh"), reply
        assert (report.source, report.note) == ("telegram", None), reply
    assert len(world.reports("zcq8-1")) == len(PHRASINGS)


async def test_the_rest_of_the_reply_is_the_note(reminded: World) -> None:
    world = reminded
    task_message = world.task_message(LIMH, "zcq8-1")
    [answer] = await world.says(LIMH, "40% 受阻 土地指标未落实", reply_to=task_message.message_id)

    assert "进度 40%，受阻；说明“土地指标未落实”" in answer.text
    assert "现在：🔴 红灯" in answer.text
    assert "责任单位报告工作受阻" in answer.text  # the reason for the light
    assert "补充说明" not in answer.text  # the note came with it: nothing more to ask
    [report] = world.reports("zcq8-1")
    assert (report.percent, report.state, report.note) == (40, State.BLOCKED, "土地指标未落实")


@pytest.mark.parametrize("reply", ["投资增速 12.5", "invest=12.5"])
async def test_an_indicator_value(reminded: World, reply: str) -> None:
    world = reminded
    task_message = world.task_message(LIMH, "zcq8-1")
    [answer] = await world.says(LIMH, reply, reply_to=task_message.message_id)

    assert "高新技术产业投资增速 12.5%" in answer.text
    [report] = world.reports("zcq8-1")
    assert dict(report.values) == {"invest": 12.5}
    assert report.percent is None


async def test_an_unreadable_reply_stores_nothing_and_says_what_is_missing(
    reminded: World,
) -> None:
    world = reminded
    task_message = world.task_message(LIMH, "zcq8-1")
    [answer] = await world.says(LIMH, "正在抓紧推进", reply_to=task_message.message_id)

    assert answer.text.startswith("🤔 这条没有登记：高新技术产业投资攻坚")
    assert "说明：正在抓紧推进" in answer.text  # what was understood
    assert "没看出进度" in answer.text  # what is missing
    assert "60%" in answer.text
    assert "高新技术产业投资增速 12.5" in answer.text
    assert world.reports("zcq8-1") == []


async def test_a_contradiction_is_not_guessed(reminded: World) -> None:
    world = reminded
    task_message = world.task_message(LIMH, "zcq8-1")
    [answer] = await world.says(LIMH, "60% 还是 70%", reply_to=task_message.message_id)

    assert "这条没有登记" in answer.text
    assert "两个进度（60%、70%）" in answer.text
    assert world.reports("zcq8-1") == []


async def test_after_a_reply_the_next_text_is_its_note(reminded: World) -> None:
    world = reminded
    task_message = world.task_message(LIMH, "zcq8-1")
    [answer] = await world.says(LIMH, "60%", reply_to=task_message.message_id)
    assert "要补充说明，直接发文字给我" in answer.text

    [noted] = await world.says(LIMH, "主体工程已封顶")
    assert noted.text.startswith("📝 已补充说明：高新技术产业投资攻坚")
    [report] = world.reports("zcq8-1")
    assert (report.percent, report.note) == (60, "主体工程已封顶")


async def test_replying_to_the_confirmation_reports_again(reminded: World) -> None:
    world = reminded
    task_message = world.task_message(LIMH, "zcq8-1")
    [first] = await world.says(LIMH, "60%", reply_to=task_message.message_id)
    [second] = await world.says(LIMH, "70%", reply_to=first.message_id)

    assert "进度 70%" in second.text
    assert [r.percent for r in world.reports("zcq8-1")] == [60, 70]


async def test_a_text_that_is_no_reply_explains_how_to_report(reminded: World) -> None:
    world = reminded
    [answer] = await world.says(LIMH, "60%")

    assert "请回复我发来的任务消息" in answer.text
    assert world.reports("zcq8-1") == []


async def test_a_reply_to_another_message_is_not_a_report(reminded: World) -> None:
    world = reminded
    head = world.server.messages(LIMH)[0]  # the reminder's head: about no single task
    [answer] = await world.says(LIMH, "60%", reply_to=head.message_id)

    assert "不是关于某项任务的" in answer.text
    assert world.reports("zcq8-1") == []


async def test_a_photo_is_answered_not_dropped(reminded: World) -> None:
    world = reminded
    before = len(world.server.messages(LIMH))
    world.server.push_update(
        {
            "message": {
                "message_id": 999,
                "date": 0,
                "chat": {"id": LIMH, "type": "private", "first_name": "李明辉"},
                "from": {"id": LIMH, "is_bot": False, "first_name": "李明辉"},
                "photo": [{"file_id": "x", "file_unique_id": "x", "width": 1, "height": 1}],
            }
        }
    )
    [answer] = await world.answers(LIMH, before, 1)
    assert "请回复任务消息（或报送后的确认消息）发送照片、文件" in answer.text  # which task?


async def test_an_edited_reply_updates_its_report(reminded: World) -> None:
    world = reminded
    task_message = world.task_message(LIMH, "zcq8-1")
    await world.says(LIMH, "50%", reply_to=task_message.message_id)
    reply_id = world.last_user_message(LIMH)

    [answer] = await world.edits(LIMH, reply_id, "65% 已完成主体")
    assert answer.text.startswith("✅ 已按修改后的消息更新：高新技术产业投资攻坚")
    [report] = world.reports("zcq8-1")
    assert (report.percent, report.note) == (65, "已完成主体")


async def test_the_same_update_twice_records_once(reminded: World) -> None:
    world = reminded
    task_message = world.task_message(LIMH, "zcq8-1")
    before = len(world.server.messages(LIMH))
    update = world.server.user_sends(LIMH, "60%", reply_to_message_id=task_message.message_id)
    await world.answers(LIMH, before, 1)
    world.server.redeliver(update)
    await world.settled(LIMH)

    assert len(world.reports("zcq8-1")) == 1
    confirmations = [m for m in world.server.messages(LIMH) if m.text.startswith("✅ 已记录")]
    assert len(confirmations) == 1


async def test_a_support_department_cannot_change_the_percent(world: World) -> None:
    """张建华's 高新科 supports zcq8-1, led by 区发改局."""
    world.bind(ZHANGJH)
    [prompt] = await world.says(ZHANGJH, "/report zcq8-1")
    assert "请发送对「高新技术产业投资攻坚」的补充说明" in prompt.text

    [refused] = await world.says(ZHANGJH, "60%", reply_to=prompt.message_id)
    assert "配合单位" in refused.text
    assert "区发改局" in refused.text
    [refused_done] = await world.says(ZHANGJH, "/done zcq8-1")
    assert "配合单位" in refused_done.text
    assert world.reports("zcq8-1") == []

    [noted] = await world.says(ZHANGJH, "已协助完成企业入库辅导")
    assert noted.text.startswith("📝 已补充说明：高新技术产业投资攻坚")
    [report] = world.reports("zcq8-1")
    assert (report.percent, report.state, report.note, report.person_id) == (
        None,
        None,
        "已协助完成企业入库辅导",
        "zhangjh",
    )
