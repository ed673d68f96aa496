"""In a group the bot posts the 通报 and shows nothing more."""

from __future__ import annotations

from tests.bot.conftest import GROUP, STRANGER, WANGLI, ZHANGJH, World


async def test_bound_people_are_sent_to_the_private_chat(world: World) -> None:
    world.bind(ZHANGJH)
    world.bind(WANGLI)
    for command in ("/tasks@superbot_test_bot", "/status", "/report zcq8-2", "/help"):
        [answer] = await world.says(
            ZHANGJH if command != "/status" else WANGLI, command, chat_id=GROUP
        )
        assert (
            answer.text == "在群里我只发督查通报。查看任务、报送进度请私聊我：@superbot_test_bot。"
        )
    assert world.reports("zcq8-2") == []


async def test_unbound_people_and_plain_talk_are_ignored(world: World) -> None:
    world.bind(WANGLI)
    world.server.user_sends(STRANGER, "/tasks", chat_id=GROUP)
    world.server.user_sends(STRANGER, "/start ABCDEFGH", chat_id=GROUP)
    world.server.user_sends(WANGLI, "大家好，本月通报已发", chat_id=GROUP)
    world.server.user_sends(STRANGER, "/tasks@some_other_bot", chat_id=GROUP)
    await world.settled(WANGLI)  # answered in private only after every group update above
    assert world.server.messages(GROUP) == []
