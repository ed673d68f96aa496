"""What the fake 钉钉, 企业微信 and 飞书 servers share: a real HTTP server on 127.0.0.1 for the
platform's API, access tokens it issues and expires, what it delivered to each person, and a
way for a test to act as a person (send a text, press a card's button), which the platform
turns into a signed callback to superbot.

Each platform (``dingtalk_api.py``, ``wecom_api.py``, ``feishu_api.py``) is written from its
public documentation and checks signatures and encryption with its own code, never
superbot's. Tests wait on a condition (``wait_for``), never sleep.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

T = TypeVar("T")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"{}")


@dataclass
class Delivered:
    """A message the platform showed a person: text, markdown or a card with buttons."""

    user: str
    kind: str  # text | markdown | card
    text: str
    title: str = ""
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (label, what it carries)
    card: str = ""  # how the platform refers to the card (for a press)
    updates: list[Delivered] = field(default_factory=list)  # the card as it was replaced

    @property
    def shown(self) -> Delivered:
        """The card as the person sees it now."""
        return self.updates[-1] if self.updates else self


@dataclass(frozen=True)
class Failure:
    status: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Answer:
    """What superbot answered a callback."""

    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"{}")


class FakePlatform:
    """Subclasses route API requests (``api``) and build callbacks (``callback_*``)."""

    name = "platform"

    def __init__(self, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.now = now  # the platform's clock: timestamps of callbacks, token expiry
        self.callback_url: str | None = None  # where superbot takes callbacks
        self.last_callback: tuple[str, bytes, dict[str, str]] = ("", b"", {})
        self.requests: list[Request] = []
        self.delivered: list[Delivered] = []
        self.tokens: dict[str, float] = {}  # token → expiry (seconds since the epoch)
        self._failures: dict[str, deque[Failure]] = {}
        self._cond = threading.Condition()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> FakePlatform:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    # -- the API -----------------------------------------------------------------------------

    def api(self, request: Request) -> tuple[int, dict[str, Any]]:
        raise NotImplementedError

    def handle(self, request: Request) -> tuple[int, dict[str, Any]]:
        with self._cond:
            self.requests.append(request)
            queue = self._failures.get(request.path)
            failure = queue.popleft() if queue else None
            self._cond.notify_all()
        if failure is not None:
            return failure.status, failure.body
        status, body = self.api(request)
        with self._cond:
            self._cond.notify_all()
        return status, body

    def fail_next(self, path: str, status: int, body: dict[str, Any]) -> None:
        """The next request to ``path`` gets this answer instead of the real one."""
        with self._cond:
            self._failures.setdefault(path, deque()).append(Failure(status, body))

    def issue_token(self, lifetime: float = 7200) -> str:
        token = secrets.token_urlsafe(24)
        with self._cond:
            self.tokens[token] = self.now().timestamp() + lifetime
        return token

    def token_ok(self, token: str | None) -> bool:
        expiry = self.tokens.get(token or "")
        return expiry is not None and self.now().timestamp() < expiry

    def expire_tokens(self) -> None:
        """Every token issued so far is refused from now on (as after its two hours)."""
        with self._cond:
            self.tokens = dict.fromkeys(self.tokens, 0.0)

    def deliver(self, message: Delivered) -> None:
        with self._cond:
            self.delivered.append(message)
            self._cond.notify_all()

    def card(self, card: str) -> Delivered | None:
        return next((d for d in self.delivered if d.kind == "card" and d.card == card), None)

    def update(self, card: str, shown: Delivered) -> bool:
        with self._cond:
            found = self.card(card)
            if found is None:
                return False
            found.updates.append(shown)
            self._cond.notify_all()
            return True

    # -- what a test sees ----------------------------------------------------------------------

    def to(self, user: str) -> list[Delivered]:
        with self._cond:
            return [d for d in self.delivered if d.user == user]

    def texts(self, user: str) -> list[str]:
        return [d.text for d in self.to(user) if d.kind != "card"]

    def cards(self, user: str) -> list[Delivered]:
        return [d for d in self.to(user) if d.kind == "card"]

    def card_about(self, user: str, task_id: str) -> Delivered:
        for card in reversed(self.cards(user)):
            if any(data.startswith(f"p:{task_id}:") for _, data in card.buttons):
                return card
        raise AssertionError(f"{self.name}: no card about {task_id} to {user}")

    def wait_for(
        self, predicate: Callable[[FakePlatform], T], timeout: float = 10.0, what: str = ""
    ) -> T:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = predicate(self)
                if found:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"fake {self.name}: waited {timeout}s for {what}")
                self._cond.wait(min(remaining, 0.1))

    async def await_for(
        self,
        predicate: Callable[[FakePlatform], T],
        timeout: float = 10.0,  # noqa: ASYNC109 (waits in a thread)
        what: str = "",
    ) -> T:
        return await asyncio.to_thread(self.wait_for, predicate, timeout, what)

    async def await_texts(self, user: str, count: int, timeout: float = 10.0) -> list[str]:  # noqa: ASYNC109
        await self.await_for(
            lambda p: len(p.texts(user)) >= count, timeout, f"{count} text(s) to {user}"
        )
        return self.texts(user)

    # -- a person ------------------------------------------------------------------------------

    def post(self, path_and_query: str, body: bytes, headers: Mapping[str, str]) -> Answer:
        """POST a callback to superbot as the platform does."""
        assert self.callback_url is not None, "set callback_url to superbot's address"
        self.last_callback = (path_and_query, body, dict(headers))
        request = urllib.request.Request(
            self.callback_url.rstrip("/") + path_and_query,
            data=body,
            headers=dict(headers),
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                return Answer(response.status, response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read())

    def redeliver(self) -> Answer:
        """The last callback again, byte for byte (the platform retrying after a timeout)."""
        path, body, headers = self.last_callback
        return self.post(path, body, headers)

    def get(self, path_and_query: str) -> Answer:
        assert self.callback_url is not None
        try:
            with urllib.request.urlopen(
                self.callback_url.rstrip("/") + path_and_query, timeout=15
            ) as response:
                return Answer(response.status, response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read())


def _handler(platform: FakePlatform) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(
                self.command,
                parts.path,
                dict(parse_qsl(parts.query)),
                {k.lower(): v for k, v in self.headers.items()},
                self.rfile.read(length) if length else b"",
            )
            status, body = platform.handle(request)
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = _serve

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler
