"""钉钉's robot callbacks: a message to the robot, and a press on an interactive card.

They arrive at ``/dingtalk`` over HTTP — signed with the app secret in the ``timestamp`` and
``sign`` headers: ``base64(HMAC-SHA256(secret, "{timestamp}\\n{secret}"))``, refused when the
timestamp is more than an hour off — or through Stream mode (``chat/dingtalk_stream.py``).
Both read the same JSON here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from superbot.chat.app import ChatApp
from superbot.chat.events import Event, Pressed, Said
from superbot.domain.model import Account
from superbot.server.inbound import CALLBACK_BYTES, Refused, announced_size, body, fresh

log = logging.getLogger("superbot.chat.dingtalk")

PATH = "/dingtalk"
CHANNEL = "dingtalk"
WINDOW = timedelta(hours=1)  # as 钉钉 documents for its own check
GROUP = "2"  # conversationType of a group chat ("1": one to one)


def sign(timestamp: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256)
    return base64.b64encode(digest.digest()).decode()


def routes(app: ChatApp, secret: str, clock: Callable[[], datetime]) -> list[Route]:
    async def receive(request: Request) -> Response:
        try:
            announced_size(request, CALLBACK_BYTES)
            timestamp, signature = request.headers.get("timestamp"), request.headers.get("sign")
            if not timestamp or not signature:
                raise Refused(403, "unsigned")
            fresh(timestamp, clock(), WINDOW, millis=True)
            if not hmac.compare_digest(sign(timestamp, secret).encode(), signature.encode()):
                raise Refused(403, "wrong sign")
            data = json.loads(await body(request, CALLBACK_BYTES))
        except Refused as refused:
            return refused.response()
        except ValueError:
            return Refused(400, "not JSON").response()
        event = read_event(data) if isinstance(data, dict) else None
        if event is not None:
            await app.handle(event)
        return JSONResponse({})

    return [Route(PATH, receive, methods=["POST"])]


def read_event(data: Mapping[str, Any], delivery: str | None = None) -> Event | None:
    """A robot message (``msgtype``) or a card callback (``outTrackId``); ``delivery`` is
    Stream mode's message id, which a redelivery keeps."""
    if "outTrackId" in data:
        return _press(data, delivery)
    user = str(data.get("senderStaffId") or "")
    if not user or "msgtype" not in data:
        return None
    text = None
    if data.get("msgtype") == "text":
        text = str((data.get("text") or {}).get("content") or "")
    ref = str(data.get("msgId") or delivery or "")
    group = str(data.get("conversationType")) == GROUP
    return Said(Account(CHANNEL, user), ref, text, group=group)


def _press(data: Mapping[str, Any], delivery: str | None) -> Pressed | None:
    user, card = str(data.get("userId") or ""), str(data.get("outTrackId") or "")
    try:
        content = json.loads(data.get("content") or "{}")
    except ValueError:
        return None
    private = content.get("cardPrivateData") or {} if isinstance(content, dict) else {}
    actions = private.get("actionIds") or []
    if not user or not card or not actions:
        return None
    pressed = str(actions[0])
    # A callback names no press; one card's button pressed by one person is one press.
    ref = delivery or f"{card}:{user}:{pressed}"
    return Pressed(Account(CHANNEL, user), ref, pressed, card)
