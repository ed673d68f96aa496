"""A fake Telegram Bot API server: real HTTP on 127.0.0.1, as strict as Telegram where it matters.

It serves python-telegram-bot in-process and a ``superbot`` subprocess alike::

    with FakeTelegram() as server:
        server.add_user(123, first_name="张三")
        bot = telegram.Bot(server.token, base_url=server.base_url,
                           base_file_url=server.base_file_url)
        ...
        [message] = server.wait_for_messages(123, 1)
        assert message.text == "R&D 进度"

What it checks the way Telegram does: the token, the HTML parse mode (only Telegram's tags and
entities, balanced tags), the length of the parsed text in UTF-16 code units (4096 for text,
1024 for captions), inline keyboards (callback_data of 1-64 bytes), unknown and blocked chats,
replies to messages that do not exist, edits that change nothing, one getUpdates consumer and
no getUpdates while a webhook is set.

What a person does arrives as updates: :meth:`FakeTelegram.user_sends`, ``user_edits``,
``user_presses``; they are served by ``getUpdates`` (long polling on a condition) or POSTed to
the webhook from a background thread. Tests wait on the same condition (``wait_for``), never
sleep. Failures are injected with :meth:`FakeTelegram.fail_next`.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import math
import re
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

JSON = dict[str, Any]
T = TypeVar("T")

BOT_ID = 7000000001
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)  # Telegram's default: everything except chat_member, message_reaction(_count)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


# ---------------------------------------------------------------------------------------------
# Telegram's HTML parse mode


class HtmlError(ValueError):
    """The text is not valid Telegram HTML; the message is what Telegram would say."""


@dataclass(frozen=True)
class Parsed:
    text: str
    entities: tuple[JSON, ...]


DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile: bots download files of at most 20 MB


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY = re.compile(r"&(?:#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,7})|([A-Za-z][A-Za-z0-9]*));")
_PLAIN_RUN = re.compile(r"[^&<>]+")
_TAG_NAME = re.compile(r"[A-Za-z0-9-]*")
_ATTR_NAME = re.compile(r"[A-Za-z0-9_-]*")
_UNQUOTED_VALUE = re.compile(r"[^\s>]*")


@dataclass
class _OpenTag:
    name: str
    at: int  # character index of "<" in the source
    start: int  # UTF-16 offset in the parsed text
    attrs: dict[str, str]
    language: str | None = None  # set by a <code class="language-…"> directly inside <pre>


class _HtmlParser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0
        self.out: list[str] = []
        self.units = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[JSON] = []

    def parse(self) -> Parsed:
        s = self.source
        while self.pos < len(s):
            char = s[self.pos]
            if char == "&":
                decoded, self.pos = self.entity(s, self.pos, 0)
                self.emit(decoded)
            elif char == "<":
                if s.startswith("</", self.pos):
                    self.end_tag()
                elif (
                    self.pos + 1 < len(s)
                    and s[self.pos + 1].isascii()
                    and s[self.pos + 1].isalpha()
                ):
                    self.start_tag()
                else:
                    self.fail('Unescaped "<"', self.pos)
            elif char == ">":
                self.fail('Unescaped ">"', self.pos)
            else:
                run = _PLAIN_RUN.match(s, self.pos)
                assert run is not None
                self.emit(run.group())
                self.pos = run.end()
        if self.stack:
            raise HtmlError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        return _trimmed("".join(self.out), self.entities)

    def byte_offset(self, index: int) -> int:
        return len(self.source[:index].encode("utf-8", "surrogatepass"))

    def fail(self, what: str, index: int) -> None:
        raise HtmlError(f"{what} at byte offset {self.byte_offset(index)}")

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.units += utf16_len(text)

    def entity(self, within: str, index: int, base: int) -> tuple[str, int]:
        """Decode the entity at ``within[index]``: the character and the index after it."""
        match = _ENTITY.match(within, index)
        if match is None:
            self.fail('Unescaped "&"', base + index)
        assert match is not None
        decimal, hexadecimal, name = match.groups()
        if name is not None:
            if name not in _NAMED_ENTITIES:
                self.fail(f'Unsupported HTML entity "{match.group()}"', base + index)
            return _NAMED_ENTITIES[name], match.end()
        code = int(decimal) if decimal is not None else int(hexadecimal, 16)
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            self.fail(f'Unsupported HTML entity "{match.group()}"', base + index)
        return chr(code), match.end()

    def attribute_value(self, raw: str, base: int) -> str:
        decoded: list[str] = []
        i = 0
        while i < len(raw):
            if raw[i] == "&":
                char, i = self.entity(raw, i, base)
                decoded.append(char)
            else:
                decoded.append(raw[i])
                i += 1
        return "".join(decoded)

    def start_tag(self) -> None:
        s, at = self.source, self.pos
        name_match = _TAG_NAME.match(s, at + 1)
        assert name_match is not None
        name = name_match.group().lower()
        if name not in _TAG_TYPES:
            self.fail(f'Unsupported start tag "{name}"', at)
        i = name_match.end()
        attrs: dict[str, str] = {}
        while True:
            while i < len(s) and s[i].isspace():
                i += 1
            if i >= len(s):
                self.fail("Unclosed start tag", at)
            if s[i] == ">":
                i += 1
                break
            attr_match = _ATTR_NAME.match(s, i)
            assert attr_match is not None
            attr = attr_match.group().lower()
            if not attr:
                self.fail(f'Empty attribute name in the tag "{name}"', i)
            i = attr_match.end()
            while i < len(s) and s[i].isspace():
                i += 1
            value = ""
            if i < len(s) and s[i] == "=":
                i += 1
                while i < len(s) and s[i].isspace():
                    i += 1
                if i < len(s) and s[i] in "\"'":
                    close = s.find(s[i], i + 1)
                    if close < 0:
                        self.fail("Unclosed start tag", at)
                    value = self.attribute_value(s[i + 1 : close], i + 1)
                    i = close + 1
                else:
                    value_match = _UNQUOTED_VALUE.match(s, i)
                    assert value_match is not None
                    value = self.attribute_value(value_match.group(), i)
                    i = value_match.end()
            attrs[attr] = value
        if name == "span" and attrs.get("class") != "tg-spoiler":
            self.fail('Tag "span" must have class "tg-spoiler"', at)
        if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            self.fail('Tag "tg-emoji" must have attribute "emoji-id"', at)
        self.stack.append(_OpenTag(name, at, self.units, attrs))
        self.pos = i

    def end_tag(self) -> None:
        s, at = self.source, self.pos
        name_match = _TAG_NAME.match(s, at + 2)
        assert name_match is not None
        name = name_match.group().lower()
        i = name_match.end()
        while i < len(s) and s[i].isspace():
            i += 1
        if i >= len(s) or s[i] != ">":
            self.fail("Unclosed end tag", at)
        if not self.stack:
            self.fail("Unexpected end tag", at)
        tag = self.stack[-1]
        if tag.name != name:
            raise HtmlError(
                f"Unmatched end tag at byte offset {self.byte_offset(at)}, "
                f'expected "</{tag.name}>", found "</{name}>"'
            )
        self.stack.pop()
        self.pos = i + 1
        self.close(tag)

    def close(self, tag: _OpenTag) -> None:
        language = tag.attrs.get("class", "")
        inside_pre = bool(self.stack) and self.stack[-1].name == "pre"
        if tag.name == "code" and inside_pre and language.startswith("language-"):
            self.stack[-1].language = language.removeprefix("language-")
            return
        length = self.units - tag.start
        if length <= 0:
            return
        entity: JSON = {"type": _TAG_TYPES[tag.name], "offset": tag.start, "length": length}
        if tag.name == "a":
            if not tag.attrs.get("href"):
                return
            entity["url"] = tag.attrs["href"]
        elif tag.name == "pre" and tag.language:
            entity["language"] = tag.language
        elif tag.name == "blockquote" and "expandable" in tag.attrs:
            entity["type"] = "expandable_blockquote"
        elif tag.name == "tg-emoji":
            entity["custom_emoji_id"] = tag.attrs["emoji-id"]
        self.entities.append(entity)


def parse_html(source: str) -> Parsed:
    """Parse Telegram HTML into the text a person reads and its entities, or raise HtmlError."""
    return _HtmlParser(source).parse()


def parse_plain(source: str) -> Parsed:
    return _trimmed(source, [])


def _trimmed(text: str, entities: list[JSON]) -> Parsed:
    # Telegram drops leading and trailing whitespace and moves the entities along.
    stripped = text.strip()
    shift = utf16_len(text[: len(text) - len(text.lstrip())])
    end = utf16_len(stripped)
    kept: list[JSON] = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        stop = min(entity["offset"] + entity["length"] - shift, end)
        if stop > start:
            kept.append({**entity, "offset": start, "length": stop - start})
    kept.sort(key=lambda e: (e["offset"], -e["length"]))
    return Parsed(stripped, tuple(kept))


_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")


def command_entities(text: str) -> list[JSON]:
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match.group()),
        }
        for match in _COMMAND.finditer(text)
    ]


# ---------------------------------------------------------------------------------------------
# What tests read


@dataclass(frozen=True)
class Document:
    filename: str
    content: bytes
    mime: str
    file_id: str


@dataclass(frozen=True)
class Version:
    """One state of a bot message: as sent, or after an edit."""

    method: str
    raw: str
    text: str
    entities: tuple[JSON, ...]
    parse_mode: str | None
    reply_markup: JSON | None


@dataclass(frozen=True)
class SentMessage:
    """A message the bot sent, in its current state; ``history`` holds every version."""

    chat_id: int
    message_id: int
    method: str  # sendMessage | sendDocument
    raw: str  # text or caption exactly as sent
    text: str  # what the person reads: tags stripped, entities decoded
    entities: tuple[JSON, ...]
    parse_mode: str | None
    reply_markup: JSON | None
    reply_to_message_id: int | None
    document: Document | None
    link_preview_options: JSON | None
    history: tuple[Version, ...]
    deleted: bool = False

    @property
    def edited(self) -> bool:
        return len(self.history) > 1

    @property
    def buttons(self) -> list[list[JSON]]:
        """Rows of inline buttons (each ``{"text": …, "callback_data": …}``), or ``[]``."""
        return list((self.reply_markup or {}).get("inline_keyboard", []))

    @property
    def callback_data(self) -> list[str]:
        return [b["callback_data"] for row in self.buttons for b in row if "callback_data" in b]


@dataclass(frozen=True)
class ApiRequest:
    method: str
    params: JSON  # uploaded files appear as {"filename", "size", "mime"}
    status: int
    description: str | None = None


@dataclass(frozen=True)
class CallbackAnswer:
    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None


@dataclass(frozen=True)
class WebhookDelivery:
    update_id: int | None
    url: str
    status: int | None  # None when the receiver could not be reached
    secret: str | None  # the X-Telegram-Bot-Api-Secret-Token header sent, if any
    error: str | None = None
    manual: bool = False  # sent by post_to_webhook rather than by the delivery thread


# ---------------------------------------------------------------------------------------------
# Internals


class ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass(frozen=True)
class _Upload:
    filename: str
    content: bytes
    mime: str


@dataclass
class _Failure:
    method: str
    chat_id: str | None
    remaining: int
    status: int
    description: str
    parameters: JSON | None


@dataclass
class _Pending:
    update: JSON
    forced: bool = False  # a redelivery: served even below the confirmed offset
    handed_out: bool = False
    attempts: int = 0

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])

    @property
    def kind(self) -> str:
        return next((k for k in self.update if k != "update_id"), "")


@dataclass
class _Webhook:
    url: str
    secret: str | None
    allowed_updates: list[str] | None
    max_connections: int = 40
    last_error: tuple[int, str] | None = None


@dataclass
class _Params:
    values: JSON
    files: dict[str, _Upload] = field(default_factory=dict)

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def integer(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise _bad(f"invalid {name} specified") from None

    def number(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise _bad(f"invalid {name} specified") from None

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)

    def json(self, name: str) -> Any:
        value = self.values.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise _bad(f"can't parse {name} JSON object") from None
        return value

    def recorded(self) -> JSON:
        out = dict(self.values)
        for name, upload in self.files.items():
            out[name] = {
                "filename": upload.filename,
                "size": len(upload.content),
                "mime": upload.mime,
            }
        return out


def _decode_body(content_type: str, body: bytes, query: str) -> _Params:
    values: JSON = dict(parse_qsl(query, keep_blank_values=True))
    files: dict[str, _Upload] = {}
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json" and body:
        decoded = json.loads(body)
        if not isinstance(decoded, dict):
            raise ValueError("the JSON body must be an object")
        values.update(decoded)
    elif kind == "application/x-www-form-urlencoded":
        values.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    elif kind == "multipart/form-data":
        boundary = re.search(r'boundary="?([^";]+)"?', content_type)
        if boundary is None:
            raise ValueError("multipart body without boundary")
        for name, filename, mime, content in _multipart(body, boundary.group(1).encode()):
            if filename is None:
                values[name] = content.decode("utf-8")
            else:
                files[name] = _Upload(filename, content, mime)
    return _Params(values, files)


def _multipart(body: bytes, boundary: bytes) -> Iterable[tuple[str, str | None, str, bytes]]:
    for part in body.split(b"--" + boundary)[1:]:
        if part.startswith(b"--"):
            break
        head, _, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        headers = {}
        for line in head.decode("utf-8").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = _disposition_param(disposition, "name") or ""
        filename = _disposition_param(disposition, "filename")
        mime = headers.get("content-type", "application/octet-stream")
        yield name, filename, mime, content


def _disposition_param(disposition: str, key: str) -> str | None:
    extended = re.search(rf";\s*{key}\*=(?:UTF-8|utf-8)''([^;]+)", disposition)
    if extended:
        return unquote(extended.group(1))
    quoted = re.search(rf';\s*{key}="((?:[^"\\]|\\.)*)"', disposition)
    if quoted:
        # httpx writes '"' as %22 (HTML5 form encoding) and escapes backslashes.
        return quoted.group(1).replace("%22", '"').replace("\\\\", "\\")
    bare = re.search(rf";\s*{key}=([^;]+)", disposition)
    return bare.group(1).strip() if bare else None


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins the handler threads
    block_on_close = True

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        self.closing = False
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up (a cancelled long poll, a closed pool) is not an error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def track(self, connection: socket.socket) -> None:
        with self.connections_lock:
            self.connections.add(connection)
            if self.closing:
                _shutdown_socket(connection)

    def untrack(self, connection: socket.socket) -> None:
        with self.connections_lock:
            self.connections.discard(connection)

    def hang_up(self) -> None:
        """Wake handler threads waiting for the next request on a kept-alive connection."""
        with self.connections_lock:
            self.closing = True
            for connection in self.connections:
                _shutdown_socket(connection)


def _shutdown_socket(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the client
        connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60
    disable_nagle_algorithm = True  # headers and body go out in two writes
    server: _HttpServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.serve()

    def do_POST(self) -> None:
        self.serve()

    def serve(self) -> None:
        url = urlsplit(self.path)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = self.read_chunked()
        else:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
        download = re.fullmatch(r"/file/bot([^/]*)/(.+)", url.path)
        if download is not None and self.command == "GET":
            # Clients percent-encode the token's colon in a path; the server decodes it.
            self.send_file(unquote(download[1]), unquote(download[2]))
            return
        route = re.fullmatch(r"/bot([^/]*)/([^/]+)", url.path)
        if route is None:
            self.reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        token, method = route.groups()
        try:
            params = _decode_body(self.headers.get("Content-Type", ""), body, url.query)
        except (ValueError, UnicodeDecodeError) as exc:
            status, payload = (
                400,
                {
                    "ok": False,
                    "error_code": 400,
                    "description": f"Bad Request: {exc}",
                },
            )
        else:
            if self.server.fake._held(method):
                self.close_connection = True  # dropped: as if it never reached Telegram
                return
            status, payload = self.server.fake._call(token, method, params)
        self.reply(status, payload)

    def send_file(self, token: str, path: str) -> None:
        """``GET /file/bot<token>/<file_path>``: a file's bytes, as getFile said where."""
        content = self.server.fake._download(token, path)
        if content is None:
            self.reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)
        except OSError:
            self.close_connection = True

    def read_chunked(self) -> bytes:
        chunks = []
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
            pass
        return b"".join(chunks)

    def reply(self, status: int, payload: JSON) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True  # the client went away (e.g. a cancelled long poll)


