"""An owner's commands, and what an unbound account gets from every one of them."""

from __future__ import annotations

import pytest
from tests.bot.conftest import LIMH, STRANGER, WANGLI, ZHANGJH, World

from superbot.domain.model import State

EVERY_COMMAND = [
    "/start",
    "/start WRONGCODE",
    "/help",
    "/tasks",
    "/report",
    "/report zcq8-2",
    "/cancel",
    "/done zcq8-2",
    "/history zcq8-2",
    "/status",
    "/overdue",
    "/who",
    "/remind",
    "/bulletin",
    "/reload",
    "/nonsense",
    "60%",
]


async def test_an_unbound_account_learns_nothing(world: World) -> None:
    world.bind(LIMH)
    await world.send_reminders()
    words_it_must_not_see = ["高新", "投资", "攻坚", "任务 ", "项", "李明辉", "王丽", "区发改局"]
    words_it_must_not_see += [str(n) for n in range(1, 10)]
    for command in EVERY_COMMAND:
        [answer] = await world.says(STRANGER, command)
        if command == "/start WRONGCODE":
            assert "邀请码不对" in answer.text
        else:
            assert "还没有绑定" in answer.text, command
        for word in words_it_must_not_see:
            assert word not in answer.text, (command, word, answer.text)
    assert world.reports("zcq8-2") == []


async def test_tasks_lists_the_departments_open_tasks_with_lights(world: World) -> None:
    world.bind(ZHANGJH)
    [answer] = await world.says(ZHANGJH, "/tasks")
    text = answer.text
    assert text.startswith("📋 高新科（科技局高新技术科）的任务（截至 6月22日）")
    assert "规上工业研发投入攻坚 zcq8-2" in text
    assert "配合" in text
    assert "高新技术产业投资攻坚 zcq8-1（区发改局牵头）" in text
    assert "一季度科技项目申报" in text  # overdue, still open: red
    assert "已逾期" in text


async def test_report_step_by_step_then_a_note(world: World) -> None:
    world.bind(ZHANGJH)
    [choice] = await world.says(ZHANGJH, "/report")
    assert choice.text.startswith("要报送哪项任务？")
    assert choice.callback_data[0].startswith("r:")
    numbered = [line for line in choice.text.splitlines() if line[:1].isdigit()]
    second = numbered[1].split()[-1]  # the task id at the end of line 2

    [card] = await world.says(ZHANGJH, "2")
    assert f"{second}" in card.text
    assert "现在进度怎样？" in card.text
    assert f"p:{second}:60" in card.callback_data

    [recorded] = await world.says(ZHANGJH, "70%")
    assert "进度 70%" in recorded.text
    assert "要补充说明" in recorded.text
    [noted] = await world.says(ZHANGJH, "已完成 120 家企业走访")
    assert "已补充说明" in noted.text
    [report] = world.reports(second)
    assert (report.percent, report.note, report.person_id) == (
        70,
        "已完成 120 家企业走访",
        "zhangjh",
    )


async def test_report_with_a_task_button_and_cancel_midway(world: World) -> None:
    world.bind(ZHANGJH)
    [choice] = await world.says(ZHANGJH, "/report")
    task_id = choice.callback_data[0].removeprefix("r:")
    [card] = await world.presses(ZHANGJH, choice.message_id, f"r:{task_id}")
    assert "现在进度怎样？" in card.text

    [cancelled] = await world.says(ZHANGJH, "/cancel")
    assert cancelled.text == "已取消，没有登记任何内容。"
    [after] = await world.says(ZHANGJH, "80%")  # no longer in /report: not recorded
    assert "请回复我发来的任务消息" in after.text
    assert world.reports(task_id) == []
    [nothing] = await world.says(ZHANGJH, "/cancel")
    assert nothing.text == "现在没有进行中的操作。"


