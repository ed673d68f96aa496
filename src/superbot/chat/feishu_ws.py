"""飞书's long connection (``FEISHU_LONG_CONNECTION=1``), as the lark-oapi SDK speaks it:
superbot opens a WebSocket to 飞书, so no public URL is needed.

``POST /callback/ws/endpoint`` with the app's id and secret gives the WebSocket URL (with
its ``service_id``) and the client settings (the ping interval). Frames are protocol
buffers (``pbbp2.Frame``): ``method`` 0 is control (``ping`` from us, ``pong`` back),
``method`` 1 is data — headers ``type`` (``event``), ``message_id``, ``sum``/``seq`` for a
payload split in parts — whose payload is a 2.0 event as the HTTP subscription delivers it,
unencrypted (the connection is the app's own). Each data frame is answered by the same frame
with the payload ``{"code": 200, "data": base64(answer)}``: the answer to a card button is
its toast. A dropped connection is opened again, waiting longer each time.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qs, urlsplit

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from superbot.chat.events import Event, Pressed
from superbot.chat.feishu import read_event

log = logging.getLogger("superbot.chat.feishu")

CONTROL, DATA = 0, 1
RETRY_SECONDS = (1, 2, 5, 10, 30, 60)


@dataclass(frozen=True)
class Frame:
    """``pbbp2.Frame``."""

    seq_id: int = 0
    log_id: int = 0
    service: int = 0
    method: int = 0
    headers: tuple[tuple[str, str], ...] = ()
    payload_encoding: str = ""
    payload_type: str = ""
    payload: bytes = b""
    log_id_new: str = ""

    def header(self, key: str) -> str:
        return next((value for name, value in self.headers if name == key), "")

    def encode(self) -> bytes:
        out = bytearray()
        out += _key(1, 0) + _varint(self.seq_id)
        out += _key(2, 0) + _varint(self.log_id)
        out += _key(3, 0) + _varint(self.service)
        out += _key(4, 0) + _varint(self.method)
        for name, value in self.headers:
            pair = _bytes(1, name.encode()) + _bytes(2, value.encode())
            out += _bytes(5, pair)
        for number, text in ((6, self.payload_encoding), (7, self.payload_type)):
            if text:
                out += _bytes(number, text.encode())
        if self.payload:
            out += _bytes(8, self.payload)
        if self.log_id_new:
            out += _bytes(9, self.log_id_new.encode())
        return bytes(out)

    @classmethod
    def decode(cls, data: bytes) -> Frame:
        values: dict[int, list[int | bytes]] = {}
        for number, value in _fields(data):
            values.setdefault(number, []).append(value)

        def integer(n: int) -> int:
            found = values.get(n, [0])[-1]
            return found if isinstance(found, int) else 0

        def raw(n: int) -> bytes:
            found = values.get(n, [b""])[-1]
            return found if isinstance(found, bytes) else b""

        headers = []
        for entry in values.get(5, []):
            if isinstance(entry, bytes):
                pair = {n: v for n, v in _fields(entry) if isinstance(v, bytes)}
                headers.append((pair.get(1, b"").decode(), pair.get(2, b"").decode()))
        return cls(
            integer(1),
            integer(2),
            integer(3),
            integer(4),
            tuple(headers),
            raw(6).decode(),
            raw(7).decode(),
            raw(8),
            raw(9).decode(),
        )


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int32s are ten bytes, as protobuf writes them
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(number: int, wire: int) -> bytes:
    return _varint(number << 3 | wire)


def _bytes(number: int, value: bytes) -> bytes:
    return _key(number, 2) + _varint(len(value)) + value


def _fields(data: bytes) -> list[tuple[int, int | bytes]]:
    found: list[tuple[int, int | bytes]] = []
    at = 0

    def varint() -> int:
        nonlocal at
        shift = result = 0
        while True:
            if at >= len(data):
                raise ValueError("truncated frame")
            byte = data[at]
            at += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return result

    while at < len(data):
        key = varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            found.append((number, varint()))
        elif wire == 2:
            length = varint()
            found.append((number, data[at : at + length]))
            at += length
        elif wire in (1, 5):
            at += 8 if wire == 1 else 4
        else:
            raise ValueError(f"wire type {wire}")
    return found


@dataclass
class FeishuConnection:
    api_url: str
    app_id: str
    app_secret: str
    handle: Callable[[Event], Awaitable[object]]
    ping_seconds: float = 120.0
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    _parts: dict[str, list[bytes]] = field(default_factory=dict)

    async def run(self, stop: asyncio.Event) -> None:
        """Stay connected until ``stop``; failures are logged and retried, never raised."""
        attempt = 0
        while not stop.is_set():
            try:
                url = await self._endpoint()
                service = int(parse_qs(urlsplit(url).query).get("service_id", ["0"])[0] or 0)
                async with connect(url, max_size=2**22, open_timeout=15) as socket:
                    attempt = 0
                    self.connected.set()
                    await self._serve(socket, service, stop)
            except (OSError, WebSocketException, httpx.HTTPError, ValueError) as error:
                log.warning("Feishu long connection: %s", error)
            finally:
                self.connected.clear()
            if stop.is_set():
                return
            wait = RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)]
            attempt += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)

    async def _endpoint(self) -> str:
        async with httpx.AsyncClient(timeout=15.0) as client:
            response = await client.post(
                f"{self.api_url.rstrip('/')}/callback/ws/endpoint",
                json={"AppID": self.app_id, "AppSecret": self.app_secret},
                headers={"locale": "zh"},
            )
        reply = response.json()
        data = reply.get("data") or {}
        if reply.get("code") != 0 or not data.get("URL"):
            raise ValueError(f"ws endpoint: code {reply.get('code')}: {reply.get('msg', '')}")
        ping = (data.get("ClientConfig") or {}).get("PingInterval")
        if isinstance(ping, int | float) and ping > 0:
            self.ping_seconds = float(ping)
        return str(data["URL"])

    async def _serve(self, socket: ClientConnection, service: int, stop: asyncio.Event) -> None:
        async def ping() -> None:
            while True:
                frame = Frame(service=service, method=CONTROL, headers=(("type", "ping"),))
                await socket.send(frame.encode())
                await asyncio.sleep(self.ping_seconds)

        pinging = asyncio.ensure_future(ping())
        stopping = asyncio.ensure_future(stop.wait())
        try:
            while True:
                receiving = asyncio.ensure_future(socket.recv())
                await asyncio.wait({receiving, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if stopping.done():
                    receiving.cancel()
                    return
                raw = receiving.result()
                if isinstance(raw, bytes):
                    await self._frame(socket, Frame.decode(raw))
        finally:
            pinging.cancel()
            stopping.cancel()

    async def _frame(self, socket: ClientConnection, frame: Frame) -> None:
        if frame.method != DATA:
            return  # pong, possibly with new settings
        payload = self._whole(frame)
        if payload is None:
            return
        started = time.monotonic()
        answer: dict[str, object] = {}
        code = 200
        try:
            event = read_event(json.loads(payload))
            if event is not None:
                handled = await self.handle(event)
                toast = getattr(handled, "toast", None)
                if isinstance(event, Pressed) and toast:
                    answer = {"toast": {"type": "info", "content": toast}}
        except Exception:  # answered 500: 飞书 delivers it again later
            log.exception("Feishu long connection: %s not handled", frame.header("message_id"))
            code = 500
        elapsed = str(int((time.monotonic() - started) * 1000))
        response = {
            "code": code,
            "headers": {},
            "data": base64.b64encode(json.dumps(answer, ensure_ascii=False).encode()).decode(),
        }
        reply = replace(
            frame,
            headers=(*frame.headers, ("biz_rt", elapsed)),
            payload=json.dumps(response).encode(),
        )
        await socket.send(reply.encode())

    def _whole(self, frame: Frame) -> bytes | None:
        """A payload split over several frames, once they all came."""
        total = int(frame.header("sum") or 1)
        if total <= 1:
            return frame.payload
        ident, seq = frame.header("message_id"), int(frame.header("seq") or 0)
        parts = self._parts.setdefault(ident, [b""] * total)
        if 0 <= seq < total:
            parts[seq] = frame.payload
        if any(not part for part in parts):
            return None
        del self._parts[ident]
        return b"".join(parts)
