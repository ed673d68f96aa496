"""The bot speaks the plan's second locale too (SUPERBOT_LOCALE=en): every answer below is
read back through the fake server's strict HTML parser."""

from __future__ import annotations

import pytest
from tests.bot.conftest import LIMH, STRANGER, WANGLI, ZHANGJH, World


@pytest.fixture
def locale() -> str:
    return "en"


async def test_a_conversation_in_english(world: World) -> None:
    for user in (LIMH, ZHANGJH, WANGLI):
        world.bind(user)
    [unbound] = await world.says(STRANGER, "/tasks")
    assert unbound.text.startswith("🔒 This account is not bound yet")

    await world.send_reminders()
    task_message = world.task_message(LIMH, "zcq8-1")
    [recorded] = await world.says(LIMH, "60% land approved", reply_to=task_message.message_id)
    assert recorded.text.startswith("✅ Recorded: ")
    assert "60%; note “land approved”" in recorded.text
    [unclear] = await world.says(LIMH, "working on it", reply_to=task_message.message_id)
    assert unclear.text.startswith("🤔 Not recorded: ")
    [pressed] = await world.presses(LIMH, task_message.message_id, "p:zcq8-1:done")
    assert "done (100%)" in pressed.text
    assert world.server.callback_answers[-1].text == "Recorded: done"

    for command in ("/help", "/tasks", "/report", "/cancel", "/history zcq8-1", "/nope"):
        [answer] = await world.says(ZHANGJH, command)
        assert answer.text, command
    [refused] = await world.says(ZHANGJH, "/done zcq8-1")
    assert "Your department supports" in refused.text
    for command in ("/status", "/status zcq8", "/overdue", "/who", "/remind gxk", "/reload"):
        [answer] = await world.says(WANGLI, command)
        assert answer.text, command
    assert [r.percent for r in world.reports("zcq8-1")] == [60, 100]
