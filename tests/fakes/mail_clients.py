"""Replies as the mail clients Chinese offices use really shape them, built from the message
they answer. Written from what those clients send (headers, MIME layout, encodings and the
way each quotes the original), never from superbot's reader.

- Outlook (Chinese): ``回复: `` subject, In-Reply-To/References/Thread-Index, GB2312 text in
  base64 and an HTML alternative; the original under ``-----原始邮件-----`` or a bold
  ``发件人:`` header block after a grey rule.
- Foxmail: ``回复：`` subject, GB2312 base64, the original after the sender's address and a
  ``发件人：`` block with full-width colons.
- QQ 邮箱 (web): GB18030 base64, ``------------------ 原始邮件 ------------------`` and a
  header block with ``"name"<address>;``; no In-Reply-To.
- Gmail: UTF-8 quoted-printable, ``在 … 写道：`` and ``>`` quotes; HTML in ``gmail_quote``.
- 网易 163: HTML only (UTF-8 base64), the original in a ``<blockquote>``.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from html import escape

# What Windows clients label GB2312 is really code page 936 (GBK): it has “—” and “·”.
_CODECS = {"gb2312": "gbk", "gb18030": "gb18030", "utf-8": "utf-8", "big5": "big5"}


def _text(
    mail: EmailMessage, text: str, subtype: str, charset: str, cte: str, *, alternative: bool
) -> None:
    data = text.encode(_CODECS[charset])
    add = mail.add_alternative if alternative else mail.set_content
    add(data, maintype="text", subtype=subtype, cte=cte)
    part = mail.get_payload()[-1] if alternative else mail
    assert isinstance(part, EmailMessage)
    part.set_param("charset", charset)


def _quoted(original: EmailMessage) -> str:
    part = original.get_body(("plain",))
    return part.get_content() if part is not None else ""


def _subject(original: EmailMessage) -> str:
    return str(original["Subject"])


def _base(
    original: EmailMessage,
    sender: str,
    subject: str,
    *,
    at: datetime,
    mailer: str | None,
    thread: bool = True,
    to: str | None = None,
) -> EmailMessage:
    mail = EmailMessage(policy=SMTP)
    mail["From"] = sender
    mail["To"] = to or str(original["Reply-To"] or original["From"])
    mail["Subject"] = subject
    mail["Date"] = format_datetime(at)
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].rstrip(">"))
    if thread:
        mail["In-Reply-To"] = str(original["Message-ID"])
        mail["References"] = str(original["Message-ID"])
    if mailer:
        mail["X-Mailer"] = mailer
    return mail


def outlook(
    original: EmailMessage, sender: str, body: str, *, at: datetime, to: str | None = None
) -> bytes:
    mail = _base(
        original,
        sender,
        f"回复: {_subject(original)}",
        at=at,
        mailer="Microsoft Outlook 16.0",
        to=to,
    )
    mail["Thread-Topic"] = _subject(original)
    mail["Thread-Index"] = "AdiEtlQ0sB2xH0b9S0u6Xgq9yQ8hAA=="
    header = (
        f"发件人: {original['From']}\n发送时间: 2022年6月20日 9:00\n"
        f"收件人: {original['To']}\n主题: {_subject(original)}"
    )
    text = f"{body}\n\n-----原始邮件-----\n{header}\n\n{_quoted(original)}"
    _text(mail, text, "plain", "gb2312", "base64", alternative=False)
    paragraphs = "".join(
        f"<p class=MsoNormal>{escape(line)}<o:p></o:p></p>" for line in body.split("\n")
    )
    html = (
        '<html><head><meta http-equiv=Content-Type content="text/html; charset=gb2312">'
        "<style>p.MsoNormal{margin:0cm;font-size:10.5pt;font-family:等线}</style></head>"
        f"<body lang=ZH-CN><div class=WordSection1>{paragraphs}"
        "<p class=MsoNormal><o:p>&nbsp;</o:p></p>"
        "<div style='border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm'>"
        f"<p class=MsoNormal><b>发件人:</b> {escape(str(original['From']))}<br><b>发送时间:</b> "
        f"2022年6月20日 9:00<br><b>主题:</b> {escape(_subject(original))}</p></div>"
        f"<p>{escape(_quoted(original))}</p></div></body></html>"
    )
    _text(mail, html, "html", "gb2312", "base64", alternative=True)
    return mail.as_bytes()


def foxmail(original: EmailMessage, sender: str, body: str, *, at: datetime) -> bytes:
    mail = _base(
        original, sender, f"回复：{_subject(original)}", at=at, mailer="Foxmail 7.2.25.228"
    )
    address = sender.rpartition("<")[2].rstrip(">")
    text = (
        f"{body}\n\n\n\n{address}\n \n"
        f"发件人： {original['From']}\n发送时间： 2022-06-20 09:00\n"
        f"收件人： {original['To']}\n主题： {_subject(original)}\n \n{_quoted(original)}"
    )
    _text(mail, text, "plain", "gb2312", "base64", alternative=False)
    return mail.as_bytes()


def qq_mail(original: EmailMessage, sender: str, body: str, *, at: datetime) -> bytes:
    """QQ 邮箱's web client: no In-Reply-To, so the subject's token has to carry it."""
    mail = _base(original, sender, f"回复：{_subject(original)}", at=at, mailer=None, thread=False)
    header = (
        f'发件人: "督查科"<{str(original["From"]).rpartition("<")[2].rstrip(">")}>;\n'
        f'发送时间: 2022年6月20日(星期一) 上午9:00\n收件人: "{sender}";\n'
        f"主题: {_subject(original)}"
    )
    marker = "------------------ 原始邮件 ------------------"
    text = f"{body}\n\n\n\n{marker}\n{header}\n\n{_quoted(original)}"
    _text(mail, text, "plain", "gb18030", "base64", alternative=False)
    html = (
        f"<div>{'<br>'.join(escape(line) for line in body.split(chr(10)))}</div><div><br></div>"
        '<div style="font-size: 12px;font-family: Arial Narrow;padding:2px 0 2px 0;">'
        "------------------&nbsp;原始邮件&nbsp;------------------</div>"
        f'<div style="font-size: 12px;background:#efefef;padding:8px;"><div><b>发件人:</b>&nbsp;'
        f"{escape(str(original['From']))}</div></div><div><br></div>{escape(_quoted(original))}"
    )
    _text(mail, html, "html", "gb18030", "base64", alternative=True)
    return mail.as_bytes()


def gmail(original: EmailMessage, sender: str, body: str, *, at: datetime) -> bytes:
    mail = _base(original, sender, f"Re: {_subject(original)}", at=at, mailer=None)
    quoted = "\n".join(f"> {line}" for line in _quoted(original).split("\n"))
    text = f"{body}\n\n在 2022年6月20日周一 09:00，{original['From']} 写道：\n\n{quoted}\n"
    _text(mail, text, "plain", "utf-8", "quoted-printable", alternative=False)
    html = (
        f'<div dir="ltr">{"<br>".join(escape(line) for line in body.split(chr(10)))}</div><br>'
        '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">在 2022年6月20日周一 09:00，'
        f'{escape(str(original["From"]))} 写道：<br></div><blockquote class="gmail_quote">'
        f"{escape(_quoted(original))}</blockquote></div>"
    )
    _text(mail, html, "html", "utf-8", "quoted-printable", alternative=True)
    return mail.as_bytes()


def netease_html_only(original: EmailMessage, sender: str, body: str, *, at: datetime) -> bytes:
    mail = _base(
        original, sender, f"Re:{_subject(original)}", at=at, mailer="Coremail Webmail Server"
    )
    html = (
        '<div style="line-height:1.7;color:#000000;font-size:14px;font-family:Arial">'
        f"{''.join(f'<div>{escape(line)}</div>' for line in body.split(chr(10)))}<br><br>"
        f'<div style="position:relative;zoom:1"></div><div id="divNeteaseMailCard"></div><br>'
        f'<pre><br>在 2022-06-20 09:00:00，"督查科" &lt;duban@example.gov.cn&gt; 写道：</pre>'
        f'<blockquote id="isReplyContent" style="PADDING-LEFT: 1ex; MARGIN: 0px 0px 0px 0.8ex; '
        f'BORDER-LEFT: #ccc 1px solid"><pre>{escape(_quoted(original))}</pre></blockquote></div>'
    )
    _text(mail, html, "html", "utf-8", "base64", alternative=False)
    return mail.as_bytes()


def attach(raw: bytes, filename: str, content: bytes, mime: str) -> bytes:
    """The same reply with a file attached, as every client does it (multipart/mixed)."""
    from email import message_from_bytes
    from email.policy import default

    mail = message_from_bytes(raw, policy=default)
    assert isinstance(mail, EmailMessage)
    maintype, _, subtype = mime.partition("/")
    mail.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return mail.as_bytes(policy=SMTP)
