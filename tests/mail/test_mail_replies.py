"""Owners answer the monthly reminder from their own mail client; superbot records what each
line says, answers in the same thread, and refuses anything it cannot trust."""

from __future__ import annotations

import dataclasses
import io
from datetime import timedelta
from email.message import EmailMessage

import openpyxl
import pytest
from tests.conftest import Cli
from tests.fakes import mail_clients
from tests.mail.conftest import LIMH, LINSY, NOW, OFFICE, ZHANGJH, Office, parsed

from superbot.domain.model import Account, State


async def test_the_reminder_email_says_how_to_answer_it(office: Office) -> None:
    await office.send_reminders()
    reminder = office.reminder(LIMH)

    subject = str(reminder["Subject"])
    assert subject.startswith("【进度报送提醒】2022年6月 区发改局 #")
    text = reminder.get_body(("plain",)).get_content()
    assert "直接回复本邮件" in text
    assert "zcq8-1 60% 设备已招标" in text
    assert "Telegram" not in text
    assert "回复本邮件不会登记" not in text
    html = reminder.get_body(("html",)).get_content()
    assert "mailto:duban@example.gov.cn?subject=" in html
    assert "回复此项：高新技术产业投资攻坚" in html
    assert reminder["Auto-Submitted"] == "auto-generated"


@pytest.mark.parametrize("reply_to", ["duban+{token}@example.gov.cn"])
async def test_a_plus_addressed_reply_to_carries_the_token(office: Office) -> None:
    await office.send_reminders()
    reminder = office.reminder(LIMH)
    token = str(reminder["Subject"]).rsplit("#", 1)[1]
    assert reminder["Reply-To"] == f"duban+{token.lower()}@example.gov.cn"

    # A client that drops the subject and the thread: the address alone is enough.
    raw = mail_clients.qq_mail(reminder, LIMH, "60% 设备已招标", at=NOW)
    mail = parsed(raw)
    mail.replace_header("Subject", "进度")
    handled = await office.take(mail.as_bytes())

    assert handled.recorded == 1
    assert [(r.percent, r.note) for r in office.reports("zcq8-1")] == [(60, "设备已招标")]


async def test_an_outlook_reply_records_and_is_answered_in_its_thread(office: Office) -> None:
    await office.send_reminders()
    reminder = office.reminder(LIMH)
    raw = mail_clients.outlook(reminder, LIMH, "60% 设备已招标，下月安装", at=NOW)
    before = len(office.sent(LIMH))

    handled = await office.take(raw)

    assert handled.recorded == 1
    [report] = office.reports("zcq8-1")
    assert (report.percent, report.state, report.note) == (
        60,
        State.ON_TRACK,
        "设备已招标，下月安装",
    )
    assert (report.person_id, report.source) == ("limh", "email")
    [answer] = await office.answers(LIMH, before)
    assert answer["In-Reply-To"] == parsed(raw)["Message-ID"]
    assert str(answer["Subject"]).startswith("回复: 【进度报送提醒】")
    assert answer["Auto-Submitted"] == "auto-replied"
    text = answer.get_body(("plain",)).get_content()
    assert "【已登记】高新技术产业投资攻坚（zcq8-1）" in text
    assert "已登记：进度 60%；说明“设备已招标，下月安装”" in text
    assert "当前：" in text
    assert "进度 60%" in text


async def test_foxmail_one_line_per_task(office: Office) -> None:
    await office.send_reminders()
    reminder = office.reminder(ZHANGJH)
    body = (
        "王科长：\nzcq8-2 60% 已完成研发费用加计扣除申报\n"
        "高新技术企业培育攻坚 受阻 评审专家未到位\n谢谢！\n张建华"
    )
    raw = mail_clients.foxmail(reminder, ZHANGJH, body, at=NOW)

    handled = await office.take(raw)

    assert handled.recorded == 2
    [rd] = office.reports("zcq8-2")
    assert (rd.percent, rd.note) == (60, "已完成研发费用加计扣除申报")
    [hq] = office.reports("zcq8-3")
    assert (hq.state, hq.note) == (State.BLOCKED, "评审专家未到位")
    [answer] = await office.answers(ZHANGJH, 0)
    text = answer.get_body(("plain",)).get_content()
    assert "登记了 2 项" in text
    assert "规上工业研发投入攻坚（zcq8-2）" in text
    assert "高新技术企业培育攻坚（zcq8-3）" in text


