"""The security walk through the bot: every command the bot registers, every shape of button
data the button protocol writes, and free text, tried by an unbound account, by an owner of a
department that only supports a task, and by an owner of a department with no part in it.

After the walk no answer (message, edited message, button popup, file name) holds a title,
note or person name the asker may not see, and no report or request was written or decided
that the asker had no right to (the yardstick is in ``tests/walk.py``). The commands come
from the bot's own registries, so a command added later is walked without touching this file.
"""

from __future__ import annotations

from tests.bot.conftest import LIMH, NOW, STRANGER, WANGLI, ZHANGJH, World
from tests.walk import (
    Asker,
    Records,
    assert_nothing_changed,
    assert_nothing_leaked,
    seed,
    targets_for,
)

from superbot.bot.app import COORDINATOR_COMMANDS, OWNER_COMMANDS
from superbot.service import buttons

ANSWER_CODES = ("0", "60", "100", buttons.DONE, buttons.BLOCKED, buttons.NOTE)
FREE_TEXT = ("60%", "已完成", "1", "延期到 2022-12-31，原因：资金未到位")


def walked_commands(targets: list[str]) -> list[str]:
    """Every registered command, bare and about each target task; an invite code tried."""
    names = [*OWNER_COMMANDS, *COORDINATOR_COMMANDS]
    said = [f"/{name}" for name in names]
    said += [f"/{name} {task_id}" for name in names for task_id in targets]
    return [*said, "/start WRONGCODE1", "/nonsense"]


def pressed_data(targets: list[str], request_ids: list[int]) -> list[str]:
    """Every shape of button data the protocol writes, about each target."""
    data = [buttons.answer_data(t, code) for t in targets for code in ANSWER_CODES]
    data += [buttons.choice_data(t) for t in targets]
    data += [buttons.decision_data(r, code) for r in request_ids for code in buttons.DECISIONS]
    return [d for d in data if d is not None]


async def settled(world: World) -> None:
    """Every update sent so far is handled: a later /help is answered only after them (the bot
    handles updates in order). Over a hundred updates queue here, hence the longer ceiling."""
    before = len(world.server.messages(WANGLI))
    world.server.user_sends(WANGLI, "/help")
    await world.server.await_messages(WANGLI, before + 1, timeout=60.0)


async def walk(world: World, user: int, targets: list[str], request_ids: list[int]) -> str:
    """Everything tried by the asker; every word the asker was answered, joined."""
    chat_before = len(world.server.messages(user))
    popups_before = len(world.server.callback_answers)
    for command in walked_commands(targets):
        world.server.user_sends(user, command)
        world.server.user_sends(user, FREE_TEXT[0])
    for text in FREE_TEXT:
        world.server.user_sends(user, text)
    await settled(world)
    anchor = world.server.messages(user)[-1].message_id  # a bot message to press on
    for data in pressed_data(targets, request_ids):
        world.server.user_presses_any(user, anchor, data)
        world.server.user_sends(user, "50%")
    await settled(world)
    answers = world.server.messages(user)[chat_before:]
    assert answers, "the bot answered nothing"
    popups = world.server.callback_answers[popups_before:]
    return "\n".join(
        [m.text for m in answers]
        + [m.document.file_name for m in answers if m.document is not None]
        + [p.text or "" for p in popups]
    )


async def walk_and_check(world: World, user: int, asker: Asker) -> None:
    world.bind(WANGLI)  # the sentinel /help comes from a bound person
    plan = world.store.active_plan()
    assert plan is not None
    request_ids = seed(world.store, plan, NOW)
    before = Records.of(world.store, plan)

    answered = await walk(world, user, targets_for(plan, asker), request_ids)

    assert_nothing_leaked(plan, asker, answered)
    assert_nothing_changed(plan, asker, before, Records.of(world.store, plan))


async def test_an_unbound_account_sees_and_changes_nothing(world: World) -> None:
    await walk_and_check(world, STRANGER, Asker(None))


async def test_a_supporting_departments_owner_adds_notes_at_most(world: World) -> None:
    """张建华 (高新科) supports zcq8-1, led by 区发改局; other tasks are none of his."""
    world.bind(ZHANGJH)
    await walk_and_check(world, ZHANGJH, Asker("gxk"))


async def test_another_departments_owner_sees_and_changes_nothing_of_it(world: World) -> None:
    """李明辉 (区发改局) has no part in most of 高新科's tasks."""
    world.bind(LIMH)
    await walk_and_check(world, LIMH, Asker("fgj"))
