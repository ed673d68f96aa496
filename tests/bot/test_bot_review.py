"""The supervision loop in the chat, through the real bot and the fake Bot API: an owner's
"done" with a photo becomes a request the coordinator gets with 同意 / 退回; 退回 asks for the
reason and the owner reads it; done again and approved closes the task. Extensions asked by
/extend and by a reply; one asked too late is refused with why."""

from __future__ import annotations

import pytest
from tests.bot.conftest import LIMH, WANGLI, ZHANGJH, World, later

from superbot.domain.model import Account
from superbot.domain.review import RequestStatus
from superbot.service.errors import ServiceError

PHOTO = b"\xff\xd8\xff\xe0" + b"JFIF-acceptance-report" * 400  # a photo as the phone sent it


@pytest.fixture
async def office(world: World) -> World:
    """李明辉 (区发改局, leads zcq8-1) got the reminder; 王丽 (督查科) is bound too."""
    world.bind(LIMH)
    world.bind(WANGLI)
    world.bind(ZHANGJH)
    await world.send_reminders()
    return world


async def test_done_with_a_photo_returned_with_a_reason_then_approved(office: World) -> None:
    world = office
    task_message = world.task_message(LIMH, "zcq8-1")
    coordinator_before = len(world.server.messages(WANGLI))

    # The owner sends the acceptance report's photo as a reply, "已完成" as its caption.
    before = len(world.server.messages(LIMH))
    world.server.user_sends_file(
        LIMH,
        PHOTO,
        "IMG_0042.jpg",
        "image/jpeg",
        photo=True,
        caption="已完成，验收报告见图",
        reply_to_message_id=task_message.message_id,
    )
    [confirmation] = await world.answers(LIMH, before, 1)
    assert "现在：⏳ 待审核" in confirmation.text
    assert "📎 佐证已保存：photo-" in confirmation.text
    assert "已提交办结申请，督查科审核同意后才算办结（销号）" in confirmation.text

    # The coordinator gets the request, the photo listed, with 同意 / 退回.
    messages = await world.server.await_messages(WANGLI, coordinator_before + 1)
    request = messages[-1]
    assert request.text.startswith("📥 办结申请待审核")
    assert "李明辉 2022-06-22 10:00 申请办结（销号）" in request.text
    assert "说明：验收报告见图" in request.text
    assert "佐证：photo-" in request.text
    ok, back = (b["callback_data"] for b in request.buttons[0])
    assert ok.endswith(":ok")
    assert back.endswith(":no")
    [claim] = world.store.requests(["zcq8-1"])
    assert claim.report_id is not None
    [kept] = world.runtime.conversations.evidence([claim.report_id])[claim.report_id]
    assert world.runtime.evidence.path(kept.sha256).read_bytes() == PHOTO  # stored by its hash

    # 退回: the bot asks why; the next text is the reason, and the owner reads it.
    [prompt] = await world.presses(WANGLI, request.message_id, back)
    assert "请直接发一句退回原因" in prompt.text
    owner_before = len(world.server.messages(LIMH))
    [decided] = await world.says(WANGLI, "请补充第三方验收报告")
    assert decided.text.startswith("↩️ 办结申请：退回，未予销号")
    assert "退回原因：请补充第三方验收报告" in decided.text
    assert "已通知李明辉。" in decided.text
    told = (await world.server.await_messages(LIMH, owner_before + 1))[-1]
    assert told.text.startswith("↩️ 办结申请：退回，未予销号")
    assert "退回原因：请补充第三方验收报告" in told.text
    assert world.store.requests(["zcq8-1"])[0].status is RequestStatus.REJECTED

    # Done again, approved with one press: the task is closed as of that request.
    later(world, hours=2)
    coordinator_before = len(world.server.messages(WANGLI))
    await world.says(LIMH, "完成，已补充第三方验收报告", reply_to=task_message.message_id)
    again = (await world.server.await_messages(WANGLI, coordinator_before + 1))[-1]
    ok = next(b["callback_data"] for b in again.buttons[0] if b["callback_data"].endswith(":ok"))
    owner_before = len(world.server.messages(LIMH))
    [approved] = await world.presses(WANGLI, again.message_id, ok)
    assert approved.text.startswith("✅ 办结申请：同意办结，已销号")
    assert world.server.message(WANGLI, again.message_id).buttons == []  # decided once
    closed = (await world.server.await_messages(LIMH, owner_before + 1))[-1]
    assert closed.text.startswith("✅ 办结申请：同意办结，已销号")
    assert "当前：✅办结 · 已于 2022-06-22 办结" in closed.text


async def test_only_a_coordinator_decides(office: World) -> None:
    world = office
    task_message = world.task_message(LIMH, "zcq8-1")
    await world.says(LIMH, "完成", reply_to=task_message.message_id)
    [claim] = world.store.requests(["zcq8-1"])
    assert claim.id is not None
    # An owner who somehow holds the button cannot use it.
    with pytest.raises(ServiceError) as refused:
        world.runtime.conversation.decide(
            Account("telegram", str(LIMH)), claim.id, "ok", world.clock()
        )
    assert refused.value.text.key == "conversation.coordinators_only"
    assert world.store.requests(["zcq8-1"])[0].pending


async def test_extensions_by_command_and_by_reply(office: World) -> None:
    world = office
    coordinator_before = len(world.server.messages(WANGLI))
    [asked] = await world.says(ZHANGJH, "/extend zcq8-2 2023-03-31 研发费用归集口径调整")
    assert asked.text.startswith("📅 已提交延期申请：规上工业研发投入攻坚")
    assert "截止日期由 12月31日 延至 2023年3月31日，原因：研发费用归集口径调整" in asked.text
    request = (await world.server.await_messages(WANGLI, coordinator_before + 1))[-1]
    assert request.text.startswith("📥 延期申请待审核")

    # By a reply to the task message, the way people write it.
    task_message = world.task_message(LIMH, "zcq8-1")
    [reply] = await world.says(
        LIMH, "申请延期至2023年6月30日，原因：土地审批未完成", reply_to=task_message.message_id
    )
    assert "截止日期由 12月31日 延至 2023年6月30日，原因：土地审批未完成" in reply.text
    assert [r.due_to.isoformat() for r in world.store.requests(["zcq8-1"]) if r.due_to] == [
        "2023-06-30"
    ]

    # Too late: 一季度科技项目申报 (qy-8) was due on 31 March.
    [late] = await world.says(ZHANGJH, "/extend qy-8 2022-09-30 专家评审推迟")
    assert "“一季度科技项目申报”已于 2022-03-31 到期（已逾期 83 天），到期后不能再申请延期" in (
        late.text
    )
    assert not world.store.requests(["qy-8"])

    [usage] = await world.says(ZHANGJH, "/extend zcq8-3")
    assert "请写上任务编号、延期到哪天和原因" in usage.text
