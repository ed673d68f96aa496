"""Reading a received email: encodings, HTML, what is quoted history, which task a line is
about, and what a machine (not a person) sent."""

from __future__ import annotations

import base64
import quopri

import pytest

from superbot.channels.mail_reader import html_text, read_mail
from superbot.domain.mail import (
    Line,
    TaskName,
    address_token,
    lines_by_task,
    reply_text,
    subject_task,
    subject_token,
)

TASKS = [TaskName("zcq8-2", "规上工业研发投入攻坚"), TaskName("zcq8-3", "高新技术企业培育攻坚")]


def mail(body: bytes, *, charset: str | None, cte: str = "base64", extra: str = "") -> bytes:
    label = f"; charset={charset}" if charset else ""
    encoded = base64.encodebytes(body) if cte == "base64" else quopri.encodestring(body)
    head = (
        "From: =?utf-8?b?5byg5bu65Y2O?= <ZhangJH@Example.gov.cn>\r\n"
        "To: duban@example.gov.cn\r\nSubject: =?gbk?b?u9i4tKO6veG5+w==?=\r\n"
        f"Message-ID: <m1@example.gov.cn>\r\n{extra}"
        f"Content-Type: text/plain{label}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n"
    )
    return head.encode() + encoded


@pytest.mark.parametrize(
    ("body", "charset", "cte"),
    [
        ("zcq8-2 60% 镕铸新材料".encode("gbk"), "gb2312", "base64"),  # GBK under a GB2312 label
        ("zcq8-2 60% 镕铸新材料".encode("gb18030"), None, "base64"),  # no label at all
        ("zcq8-2 60% 研發投入".encode("big5"), "big5", "base64"),
        ("zcq8-2 60% 镕铸新材料".encode(), "utf-8", "quoted-printable"),
    ],
    ids=["gbk-labelled-gb2312", "unlabelled-gb18030", "big5", "utf8-qp"],
)
def test_bodies_in_every_encoding(body: bytes, charset: str | None, cte: str) -> None:
    read = read_mail(mail(body, charset=charset, cte=cte))
    assert read.text.startswith("zcq8-2 60% ")
    assert read.text.strip() == body.decode(
        {"gb2312": "gbk", None: "gb18030"}.get(charset, charset or "utf-8")
    )
    assert read.subject == "回复：结果"
    assert (read.sender, read.sender_name) == ("zhangjh@example.gov.cn", "张建华")
    assert read.message_id == "<m1@example.gov.cn>"
    assert read.automatic is None


def test_a_mail_without_message_id_is_named_by_its_bytes() -> None:
    raw = b"From: a@b.cn\r\nSubject: x\r\n\r\n60%\r\n"
    assert read_mail(raw).message_id == read_mail(raw).message_id
    assert read_mail(raw).message_id != read_mail(raw + b"!").message_id


@pytest.mark.parametrize(
    ("extra", "why"),
    [
        ("Auto-Submitted: auto-replied\r\n", "auto_reply"),
        ("Precedence: bulk\r\n", "auto_reply"),
        ("X-Autoreply: yes\r\n", "auto_reply"),
        ("X-Failed-Recipients: nobody@example.gov.cn\r\n", "bounce"),
        ("Auto-Submitted: no\r\n", None),
    ],
)
def test_what_a_machine_wrote(extra: str, why: str | None) -> None:
    assert read_mail(mail(b"60%", charset="utf-8", extra=extra)).automatic == why


def test_an_html_only_mail_reads_as_lines_without_its_quotes() -> None:
    html = (
        "<html><head><style>p{color:red}</style></head><body><div>zcq8-2 60%</div>"
        "<div>设备&nbsp;已招标<br>下月安装</div>"
        '<div class="gmail_quote">在 … 写道：<blockquote>请报送进度</blockquote></div>'
        '<div id="divRplyFwdMsg"><b>发件人:</b> 督查科</div></body></html>'
    )
    assert html_text(html) == "zcq8-2 60%\n设备 已招标\n下月安装"