# ---------------------------------------------------------------------------------------------
# The server


@dataclass(frozen=True)
class FloodLimits:
    """Telegram's sending limits: ``overall`` a second, ``per_chat`` a second to one chat,
    ``per_group`` a minute to one group. ``scale`` runs time faster (a benchmark at 10× the
    rates keeps every ratio Telegram has)."""

    overall: int = 30
    per_chat: int = 1
    per_group: int = 20
    scale: float = 1.0


_SENDS = frozenset({"sendmessage", "senddocument", "sendphoto"})


class FakeTelegram:
    """The fake Bot API. All state is guarded by one condition; every change notifies it."""

    def __init__(
        self,
        *,
        token: str = f"{BOT_ID}:AAFakeTokenForSuperbotTests_0123456",
        bot_id: int = BOT_ID,
        first_name: str = "督查助手",
        username: str = "superbot_test_bot",
        clock: Callable[[], float] = time.time,
        webhook_attempts: int = 3,
        webhook_retry_delay: float = 0.05,
    ) -> None:
        self.token = token
        self.bot_user: JSON = {
            "id": bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.webhook_attempts = webhook_attempts
        self.webhook_retry_delay = webhook_retry_delay
        self._clock = clock
        self._cond = threading.Condition(threading.RLock())
        self._users: dict[int, JSON] = {}
        self._chats: dict[int, JSON] = {}
        self._blocked: set[int] = set()
        self._next_message_id: dict[int, int] = {}
        self._stored: dict[tuple[int, int], JSON] = {}  # every live message, as Telegram has it
        self._sent: list[SentMessage] = []
        self._sent_index: dict[tuple[int, int], int] = {}
        self._requests: list[ApiRequest] = []
        self._failures: list[_Failure] = []
        self._pending: list[_Pending] = []
        self._next_update_id = 100001
        self._allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self._poll_generation = 0
        self._polls_waiting = 0
        self._webhook: _Webhook | None = None
        self._webhook_deliveries: list[WebhookDelivery] = []
        self._open_queries: dict[str, JSON] = {}
        self._callback_answers: list[CallbackAnswer] = []
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._files: dict[str, Document] = {}
        self._counter = 0
        self._stopping = False
        self._httpd: _HttpServer | None = None
        self._threads: list[threading.Thread] = []
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self.send_delay = 0.0  # seconds each send takes before Telegram has it (a slow server)
        self._flood: FloodLimits | None = None
        self._flood_sent: dict[str, list[float]] = {}
        self.too_many = 0  # sends answered 429 by the flood limits

        self._hold: tuple[str, int, threading.Event, threading.Event] | None = None
        self._holding: threading.Event | None = None  # released by drop_held

    # -- holding a request in flight --------------------------------------------------------------

    def hold(self, method: str, after: int = 0) -> threading.Event:
        """Hold the request to ``method`` that comes after ``after`` more of them, before it
        does anything, until :meth:`drop_held`; the returned event is set once it is held (a
        test kills the client meanwhile: the request never reached Telegram)."""
        arrived = threading.Event()
        self._hold = (method.lower(), after, arrived, threading.Event())
        return arrived

    def drop_held(self) -> None:
        if self._hold is not None:
            self._hold[3].set()
        if self._holding is not None:
            self._holding.set()

    def _held(self, method: str) -> bool:
        with self._cond:
            hold = self._hold
            if hold is None or hold[0] != method.lower():
                return False
            name, after, arrived, released = hold
            if after > 0:
                self._hold = (name, after - 1, arrived, released)
                return False
            self._hold = None
            self._holding = released
        arrived.set()
        released.wait(60)
        return True

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> FakeTelegram:
        if self._httpd is not None:
            raise RuntimeError("FakeTelegram is already running")
        self._stopping = False
        self._httpd = _HttpServer(self)
        self._threads = [
            threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="fake-telegram-http",
                daemon=True,
            ),
            threading.Thread(
                target=self._deliver_webhooks, name="fake-telegram-webhook", daemon=True
            ),
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        httpd = self._httpd
        if httpd is None:
            return
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        httpd.shutdown()
        httpd.hang_up()
        httpd.server_close()  # joins the handler threads
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads = []
        self._httpd = None

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The Bot API root, as in ``TELEGRAM_API_URL``: requests go to {url}/bot{token}/…"""
        if self._httpd is None:
            raise RuntimeError("FakeTelegram is not running")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def base_url(self) -> str:
        """For ``telegram.Bot(base_url=…)``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    # -- the world: people and chats ------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str = "用户",
        username: str | None = None,
        language_code: str | None = "zh-hans",
        last_name: str | None = None,
    ) -> JSON:
        """A person and their private chat with the bot (same id)."""
        if user_id <= 0:
            raise ValueError("user ids are positive")
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        chat: JSON = {"id": user_id, "type": "private", "first_name": first_name}
        if last_name:
            user["last_name"] = chat["last_name"] = last_name
        if username:
            user["username"] = chat["username"] = username
        if language_code:
            user["language_code"] = language_code
        with self._cond:
            self._users[user_id] = user
            self._chats[user_id] = chat
            self._cond.notify_all()
        return copy.deepcopy(user)

    def add_group(self, chat_id: int, title: str, username: str | None = None) -> JSON:
        """A group (ids from -1000000000000 down are supergroups)."""
        if chat_id >= 0:
            raise ValueError("group ids are negative")
        kind = "supergroup" if chat_id <= -1000000000000 else "group"
        chat: JSON = {"id": chat_id, "type": kind, "title": title}
        if username:
            chat["username"] = username
        with self._cond:
            self._chats[chat_id] = chat
            self._cond.notify_all()
        return copy.deepcopy(chat)

    def block(self, user_id: int) -> None:
        """The person blocks the bot: sends to them fail with 403."""
        with self._cond:
            self._blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        with self._cond:
            self._blocked.discard(user_id)

    # -- failure injection ----------------------------------------------------------------------

    def fail_next(
        self,
        method: str = "sendMessage",
        *,
        chat_id: int | str | None = None,
        times: int = 1,
        status: int = 429,
        retry_after: int = 3,
        description: str | None = None,
    ) -> None:
        """The next ``times`` calls of ``method`` (to ``chat_id``, if given) fail.

        429 (the default) answers ``Too Many Requests: retry after N`` with ``retry_after``;
        other statuses answer ``description`` (default: the HTTP reason).
        """
        parameters: JSON | None = None
        if status == 429:
            description = description or f"Too Many Requests: retry after {retry_after}"
            parameters = {"retry_after": retry_after}
        elif description is None:
            description = {
                400: "Bad Request",
                403: "Forbidden",
                500: "Internal Server Error",
                502: "Bad Gateway",
                503: "Service Unavailable",
                504: "Gateway Timeout",
            }.get(status, "Error")
        with self._cond:
            self._failures.append(
                _Failure(
                    method.lower(),
                    None if chat_id is None else str(chat_id),
                    times,
                    status,
                    description,
                    parameters,
                )
            )

    # -- what happened --------------------------------------------------------------------------

    def messages(self, chat_id: int | None = None) -> list[SentMessage]:
        """Every message the bot sent (to ``chat_id``), oldest first, in its current state."""
        with self._cond:
            return [m for m in self._sent if chat_id is None or m.chat_id == chat_id]

    def message(self, chat_id: int, message_id: int) -> SentMessage:
        with self._cond:
            return self._sent[self._sent_index[(chat_id, message_id)]]

    @property
    def requests(self) -> list[ApiRequest]:
        with self._cond:
            return list(self._requests)

    def requests_for(self, method: str) -> list[ApiRequest]:
        with self._cond:
            return [r for r in self._requests if r.method.lower() == method.lower()]

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        with self._cond:
            return list(self._callback_answers)

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        with self._cond:
            return list(self._webhook_deliveries)

    @property
    def webhook_url(self) -> str | None:
        with self._cond:
            return self._webhook.url if self._webhook else None

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        with self._cond:
            return copy.deepcopy(self._commands.get((_scope_key(scope), language_code), []))

    @property
    def polls_waiting(self) -> int:
        """How many getUpdates calls are blocked in a long poll right now."""
        with self._cond:
            return self._polls_waiting

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed (getUpdates offset) or delivered (webhook)."""
        with self._cond:
            return [copy.deepcopy(p.update) for p in self._pending]

    # -- waiting without sleeping ---------------------------------------------------------------

    def wait_for(
        self,
        predicate: Callable[[FakeTelegram], T],
        timeout: float = 5.0,
        what: str | None = None,
    ) -> T:
        """Block until ``predicate(server)`` is truthy and return it; AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                result = predicate(self)
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"fake Telegram: waited {timeout}s for {what or predicate!r}\n"
                        + self.describe()
                    )
                self._cond.wait(remaining)

    def wait_for_messages(
        self, chat_id: int | None, count: int, timeout: float = 5.0
    ) -> list[SentMessage]:
        """Block until the bot has sent at least ``count`` messages to ``chat_id``."""
        self.wait_for(
            lambda s: len(s.messages(chat_id)) >= count,
            timeout,
            what=f"{count} message(s) to chat {chat_id}",
        )
        return self.messages(chat_id)

    def wait_for_requests(self, method: str, count: int, timeout: float = 5.0) -> list[ApiRequest]:
        self.wait_for(
            lambda s: len(s.requests_for(method)) >= count,
            timeout,
            what=f"{count} {method} request(s)",
        )
        return self.requests_for(method)

    # The async variants wait in a worker thread, which asyncio.timeout could not stop: hence
    # an explicit timeout (ASYNC109).
    async def await_for(
        self,
        predicate: Callable[[FakeTelegram], T],
        timeout: float = 5.0,  # noqa: ASYNC109
        what: str | None = None,
    ) -> T:
        """:meth:`wait_for` for async tests: waits in a thread, the event loop keeps running."""
        return await asyncio.to_thread(self.wait_for, predicate, timeout, what)

    async def await_messages(
        self,
        chat_id: int | None,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[SentMessage]:
        return await asyncio.to_thread(self.wait_for_messages, chat_id, count, timeout)

    async def await_requests(
        self,
        method: str,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[ApiRequest]:
        return await asyncio.to_thread(self.wait_for_requests, method, count, timeout)

    def describe(self) -> str:
        with self._cond:
            lines = ["requests (last 20):"]
            for r in self._requests[-20:]:
                lines.append(f"  {r.method} -> {r.status} {r.description or ''}".rstrip())
            lines.append("messages:")
            for m in self._sent[-20:]:
                lines.append(f"  chat {m.chat_id} #{m.message_id} {m.method}: {m.text[:80]!r}")
            lines.append(f"pending updates: {[p.update_id for p in self._pending]}")
            if self._webhook_deliveries:
                lines.append(
                    "webhook deliveries: "
                    + ", ".join(f"{d.update_id}:{d.status}" for d in self._webhook_deliveries[-10:])
                )
            return "\n".join(lines)

    # -- what people do -------------------------------------------------------------------------

    def user_sends(
        self,
        user_id: int,
        text: str,
        chat_id: int | None = None,
        reply_to_message_id: int | None = None,
    ) -> JSON:
        """The person writes ``text`` in their private chat (or group ``chat_id``).

        Commands get ``bot_command`` entities; a reply carries the replied-to message. Writing
        to the bot in private unblocks it, as Telegram's "Restart" does.
        """
        with self._cond:
            user, chat = self._person_in(user_id, chat_id)
            if chat["type"] == "private":
                self._blocked.discard(user_id)
            message = self._new_message(chat, user)
            message["text"] = text
            entities = command_entities(text)
            if entities:
                message["entities"] = entities
            if reply_to_message_id is not None:
                replied = self._stored.get((chat["id"], reply_to_message_id))
                if replied is None:
                    raise LookupError(
                        f"no message {reply_to_message_id} in chat {chat['id']} to reply to"
                    )
                message["reply_to_message"] = _without_reply(replied)
            self._store(message)
            return self._push({"message": copy.deepcopy(message)})

    def user_edits(
        self, user_id: int, message_id: int, new_text: str, chat_id: int | None = None
    ) -> JSON:
        """The person edits their own earlier message: an ``edited_message`` update."""
        with self._cond:
            _, chat = self._person_in(user_id, chat_id)
            message = self._stored.get((chat["id"], message_id))
            if message is None or message.get("from", {}).get("id") != user_id:
                raise LookupError(f"user {user_id} has no message {message_id} in {chat['id']}")
            message["text"] = new_text
            message["edit_date"] = self._now()
            message.pop("entities", None)
            entities = command_entities(new_text)
            if entities:
                message["entities"] = entities
            return self._push({"edited_message": copy.deepcopy(message)})

    def user_sends_file(
        self,
        user_id: int,
        content: bytes,
        filename: str,
        mime: str = "application/octet-stream",
        *,
        photo: bool = False,
        caption: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> JSON:
        """The person sends a file (a document, or a ``photo`` as Telegram compresses it) in
        their private chat, with an optional caption; the bot fetches it with getFile."""
        with self._cond:
            user, chat = self._person_in(user_id, None)
            message = self._new_message(chat, user)
            self._counter += 1
            file_id = f"AgACAgIAAxkBAAI{self._counter:012d}FakeUserFile"
            self._files[file_id] = Document(filename, content, mime, file_id)
            unique = file_id[-16:]
            if photo:
                # Telegram sends every size it made; the last is the largest.
                message["photo"] = [
                    {"file_id": file_id, "file_unique_id": unique, "width": 1280,
                     "height": 960, "file_size": len(content)},
                ]  # fmt: skip
            else:
                message["document"] = {
                    "file_id": file_id,
                    "file_unique_id": unique,
                    "file_name": filename,
                    "mime_type": mime,
                    "file_size": len(content),
                }
            if caption is not None:
                message["caption"] = caption
            if reply_to_message_id is not None:
                replied = self._stored.get((chat["id"], reply_to_message_id))
                if replied is None:
                    raise LookupError(f"no message {reply_to_message_id} to reply to")
                message["reply_to_message"] = _without_reply(replied)
            self._store(message)
            return self._push({"message": copy.deepcopy(message)})

    def user_presses(
        self, user_id: int, message_id: int, data: str, chat_id: int | None = None
    ) -> JSON:
        """The person presses the inline button carrying ``data`` on a bot message."""
        with self._cond:
            user, chat = self._person_in(user_id, chat_id)
            message = self._stored.get((chat["id"], message_id))
            if message is None or message.get("from", {}).get("id") != self.bot_user["id"]:
                raise LookupError(f"no bot message {message_id} in chat {chat['id']}")
            rows = message.get("reply_markup", {}).get("inline_keyboard", [])
            offered = [b.get("callback_data") for row in rows for b in row]
            if data not in offered:
                raise LookupError(
                    f"message {message_id} has no button with callback_data {data!r}: {offered}"
                )
            self._counter += 1
            query_id = f"{user_id}{self._counter:08d}"
            query: JSON = {
                "id": query_id,
                "from": user,
                "message": copy.deepcopy(message),
                "chat_instance": str(abs(chat["id"]) * 7919 % 10**12),
                "data": data,
            }
            self._open_queries[query_id] = query
            return self._push({"callback_query": copy.deepcopy(query)})

    def user_presses_any(self, user_id: int, message_id: int, data: str) -> JSON:
        """A press carrying ``data`` on a bot message that does not offer it (now): a button
        kept from an older version of the message, or a modified client. The bot must judge
        a press by who presses it, never by the button having been sent to them."""
        with self._cond:
            user, chat = self._person_in(user_id, None)
            message = self._stored.get((chat["id"], message_id))
            if message is None or message.get("from", {}).get("id") != self.bot_user["id"]:
                raise LookupError(f"no bot message {message_id} in chat {chat['id']}")
            self._counter += 1
            query_id = f"{user_id}{self._counter:08d}"
            query: JSON = {
                "id": query_id,
                "from": user,
                "message": copy.deepcopy(message),
                "chat_instance": str(abs(chat["id"]) * 7919 % 10**12),
                "data": data,
            }
            self._open_queries[query_id] = query
            return self._push({"callback_query": copy.deepcopy(query)})

    def push_update(self, raw: JSON) -> JSON:
        """Queue a raw update; an ``update_id`` is assigned when missing."""
        with self._cond:
            return self._push(copy.deepcopy(raw))

    def redeliver(self, update: JSON) -> JSON:
        """Deliver ``update`` again with the same update_id, as Telegram does after a crash."""
        with self._cond:
            again = _Pending(copy.deepcopy(update), forced=True)
            # Telegram serves updates in update_id order, a redelivered one included.
            at = next(
                (i for i, p in enumerate(self._pending) if p.update_id > again.update_id),
                len(self._pending),
            )
            self._pending.insert(at, again)
            self._cond.notify_all()
            return copy.deepcopy(again.update)

    def post_to_webhook(
        self, update: JSON, secret: str | None = "wrong", url: str | None = None
    ) -> int | None:
        """POST ``update`` to the webhook now with ``secret`` as the header; returns the status."""
        with self._cond:
            target = url or (self._webhook.url if self._webhook else None)
        if target is None:
            raise RuntimeError("no webhook is set and no url was given")
        status, error = self._post(target, update, secret)
        with self._cond:
            self._webhook_deliveries.append(
                WebhookDelivery(update.get("update_id"), target, status, secret, error, True)
            )
            self._cond.notify_all()
        return status

    async def apost_to_webhook(
        self, update: JSON, secret: str | None = "wrong", url: str | None = None
    ) -> int | None:
        """:meth:`post_to_webhook` for async tests whose webhook server runs in the event loop."""
        return await asyncio.to_thread(self.post_to_webhook, update, secret, url)

    # -- the Bot API ----------------------------------------------------------------------------

    def limit_floods(self, limits: FloodLimits) -> None:
        """Answer sends beyond Telegram's limits with 429 and ``retry_after``, as Telegram
        does (not counted as sent)."""
        with self._cond:
            self._flood = limits
            self._flood_sent.clear()

    def _call(self, token: str, method: str, params: _Params) -> tuple[int, JSON]:
        if self.send_delay and method.lower() in _SENDS:
            time.sleep(self.send_delay)  # outside the lock: other requests go on meanwhile
        with self._cond:
            name = method
            try:
                if token != self.token:
                    raise ApiError(401, "Unauthorized")
                handler = _METHODS.get(method.lower())
                if handler is None:
                    raise ApiError(404, "Not Found: method not found")
                name = handler.__name__.removeprefix("_api_")
                self._inject_failure(name, params)
                if self._flood is not None and method.lower() in _SENDS:
                    self._check_flood(params.text("chat_id") or "")
                result = handler(self, params)
            except ApiError as exc:
                payload: JSON = {
                    "ok": False,
                    "error_code": exc.status,
                    "description": exc.description,
                }
                if exc.parameters:
                    payload["parameters"] = exc.parameters
                self._record(name, params, exc.status, exc.description)
                return exc.status, payload
            self._record(name, params, 200, None)
            return 200, {"ok": True, "result": result}

    def _record(self, method: str, params: _Params, status: int, description: str | None) -> None:
        self._requests.append(ApiRequest(method, params.recorded(), status, description))
        self._cond.notify_all()

    def _check_flood(self, chat_id: str) -> None:
        limits = self._flood
        assert limits is not None
        now = self._clock()
        windows = [("*", limits.overall, 1.0)]
        if chat_id.startswith("-"):
            windows.append((f"{chat_id}:group", limits.per_group, 60.0))
        windows.append((chat_id, limits.per_chat, 1.0))
        wait = 0.0
        for key, count, seconds in windows:
            span = seconds / limits.scale
            sent = [t for t in self._flood_sent.get(key, []) if t > now - span]
            self._flood_sent[key] = sent
            if len(sent) >= count:
                wait = max(wait, sent[len(sent) - count] + span - now)
        if wait > 0:
            self.too_many += 1
            raise ApiError(
                429,
                f"Too Many Requests: retry after {math.ceil(wait)}",
                {"retry_after": math.ceil(wait)},
            )
        for key, _, _ in windows:
            self._flood_sent[key].append(now)

    def _inject_failure(self, method: str, params: _Params) -> None:
        chat_id = params.text("chat_id")
        for failure in self._failures:
            if failure.method != method.lower():
                continue
            if failure.chat_id is not None and failure.chat_id != chat_id:
                continue
            failure.remaining -= 1
            if failure.remaining <= 0:
                self._failures.remove(failure)
            raise ApiError(failure.status, failure.description, failure.parameters)

    def _api_getFile(self, params: _Params) -> JSON:
        """Bot API: a File with the path to download it from; bots may download files of
        at most 20 MB."""
        file_id = params.text("file_id") or ""
        found = self._files.get(file_id)
        if found is None:
            raise _bad("invalid file_id")
        if len(found.content) > DOWNLOAD_LIMIT:
            raise _bad("file is too big")
        return {
            "file_id": file_id,
            "file_unique_id": file_id[-16:],
            "file_size": len(found.content),
            "file_path": f"documents/{file_id}",
        }

    def _download(self, token: str, path: str) -> bytes | None:
        with self._cond:
            if token != self.token or not path.startswith("documents/"):
                return None
            found = self._files.get(path.removeprefix("documents/"))
            return found.content if found is not None else None

    def _api_getMe(self, params: _Params) -> JSON:
        return copy.deepcopy(self.bot_user)

    def _api_sendMessage(self, params: _Params) -> JSON:
        chat = self._chat_to_send_to(params)
        text = params.text("text")
        if text is None:
            raise _bad("message text is empty")
        parse_mode = params.text("parse_mode")
        parsed = self._parse(text, parse_mode, TEXT_LIMIT, "message is too long")
        if not parsed.text:
            raise _bad("message text is empty")
        markup = self._reply_markup(params)
        reply_to = self._reply_to(chat["id"], params)
        message = self._new_message(chat, self.bot_user)
        message["text"] = parsed.text
        if parsed.entities:
            message["entities"] = copy.deepcopy(list(parsed.entities))
        self._finish_bot_message(message, markup, reply_to)
        previews = params.json("link_preview_options")
        if params.flag("disable_web_page_preview"):
            previews = {"is_disabled": True}
        self._record_sent(message, "sendMessage", text, parsed, parse_mode, markup, None, previews)
        return copy.deepcopy(message)

    def _api_sendDocument(self, params: _Params) -> JSON:
        chat = self._chat_to_send_to(params)
        document = self._document(params)
        caption = params.text("caption") or ""
        parse_mode = params.text("parse_mode")
        parsed = self._parse(caption, parse_mode, CAPTION_LIMIT, "message caption is too long")
        markup = self._reply_markup(params)
        reply_to = self._reply_to(chat["id"], params)
        message = self._new_message(chat, self.bot_user)
        message["document"] = {
            "file_id": document.file_id,
            "file_unique_id": document.file_id[-16:],
            "file_name": document.filename,
            "mime_type": document.mime,
            "file_size": len(document.content),
        }
        if parsed.text:
            message["caption"] = parsed.text
            if parsed.entities:
                message["caption_entities"] = copy.deepcopy(list(parsed.entities))
        self._finish_bot_message(message, markup, reply_to)
        self._record_sent(
            message, "sendDocument", caption, parsed, parse_mode, markup, document, None
        )
        return copy.deepcopy(message)

    def _api_editMessageText(self, params: _Params) -> JSON:
        message = self._message_to_edit(params)
        if "text" not in message:
            raise _bad("there is no text in the message to edit")
        text = params.text("text")
        if text is None:
            raise _bad("message text is empty")
        parse_mode = params.text("parse_mode")
        parsed = self._parse(text, parse_mode, TEXT_LIMIT, "message is too long")
        if not parsed.text:
            raise _bad("message text is empty")
        markup = self._reply_markup(params)
        if (
            parsed.text == message["text"]
            and list(parsed.entities) == message.get("entities", [])
            and markup == message.get("reply_markup")
        ):
            raise _not_modified()
        message["text"] = parsed.text
        message.pop("entities", None)
        if parsed.entities:
            message["entities"] = copy.deepcopy(list(parsed.entities))
        self._set_markup(message, markup)
        message["edit_date"] = self._now()
        self._record_edit(message, "editMessageText", text, parsed, parse_mode, markup)
        return copy.deepcopy(message)

    def _api_editMessageReplyMarkup(self, params: _Params) -> JSON:
        message = self._message_to_edit(params)
        markup = self._reply_markup(params)
        if markup == message.get("reply_markup"):
            raise _not_modified()
        self._set_markup(message, markup)
        message["edit_date"] = self._now()
        current = self.message(message["chat"]["id"], message["message_id"])
        parsed = Parsed(current.text, current.entities)
        self._record_edit(
            message, "editMessageReplyMarkup", current.raw, parsed, current.parse_mode, markup
        )
        return copy.deepcopy(message)

    def _api_deleteMessage(self, params: _Params) -> bool:
        chat_id = params.integer("chat_id")
        message_id = params.integer("message_id")
        if chat_id is None:
            raise _bad("chat_id is empty")
        if chat_id not in self._chats:
            raise _bad("chat not found")
        if message_id is None or (chat_id, message_id) not in self._stored:
            raise _bad("message to delete not found")
        del self._stored[(chat_id, message_id)]
        index = self._sent_index.get((chat_id, message_id))
        if index is not None:
            self._sent[index] = replace(self._sent[index], deleted=True)
        return True

    def _api_answerCallbackQuery(self, params: _Params) -> bool:
        query_id = params.text("callback_query_id") or ""
        if query_id not in self._open_queries:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        text = params.text("text")
        if text is not None and len(text) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        del self._open_queries[query_id]
        self._callback_answers.append(
            CallbackAnswer(query_id, text, params.flag("show_alert"), params.text("url"))
        )
        return True

    def _api_sendChatAction(self, params: _Params) -> bool:
        self._chat_to_send_to(params)
        if params.text("action") not in CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    def _api_setMyCommands(self, params: _Params) -> bool:
        commands = params.json("commands")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = (_scope_key(params.json("scope")), params.text("language_code") or "")
        self._commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _api_getMyCommands(self, params: _Params) -> list[JSON]:
        key = (_scope_key(params.json("scope")), params.text("language_code") or "")
        return copy.deepcopy(self._commands.get(key, []))

    def _api_deleteMyCommands(self, params: _Params) -> bool:
        key = (_scope_key(params.json("scope")), params.text("language_code") or "")
        self._commands.pop(key, None)
        return True

    def _api_getUpdates(self, params: _Params) -> list[JSON]:
        if self._webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.integer("offset") or 0
        limit = params.integer("limit") or 100
        if not 1 <= limit <= 100:
            limit = 100
        timeout = max(params.number("timeout") or 0.0, 0.0)
        allowed = params.json("allowed_updates")
        if allowed is not None:
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATE_TYPES
        self._poll_generation += 1
        generation = self._poll_generation
        self._confirm(offset)
        deadline = time.monotonic() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            if self._webhook is not None:
                raise ApiError(409, "Conflict: terminated by setWebhook request")
            batch = self._deliverable()[:limit]
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0 or self._stopping:
                break
            self._polls_waiting += 1
            self._cond.notify_all()
            try:
                self._cond.wait(remaining)
            finally:
                self._polls_waiting -= 1
                self._cond.notify_all()
        for pending in batch:
            pending.handed_out = True
        return [copy.deepcopy(p.update) for p in batch]

    def _api_setWebhook(self, params: _Params) -> bool:
        url = params.text("url") or ""
        if not url:
            return self._api_deleteWebhook(params)
        if not re.match(r"https?://[^/\s]+", url):
            raise _bad("bad webhook: invalid webhook URL specified")
        secret = params.text("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise _bad("secret token contains unallowed characters")
        if params.flag("drop_pending_updates"):
            self._pending.clear()
        allowed = params.json("allowed_updates")
        if allowed is not None:
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATE_TYPES
        self._webhook = _Webhook(
            url, secret or None, allowed, params.integer("max_connections") or 40
        )
        self._cond.notify_all()
        return True

    def _api_deleteWebhook(self, params: _Params) -> bool:
        self._webhook = None
        if params.flag("drop_pending_updates"):
            self._pending.clear()
        self._cond.notify_all()
        return True

    def _api_getWebhookInfo(self, params: _Params) -> JSON:
        hook = self._webhook
        info: JSON = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._deliverable()),
        }
        if hook:
            info["max_connections"] = hook.max_connections
            if hook.allowed_updates:
                info["allowed_updates"] = hook.allowed_updates
            if hook.last_error:
                info["last_error_date"], info["last_error_message"] = hook.last_error
        return info

    def _api_close(self, params: _Params) -> bool:
        return True

    def _api_logOut(self, params: _Params) -> bool:
        return True

    # -- helpers of the API ---------------------------------------------------------------------

    def _now(self) -> int:
        return int(self._clock())

    def _person_in(self, user_id: int, chat_id: int | None) -> tuple[JSON, JSON]:
        user = self._users.get(user_id)
        if user is None:
            raise LookupError(f"unknown user {user_id}: call add_user first")
        chat = self._chats.get(user_id if chat_id is None else chat_id)
        if chat is None:
            raise LookupError(f"unknown chat {chat_id}: call add_group first")
        return user, chat

    def _chat_to_send_to(self, params: _Params) -> JSON:
        raw = params.text("chat_id")
        if not raw:
            raise _bad("chat_id is empty")
        chat: JSON | None
        if raw.startswith("@"):
            chat = next((c for c in self._chats.values() if c.get("username") == raw[1:]), None)
        else:
            try:
                chat = self._chats.get(int(raw))
            except ValueError:
                chat = None
        if chat is None:
            raise _bad("chat not found")
        if chat["type"] == "private" and chat["id"] in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _parse(self, text: str, parse_mode: str | None, limit: int, too_long: str) -> Parsed:
        if parse_mode is None or parse_mode == "":
            parsed = parse_plain(text)
        elif parse_mode.lower() == "html":
            try:
                parsed = parse_html(text)
            except HtmlError as exc:
                raise _bad(f"can't parse entities: {exc}") from None
        else:
            raise _bad(f"unsupported parse_mode {parse_mode!r} (the fake speaks HTML only)")
        if utf16_len(parsed.text) > limit:
            raise _bad(too_long)
        return parsed

    def _reply_markup(self, params: _Params) -> JSON | None:
        markup = params.json("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            return markup  # reply keyboards, ForceReply, ReplyKeyboardRemove
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise _bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not str(button.get("text", "")).strip():
                    raise _bad("BUTTON_DATA_INVALID")
                if "callback_data" in button:
                    size = len(str(button["callback_data"]).encode("utf-8"))
                    if not 1 <= size <= 64:
                        raise _bad("BUTTON_DATA_INVALID")
                elif "url" in button:
                    if not re.match(r"(https?|tg)://", str(button["url"])):
                        raise _bad("BUTTON_URL_INVALID")
                elif not set(button) - {"text"}:
                    raise _bad(
                        "can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard"
                    )
        return {"inline_keyboard": rows}

    def _reply_to(self, chat_id: int, params: _Params) -> JSON | None:
        reply = params.json("reply_parameters")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow = bool(reply.get("allow_sending_without_reply"))
            target_chat = reply.get("chat_id", chat_id)
        else:
            message_id = params.integer("reply_to_message_id")
            allow = params.flag("allow_sending_without_reply")
            target_chat = chat_id
        if message_id is None:
            return None
        try:
            key = (int(target_chat), int(message_id))
        except (TypeError, ValueError):
            raise _bad("message to be replied not found") from None
        replied = self._stored.get(key)
        if replied is None and not allow:
            raise _bad("message to be replied not found")
        return replied

    def _document(self, params: _Params) -> Document:
        value = params.values.get("document")
        upload = params.files.get("document")
        if upload is None and isinstance(value, str) and value.startswith("attach://"):
            upload = params.files.get(value.removeprefix("attach://"))
        if upload is None:
            if isinstance(value, str) and value in self._files:
                return self._files[value]
            if isinstance(value, str) and value:
                raise _bad("wrong file identifier/HTTP URL specified")
            raise _bad("there is no document in the request")
        if not upload.content:
            raise _bad("file must be non-empty")
        if len(upload.content) > 50 * 1024 * 1024:
            raise ApiError(413, "Request Entity Too Large")
        self._counter += 1
        file_id = f"BQACAgIAAxkDAAI{self._counter:012d}FakeDocument"
        document = Document(upload.filename, upload.content, upload.mime, file_id)
        self._files[file_id] = document
        return document

    def _message_to_edit(self, params: _Params) -> JSON:
        if params.text("inline_message_id"):
            raise _bad("the fake does not know inline messages")
        chat_id = params.integer("chat_id")
        message_id = params.integer("message_id")
        if chat_id is None:
            raise _bad("chat_id is empty")
        if chat_id not in self._chats:
            raise _bad("chat not found")
        message = self._stored.get((chat_id, message_id or 0))
        if message is None:
            raise _bad("message to edit not found")
        if message.get("from", {}).get("id") != self.bot_user["id"]:
            raise _bad("message can't be edited")
        return message

    def _new_message(self, chat: JSON, sender: JSON) -> JSON:
        chat_id = chat["id"]
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return {
            "message_id": message_id,
            "from": copy.deepcopy(sender),
            "chat": copy.deepcopy(chat),
            "date": self._now(),
        }

    def _finish_bot_message(
        self, message: JSON, markup: JSON | None, reply_to: JSON | None
    ) -> None:
        self._set_markup(message, markup)
        if reply_to is not None:
            message["reply_to_message"] = _without_reply(reply_to)
        self._store(message)

    @staticmethod
    def _set_markup(message: JSON, markup: JSON | None) -> None:
        # Messages carry only inline keyboards; reply keyboards live on the client.
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)

    def _store(self, message: JSON) -> None:
        self._stored[(message["chat"]["id"], message["message_id"])] = message
        self._cond.notify_all()

    def _record_sent(
        self,
        message: JSON,
        method: str,
        raw: str,
        parsed: Parsed,
        parse_mode: str | None,
        markup: JSON | None,
        document: Document | None,
        previews: JSON | None,
    ) -> None:
        key = (message["chat"]["id"], message["message_id"])
        version = Version(method, raw, parsed.text, parsed.entities, parse_mode, markup)
        self._sent_index[key] = len(self._sent)
        self._sent.append(
            SentMessage(
                chat_id=key[0],
                message_id=key[1],
                method=method,
                raw=raw,
                text=parsed.text,
                entities=parsed.entities,
                parse_mode=parse_mode,
                reply_markup=markup,
                reply_to_message_id=message.get("reply_to_message", {}).get("message_id"),
                document=document,
                link_preview_options=previews,
                history=(version,),
            )
        )

    def _record_edit(
        self,
        message: JSON,
        method: str,
        raw: str,
        parsed: Parsed,
        parse_mode: str | None,
        markup: JSON | None,
    ) -> None:
        index = self._sent_index[(message["chat"]["id"], message["message_id"])]
        sent = self._sent[index]
        version = Version(method, raw, parsed.text, parsed.entities, parse_mode, markup)
        self._sent[index] = replace(
            sent,
            raw=raw,
            text=parsed.text,
            entities=parsed.entities,
            parse_mode=parse_mode,
            reply_markup=markup,
            history=(*sent.history, version),
        )

    # -- updates --------------------------------------------------------------------------------

    def _push(self, update: JSON) -> JSON:
        if "update_id" not in update:
            update = {"update_id": self._next_update_id, **update}
            self._next_update_id += 1
        else:
            self._next_update_id = max(self._next_update_id, int(update["update_id"]) + 1)
        self._pending.append(_Pending(update))
        self._cond.notify_all()
        return copy.deepcopy(update)

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            self._pending = self._pending[offset:]
        elif offset > 0:
            self._pending = [
                p for p in self._pending if p.update_id >= offset or (p.forced and not p.handed_out)
            ]
        self._cond.notify_all()

    def _deliverable(self) -> list[_Pending]:
        # Updates of kinds not asked for are never created, as with Telegram.
        self._pending = [p for p in self._pending if p.kind in self._allowed_updates]
        return list(self._pending)

    def _deliver_webhooks(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (self._webhook is None or not self._deliverable()):
                    self._cond.wait()
                if self._stopping:
                    return
                hook = self._webhook
                assert hook is not None
                pending = self._pending[0]
                pending.handed_out = True
            status, error = self._post(hook.url, pending.update, hook.secret)
            with self._cond:
                self._webhook_deliveries.append(
                    WebhookDelivery(pending.update_id, hook.url, status, hook.secret, error)
                )
                pending.attempts += 1
                delivered = status is not None and 200 <= status < 300
                if not delivered:
                    hook.last_error = (
                        self._now(),
                        error or f"Wrong response from the webhook: {status}",
                    )
                if (
                    delivered or pending.attempts >= self.webhook_attempts
                ) and pending in self._pending:
                    self._pending.remove(pending)
                self._cond.notify_all()
                if not delivered:
                    deadline = time.monotonic() + self.webhook_retry_delay
                    while not self._stopping and (left := deadline - time.monotonic()) > 0:
                        self._cond.wait(left)

    def _post(self, url: str, update: JSON, secret: str | None) -> tuple[int | None, str | None]:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        body = json.dumps(update, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=10) as response:
                response.read()
                return int(response.status), None
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, f"Wrong response from the webhook: {exc.code} {exc.reason}"
        except (urllib.error.URLError, OSError) as exc:
            return None, f"Connection failed: {exc}"


def _not_modified() -> ApiError:
    return _bad(
        "message is not modified: specified new message content and reply markup are exactly "
        "the same as a current content and reply markup of the message"
    )


def _without_reply(message: JSON) -> JSON:
    # Telegram nests replies one level deep only.
    return {k: copy.deepcopy(v) for k, v in message.items() if k != "reply_to_message"}


def _scope_key(scope: Any) -> str:
    return json.dumps(scope or {"type": "default"}, sort_keys=True)


_METHODS: dict[str, Callable[[FakeTelegram, _Params], Any]] = {
    name.removeprefix("_api_").lower(): function
    for name, function in vars(FakeTelegram).items()
    if name.startswith("_api_")
}