async def test_qq_mail_has_no_thread_headers_but_keeps_the_subject(office: Office) -> None:
    await office.send_reminders()
    reminder = office.reminder(ZHANGJH)
    raw = mail_clients.qq_mail(reminder, ZHANGJH, "qy-8 完成", at=NOW)
    assert "In-Reply-To" not in parsed(raw)

    handled = await office.take(raw)

    assert handled.recorded == 1
    [report] = office.reports("qy-8")
    assert (report.percent, report.state) == (100, State.DONE)
    [answer] = await office.answers(ZHANGJH, 0)
    assert answer["In-Reply-To"] == parsed(raw)["Message-ID"]  # threaded all the same


@pytest.mark.parametrize("client", [mail_clients.gmail, mail_clients.netease_html_only])
async def test_gmail_and_an_html_only_163_reply(office: Office, client: object) -> None:
    await office.send_reminders()
    reminder = office.reminder(LIMH)
    raw = client(reminder, LIMH, "百分之六十\n投资增速 12.5", at=NOW)  # type: ignore[operator]

    handled = await office.take(raw)

    assert handled.recorded == 1
    [report] = office.reports("zcq8-1")
    assert report.percent == 60
    assert dict(report.values) == {"invest": 12.5}
    assert report.note is None  # nothing of the quoted reminder crept in


async def test_the_per_task_link_needs_no_task_name(office: Office) -> None:
    await office.send_reminders()
    reminder = office.reminder(ZHANGJH)
    token = str(reminder["Subject"]).rsplit("#", 1)[1]
    raw = mail_clients.foxmail(reminder, ZHANGJH, "完成", at=NOW)
    mail = parsed(raw)
    mail.replace_header("Subject", f"进度报送 [qy-3] 雏鹰瞪羚企业认定 #{token}")
    del mail["In-Reply-To"], mail["References"]

    handled = await office.take(mail.as_bytes())

    assert handled.recorded == 1
    assert office.reports("qy-3")[0].state is State.DONE


async def test_a_forged_sender_records_nothing_and_gets_no_answer(office: Office) -> None:
    await office.send_reminders()
    reminder = office.reminder(LIMH)
    raw = mail_clients.outlook(reminder, "某人 <someone@evil.example>", "zcq8-1 完成", at=NOW)
    before = len(office.sent())

    handled = await office.take(raw)

    assert handled.refused == "unknown_sender"
    assert office.reports("zcq8-1") == []
    assert len(office.sent()) == before
    [refused] = office.runtime.mail.refused_between(NOW - timedelta(days=1), NOW)
    assert (refused.sender, refused.reason) == ("someone@evil.example", "unknown_sender")


async def test_a_missing_or_wrong_token_records_nothing(office: Office) -> None:
    await office.send_reminders()
    limh, zhang = office.reminder(LIMH), office.reminder(ZHANGJH)
    # 李明辉 writes a new mail: no token anywhere.
    fresh = parsed(mail_clients.outlook(limh, LIMH, "zcq8-1 完成", at=NOW))
    fresh.replace_header("Subject", "6月进度")
    del fresh["In-Reply-To"], fresh["References"]
    # ... and answers 张建华's reminder, which someone forwarded to him: not his token.
    borrowed = mail_clients.outlook(zhang, LIMH, "zcq8-1 完成", at=NOW, to=OFFICE)

    missing = await office.take(fresh.as_bytes())
    wrong = await office.take(borrowed)

    assert (missing.refused, wrong.refused) == ("no_token", "wrong_token")
    assert office.reports("zcq8-1") == []
    answers = await office.answers(LIMH, 0)
    assert len(answers) == 2
    for answer in answers:
        text = answer.get_body(("plain",)).get_content()
        assert "没有登记任何进度" in text
        assert "请直接回复督查督办系统发来的提醒邮件" in text
        assert "高新技术产业投资攻坚" not in text  # nothing about any task
        assert "红灯" not in text
        assert "黄灯" not in text


