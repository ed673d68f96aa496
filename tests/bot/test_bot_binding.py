"""Binding a Telegram account with a one-time invite code."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from tests.bot.conftest import LIMH, NOW, STRANGER, World
from tests.conftest import Cli
from tests.fakes.telegram_api import FakeTelegram

from superbot.domain.attempts import WRONG_CODES
from superbot.domain.model import Account
from superbot.service.errors import ServiceError
from superbot.service.people import create_invite, redeem_invite
from superbot.service.status import load_plan
from superbot.store.accounts import SqlAccounts
from superbot.store.db import make_engine

STRANGER_ACCOUNT = Account("telegram", str(STRANGER))

# The bot's state (bindings, invites, de-duplicated updates, reports) on both databases.
ON_POSTGRESQL_TOO = True


def invite(world: World, person: str, days: int = 7) -> str:
    plan = load_plan(world.store)
    made = create_invite(world.bindings, plan, person, world.clock(), timedelta(days=days))
    return made.code


async def test_a_code_binds_and_greets_with_the_tasks(world: World) -> None:
    code = invite(world, "zhangjh")
    [greeting] = await world.says(STRANGER, f"/start {code}")

    lines = greeting.text.splitlines()
    assert lines[0] == "✅ 绑定成功！"
    assert lines[1] == "张建华，您好！您是高新科（科技局高新技术科）的责任人。"
    assert "您单位牵头、还未办结的任务" in greeting.text
    assert "规上工业研发投入攻坚 zcq8-2" in greeting.text
    assert "直接回复那条任务消息" in greeting.text
    assert world.bindings.person_for(STRANGER) == "zhangjh"

    [tasks] = await world.says(STRANGER, "/tasks")  # bound now: the commands work
    assert "高新科" in tasks.text
    [again] = await world.says(STRANGER, "/start")
    assert again.text.startswith("张建华，您好！")


async def test_a_code_works_once(world: World) -> None:
    code = invite(world, "zhangjh")
    await world.says(STRANGER, f"/start {code}")
    world.server.add_user(2002, first_name="另一个人")
    [refused] = await world.says(2002, f"/start {code}")
    assert "这个邀请码已经用过了" in refused.text
    assert world.bindings.person_for(2002) is None


async def test_an_expired_code(world: World) -> None:
    code = invite(world, "zhangjh", days=3)
    world.clock.now = NOW + timedelta(days=3, minutes=1)
    [refused] = await world.says(STRANGER, f"/start {code}")
    assert "这个邀请码已过期，请向督查科重新索取绑定码" in refused.text
    assert world.bindings.person_for(STRANGER) is None


async def test_a_wrong_code_and_no_code(world: World) -> None:
    [wrong] = await world.says(STRANGER, "/start NOTACODE")
    assert "这个邀请码不对" in wrong.text
    [none] = await world.says(STRANGER, "/start")
    assert "您还没有绑定" in none.text
    assert "superbot invite" in none.text
    assert world.bindings.person_for(STRANGER) is None


async def test_wrong_codes_are_slowed_down_until_the_window_passes(world: World) -> None:
    code = invite(world, "zhangjh")
    for minute in range(WRONG_CODES):
        later_to(world, minutes=minute)
        [wrong] = await world.says(STRANGER, f"/start WRONG{minute}X")
        assert "这个邀请码不对" in wrong.text
    later_to(world, minutes=10)
    [paused] = await world.says(STRANGER, f"/start {code}")  # even the right code waits
    assert "绑定码输错的次数太多" in paused.text
    assert "请在 10:15 以后再试" in paused.text
    assert world.bindings.person_for(STRANGER) is None
    # Counted in the database: another instance on it refuses the account too.
    elsewhere = SqlAccounts(make_engine(world.store.engine.url.render_as_string(False)))
    try:
        with pytest.raises(ServiceError) as refused:
            redeem_invite(elsewhere, load_plan(world.store), code, STRANGER_ACCOUNT, world.clock())
        assert refused.value.text.key == "invite.slow_down"
    finally:
        elsewhere.engine.dispose()

    later_to(world, minutes=15)  # the first wrong try left the window
    [greeting] = await world.says(STRANGER, f"/start {code}")
    assert "张建华" in greeting.text
    assert world.bindings.person_for(STRANGER) == "zhangjh"


async def test_wrong_codes_of_one_account_do_not_pause_another(world: World) -> None:
    for n in range(WRONG_CODES + 1):
        await world.says(STRANGER, f"/start WRONG{n}X")
    code = invite(world, "limh")
    [greeting] = await world.says(LIMH, f"/start {code}")
    assert "李明辉" in greeting.text


def later_to(world: World, **delta: int) -> None:
    world.clock.now = NOW + timedelta(**delta)


async def test_a_code_is_read_the_way_people_type_it(world: World) -> None:
    code = invite(world, "limh")
    [greeting] = await world.says(STRANGER, f"/start   {code.lower()}")
    assert "绑定成功" in greeting.text
    assert "李明辉" in greeting.text


async def test_a_coordinator_gets_the_longer_menu(world: World) -> None:
    code = invite(world, "wangli")
    [greeting] = await world.says(STRANGER, f"/start {code}")
    assert "督查科" in greeting.text
    assert "/status" in greeting.text
    scope = {"type": "chat", "chat_id": STRANGER}
    menu = await world.server.await_for(lambda s: s.commands(scope), what="the menu")
    assert "remind" in [c["command"] for c in menu]
    private = world.server.commands({"type": "all_private_chats"})
    assert [c["command"] for c in private] == [
        "tasks",
        "report",
        "done",
        "extend",
        "history",
        "cancel",
        "help",
    ]


def test_invite_prints_the_code_and_the_link(
    cli: Cli, server: FakeTelegram, tmp_path: Path
) -> None:
    assert cli("sync").status == 0
    cli.config = replace(cli.config, telegram_token=server.token, telegram_api_url=server.url)
    result = cli("invite", "zhangjh", "--days", "3")
    assert result.status == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("已为 张建华（高新科（科技局高新技术科））生成一次性绑定码：")
    code = lines[0].rsplit("：", 1)[1]
    assert f"https://t.me/superbot_test_bot?start={code}" in result.out


def test_invite_without_a_token_says_how_to_bind(cli: Cli) -> None:
    assert cli("sync").status == 0
    result = cli("invite", "zhangjh")
    assert result.status == 0, result.err
    code = result.out.splitlines()[0].rsplit("：", 1)[1]
    assert f"/start {code}" in result.out
    assert "TELEGRAM_BOT_TOKEN" in result.out

    unknown = cli("invite", "zhangj")
    assert unknown.status == 2
    assert "没有编号或姓名为 zhangj 的人员，是不是 zhangjh？" in unknown.err


async def test_an_account_bound_to_someone_cannot_take_another_code(world: World) -> None:
    from tests.bot.conftest import LIMH

    world.bind(LIMH)
    code = invite(world, "zhangjh")
    [refused] = await world.says(LIMH, f"/start {code}")
    assert "这个 Telegram 账号已绑定为“李明辉”，不能再绑定别人" in refused.text
    assert world.bindings.person_for(LIMH) == "limh"


async def test_a_coordinator_is_greeted_as_one_without_repeating_the_office(world: World) -> None:
    code = invite(world, "wangli")
    [greeting] = await world.says(STRANGER, f"/start {code}")
    assert greeting.text.splitlines()[1] == "王丽，您好！您是督查科人员。"
