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


async def test_evidence_of_a_type_not_kept_is_refused_with_its_caption(world: World) -> None:
    """The same types as the web view's uploads (one list, in the conversation core)."""
    world.bind(ZHANGJH)
    await world.send_reminders()
    task_message = world.task_message(ZHANGJH, "zcq8-2")
    before = len(world.server.messages(ZHANGJH))
    world.server.user_sends_file(
        ZHANGJH,
        b"MZ\x90\x00" + b"\x00" * 200,
        "验收报告.exe",
        "application/octet-stream",
        caption="60% 验收报告见附件",
        reply_to_message_id=task_message.message_id,
    )
    [refused] = await world.answers(ZHANGJH, before, 1)
    assert "“验收报告.exe”这种文件不能作为佐证，这次没有记录" in refused.text
    assert world.reports("zcq8-2") == []

    before = len(world.server.messages(ZHANGJH))
    world.server.user_sends_file(
        ZHANGJH,
        b"%PDF-1.4 acceptance",
        "验收报告.pdf",
        "application/pdf",
        caption="60% 验收报告见附件",
        reply_to_message_id=task_message.message_id,
    )
    [kept] = await world.answers(ZHANGJH, before, 1)
    assert "验收报告.pdf" in kept.text
    [report] = world.reports("zcq8-2")
    assert report.percent == 60
