"""A reply by email is a request like any other: "完成" with the acceptance report attached
waits for review with its evidence, and the coordinators are told; "申请延期至……" asks for
an extension and the answer says so."""

from __future__ import annotations

from tests.fakes import mail_clients
from tests.mail.conftest import LIMH, NOW, Office, no_sleep

WANGLI = "王丽 <wangli@example.gov.cn>"  # 督查科

REPORT = b"%PDF-1.7 acceptance report " * 200


async def test_done_by_email_waits_for_review_with_its_attachment(office: Office) -> None:
    await office.send_reminders()
    reminder = office.reminder(LIMH)
    raw = mail_clients.attach(
        mail_clients.outlook(reminder, LIMH, "完成 已通过竣工验收", at=NOW),
        "竣工验收报告.pdf",
        REPORT,
        "application/pdf",
    )
    before = len(office.sent(LIMH))

    handled = await office.take(raw)

    assert handled.recorded == 1
    [answer] = await office.answers(LIMH, before)
    text = answer.get_body(("plain",)).get_content()
    assert "【已登记】高新技术产业投资攻坚（zcq8-1）" in text
    assert "当前：待审核" in text
    [waiting] = office.runtime.review.queue(NOW)
    assert waiting.task.id == "zcq8-1"
    assert [e.filename for e in waiting.evidence] == ["竣工验收报告.pdf"]
    assert waiting.report is not None
    assert waiting.report.note == "已通过竣工验收"
    # The coordinators are told at the next tick, the attachment listed; once.
    assert office.runtime.delivery.announce_requests(NOW) == 2  # 王丽 and 陈晓峰
    await office.runtime.dispatcher(sleep=no_sleep).dispatch()
    told = [m for m in office.sent(WANGLI) if "【待审核】" in str(m["Subject"])]
    assert len(told) == 1
    assert str(told[0]["Subject"]) == "【待审核】高新技术产业投资攻坚（zcq8-1）办结申请"
    body = told[0].get_body(("plain",)).get_content()
    assert "佐证：竣工验收报告.pdf（6 KB）" in body
    assert "superbot approve zcq8-1" in body
    assert office.runtime.delivery.announce_requests(NOW) == 0  # told once


async def test_an_extension_asked_by_email(office: Office) -> None:
    await office.send_reminders()
    reminder = office.reminder(LIMH)
    raw = mail_clients.outlook(
        reminder, LIMH, "申请延期至2023年3月31日，原因：土地审批未完成", at=NOW
    )
    before = len(office.sent(LIMH))

    await office.take(raw)

    [answer] = await office.answers(LIMH, before)
    text = answer.get_body(("plain",)).get_content()
    assert "【延期申请】高新技术产业投资攻坚（zcq8-1）" in text
    assert "截止日期由 12月31日 延至 2023年3月31日，原因：土地审批未完成" in text
    [asked] = office.runtime.store.requests(["zcq8-1"])
    assert (asked.due_to.isoformat() if asked.due_to else None, asked.source) == (
        "2023-03-31",
        "email",
    )
