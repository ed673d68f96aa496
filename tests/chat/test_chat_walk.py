"""The security walk through the chat apps: every command the bot registers (the chat apps
answer the same commands through the same conversation core, so one platform — 企业微信 —
stands for all), with a task the asker supports and one it has no part in, and free text, by
an unbound account, by an owner of a department that only supports a task and by an owner of
a department with no part in it. The yardstick is ``tests/walk.py``.
"""

from __future__ import annotations

import asyncio

import pytest
from tests.bot.conftest import NOW
from tests.bot.test_bot_walk import FREE_TEXT, walked_commands
from tests.chat.conftest import LIMH, STRANGER, WANGLI, ZHANGJH, ChatWorld
from tests.walk import (
    Asker,
    Records,
    assert_nothing_changed,
    assert_nothing_leaked,
    seed,
    targets_for,
)

from superbot.service.status import load_plan


@pytest.fixture
def platform() -> str:
    return "wecom"


async def walk_and_check(chat: ChatWorld, user: str, asker: Asker) -> None:
    chat.bind(WANGLI)
    plan = load_plan(chat.store)
    seed(chat.store, plan, NOW)
    before = Records.of(chat.store, plan)
    delivered = len(chat.fake.to(user))

    for text in [*walked_commands(targets_for(plan, asker)), *FREE_TEXT]:
        if text == "/reload":
            continue  # the coordinators' reload: this world has no plan file to reload
        answer = await asyncio.to_thread(chat.fake.user_sends, user, text)
        assert answer.status == 200, (text, answer)
        await asyncio.to_thread(chat.fake.user_sends, user, FREE_TEXT[0])
    await chat.app.drain()

    answered = "\n".join(d.text for d in chat.fake.to(user)[delivered:])
    assert answered, "superbot answered nothing"
    assert_nothing_leaked(plan, asker, answered)
    assert_nothing_changed(plan, asker, before, Records.of(chat.store, load_plan(chat.store)))


async def test_an_unbound_account_sees_and_changes_nothing(chat: ChatWorld) -> None:
    await walk_and_check(chat, STRANGER, Asker(None))


async def test_a_supporting_departments_owner_adds_notes_at_most(chat: ChatWorld) -> None:
    chat.bind(ZHANGJH)
    await walk_and_check(chat, ZHANGJH, Asker("gxk"))


async def test_another_departments_owner_sees_and_changes_nothing_of_it(chat: ChatWorld) -> None:
    chat.bind(LIMH)
    await walk_and_check(chat, LIMH, Asker("fgj"))
