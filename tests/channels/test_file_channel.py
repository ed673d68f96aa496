from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from superbot.channels.file import FileChannel, safe_name
from superbot.service.ports import Attachment, ChannelError, Message

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BULLETIN = Message(
    subject="督查通报（2022年6月）",
    body="各单位：\n6月红灯 2 项。",
    html="<p>各单位：</p>",
    attachments=(Attachment("督查通报（2022年6月）.xlsx", b"PK\x03\x04 workbook", XLSX),),
)


def tree(root: Path) -> list[Path]:
    return list(root.rglob("*"))


async def test_a_message_becomes_files_a_person_can_open(tmp_path: Path) -> None:
    channel = FileChannel(tmp_path)

    receipt = await channel.send(BULLETIN, "zhang@example.gov.cn")
    await channel.aclose()

    assert receipt.ref == "zhang@example.gov.cn/000001-督查通报（2022年6月）.txt"
    folder = tmp_path / "zhang@example.gov.cn"
    assert sorted(path.name for path in folder.iterdir()) == [
        "000001-督查通报（2022年6月）.html",
        "000001-督查通报（2022年6月）.txt",
        "000001-督查通报（2022年6月）.xlsx",
    ]
    text = (tmp_path / receipt.ref).read_text(encoding="utf-8")
    assert text == "督查通报（2022年6月）\n\n各单位：\n6月红灯 2 项。\n"
    assert (folder / "000001-督查通报（2022年6月）.html").read_text(
        encoding="utf-8"
    ) == "<p>各单位：</p>"
    assert (folder / "000001-督查通报（2022年6月）.xlsx").read_bytes() == b"PK\x03\x04 workbook"


async def test_numbers_go_on_across_instances_and_recipients_keep_their_own(
    tmp_path: Path,
) -> None:
    reminder = Message(subject="进度提醒", body="请报送 6 月进度。")
    await FileChannel(tmp_path).send(reminder, "-1001234567890")
    await FileChannel(tmp_path).send(reminder, "-1001234567890")
    (tmp_path / "-1001234567890" / "000041-by-hand.txt").write_text("kept", encoding="utf-8")

    third = await FileChannel(tmp_path).send(reminder, "-1001234567890")
    other = await FileChannel(tmp_path).send(reminder, "123456789")

    assert third.ref == "-1001234567890/000042-进度提醒.txt"
    assert other.ref == "123456789/000001-进度提醒.txt"
    assert len(list((tmp_path / "-1001234567890").iterdir())) == 4


async def test_concurrent_sends_never_share_a_number(tmp_path: Path) -> None:
    channel = FileChannel(tmp_path)

    receipts = await asyncio.gather(
        *(channel.send(Message(subject="提醒", body=str(n)), "WECOM_URL") for n in range(12))
    )

    refs = {receipt.ref for receipt in receipts}
    assert len(refs) == 12
    bodies = {(tmp_path / ref).read_text(encoding="utf-8").split("\n\n")[1] for ref in refs if ref}
    assert bodies == {f"{n}\n" for n in range(12)}


async def test_no_temporary_files_are_left(tmp_path: Path) -> None:
    await FileChannel(tmp_path).send(BULLETIN, "leaders@example.gov.cn")

    assert [path.name for path in tree(tmp_path) if path.name.startswith(".")] == []


async def test_names_stay_inside_the_outbox(tmp_path: Path) -> None:
    message = Message(
        subject="../../etc/passwd",
        body="x",
        attachments=(Attachment("../../红灯/名单.txt", b"x", "text/plain"),),
    )

    receipt = await FileChannel(tmp_path).send(message, "../../../tmp")

    assert receipt.ref == "tmp/000001-etc_passwd.txt"
    assert (tmp_path / "tmp" / "000001-红灯_名单.txt").read_bytes() == b"x"
    assert all(path.resolve().is_relative_to(tmp_path) for path in tree(tmp_path))


async def test_an_attachment_named_like_the_message_does_not_replace_it(tmp_path: Path) -> None:
    message = Message(
        subject="通报", body="正文", attachments=(Attachment("通报.txt", b"a", "text/plain"),)
    )

    receipt = await FileChannel(tmp_path).send(message, "x")

    assert receipt.ref is not None
    assert (tmp_path / receipt.ref).read_text(encoding="utf-8") == "通报\n\n正文\n"
    assert (tmp_path / "x" / "000001-1-通报.txt").read_bytes() == b"a"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("zhang@example.gov.cn", "zhang@example.gov.cn"),
        ("督查通报：红/黄灯", "督查通报：红_黄灯"),
        ("DINGTALK_URL:DINGTALK_SECRET", "DINGTALK_URL_DINGTALK_SECRET"),
        ("...", "_"),
        ("", "_"),
    ],
)
def test_safe_name(text: str, name: str) -> None:
    assert safe_name(text) == name


def test_a_long_chinese_name_keeps_its_extension_and_fits() -> None:
    name = safe_name("通" * 200 + ".xlsx")

    assert name.endswith("通.xlsx")
    assert len(name.encode()) <= 120


async def test_an_unwritable_outbox_is_permanent(tmp_path: Path) -> None:
    blocked = tmp_path / "outbox"
    blocked.write_text("a file where the folder should be", encoding="utf-8")

    with pytest.raises(ChannelError) as caught:
        await FileChannel(blocked).send(BULLETIN, "zhang@example.gov.cn")

    assert caught.value.permanent
