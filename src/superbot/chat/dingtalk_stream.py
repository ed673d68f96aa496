"""钉钉 Stream mode (``DINGTALK_STREAM=1``): superbot opens a WebSocket to 钉钉, so no public
URL is needed inside a government network.

The protocol: ``POST /v1.0/gateway/connections/open`` with the app's id and secret and the
topics wanted gives an ``endpoint`` and a one-time ``ticket``; the WebSocket at
``endpoint?ticket=…`` then carries JSON frames ``{type, headers: {messageId, topic, …}, data}``.
``SYSTEM`` frames are ``ping`` (answered with its own data) and ``disconnect`` (connect
again); ``CALLBACK`` frames on ``/v1.0/im/bot/messages/get`` (a robot message) and
``/v1.0/card/instances/callback`` (a card button) are acknowledged with
``{code: 200, headers: {messageId}, data}`` once handled — 钉钉 delivers an unacknowledged
one again. A dropped connection is opened again, waiting longer each time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from superbot.chat.dingtalk import read_event
from superbot.chat.events import Event

log = logging.getLogger("superbot.chat.dingtalk")

MESSAGES = "/v1.0/im/bot/messages/get"
CARDS = "/v1.0/card/instances/callback"
RETRY_SECONDS = (1, 2, 5, 10, 30, 60)


class DingtalkStream:
    def __init__(
        self,
        api_url: str,
        client_id: str,
        client_secret: str,
        handle: Callable[[Event], Awaitable[object]],
        *,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._handle = handle
        self._client = client
        self.connected = asyncio.Event()  # set while a connection is open (for tests)

    async def run(self, stop: asyncio.Event) -> None:
        """Stay connected until ``stop``; failures are logged and retried, never raised."""
        attempt = 0
        while not stop.is_set():
            try:
                endpoint = await self._open()
                async with connect(endpoint, max_size=2**20, open_timeout=15) as socket:
                    attempt = 0
                    self.connected.set()
                    await self._serve(socket, stop)
            except (OSError, WebSocketException, httpx.HTTPError, ValueError) as error:
                log.warning("DingTalk Stream: %s", error)
            finally:
                self.connected.clear()
            if stop.is_set():
                return
            wait = RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)]
            attempt += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)

    async def _open(self) -> str:
        payload = {
            "clientId": self._client_id,
            "clientSecret": self._client_secret,
            "subscriptions": [
                {"type": "CALLBACK", "topic": MESSAGES},
                {"type": "CALLBACK", "topic": CARDS},
            ],
            "ua": "superbot",
        }
        client = self._client or httpx.AsyncClient(timeout=15.0)
        try:
            response = await client.post(
                f"{self.api_url}/v1.0/gateway/connections/open", json=payload
            )
        finally:
            if self._client is None:
                await client.aclose()
        reply = response.json()
        if response.status_code != 200 or not reply.get("endpoint") or not reply.get("ticket"):
            raise ValueError(
                f"connections/open: HTTP {response.status_code} {reply.get('code', '')}"
            )
        return f"{reply['endpoint']}?ticket={quote(str(reply['ticket']), safe='')}"

    async def _serve(self, socket: ClientConnection, stop: asyncio.Event) -> None:
        stopping = asyncio.ensure_future(stop.wait())
        try:
            while True:
                receiving = asyncio.ensure_future(socket.recv())
                await asyncio.wait({receiving, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if stopping.done():
                    receiving.cancel()
                    return
                frame = json.loads(receiving.result())
                if not await self._frame(socket, frame):
                    return
        finally:
            stopping.cancel()

    async def _frame(self, socket: ClientConnection, frame: dict[str, Any]) -> bool:
        """Handle one frame; False when 钉钉 asks to connect again."""
        headers = frame.get("headers") or {}
        topic, kind = headers.get("topic"), frame.get("type")
        if kind == "SYSTEM":
            if topic == "disconnect":
                return False
            await socket.send(_ack(headers, frame.get("data") or ""))  # ping
            return True
        data = json.loads(frame.get("data") or "{}")
        event = (
            read_event(data, delivery=headers.get("messageId"))
            if topic in (MESSAGES, CARDS)
            else None
        )
        if event is not None:
            try:
                await self._handle(event)
            except Exception:  # not acknowledged: 钉钉 delivers it again later
                log.exception("DingTalk Stream: %s not handled", headers.get("messageId"))
                return True
        await socket.send(_ack(headers, json.dumps({"response": {}})))
        return True


def _ack(headers: dict[str, Any], data: str) -> str:
    return json.dumps(
        {
            "code": 200,
            "headers": {"contentType": "application/json", "messageId": headers.get("messageId")},
            "message": "OK",
            "data": data,
        }
    )
