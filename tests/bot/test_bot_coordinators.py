"""督查科 steering from the chat: lights, overdue tasks, who is silent, nudges, the 通报
preview and re-reading tasks.yaml."""

from __future__ import annotations

import pytest
from tests.bot.conftest import LIMH, WANGLI, ZHANGJH, World


@pytest.fixture
async def steering(world: World) -> World:
    for user in (LIMH, ZHANGJH, WANGLI):
        world.bind(user)
    return world


async def test_status_overview_and_one_campaign(steering: World) -> None:
    world = steering
    [overview] = await world.says(WANGLI, "/status")
    text = overview.text
    assert text.startswith("📊 任务总览（截至 6月22日）")
    assert "自创区“八大专项攻坚行动”：红灯" in text
    assert "已开始的 59 项：🔴 58　🟡 1　🟢 0　✅ 0" in text
    assert "🔴 红灯 58 项" in text
    assert "……等 58 项" in text
    assert "• 一季度科技项目申报（高新科（科技局高新技术科））：已逾期 83 天" in text
    assert "发 /status 专项编号" in text

    [campaign] = await world.says(WANGLI, "/status DLS3")
    assert campaign.text.startswith("📊 环大罗山科创走廊“三大会战”（截至 6月22日）")
    assert "共 8 项" in campaign.text
    assert "交通路网建设会战 dls3-2（区住建局（交通路网））" in campaign.text

    [unknown] = await world.says(WANGLI, "/status zcq")
    assert "没有编号为 zcq 的专项，是不是 zcq8？" in unknown.text


async def test_overdue(steering: World) -> None:
    world = steering
    await world.says(ZHANGJH, "/done qy-8")
    [answer] = await world.says(WANGLI, "/overdue")
    text = answer.text
    assert text.startswith("⏰ 逾期未办结")
    assert "一季度技术合同交易 cg-2（成果转化科（科技大市场））：3月31日截止，已逾期 83 天" in text
    assert "qy-8" not in text  # reported done: it waits for review, not in this list


async def test_who_then_remind_only_the_silent(steering: World) -> None:
    world = steering
    await world.send_reminders()  # the monthly reminder (20 June) went out before
    limh_task = world.task_message(LIMH, "zcq8-1")
    await world.says(LIMH, "55%", reply_to=limh_task.message_id)  # 区发改局 has reported

    [who] = await world.says(WANGLI, "/who")
    assert who.text.startswith("🔕 自 6月20日以来未报送进度")
    assert "区发改局" not in who.text
    assert "高新科（科技局高新技术科）" in who.text
    assert "张建华、林思远（未绑定）、郑晓燕（未绑定）" in who.text

    before = len(world.server.messages(ZHANGJH))
    [reminded] = await world.says(WANGLI, "/remind gxk")
    assert reminded.text.splitlines() == [
        "📨 已催报 1 人：张建华。",
        "⚠️ 联系不上（没有绑定任何渠道，也没有邮箱）：林思远、郑晓燕，请电话联系。",
    ]
    # The nudge is the reminder of the silent tasks, one message each, answerable by reply.
    silent = int(who.text.split("高新科（科技局高新技术科）（")[1].split(" 项")[0])
    nudge = await world.server.await_messages(ZHANGJH, before + 1 + silent)
    assert "进度报送提醒" in nudge[before].text
    assert len([m for m in nudge[before:] if m.callback_data]) == silent
    task_message = world.task_message(ZHANGJH, "zcq8-2")
    [recorded] = await world.says(ZHANGJH, "35%", reply_to=task_message.message_id)
    assert "进度 35%" in recorded.text
    assert [r.percent for r in world.reports("zcq8-2")] == [35]

    [again] = await world.says(WANGLI, "/remind gxk")
    assert "今天已催过，不再重复发送：张建华。" in again.text
    [fgj] = await world.says(WANGLI, "/remind fgj")
    assert fgj.text == "区发改局自上次提醒以来都已报送，无需催报。👍"
    [typo] = await world.says(WANGLI, "/remind gkx")
    assert "没有编号或名称为 gkx 的单位，是不是 gxk？" in typo.text


async def test_bulletin_preview_goes_to_the_coordinator_alone(steering: World) -> None:
    world = steering
    summary, document = await world.says(WANGLI, "/bulletin", expect=2)
    assert summary.text.startswith("📣 督查通报 · 2022年6月")
    assert document.document is not None
    assert document.document.filename == "督查通报-2022-06.html"
    assert world.server.messages(-1001234567890) == []  # not the group


async def test_reload_applies_a_change(steering: World) -> None:
    world = steering
    source = world.tasks_file.read_text(encoding="utf-8")
    world.tasks_file.write_text(
        source.replace("title: 高新技术产业投资攻坚", "title: 高新技术产业投资攻坚行动"),
        encoding="utf-8",
    )
    [answer] = await world.says(WANGLI, "/reload")
    assert answer.text == "✅ 任务清单已重新读取并生效：新增 0、变更 1、归档 0。"
    plan = world.store.active_plan()
    assert plan is not None
    assert plan.task("zcq8-1").title == "高新技术产业投资攻坚行动"

    [same] = await world.says(WANGLI, "/reload")
    assert "没有变化" in same.text


async def test_reload_answers_errors_as_file_line_col(steering: World) -> None:
    world = steering
    source = world.tasks_file.read_text(encoding="utf-8")
    broken = source.replace("due: 2022-12-31", "due: 2022-13-31", 1).replace(
        "lead: gxk", "lead: gkx", 1
    )
    world.tasks_file.write_text(broken, encoding="utf-8")
    [answer] = await world.says(WANGLI, "/reload")
    lines = answer.text.splitlines()
    assert lines[0] == "⚠️ 任务清单有 2 处错误，未生效，仍按原清单运行："
    path = str(world.tasks_file)
    assert lines[1].startswith(f"{path}:")
    assert "2022-13-31" in lines[1]
    assert lines[2].startswith(f"{path}:")
    assert "gkx" in lines[2]
    assert "gxk" in lines[2]
    for line in lines[1:]:
        where = line.split(": ", 1)[0]
        _, row, col = where.rsplit(":", 2)
        assert row.isdigit()
        assert col.isdigit()
    plan = world.store.active_plan()
    assert plan is not None
    assert plan.task("zcq8-2").lead == "gxk"


async def test_retry_sends_a_rounds_failed_messages_again(steering: World) -> None:
    world = steering
    world.server.block(ZHANGJH)
    await world.send_reminders()
    assert world.server.messages(ZHANGJH) == []
    world.server.unblock(ZHANGJH)

    [owner] = await world.says(ZHANGJH, "/retry")
    assert "只有督查科能用" in owner.text
    [retried] = await world.says(WANGLI, "/retry")
    assert retried.text.startswith("🔁 月度提醒 2022-06：")
    assert "条发送失败的消息已重新排队，马上重发" in retried.text
    assert await world.server.await_messages(ZHANGJH, 2)  # the reminder's head and tasks
    [again] = await world.says(WANGLI, "/retry reminders")
    assert again.text == "月度提醒 2022-06 没有发送失败的消息。"
    [typo] = await world.says(WANGLI, "/retry remind")
    assert "没有“remind”这一类消息" in typo.text
