"""The buttons under a task message: one tap records, the message shows the new light, and
the next text is the note."""

from __future__ import annotations

import pytest
from tests.bot.conftest import LIMH, World

from superbot.domain.model import State


@pytest.fixture
async def reminded(world: World) -> World:
    world.bind(LIMH)
    await world.send_reminders()
    return world


async def test_a_button_records_then_the_next_text_is_its_note(reminded: World) -> None:
    world = reminded
    task_message = world.task_message(LIMH, "zcq8-1")
    assert "🔴" in task_message.text
    assert "0%" in task_message.text

    [answer] = await world.presses(LIMH, task_message.message_id, "p:zcq8-1:60")
    assert world.server.callback_answers[-1].text == "已记录：进度 60%"
    assert answer.text.startswith("✅ 已记录：高新技术产业投资攻坚")
    assert "进度 60%" in answer.text
    assert "要补充说明，直接发文字给我" in answer.text
    edited = world.server.message(LIMH, task_message.message_id)
    assert edited.edited
    assert "▰▰▰▰▰▰▱▱▱▱ 60%" in edited.text
    assert "最新报送：6月22日" in edited.text
    assert edited.callback_data == task_message.callback_data  # the buttons stay
    [report] = world.reports("zcq8-1")
    assert (report.percent, report.state, report.note) == (60, State.ON_TRACK, None)

    [noted] = await world.says(LIMH, "主体已封顶，设备进场")
    assert noted.text.startswith("📝 已补充说明：高新技术产业投资攻坚")
    assert "主体已封顶，设备进场" in noted.text
    [report] = world.reports("zcq8-1")
    assert (report.percent, report.note) == (60, "主体已封顶，设备进场")

    # The note is taken once: the next text is not another note.
    [hint] = await world.says(LIMH, "谢谢")
    assert "请回复我发来的任务消息" in hint.text
    assert world.reports("zcq8-1")[0].note == "主体已封顶，设备进场"


async def test_done_and_blocked_buttons(reminded: World) -> None:
    world = reminded
    task_message = world.task_message(LIMH, "zcq8-1")
    await world.presses(LIMH, task_message.message_id, "p:zcq8-1:30")
    [blocked] = await world.presses(LIMH, task_message.message_id, "p:zcq8-1:blocked")
    assert "进度 30%，受阻" in blocked.text
    assert "现在：🔴 红灯" in blocked.text
    [done] = await world.presses(LIMH, task_message.message_id, "p:zcq8-1:done")
    assert "已完成（100%）" in done.text
    assert "现在：⏳ 待审核" in done.text  # the plan asks a coordinator to review a "done"
    assert "⏳ 高新技术产业投资攻坚" in world.server.message(LIMH, task_message.message_id).text

    assert [(r.percent, r.state) for r in world.reports("zcq8-1")] == [
        (30, State.ON_TRACK),
        (30, State.BLOCKED),
        (100, State.DONE),
    ]


async def test_the_note_button_takes_the_text_as_it_is(reminded: World) -> None:
    world = reminded
    task_message = world.task_message(LIMH, "zcq8-1")
    [prompt] = await world.presses(LIMH, task_message.message_id, "p:zcq8-1:note")
    assert prompt.text.startswith("📝 请发送对「高新技术产业投资攻坚」的补充说明")
    assert not world.server.message(LIMH, task_message.message_id).edited

    [noted] = await world.says(LIMH, "已对接 3 个项目，完成 60% 的前期手续")
    assert "已补充说明" in noted.text
    [report] = world.reports("zcq8-1")
    assert (report.percent, report.note) == (None, "已对接 3 个项目，完成 60% 的前期手续")


async def test_cancel_after_a_button_keeps_the_report(reminded: World) -> None:
    world = reminded
    task_message = world.task_message(LIMH, "zcq8-1")
    await world.presses(LIMH, task_message.message_id, "p:zcq8-1:90")
    [cancelled] = await world.says(LIMH, "/cancel")
    assert "「高新技术产业投资攻坚」刚才登记的进度保留" in cancelled.text
    [report] = world.reports("zcq8-1")
    assert (report.percent, report.note) == (90, None)


async def test_a_support_owner_pressing_progress_is_refused(reminded: World) -> None:
    """The account that got the reminder now belongs to 张建华, whose 高新科 only supports
    zcq8-1: an old button is refused, and nothing is recorded."""
    world = reminded
    task_message = world.task_message(LIMH, "zcq8-1")
    world.bindings.bind("zhangjh", LIMH, world.clock())  # the account now belongs elsewhere
    world.bindings.bind("limh", 1_111_111, world.clock())
    answered = len(world.server.callback_answers)
    world.server.user_presses(LIMH, task_message.message_id, "p:zcq8-1:60")
    await world.server.await_for(lambda s: len(s.callback_answers) > answered)
    answer = world.server.callback_answers[-1]
    assert answer.show_alert
    assert "配合单位" in (answer.text or "")
    assert world.reports("zcq8-1") == []
