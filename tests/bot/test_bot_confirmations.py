"""A reply that was stored is confirmed with the patience of any other message, and never
answered "没有处理成功" — the person would send it again and it would count twice."""

from __future__ import annotations

from tests.bot.conftest import LIMH, World

FAILED = "没有处理成功"


async def reminded(world: World) -> int:
    world.bind(LIMH)
    await world.send_reminders()
    return world.task_message(LIMH, "zcq8-1").message_id


async def test_a_confirmation_refused_once_by_a_5xx_arrives_and_nothing_is_apologised(
    world: World,
) -> None:
    task_message = await reminded(world)
    world.server.fail_next("sendMessage", chat_id=LIMH, status=502)

    [answer] = await world.says(LIMH, "60%", reply_to=task_message)

    assert answer.text.startswith("✅ 已记录：")
    assert [r.percent for r in world.reports("zcq8-1")] == [60]
    await world.settled(LIMH)
    assert not [m for m in world.server.messages(LIMH) if FAILED in m.text]
    assert world.slept == [1.0]


async def test_a_429_on_the_confirmation_waits_exactly_its_retry_after(world: World) -> None:
    task_message = await reminded(world)
    world.server.fail_next("sendMessage", chat_id=LIMH, status=429, retry_after=7)

    [answer] = await world.says(LIMH, "80% 设备已进场", reply_to=task_message)

    assert answer.text.startswith("✅ 已记录：")
    assert world.slept == [7.0]
    assert [r.percent for r in world.reports("zcq8-1")] == [80]


async def test_a_confirmation_that_never_gets_through_is_not_followed_by_an_apology(
    world: World,
) -> None:
    task_message = await reminded(world)
    world.server.fail_next("sendMessage", chat_id=LIMH, status=500, times=5)
    before = len(world.server.messages(LIMH))
    world.server.user_sends(LIMH, "60%", reply_to_message_id=task_message)

    await world.settled(LIMH)  # the /help answer comes, and it is the only one

    answers = world.server.messages(LIMH)[before:]
    assert len(answers) == 1
    assert FAILED not in answers[0].text
    assert [r.percent for r in world.reports("zcq8-1")] == [60]
    assert world.slept == [1.0, 2.0, 4.0, 8.0]