@pytest.mark.parametrize(
    "quoted",
    [
        "-----原始邮件-----\n发件人: 督查科 <duban@example.gov.cn>\n发送时间: 2022年6月20日 9:00",
        "----- Original Message -----\nFrom: duban",
        '------------------ 原始邮件 ------------------\n发件人: "督查科"<duban@example.gov.cn>;',
        "________________________________\n发件人: 督查科\n发送时间: 2022年6月20日",
        "发件人： 督查科\n发送时间： 2022-06-20 09:00\n收件人： zhangjh",  # Foxmail
        "\n\n\nzhangjh@example.gov.cn\n \n发件人： 督查科\n发送时间： 2022-06-20 09:00",
        "From: 督查科 <duban@example.gov.cn>\nSent: Monday, June 20, 2022 9:00 AM\nTo: 张建华",
        "在 2022年6月20日周一 09:00，督查科 <duban@example.gov.cn> 写道：\n> 请报送",
        '在 2022-06-20 09:00:00，"督查科" <duban@example.gov.cn> 写道：',
        "On Mon, Jun 20, 2022 at 9:00 AM 督查科 <duban@example.gov.cn> wrote:\n> x",
        "发自我的iPhone",
        "Sent from my Huawei phone",
        "-- \n张建华 高新科 电话 0577-88888888",
        "谢谢！\n张建华",
        "张建华\n高新科",
    ],
)
def test_quoted_history_and_signatures_are_left_out(quoted: str) -> None:
    body = f"zcq8-2 60% 设备已招标\n\n{quoted}\nzcq8-3 完成\n"
    assert reply_text(body, ("张建华", "高新科（科技局高新技术科）")) == "zcq8-2 60% 设备已招标"


def test_answers_between_quoted_lines_are_kept() -> None:
    body = "> zcq8-2 规上工业研发投入攻坚\nzcq8-2 60%\n> zcq8-3 高新技术企业培育攻坚\nzcq8-3 完成"
    assert reply_text(body) == "zcq8-2 60%\nzcq8-3 完成"


def test_a_from_line_in_the_reply_itself_is_not_history() -> None:
    body = "zcq8-2 60%\nFrom: 下月起由林思远报送\n\n说明见附件"
    assert reply_text(body) == body


@pytest.mark.parametrize(
    ("text", "only", "lines"),
    [
        ("zcq8-2 60% 设备已招标", None, [Line("zcq8-2", "60% 设备已招标")]),
        ("ZCQ8-2：完成", None, [Line("zcq8-2", "完成")]),
        ("１．zcq8-3 受阻 专家未到位", None, [Line("zcq8-3", "受阻 专家未到位")]),
        ("规上工业研发投入攻坚 60%", None, [Line("zcq8-2", "60%")]),
        ("【黄灯】高新技术企业培育攻坚（zcq8-3） 70%", None, [Line("zcq8-3", "70%")]),
        (
            "王科长：\nzcq8-2 60%\n设备已招标\nzcq8-3 完成",
            None,
            [Line("zcq8-2", "60%\n设备已招标"), Line("zcq8-3", "完成")],
        ),
        ("60%", None, [Line(None, "60%")]),
        ("您好！\n百分之六十", "zcq8-2", [Line("zcq8-2", "百分之六十")]),
        ("zcq8-3 完成", "zcq8-2", [Line("zcq8-3", "完成")]),
        ("zcq8-20 60%", None, [Line(None, "zcq8-20 60%")]),  # another id, not zcq8-2
    ],
)
def test_which_task_each_line_is_about(text: str, only: str | None, lines: list[Line]) -> None:
    assert lines_by_task(text, TASKS, only) == lines


def test_tokens_as_clients_bring_them_back() -> None:
    assert subject_token("回复：【进度报送提醒】2022年6月 高新科 #K7Q2M9XA3B4C") == "K7Q2M9XA3B4C"
    assert subject_token("RE: 答复: 【进度报送提醒】#k7q2m9xa3b4c") == "K7Q2M9XA3B4C"
    assert subject_token("【进度报送提醒】#K7Q2M9XA3B4") is None  # one short
    assert subject_token("#K7Q2M9XA3B4C0") is None  # 0 is never in a token, nor a 13th char
    assert address_token("duban+k7q2m9xa3b4c@example.gov.cn") == "K7Q2M9XA3B4C"
    assert address_token("duban@example.gov.cn") is None
    assert subject_task("回复：进度报送 [qy-3] 雏鹰瞪羚企业认定 #K7Q2M9XA3B4C") == "qy-3"


def test_the_longest_id_or_title_is_the_task_named_among_many() -> None:
    many = [TaskName(f"t-{n}", f"专项任务{n:05d}") for n in range(20_000)]
    tasks = [
        *many,
        TaskName("zcq8-1", "研发投入"),
        TaskName("zcq8-10", "研发投入攻坚"),
        TaskName("zcq8-11", "研发投入攻坚"),  # the same title as zcq8-10: the first is named
    ]
    assert lines_by_task("zcq8-10 60%", tasks) == [Line("zcq8-10", "60%")]
    assert lines_by_task("zcq8-1 60%", tasks) == [Line("zcq8-1", "60%")]
    assert lines_by_task("研发投入攻坚 60%", tasks) == [Line("zcq8-10", "60%")]
    assert lines_by_task("研发投入 60%", tasks) == [Line("zcq8-1", "60%")]
    assert lines_by_task("T-19999：完成", tasks) == [Line("t-19999", "完成")]
    assert lines_by_task("专项任务00042 受阻", tasks) == [Line("t-42", "受阻")]
