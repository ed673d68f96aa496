"""The running watch of tasks.yaml: a file that turns invalid, is half-written while saved, is
cut short, vanishes or is refused by the database leaves the last good plan active, archives
nothing by accident and tells the coordinators — and tells them again when it applies. The
file is read off the event loop, so the bot answers meanwhile."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from tests.fakes.clock import FakeClock
from tests.service.test_scheduler_runner import Bot, at, bots, start

from superbot import scheduler
from superbot.plan.load import LoadResult, parse_plan

__all__ = ["bots"]  # the fixture, used by name

TITLE = "title: 高新技术产业投资攻坚"
NOW = "2022-06-19 12:00"


async def look(bot: Bot, times: int = 1) -> None:
    """What the running watch does every two seconds, ``times`` times over."""
    for _ in range(times):
        await bot.runner._watch_job()


def notices(bot: Bot) -> list[str]:
    """Subjects of the tasks.yaml notices the coordinators got, one per notice."""
    seen = []
    for sent in bot.channel.sent:
        subject = sent.message.subject
        if "任务清单" in subject and subject not in seen:
            seen.append(subject)
    return seen


def bodies(bot: Bot, subject_part: str) -> list[str]:
    return [s.message.body for s in bot.channel.sent if subject_part in s.message.subject]


def task_ids(bot: Bot) -> list[str]:
    plan = bot.runtime.store.active_plan()
    assert plan is not None
    return [t.id for t in plan.tasks]


def write(path: Path, content: str) -> None:
    path.write_text(content, encoding="utf-8")


def cut_after_campaigns(source: str, kept: int) -> str:
    """The file as a failed copy leaves it: whole up to a campaign boundary, nothing after."""
    campaigns = source.index("\ncampaigns:")
    starts = [i for i in range(campaigns, len(source)) if source.startswith("\n  - id: ", i)]
    return source[: starts[kept] + 1]


async def test_a_half_written_save_is_never_applied(
    bots: list[Bot], database_url: str, tasks_file: Path
) -> None:
    bot = start(bots, database_url, tasks_file, FakeClock(at(NOW)))
    before = task_ids(bot)
    source = tasks_file.read_text(encoding="utf-8")
    edited = source.replace(TITLE, TITLE + "战")

    write(tasks_file, cut_after_campaigns(edited, 2))  # the editor has written half of it
    await look(bot)
    assert task_ids(bot) == before  # the landed watch archived 43 tasks here
    write(tasks_file, edited)  # and then the rest
    await look(bot, 2)

    assert task_ids(bot) == before  # nothing archived, ever
    plan = bot.runtime.store.active_plan()
    assert plan is not None
    assert plan.task("zcq8-1").title == "高新技术产业投资攻坚战"  # type: ignore[union-attr]
    assert notices(bot) == [f"【任务清单已更新】{tasks_file}"]
    assert all("zcq8-1" in body for body in bodies(bot, "任务清单已更新"))


async def test_a_file_left_cut_short_archives_nothing_until_a_person_confirms(
    bots: list[Bot], database_url: str, tasks_file: Path
) -> None:
    bot = start(bots, database_url, tasks_file, FakeClock(at(NOW)))
    before = task_ids(bot)
    cut = cut_after_campaigns(tasks_file.read_text(encoding="utf-8"), 2)

    write(tasks_file, cut)  # the copy died there: the file stays like this
    await look(bot, 3)

    assert task_ids(bot) == before
    [held] = notices(bot)
    archiving = int(held.removeprefix("【任务清单待确认：将归档 ").split(" ")[0])
    remaining = parse_plan(cut.encode()).plan
    assert remaining is not None
    assert archiving == len(before) - len(remaining.tasks)
    assert archiving > 10
    [body] = bodies(bot, "待确认")[:1]
    assert "暂未生效" in body
    assert "superbot sync" in body
    assert "zcq8-1" not in body  # the first campaign is kept; only the archived are listed

    loaded, outcome = await bot.runner.reload_now(at(NOW))  # a coordinator's /reload: go ahead

    assert loaded.ok
    assert outcome is not None
    assert outcome.applied
    assert len(task_ids(bot)) < len(before)


async def test_a_deleted_file_keeps_the_plan_tells_the_coordinators_once_and_its_return(
    bots: list[Bot], database_url: str, tasks_file: Path
) -> None:
    bot = start(bots, database_url, tasks_file, FakeClock(at(NOW)))
    before = task_ids(bot)
    source = tasks_file.read_text(encoding="utf-8")

    tasks_file.unlink()
    await look(bot, 3)

    assert task_ids(bot) == before
    assert notices(bot) == [f"【任务清单有错误，未生效】{tasks_file}"]
    [body, *_] = bodies(bot, "有错误")
    assert f"{tasks_file}:1:1: 找不到任务清单文件" in body

    write(tasks_file, source)
    await look(bot, 2)

    assert task_ids(bot) == before
    assert notices(bot) == [
        f"【任务清单有错误，未生效】{tasks_file}",
        f"【任务清单已修正，重新生效】{tasks_file}",
    ]
    recipients = {s.recipient for s in bot.channel.sent}
    assert len(bot.channel.sent) == 2 * len(recipients)  # each coordinator, each notice once


async def test_a_broken_file_is_told_and_its_fix_is_told_too(
    bots: list[Bot], database_url: str, tasks_file: Path
) -> None:
    bot = start(bots, database_url, tasks_file, FakeClock(at(NOW)))
    source = tasks_file.read_text(encoding="utf-8")

    write(tasks_file, source.replace("due: 2022-12-31", "due: 2022-12-32", 1))
    await look(bot, 3)
    write(tasks_file, source.replace(TITLE, TITLE + "战"))
    await look(bot, 3)

    assert notices(bot) == [
        f"【任务清单有错误，未生效】{tasks_file}",
        f"【任务清单已修正，重新生效】{tasks_file}",
    ]
    [fixed, *_] = bodies(bot, "重新生效")
    assert "通过校验并重新生效，之前报告的错误都已改好；共 1 处变动" in fixed
    assert "~ 任务 zcq8-1 高新技术产业投资攻坚战" in fixed


async def test_the_same_broken_version_again_after_a_fix_is_told_again(
    bots: list[Bot], database_url: str, tasks_file: Path
) -> None:
    bot = start(bots, database_url, tasks_file, FakeClock(at(NOW)))
    source = tasks_file.read_text(encoding="utf-8")
    broken = source.replace("due: 2022-12-31", "due: 2022-12-32", 1)

    for content in (broken, source.replace(TITLE, TITLE + "战"), broken):
        write(tasks_file, content)
        await look(bot, 2)

    subjects = notices(bot)
    assert subjects.count(f"【任务清单有错误，未生效】{tasks_file}") == 1  # one subject …
    per_coordinator = len({s.recipient for s in bot.channel.sent})
    broken_notices = [s for s in bot.channel.sent if "有错误" in s.message.subject]
    assert len(broken_notices) == 2 * per_coordinator  # … sent twice: two times broken


async def test_an_alias_bomb_saved_while_running_is_a_notice_and_the_plan_stays(
    bots: list[Bot], database_url: str, tasks_file: Path
) -> None:
    bot = start(bots, database_url, tasks_file, FakeClock(at(NOW)))
    before = task_ids(bot)
    # The landed watch expanded this to a 3.1 GB error message and froze the bot for 39 s
    # (at ten levels; eleven would take hours).
    bomb = ["x-chats:", "  - &a0 [-100, -100, -100, -100, -100, -100, -100, -100, -100, -100]"]
    bomb += [f"  - &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 12)]
    source = tasks_file.read_text(encoding="utf-8")
    source = source.replace("  telegram_chats: [-1001234567890]", "  telegram_chats: *a11")
    write(tasks_file, source.replace("broadcast:", "\n".join(bomb) + "\nbroadcast:", 1))

    await look(bot, 2)

    assert task_ids(bot) == before
    [body, *_] = bodies(bot, "有错误")
    assert "别名炸弹" in body


async def test_a_valid_file_the_database_refuses_is_told_and_applied_once_it_is_accepted(
    bots: list[Bot], database_url: str, tasks_file: Path
) -> None:
    bot = start(bots, database_url, tasks_file, FakeClock(at(NOW)))
    engine = bot.runtime.store.engine
    with engine.begin() as connection:  # a database that refuses changes to tasks
        if connection.dialect.name == "sqlite":
            connection.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE UPDATE ON task "
                    "BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )
            )
        else:
            connection.execute(
                text(
                    "CREATE FUNCTION refuse() RETURNS trigger AS "
                    "$$ BEGIN RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql"
                )
            )
            connection.execute(
                text("CREATE TRIGGER refuse BEFORE UPDATE ON task EXECUTE FUNCTION refuse()")
            )
    write(tasks_file, tasks_file.read_text(encoding="utf-8").replace(TITLE, TITLE + "战"))

    await look(bot, 2)

    plan = bot.runtime.store.active_plan()
    assert plan is not None
    assert plan.task("zcq8-1").title == "高新技术产业投资攻坚"  # type: ignore[union-attr]
    [body, *_] = bodies(bot, "有错误")
    assert "写入数据库时出错" in body

    with engine.begin() as connection:
        on_task = " ON task" if connection.dialect.name == "postgresql" else ""
        connection.execute(text(f"DROP TRIGGER refuse{on_task}"))
    await look(bot, 2)  # the watch tries again by itself

    plan = bot.runtime.store.active_plan()
    assert plan is not None
    assert plan.task("zcq8-1").title == "高新技术产业投资攻坚战"  # type: ignore[union-attr]
    assert notices(bot)[-1] == f"【任务清单已修正，重新生效】{tasks_file}"


async def test_the_file_is_read_off_the_event_loop_while_the_bot_answers(
    bots: list[Bot], database_url: str, tasks_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = start(bots, database_url, tasks_file, FakeClock(at(NOW)))
    loop_thread = threading.get_ident()
    answered = threading.Event()
    readers: list[int] = []
    read = scheduler.read_plan_file

    def slow_read(path: Path) -> LoadResult:
        # A large plan takes seconds to read: meanwhile the loop must serve the bot. This
        # read waits for a coroutine on the loop; on the loop itself it would wait in vain.
        readers.append(threading.get_ident())
        assert answered.wait(timeout=10), "the event loop was blocked while reading"
        return read(path)

    async def answer_someone() -> None:
        answered.set()

    monkeypatch.setattr(scheduler, "read_plan_file", slow_read)
    write(tasks_file, tasks_file.read_text(encoding="utf-8").replace(TITLE, TITLE + "战"))
    await look(bot)  # settling: nothing read yet

    await asyncio.gather(look(bot), answer_someone())
    answered.clear()
    await asyncio.gather(bot.runner.reload_now(at(NOW)), answer_someone())

    assert len(readers) == 2
    assert loop_thread not in readers
    plan = bot.runtime.store.active_plan()
    assert plan is not None
    assert plan.task("zcq8-1").title == "高新技术产业投资攻坚战"  # type: ignore[union-attr]
