"""One real HTTP server on 127.0.0.1 that answers like the WeCom, DingTalk and Feishu robots.

    with RobotServer() as robots:
        channel = DingtalkChannel(robots.environ())
        await channel.send(message, "DINGTALK_URL:DINGTALK_SECRET")
        assert robots.received("dingtalk")[0].payload["markdown"]["text"] == message.body

It checks what the real services check, with their error codes: the webhook token, DingTalk's
``timestamp``/``sign`` query and Feishu's ``timestamp``/``sign`` body fields (HMAC-SHA256 with
the configured secret, timestamp within an hour of ``robots.now()``), and the size limits
(WeCom markdown content 4096 bytes, DingTalk body 20000 bytes, Feishu body 20 KB).
``fail_next(kind, errcode=…)`` makes the next request of that kind fail with that code, or
with an HTTP status (``status=503``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

Kind = Literal["wecom", "dingtalk", "feishu"]

WECOM_CONTENT_BYTES = 4096
DINGTALK_BODY_BYTES = 20000
FEISHU_BODY_BYTES = 20 * 1024
SIGNATURE_WINDOW_SECONDS = 3600


@dataclass(frozen=True)
class Received:
    """A request the robot accepted."""

    kind: Kind
    token: str
    query: dict[str, str]
    payload: dict[str, Any]


@dataclass(frozen=True)
class _Failure:
    status: int
    errcode: int | None
    errmsg: str
    retry_after: int | None


class RobotServer:
    wecom_key = "wecom-key"
    dingtalk_token = "dingtalk-token"
    feishu_token = "feishu-token"

    def __init__(
        self,
        *,
        dingtalk_secret: str | None = "SECdingtalk-secret",
        feishu_secret: str | None = "feishu-secret",
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.dingtalk_secret = dingtalk_secret
        self.feishu_secret = feishu_secret
        self.now = now  # the robots' clock, against which signature timestamps are checked
        self._accepted: list[Received] = []
        self._failures: dict[Kind, deque[_Failure]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        # A short poll interval: shutdown() waits for the serving loop to notice.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> RobotServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def wecom_url(self, key: str | None = None) -> str:
        return f"{self.base_url}/cgi-bin/webhook/send?key={key or self.wecom_key}"

    def dingtalk_url(self, token: str | None = None) -> str:
        return f"{self.base_url}/robot/send?access_token={token or self.dingtalk_token}"

    def feishu_url(self, token: str | None = None) -> str:
        return f"{self.base_url}/open-apis/bot/v2/hook/{token or self.feishu_token}"

    def environ(self) -> dict[str, str]:
        """Variables for the channels: WECOM_URL, DINGTALK_URL/_SECRET, FEISHU_URL/_SECRET."""
        environ = {
            "WECOM_URL": self.wecom_url(),
            "DINGTALK_URL": self.dingtalk_url(),
            "FEISHU_URL": self.feishu_url(),
        }
        if self.dingtalk_secret is not None:
            environ["DINGTALK_SECRET"] = self.dingtalk_secret
        if self.feishu_secret is not None:
            environ["FEISHU_SECRET"] = self.feishu_secret
        return environ

    def fail_next(
        self,
        kind: Kind,
        errcode: int | None = None,
        *,
        status: int = 200,
        errmsg: str = "error",
        retry_after: int | None = None,
    ) -> None:
        """The next request of ``kind`` gets ``errcode`` (HTTP 200) or the HTTP ``status``
        (with a ``Retry-After`` header when given)."""
        with self._lock:
            self._failures[kind].append(_Failure(status, errcode, errmsg, retry_after))

    def received(self, kind: Kind) -> list[Received]:
        with self._lock:
            return [request for request in self._accepted if request.kind == kind]

    # Called from the server's threads.

    def _answer(self, path: str, body: bytes) -> tuple[int, dict[str, Any], dict[str, str]]:
        parts = urlsplit(path)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        if parts.path == "/cgi-bin/webhook/send":
            kind: Kind = "wecom"
        elif parts.path == "/robot/send":
            kind = "dingtalk"
        elif parts.path.startswith("/open-apis/bot/v2/hook/"):
            kind = "feishu"
        else:
            return 404, {"error": "not found"}, {}
        with self._lock:
            failure = self._failures[kind].popleft() if self._failures[kind] else None
        if failure is not None:
            headers = (
                {} if failure.retry_after is None else {"Retry-After": str(failure.retry_after)}
            )
            return failure.status, _error(kind, failure.errcode, failure.errmsg), headers
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        check = {"wecom": self._wecom, "dingtalk": self._dingtalk, "feishu": self._feishu}[kind]
        token, refusal = check(parts.path, query, body, payload)
        if refusal is not None:
            return 200, _error(kind, *refusal), {}
        assert isinstance(payload, dict)
        with self._lock:
            self._accepted.append(Received(kind, token, query, payload))
        return 200, _error(kind, 0, "ok" if kind != "feishu" else "success"), {}

    def _wecom(
        self, path: str, query: dict[str, str], body: bytes, payload: Any
    ) -> tuple[str, tuple[int, str] | None]:
        key = query.get("key", "")
        if key != self.wecom_key:
            return key, (93000, "invalid webhook url, hint: [fake]")
        if not isinstance(payload, dict) or payload.get("msgtype") != "markdown":
            return key, (40008, "invalid message type")
        content = payload.get("markdown", {}).get("content", "")
        if len(content.encode()) > WECOM_CONTENT_BYTES:
            return key, (40058, "markdown.content exceed max length 4096")
        return key, None

    def _dingtalk(
        self, path: str, query: dict[str, str], body: bytes, payload: Any
    ) -> tuple[str, tuple[int, str] | None]:
        token = query.get("access_token", "")
        if token != self.dingtalk_token:
            return token, (300001, "token is not exist")
        if self.dingtalk_secret is not None:
            timestamp, sign = query.get("timestamp", ""), query.get("sign", "")
            expected = _hmac_base64(self.dingtalk_secret, f"{timestamp}\n{self.dingtalk_secret}")
            if not self._fresh(timestamp, 1000) or not hmac.compare_digest(sign, expected):
                return token, (310000, "sign not match, more: [fake]")
        if len(body) > DINGTALK_BODY_BYTES:
            return token, (
                460101,
                "description: body 大小不合法;solution:请保持大小在 20000bytes 以内;",
            )
        if not isinstance(payload, dict) or payload.get("msgtype") != "markdown":
            return token, (40035, "缺少参数 json")
        return token, None

    def _feishu(
        self, path: str, query: dict[str, str], body: bytes, payload: Any
    ) -> tuple[str, tuple[int, str] | None]:
        token = path.rsplit("/", 1)[-1]
        if len(body) > FEISHU_BODY_BYTES or not isinstance(payload, dict):
            return token, (9499, "Bad Request")
        if token != self.feishu_token:
            return token, (19001, "param invalid: incoming webhook access token invalid")
        if self.feishu_secret is not None:
            timestamp, sign = str(payload.get("timestamp", "")), str(payload.get("sign", ""))
            expected = _hmac_base64(f"{timestamp}\n{self.feishu_secret}", "")
            if not self._fresh(timestamp, 1) or not hmac.compare_digest(sign, expected):
                return token, (19021, "sign match fail or timestamp is not within one hour")
        return token, None

    def _fresh(self, timestamp: str, per_second: int) -> bool:
        try:
            sent = int(timestamp) / per_second
        except ValueError:
            return False
        return abs(self.now().timestamp() - sent) <= SIGNATURE_WINDOW_SECONDS


def _error(kind: Kind, code: int | None, message: str) -> dict[str, Any]:
    if code is None:
        return {}
    if kind == "feishu":
        return {"code": code, "msg": message, "data": {}}
    return {"errcode": code, "errmsg": message}


def _hmac_base64(key: str, message: str) -> str:
    digest = hmac.new(key.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _handler_for(server: RobotServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status, reply, headers = server._answer(self.path, body)
            content = json.dumps(reply, ensure_ascii=False).encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    return Handler