async def test_a_support_department_cannot_report_done(office: Office) -> None:
    await office.send_reminders()
    reminder = office.reminder(ZHANGJH)  # 高新科 supports zcq8-1 (区发改局 leads it)
    raw = mail_clients.outlook(reminder, ZHANGJH, "zcq8-1 完成", at=NOW)

    handled = await office.take(raw)

    assert handled.recorded == 0
    assert office.reports("zcq8-1") == []
    [answer] = await office.answers(ZHANGJH, 0)
    text = answer.get_body(("plain",)).get_content()
    assert "没有登记任何一项" in text
    assert "配合单位，进度由牵头单位区发改局报送" in text


async def test_an_unclear_line_says_what_was_read(office: Office) -> None:
    await office.send_reminders()
    reminder = office.reminder(ZHANGJH)
    raw = mail_clients.outlook(reminder, ZHANGJH, "zcq8-2 正在抓紧推进\n这周开了两次会", at=NOW)

    await office.take(raw)

    assert office.reports("zcq8-2") == []
    [answer] = await office.answers(ZHANGJH, 0)
    text = answer.get_body(("plain",)).get_content()
    assert "【未登记】规上工业研发投入攻坚（zcq8-2）" in text
    assert "没看出进度" in text
    assert "这周开了两次会" in text  # what was read is shown back


async def test_an_unplaced_line_is_answered_with_how_to_name_the_task(office: Office) -> None:
    await office.send_reminders()
    reminder = office.reminder(ZHANGJH)
    raw = mail_clients.outlook(reminder, ZHANGJH, "60%\nzcq8-2 70%", at=NOW)

    handled = await office.take(raw)

    assert handled.recorded == 1
    [answer] = await office.answers(ZHANGJH, 0)
    text = answer.get_body(("plain",)).get_content()
    assert "没看出这段说的是哪项任务：“60%”" in text


async def test_attachments_are_kept_as_evidence(office: Office) -> None:
    await office.send_reminders()
    reminder = office.reminder(LIMH)
    photo = b"\xff\xd8\xff\xe0" + b"JFIF-site-photo" * 100
    raw = mail_clients.attach(
        mail_clients.outlook(reminder, LIMH, "70% 设备进场", at=NOW),
        "现场照片.jpg",
        photo,
        "image/jpeg",
    )

    await office.take(raw)

    [report] = office.reports("zcq8-1")
    import hashlib

    digest = hashlib.sha256(photo).hexdigest()
    stored = office.config.files_dir / digest[:2] / digest
    assert stored.read_bytes() == photo
    history = office.runtime.conversation.history(
        Account("email", "limh@example.gov.cn"), "zcq8-1", NOW
    )
    assert report.id is not None
    assert [e.filename for e in history.evidence[report.id]] == ["现场照片.jpg"]
    shown = office.runtime.templates.render("bot/history.html", r=history, bot_name="")
    assert "📎 附件：现场照片.jpg" in shown  # /history lists it
    [answer] = await office.answers(LIMH, 0)
    assert "【附件】已作为佐证保存：现场照片.jpg" in answer.get_body(("plain",)).get_content()


async def test_an_invite_code_binds_an_address_by_email(office: Office) -> None:
    from superbot.service.people import create_invite
    from superbot.service.status import load_plan

    plan = load_plan(office.runtime.store)
    invite = create_invite(office.runtime.accounts, plan, "linsy", NOW)
    raw = (
        f"From: 林思远 <linsy.home@qq.com>\r\nTo: {OFFICE}\r\nSubject: 绑定 {invite.code}\r\n"
        "Message-ID: <bind-1@qq.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n绑定\r\n"
    ).encode()

    handled = await office.take(raw)

    assert handled.answered
    assert office.runtime.accounts.person_for(Account("email", "linsy.home@qq.com")) == "linsy"
    [answer] = office.sent("linsy.home@qq.com")
    assert "绑定成功" in answer.get_body(("plain",)).get_content()
    assert LINSY  # 林思远's office address stays his too


async def test_an_auto_reply_is_not_answered(office: Office) -> None:
    await office.send_reminders()
    reminder = office.reminder(LIMH)
    out_of_office = parsed(
        mail_clients.outlook(reminder, LIMH, "我休假至6月30日，急事请联系何静。", at=NOW)
    )
    out_of_office.replace_header("Subject", "自动回复: " + str(reminder["Subject"]))
    out_of_office["Auto-Submitted"] = "auto-replied"
    before = len(office.sent())

    handled = await office.take(out_of_office.as_bytes())

    assert handled.refused == "auto_reply"
    assert office.reports("zcq8-1") == []
    assert len(office.sent()) == before  # no answer: two robots would talk forever


