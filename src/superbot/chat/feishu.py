"""飞书's event subscription at ``/feishu``: messages to the bot (``im.message.receive_v1``)
and card buttons (``card.action.trigger``), in the 2.0 event format; the long connection
(``chat/feishu_ws.py``) brings the same events.

With an encrypt key (``FEISHU_ENCRYPT_KEY``) the body is ``{"encrypt": …}``: AES-256-CBC
with the key ``SHA-256(encrypt key)``, the IV in the first 16 bytes; and the request is
signed: ``X-Lark-Signature = SHA-256(timestamp + nonce + encrypt key + body)``, refused when
``X-Lark-Request-Timestamp`` is old. Every event carries the verification token
(``FEISHU_VERIFICATION_TOKEN``). The URL check (``url_verification``) is answered with its
``challenge``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from superbot.chat.app import ChatApp
from superbot.chat.events import Event, Pressed, Said
from superbot.domain.model import Account
from superbot.server.inbound import CALLBACK_BYTES, Refused, announced_size, body, fresh

log = logging.getLogger("superbot.chat.feishu")

PATH = "/feishu"
CHANNEL = "feishu"
WINDOW = timedelta(minutes=5)
UNSIGNED_WINDOW = timedelta(hours=1)  # an event's own create_time, when nothing is signed
MESSAGE, CARD = "im.message.receive_v1", "card.action.trigger"


class EventError(ValueError):
    """An event that is not from 飞书, or not for this app."""


class FeishuEvents:
    """Reading what 飞书 sends: decrypting, checking signature and token, and the events."""

    def __init__(self, verification_token: str | None, encrypt_key: str | None) -> None:
        self.verification_token = verification_token
        self.encrypt_key = encrypt_key

    def signature(self, timestamp: str, nonce: str, raw: bytes) -> str:
        assert self.encrypt_key is not None
        joined = (timestamp + nonce + self.encrypt_key).encode() + raw
        return hashlib.sha256(joined).hexdigest()

    def decrypt(self, encrypted: str) -> dict[str, Any]:
        assert self.encrypt_key is not None
        try:
            data = base64.b64decode(encrypted, validate=True)
        except binascii.Error as error:
            raise EventError("encrypt is not base64") from error
        if len(data) < 32 or len(data) % 16:
            raise EventError("encrypt is not whole AES blocks")
        key = hashlib.sha256(self.encrypt_key.encode()).digest()
        decryptor = Cipher(algorithms.AES(key), modes.CBC(data[:16])).decryptor()
        plain = decryptor.update(data[16:]) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= 16 or plain[-pad:] != bytes([pad]) * pad:
            raise EventError("bad padding (a wrong encrypt key?)")
        return _object(plain[:-pad])

    def open(self, outer: Mapping[str, Any]) -> dict[str, Any]:
        """The event inside, its verification token checked."""
        if self.encrypt_key is not None:
            if not isinstance(outer.get("encrypt"), str):
                raise EventError("not encrypted")
            data = self.decrypt(outer["encrypt"])
        else:
            data = dict(outer)
        header = _header(data)
        token = data.get("token") if "token" in data else header.get("token")
        expected = self.verification_token
        if expected is not None and not hmac.compare_digest(str(token or ""), expected):
            raise EventError("wrong verification token")
        return data


def routes(app: ChatApp, events: FeishuEvents, clock: Callable[[], datetime]) -> list[Route]:
    async def receive(request: Request) -> Response:
        try:
            data = await _read(request, events, clock())
        except Refused as refused:
            return refused.response()
        except EventError as error:
            log.warning("Feishu event refused: %s", error)
            return Refused(403, str(error)).response()
        if data.get("type") == "url_verification":
            return JSONResponse({"challenge": data.get("challenge", "")})
        event = read_event(data)
        if event is None:
            return JSONResponse({})
        handled = await app.handle(event)
        if isinstance(event, Pressed) and handled.toast:
            return JSONResponse({"toast": {"type": "info", "content": handled.toast}})
        return JSONResponse({})

    return [Route(PATH, receive, methods=["POST"])]


async def _read(request: Request, events: FeishuEvents, now: datetime) -> dict[str, Any]:
    announced_size(request, CALLBACK_BYTES)
    headers = request.headers
    timestamp = headers.get("x-lark-request-timestamp")
    nonce, signature = headers.get("x-lark-request-nonce"), headers.get("x-lark-signature")
    signed = events.encrypt_key is not None and bool(timestamp and nonce and signature)
    if signed:
        fresh(timestamp, now, WINDOW)
    elif events.encrypt_key is None and events.verification_token is None:
        raise Refused(403, "neither FEISHU_ENCRYPT_KEY nor FEISHU_VERIFICATION_TOKEN is set")
    raw = await body(request, CALLBACK_BYTES)
    if signed:
        expected = events.signature(timestamp or "", nonce or "", raw)
        if not hmac.compare_digest(expected, signature or ""):
            raise Refused(403, "wrong signature")
    data = events.open(_object(raw))
    if data.get("type") == "url_verification":
        return data  # the console's check: token (and encryption) are what it can show
    if events.encrypt_key is not None and not signed:
        raise Refused(403, "unsigned")
    if not signed:
        created = str(_header(data).get("create_time") or "")
        fresh(created, now, UNSIGNED_WINDOW, millis=True)
    return data


def read_event(data: Mapping[str, Any]) -> Event | None:
    header = data.get("header") or {}
    event = data.get("event") or {}
    kind, ident = header.get("event_type"), str(header.get("event_id") or "")
    if kind == MESSAGE:
        sender = (event.get("sender") or {}).get("sender_id") or {}
        message = event.get("message") or {}
        accounts = _accounts(sender)
        if not accounts:
            return None
        text = None
        if message.get("message_type") == "text":
            text = _text(message.get("content"))
        ref = str(message.get("message_id") or ident)
        group = message.get("chat_type") != "p2p"
        return Said(accounts[0], ref, text, group=group, aliases=accounts[1:])
    if kind == CARD:
        accounts = _accounts(event.get("operator") or {})
        value = (event.get("action") or {}).get("value") or {}
        card = str((event.get("context") or {}).get("open_message_id") or "")
        data_ = value.get("data") if isinstance(value, dict) else None
        if not accounts or not card or not isinstance(data_, str):
            return None
        return Pressed(accounts[0], ident, data_, card, aliases=accounts[1:])
    return None


def _accounts(ids: Mapping[str, Any]) -> tuple[Account, ...]:
    """user_id first (what an admin writes in tasks.yaml), then open_id."""
    found = [str(ids[key]) for key in ("user_id", "open_id") if ids.get(key)]
    return tuple(Account(CHANNEL, ident) for ident in found)


def _header(data: Mapping[str, Any]) -> Mapping[str, Any]:
    header = data.get("header")
    return header if isinstance(header, dict) else {}


def _text(content: object) -> str:
    try:
        parsed = json.loads(str(content or "{}"))
    except ValueError:
        return ""
    text = str(parsed.get("text", "")) if isinstance(parsed, dict) else ""
    # A mention of the bot in a group comes as "@_user_1 …".
    return " ".join(word for word in text.split(" ") if not word.startswith("@_user_"))


def _object(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except ValueError as error:
        raise EventError("not JSON") from error
    if not isinstance(data, dict):
        raise EventError("not a JSON object")
    return data
