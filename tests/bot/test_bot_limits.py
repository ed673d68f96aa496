"""Inputs bounded on the bot: a note longer than NOTE_LIMIT is refused whole, in Chinese,
with nothing stored (the same limit as the web view's 填报 page)."""

from __future__ import annotations

from tests.bot.conftest import ZHANGJH, World

from superbot.domain.progress import NOTE_LIMIT

LONG = "企业走访情况" * (NOTE_LIMIT // 6 + 1)  # NOTE_LIMIT + 4 characters


async def test_progress_with_a_note_too_long_records_nothing(world: World) -> None:
    world.bind(ZHANGJH)
    await world.says(ZHANGJH, "/report zcq8-2")
    [refused] = await world.says(ZHANGJH, f"60% {LONG}")
    assert f"说明写了 {NOTE_LIMIT + 4} 个字" in refused.text
    assert f"超过了 {NOTE_LIMIT} 字的上限，这次没有记录" in refused.text
    assert world.reports("zcq8-2") == []


async def test_a_note_too_long_after_progress_keeps_the_progress_alone(world: World) -> None:
    world.bind(ZHANGJH)
    await world.says(ZHANGJH, "/report zcq8-2")
    [recorded] = await world.says(ZHANGJH, "70%")
    assert "进度 70%" in recorded.text
    [refused] = await world.says(ZHANGJH, LONG)
    assert "这次没有记录" in refused.text
    [report] = world.reports("zcq8-2")
    assert (report.percent, report.note) == (70, None)