async def test_the_digest_lists_refused_mails(office: Office) -> None:
    await office.send_reminders()
    reminder = office.reminder(LIMH)
    await office.take(mail_clients.outlook(reminder, "某人 <someone@evil.example>", "完成", at=NOW))
    office.clock.now = NOW + timedelta(days=5)  # Monday 27 June: the weekly digest
    from superbot.domain.model import ScheduleKind
    from superbot.service.delivery import round_for

    round_ = round_for(ScheduleKind.DIGEST, office.clock.now.date())
    office.runtime.delivery.enqueue(round_, office.clock.now)
    from tests.mail.conftest import no_sleep

    await office.runtime.dispatcher(sleep=no_sleep).dispatch()
    [digest] = [m for m in office.sent("wangli@example.gov.cn") if "周" in str(m["Subject"])]
    text = digest.get_body(("plain",)).get_content()
    assert "未登记的来信" in text
    assert "someone@evil.example" in text
    assert "发件人不是任务清单里的人" in text


def _form(message: EmailMessage) -> tuple[str, bytes]:
    [attachment] = [
        p for p in message.iter_attachments() if str(p.get_filename()).endswith(".xlsx")
    ]
    content = attachment.get_payload(decode=True)
    assert isinstance(content, bytes)
    return str(attachment.get_filename()), content


async def test_the_reminder_carries_the_departments_form(office: Office) -> None:
    await office.send_reminders()
    name, content = _form(office.reminder(ZHANGJH))

    assert name == "填报表-2022-06-高新科（科技局高新技术科）.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(content))["填报表"]
    ids = {sheet.cell(r, 2).value for r in range(4, sheet.max_row + 1)}
    assert {"zcq8-2", "zcq8-3", "qy-8"} <= ids
    assert "zcq8-1" not in ids  # 高新科 supports it; 区发改局 reports it


async def test_a_form_sent_back_with_the_reply_is_imported(office: Office) -> None:
    await office.send_reminders()
    reminder = office.reminder(ZHANGJH)
    name, content = _form(reminder)
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book["填报表"]
    row = next(r for r in range(4, sheet.max_row + 1) if sheet.cell(r, 2).value == "zcq8-2")
    sheet.cell(row, 7).value = 80
    sheet.cell(row, 9).value = "已完成加计扣除申报"
    filled = io.BytesIO()
    book.save(filled)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    reply = mail_clients.outlook(reminder, ZHANGJH, "填报表见附件，请查收。", at=NOW)

    handled = await office.take(mail_clients.attach(reply, name, filled.getvalue(), xlsx))

    assert handled.answered
    [report] = office.reports("zcq8-2")
    assert (report.percent, report.note, report.person_id) == (80, "已完成加计扣除申报", "zhangjh")
    [answer] = await office.answers(ZHANGJH, 0)
    text = answer.get_body(("plain",)).get_content()
    assert f"【填报表】{name}：登记 1 项" in text
    assert "没看出这段说的是哪项任务" not in text  # "见附件" is not a line to correct


@pytest.mark.parametrize("locale", ["en"])
async def test_in_english(office: Office) -> None:
    await office.send_reminders()
    reminder = office.reminder(LIMH)
    text = reminder.get_body(("plain",)).get_content()
    assert "reply to this email" in text
    assert str(reminder["Subject"]).startswith("[Progress reminder] June 2022")
    raw = mail_clients.gmail(reminder, LIMH, "60% equipment tendered", at=NOW)

    await office.take(raw)

    [answer] = await office.answers(LIMH, 0)
    assert str(answer["Subject"]).startswith("Re: [Progress reminder]")
    said = answer.get_body(("plain",)).get_content()
    assert "recorded: progress 60%; note “equipment tendered”" in said
    assert "now: " in said


def test_invite_says_how_to_bind_an_address(cli: Cli) -> None:
    assert cli("sync").status == 0
    cli.config = dataclasses.replace(
        cli.config, inbound_smtp="127.0.0.1:2525", smtp_from="督查科 <duban@example.gov.cn>"
    )
    result = cli("invite", "linsy")
    assert result.status == 0, result.err
    code = result.out.splitlines()[0].rsplit("：", 1)[1]
    assert f"主题为“绑定 {code}”的邮件到 duban@example.gov.cn" in result.out
