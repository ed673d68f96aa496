"""企业微信's callback at ``/wecom``: GET checks the URL (``echostr``), POST brings messages
and events, each signed (``msg_signature``) and encrypted with the app's EncodingAESKey.

A text is :class:`Said` by its ``MsgId``; a card button (``template_card_event``) is
:class:`Pressed`, its ``ResponseCode`` what updates the card. Other events (entering the
app, …) are acknowledged and ignored. The answer is always an empty 200: replies go out
through the API, never as a passive reply, so a retried request changes nothing.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from datetime import datetime, timedelta

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from superbot.channels.wecom_crypto import CallbackError, WecomCrypto
from superbot.chat.app import ChatApp
from superbot.chat.events import Event, Pressed, Said
from superbot.domain.model import Account
from superbot.server.inbound import CALLBACK_BYTES, Refused, announced_size, body, fresh

log = logging.getLogger("superbot.chat.wecom")

PATH = "/wecom"
CHANNEL = "wecom"
WINDOW = timedelta(minutes=5)  # the platform retries within seconds


def routes(app: ChatApp, crypto: WecomCrypto, clock: Callable[[], datetime]) -> list[Route]:
    async def check_url(request: Request) -> Response:
        try:
            query = _signed(request, clock())
            echo = request.query_params.get("echostr") or ""
            crypto.check(query[0], query[1], query[2], echo)
            return PlainTextResponse(crypto.decrypt(echo))
        except Refused as refused:
            return refused.response()
        except CallbackError as error:
            log.warning("wecom URL check refused: %s", error)
            return Refused(403, str(error)).response()

    async def receive(request: Request) -> Response:
        try:
            signature, timestamp, nonce = _signed(request, clock())
            envelope = _xml(await body(request, CALLBACK_BYTES))
            encrypted = envelope.get("Encrypt") or ""
            crypto.check(signature, timestamp, nonce, encrypted)
            event = read_event(_xml(crypto.decrypt(encrypted).encode()))
        except Refused as refused:
            return refused.response()
        except CallbackError as error:
            log.warning("wecom callback refused: %s", error)
            return Refused(403, str(error)).response()
        if event is not None:
            await app.handle(event)
        return PlainTextResponse("")

    return [Route(PATH, check_url, methods=["GET"]), Route(PATH, receive, methods=["POST"])]


def _signed(request: Request, now: datetime) -> tuple[str, str, str]:
    announced_size(request, CALLBACK_BYTES)
    query = request.query_params
    signature, timestamp, nonce = (query.get(k) for k in ("msg_signature", "timestamp", "nonce"))
    if not signature or not timestamp or not nonce:
        raise Refused(403, "unsigned")
    fresh(timestamp, now, WINDOW)
    return signature, timestamp, nonce


def _xml(data: bytes) -> dict[str, str]:
    """The fields of a flat ``<xml>`` document (the platform's only shape)."""
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise CallbackError(f"not XML: {error}") from None
    return {child.tag: (child.text or "").strip() for child in root}


def read_event(fields: dict[str, str]) -> Event | None:
    user = fields.get("FromUserName")
    if not user:
        return None
    sender = Account(CHANNEL, user)
    kind = fields.get("MsgType")
    if kind == "text":
        return Said(sender, fields.get("MsgId") or _stamp(fields), fields.get("Content", ""))
    if kind == "event" and fields.get("Event") == "template_card_event":
        code = fields.get("ResponseCode") or None
        return Pressed(
            sender,
            code or _stamp(fields),
            fields.get("EventKey", ""),
            fields.get("TaskId", ""),
            code,
        )
    if kind in ("image", "voice", "video", "file", "location", "link"):
        return Said(sender, fields.get("MsgId") or _stamp(fields), None)
    return None


def _stamp(fields: dict[str, str]) -> str:
    # Events carry no id: the platform's advice is sender and time.
    return f"{fields.get('FromUserName')}:{fields.get('CreateTime')}:{fields.get('EventKey', '')}"