async def test_report_forgives_the_way_a_task_is_typed(world: World) -> None:
    world.bind(ZHANGJH)
    await world.says(ZHANGJH, "/report")
    [card] = await world.says(ZHANGJH, "ＺＣＱ8-2")  # full-width capitals from a phone keyboard
    assert "规上工业研发投入攻坚" in card.text
    [unknown] = await world.says(ZHANGJH, "/report zcq8-22")
    assert "没有编号为 zcq8-22 的任务，是不是 zcq8-2？" in unknown.text


async def test_done_with_a_note(world: World) -> None:
    world.bind(ZHANGJH)
    [answer] = await world.says(ZHANGJH, "/done qy-8 材料已全部报送")
    assert answer.text.startswith("✅ 已记录：一季度科技项目申报")
    assert "已完成（100%）" in answer.text
    assert "材料已全部报送" in answer.text
    assert "现在：⏳ 待审核" in answer.text  # the plan asks a coordinator to review a "done"
    [report] = world.reports("qy-8")
    assert (report.percent, report.state, report.note) == (100, State.DONE, "材料已全部报送")

    [usage] = await world.says(ZHANGJH, "/done")
    assert "请写上任务编号，例如 /done" in usage.text


async def test_history_shows_the_reports(world: World) -> None:
    world.bind(ZHANGJH)
    await world.says(ZHANGJH, "/report zcq8-2")
    await world.says(ZHANGJH, "30% 启动研发费用摸底")
    world.clock.now = world.clock.now.replace(hour=15, minute=30)
    await world.says(ZHANGJH, "/done zcq8-2")

    [answer] = await world.says(ZHANGJH, "/history zcq8-2")
    lines = answer.text.splitlines()
    assert lines[0] == "🕘 规上工业研发投入攻坚 zcq8-2"
    assert "报送记录 2 条：" in answer.text
    assert "6月22日 15:30 张建华：已完成（100%）" in answer.text
    assert "6月22日 10:00 张建华：进度 30%；说明“启动研发费用摸底”" in answer.text

    [other] = await world.says(ZHANGJH, "/history dls3-2")  # 交通路网: not 高新科's
    assert "不能报送" in other.text or "既不牵头也不配合" in other.text


async def test_help_depends_on_the_role(world: World) -> None:
    world.bind(ZHANGJH)
    world.bind(WANGLI)
    [owner] = await world.says(ZHANGJH, "/help")
    assert "直接回复" in owner.text
    assert "/status" not in owner.text
    [coordinator] = await world.says(WANGLI, "/help")
    assert "/status" in coordinator.text
    assert "/remind" in coordinator.text


async def test_coordinator_commands_are_refused_to_owners(world: World) -> None:
    world.bind(ZHANGJH)
    for command in ("/status", "/overdue", "/who", "/remind", "/bulletin", "/reload"):
        [answer] = await world.says(ZHANGJH, command)
        assert "只有督查科能用" in answer.text, command


@pytest.mark.parametrize("text", ["/start", "/help"])
async def test_a_plan_bound_account_needs_no_invite(world: World, text: str) -> None:
    """``telegram:`` in tasks.yaml binds in advance: bound without a code."""
    world.bind(LIMH)
    [answer] = await world.says(LIMH, text)
    assert "还没有绑定" not in answer.text


async def test_history_says_the_year_when_reports_span_years(world: World) -> None:
    world.bind(ZHANGJH)
    await world.says(ZHANGJH, "/report zcq8-2")
    await world.says(ZHANGJH, "30% 启动研发费用摸底")
    world.clock.now = world.clock.now.replace(year=world.clock.now.year + 1, month=1, day=5)
    await world.says(ZHANGJH, "/report zcq8-2")
    await world.says(ZHANGJH, "40% 完成摸底")

    [answer] = await world.says(ZHANGJH, "/history zcq8-2")
    year = world.clock.now.year
    assert f"{year}年1月5日 10:00 张建华：进度 40%" in answer.text
    assert f"{year - 1}年6月22日 10:00 张建华：进度 30%" in answer.text
