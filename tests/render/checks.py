"""What every rendered message must satisfy, shared by the render tests."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tests.fakes.telegram_api import TEXT_LIMIT, parse_html, utf16_len

from superbot.channels.dingtalk import DingtalkChannel
from superbot.channels.dingtalk_app import DingtalkAppChannel
from superbot.channels.feishu import FeishuChannel
from superbot.channels.feishu_app import FeishuAppChannel
from superbot.channels.wecom import WecomChannel
from superbot.channels.wecom_app import WecomAppChannel
from superbot.render.messages import APPS, ROBOTS
from superbot.render.telegram import visible_length
from superbot.service.ports import Message, Part

# What each robot, and each app's markdown, takes (the renderers of the tests are given these).
LIMITS = {
    c.name: c.max_body_bytes
    for c in (
        WecomChannel,
        DingtalkChannel,
        FeishuChannel,
        WecomAppChannel,
        DingtalkAppChannel,
        FeishuAppChannel,
    )
}
APP_LIMITS = {
    c.name: (c.max_body_bytes, c.max_text_bytes)
    for c in (WecomAppChannel, DingtalkAppChannel, FeishuAppChannel)
}


class _Html(HTMLParser):
    VOID = frozenset({"meta", "br", "img", "hr", "input", "link", "col", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs.extend(attrs)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1:] == [tag], f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def read_html(source: str) -> _Html:
    parser = _Html()
    parser.feed(source)
    parser.close()
    assert parser.stack == [], f"unclosed: {parser.stack}"
    return parser


def check_email_html(source: str, *, page: bool = False) -> str:
    """The mail-client rules; returns the text a reader sees. A ``page`` (the full 通报 as a
    web page, not an email) may also have one style sheet in its head and classes for it."""
    parsed = read_html(source)
    assert source.startswith("<!DOCTYPE html>")
    banned = {"script", "img", "link", "iframe", "object", "form"} | (set() if page else {"style"})
    assert not banned & parsed.tags
    names = {name for name, _ in parsed.attrs}
    assert not ({"src", "onload", "onclick"} | (set() if page else {"class"})) & names
    if page:
        assert source.count("<style>") <= 1
        assert source.find("</style>") < source.find("<body")
    # Nothing from outside is loaded (images, fonts, style sheets); a link to click is fine.
    assert "http" not in re.sub(r'<a href="https?://[^"]*"[^>]*>[^<]*</a>', "", source)
    assert "@import" not in source
    assert "@font-face" not in source
    text = "".join(parsed.text)
    if page and "<style>" in source:  # the style sheet is not text a reader sees
        start, end = text.find("@media"), text.rfind("}")
        text = text[:start] + text[end + 1 :]
    return text


def check_telegram(message: Message) -> str:
    parsed = parse_html(message.body)  # raises HtmlError on anything Telegram would refuse
    # A document goes as a part of its own, with no text.
    assert 0 < utf16_len(parsed.text) <= TEXT_LIMIT or (message.attachments and not message.body)
    assert visible_length(message.body) == utf16_len(parsed.text)
    for row in message.buttons:
        for button in row:
            assert button.label
            assert 1 <= len(button.data.encode()) <= 64
    for attachment in message.attachments:
        assert attachment.content
        assert attachment.filename
    return parsed.text


def check_app(message: Message, channel: str) -> None:
    """A chat app's message: a card (a title, plain text and answer buttons), markdown (a
    title) or plain text, each within what the app takes."""
    markdown, text = APP_LIMITS[channel]
    assert message.html is None
    assert message.body.strip()
    assert "\n" not in message.subject
    if message.buttons:
        assert message.subject
        assert len([b for row in message.buttons for b in row]) <= 6  # 企业微信's most
        for row in message.buttons:
            for button in row:
                assert button.label
                assert 1 <= len(button.data.encode()) <= 64
    elif message.subject:
        assert len(message.body.encode()) <= markdown
    else:
        assert len(message.body.encode()) <= text


def check(part: Part, channel: str) -> None:
    message = part.message
    if channel in APPS:
        check_app(message, channel)
        return
    assert message.subject
    assert "\n" not in message.subject
    if channel == "telegram":
        check_telegram(message)
    elif channel in ROBOTS:
        assert message.html is None
        assert not message.buttons
        assert 0 < len(message.body.encode()) <= LIMITS[channel]
    else:
        assert message.body.strip()
        assert message.html is not None
        check_email_html(message.html)
