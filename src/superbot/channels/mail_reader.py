"""A received email, as bytes, turned into an :class:`~superbot.service.mail.InboundMail`.

Chinese mail arrives in every encoding that has ever been used: UTF-8, GB2312/GBK/GB18030,
Big5; bodies in base64 or quoted-printable; headers as RFC 2047 words. GB2312 is read as
GB18030 (its superset: mail labelled GB2312 often holds GBK characters) and Big5 as
Big5-HKSCS; a part without a charset, or with a wrong one, is tried as UTF-8 and then GB18030.
An HTML-only mail is turned into lines, leaving out what clients quote (``<blockquote>``,
Gmail's ``gmail_quote``, Outlook's reply header).
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from superbot.service.mail import InboundMail, MailFile

_CHARSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "cn-big5": "big5hkscs",
}
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:自动回复|自动答复|Automatic reply|Auto(?:matic)?[ -]?Reply|Out of Office|"
    r"Undeliverable|Undelivered Mail|Delivery Status Notification|退信|系统退信)",
    re.IGNORECASE,
)


def read_mail(raw: bytes, envelope_recipients: tuple[str, ...] = ()) -> InboundMail:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    name, address = parseaddr(_header(parsed, "From"))
    recipients = [
        a for _, a in getaddresses([_header(parsed, h) for h in ("To", "Cc", "Delivered-To")])
    ]
    recipients.extend(envelope_recipients)
    return InboundMail(
        message_id=_message_id(parsed, raw),
        sender=address.strip().lower(),
        sender_name=name.strip(),
        recipients=tuple(a.strip().lower() for a in recipients if a.strip()),
        subject=" ".join(_header(parsed, "Subject").split()),
        thread=_thread(parsed),
        text=_text(parsed),
        files=tuple(_files(parsed)),
        automatic=_automatic(parsed),
    )


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, LookupError):  # a header too broken to read: none
        return ""
    return str(value) if value is not None else ""


def _message_id(message: Message, raw: bytes) -> str:
    found = _MESSAGE_ID.search(_header(message, "Message-ID"))
    if found:
        return found.group(0)
    # Without one, the mail's own bytes name it: a second delivery is still the same mail.
    return f"<{hashlib.sha256(raw).hexdigest()}@no-message-id.superbot>"


def _thread(message: Message) -> tuple[str, ...]:
    ids = _MESSAGE_ID.findall(_header(message, "In-Reply-To"))
    ids += reversed(_MESSAGE_ID.findall(_header(message, "References")))
    return tuple(dict.fromkeys(ids))


def _automatic(message: Message) -> str | None:
    """RFC 3834 and what mail systems actually send: no person wrote this."""
    content_type = message.get_content_type()
    if content_type == "multipart/report" or _header(message, "X-Failed-Recipients"):
        return "bounce"
    submitted = _header(message, "Auto-Submitted").strip().lower()
    precedence = _header(message, "Precedence").strip().lower()
    if (
        (submitted and submitted != "no")
        or precedence in ("bulk", "junk", "list", "auto_reply")
        or _header(message, "X-Autoreply")
        or _header(message, "X-Autorespond")
        or _AUTO_SUBJECT.match(_header(message, "Subject"))
    ):
        return "auto_reply"
    return None


# -- the body ------------------------------------------------------------------------------------


def _text(message: Message) -> str:
    plain = _first_part(message, "text/plain")
    if plain is not None:
        return _decoded(plain)
    html = _first_part(message, "text/html")
    if html is not None:
        return html_text(_decoded(html))
    return ""


def _first_part(message: Message, content_type: str) -> Message | None:
    for part in message.walk():
        if part.is_multipart() or _is_attachment(part):
            continue
        if part.get_content_type() == content_type:
            return part
    return None


def _is_attachment(part: Message) -> bool:
    disposition = (part.get_content_disposition() or "").lower()
    return disposition == "attachment" or (
        bool(part.get_filename()) and part.get_content_maintype() != "text"
    )


def _decoded(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return str(payload or "")
    declared = (part.get_content_charset() or "").lower()
    tried = [_CHARSETS.get(declared, declared)] if declared else []
    for charset in [*tried, "utf-8", "gb18030"]:
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("utf-8", errors="replace")


def _files(message: Message) -> list[MailFile]:
    found = []
    for part in message.walk():
        if part.is_multipart() or not _is_attachment(part):
            continue
        content = part.get_payload(decode=True)
        if not isinstance(content, bytes):
            continue
        found.append(MailFile(part.get_filename() or "file", content, part.get_content_type()))
    return found


# -- HTML as lines -------------------------------------------------------------------------------

_BLOCKS = frozenset(
    {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "hr"}
)
_HIDDEN = frozenset({"style", "script", "head", "title"})
# What clients wrap the quoted message in: Gmail, Outlook (web and desktop), Apple Mail.
_QUOTE_CONTAINERS = re.compile(r"gmail_quote|divRplyFwdMsg|appendonsend|OutlookMessageHeader")


class _Lines(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []  # open tags whose content is left out

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping:
            if tag not in ("br", "hr", "img", "meta", "link", "input"):
                self.skipping.append(tag)
            return
        marks = " ".join(value or "" for key, value in attrs if key in ("class", "id"))
        if tag in _HIDDEN or tag == "blockquote" or _QUOTE_CONTAINERS.search(marks):
            self.skipping.append(tag)
            return
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            if self.skipping[-1] == tag:
                self.skipping.pop()
            return
        if tag in _BLOCKS or tag == "td":
            self.parts.append("\n" if tag != "td" else " ")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data.replace("\xa0", " "))


def html_text(html: str) -> str:
    reader = _Lines()
    reader.feed(html)
    reader.close()
    lines = [" ".join(line.split()) for line in "".join(reader.parts).split("\n")]
    # Every block opens and closes a line: in HTML one line break is what was meant.
    return "\n".join(line for line in lines if line).strip()
