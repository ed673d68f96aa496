"""Checks every inbound request passes before its body is read or parsed: a bounded size,
a recent timestamp (a replayed request is refused), and — per platform — a signature."""

from __future__ import annotations

from datetime import datetime, timedelta

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

CALLBACK_BYTES = 64 * 1024  # a chat event; the platforms' own are a few KB
WEBHOOK_BYTES = 1024 * 1024  # a Telegram update


class Refused(Exception):
    """Answered with ``status`` and nothing else: the sender learns no more than that."""

    def __init__(self, status: int, why: str) -> None:
        super().__init__(why)
        self.status = status

    def response(self) -> Response:
        return PlainTextResponse(str(self.status), status_code=self.status)


def announced_size(request: Request, limit: int) -> None:
    """Refuse a body announced as too large (413) before reading any of it."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit):
        raise Refused(413, f"body of {length} bytes")


async def body(request: Request, limit: int) -> bytes:
    """The body, read no further than ``limit`` bytes (a chunked body may not say its size)."""
    announced_size(request, limit)
    read = bytearray()
    async for chunk in request.stream():
        read.extend(chunk)
        if len(read) > limit:
            raise Refused(413, "body over the limit")
    return bytes(read)


def fresh(sent_at: str | None, now: datetime, window: timedelta, *, millis: bool = False) -> None:
    """Refuse a request whose timestamp is missing or further from ``now`` than ``window``:
    a signed request captured and sent again later is no good to anyone."""
    try:
        seconds = float(sent_at or "") / (1000 if millis else 1)
    except ValueError:
        raise Refused(403, "no timestamp") from None
    if abs(now.timestamp() - seconds) > window.total_seconds():
        raise Refused(403, "timestamp out of the window")
