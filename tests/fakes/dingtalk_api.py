"""A fake 钉钉 (DingTalk) open platform for an enterprise internal app robot, from its
documentation:

- ``POST /v1.0/oauth2/accessToken`` ``{appKey, appSecret}`` issues ``accessToken`` (7200 s);
  API calls carry it in ``x-acs-dingtalk-access-token``: a missing, unknown or expired one is
  HTTP 401 ``InvalidAuthentication``.
- ``POST /v1.0/robot/oToMessages/batchSend``: ``robotCode``, at most 20 ``userIds``,
  ``msgKey`` ``sampleText``/``sampleMarkdown`` with ``msgParam`` a JSON string; users the app
  cannot reach come back in ``invalidStaffIdList``.
- ``POST /v1.0/im/v1.0/robot/interactiveCards/send``: a ``StandardCard`` (``cardData`` a JSON
  string: header title, markdown, buttons whose ``id`` comes back in the callback) to one
  user (``singleChatReceiver``), under a unique ``cardBizId``;
  ``PUT /v1.0/im/robots/interactiveCards`` replaces it by that id.
- The app's API allows 20 calls a second (HTTP 403 ``Forbidden.AccessDenied.QpsLimitForApi``
  past it).

A person's text or press reaches superbot through the robot's HTTP callback (``/dingtalk``,
headers ``timestamp`` in ms and ``sign = base64(HMAC-SHA256(secret, timestamp + "\\n" +
secret))``) or, once superbot has opened it, through Stream mode: ``POST
/v1.0/gateway/connections/open`` gives a WebSocket endpoint and ticket; frames are JSON
``{specVersion, type, headers: {messageId, topic, …}, data}``, each ``CALLBACK`` acknowledged
by ``{code: 200, headers: {messageId}, …}``; a ``SYSTEM`` ``ping`` is answered with its data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tests.fakes.chat_platform import Answer, Delivered, FakePlatform, Request
from websockets.sync.server import Server, ServerConnection, serve

CLIENT_ID = "dingappkey0001"
CLIENT_SECRET = "dingtalk-app-secret-0001"
ROBOT_CODE = "dingrobot0001"
MESSAGES = "/v1.0/im/bot/messages/get"
CARDS = "/v1.0/card/instances/callback"
QPS = 20
TEXT_CHARS = 5000


class FakeDingtalk(FakePlatform):
    name = "dingtalk"

    def __init__(self, members: set[str], *, stream: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.members = set(members)
        self.stream = stream  # deliver through Stream mode instead of the HTTP callback
        self.ack_timeout = 10.0  # how long a frame waits for its acknowledgement
        self.throttled = 0
        # What the rate limit counts calls by; a test that checks the limit stops it.
        self.clock: Callable[[], float] = time.monotonic
        self.acks: dict[str, dict[str, Any]] = {}
        self.pongs: list[str] = []
        self._calls: list[float] = []
        self._tickets: set[str] = set()
        self._socket: ServerConnection | None = None
        self._last_push: tuple[str, dict[str, Any], str] = ("", {}, "")
        self._ws: Server = serve(self._connection, "127.0.0.1", 0)
        self._ws_thread = threading.Thread(target=self._ws.serve_forever, daemon=True)

    def __enter__(self) -> FakeDingtalk:
        super().__enter__()
        self._ws_thread.start()
        return self

    def __exit__(self, *args: Any) -> None:
        self._ws.shutdown()
        super().__exit__(*args)

    @property
    def connected(self) -> bool:
        return self._socket is not None

    # -- the API -------------------------------------------------------------------------------

    def api(self, request: Request) -> tuple[int, dict[str, Any]]:
        if request.path == "/v1.0/oauth2/accessToken":
            body = request.json()
            if body.get("appKey") != CLIENT_ID or body.get("appSecret") != CLIENT_SECRET:
                return 400, {"code": "invalidClientIdOrSecret", "message": "无效的应用凭证"}
            return 200, {"accessToken": self.issue_token(), "expireIn": 7200}
        if request.path == "/v1.0/gateway/connections/open":
            return self._open(request.json())
        if not self.token_ok(request.headers.get("x-acs-dingtalk-access-token")):
            return 401, {"code": "InvalidAuthentication", "message": "不合法的access_token"}
        if self._over_qps():
            self.throttled += 1
            return 403, {"code": "Forbidden.AccessDenied.QpsLimitForApi", "message": "qps limit"}
        body = request.json()
        if request.path == "/v1.0/robot/oToMessages/batchSend":
            return self._batch_send(body)
        if request.path == "/v1.0/im/v1.0/robot/interactiveCards/send":
            return self._card(body)
        if request.path == "/v1.0/im/robots/interactiveCards" and request.method == "PUT":
            shown = self._card_shown(
                "", json.loads(body.get("cardData") or "{}"), body.get("cardBizId", "")
            )
            card = self.card(str(body.get("cardBizId")))
            if card is None:
                return 400, {"code": "param.cardBizId.notExist", "message": "card not found"}
            self.update(
                card.card,
                Delivered(card.user, "card", shown.text, shown.title, shown.buttons, card.card),
            )
            return 200, {"success": True}
        return 404, {"code": "NotFound", "message": "no such API"}

    def _over_qps(self) -> bool:
        now = self.clock()
        self._calls = [t for t in self._calls if t > now - 1.0]
        self._calls.append(now)
        return len(self._calls) > QPS

    def _batch_send(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if body.get("robotCode") != ROBOT_CODE:
            return 400, {"code": "invalidParameter.robotCode", "message": "robotCode 不存在"}
        users = body.get("userIds") or []
        if not 1 <= len(users) <= 20:
            return 400, {"code": "invalidParameter.userIds", "message": "1 to 20 userIds"}
        param = json.loads(body.get("msgParam") or "{}")
        if body.get("msgKey") == "sampleText":
            kind, text, title = "text", str(param.get("content") or ""), ""
        elif body.get("msgKey") == "sampleMarkdown":
            kind, text, title = (
                "markdown",
                str(param.get("text") or ""),
                str(param.get("title") or ""),
            )
            if not title:
                return 400, {"code": "invalidParameter.msgParam", "message": "title missing"}
        else:
            return 400, {"code": "invalidParameter.msgKey", "message": "unknown msgKey"}
        if not text or len(text) > TEXT_CHARS:
            return 400, {
                "code": "invalidParameter.msgParam",
                "message": "content empty or too long",
            }
        invalid = [u for u in users if u not in self.members]
        for user in users:
            if user in self.members:
                self.deliver(Delivered(user, kind, text, title))
        return 200, {
            "processQueryKey": secrets.token_hex(8),
            "invalidStaffIdList": invalid,
            "flowControlledStaffIdList": [],
        }

    def _card(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if body.get("cardTemplateId") != "StandardCard" or body.get("robotCode") != ROBOT_CODE:
            return 400, {"code": "invalidParameter", "message": "StandardCard and robotCode"}
        biz = str(body.get("cardBizId") or "")
        if not biz or self.card(biz) is not None:
            return 400, {
                "code": "invalidParameter.cardBizId",
                "message": "cardBizId must be unique",
            }
        user = json.loads(body.get("singleChatReceiver") or "{}").get("userId")
        if user not in self.members:
            return 400, {"code": "invalidParameter.userId", "message": "user not found"}
        self.deliver(self._card_shown(user, json.loads(body.get("cardData") or "{}"), biz))
        return 200, {"processQueryKey": secrets.token_hex(8)}

    @staticmethod
    def _card_shown(user: str, data: dict[str, Any], biz: str) -> Delivered:
        title = str(((data.get("header") or {}).get("title") or {}).get("text") or "")
        texts, buttons = [], []
        for content in data.get("contents") or []:
            if content.get("type") == "markdown":
                texts.append(str(content.get("text") or "").replace("  \n", "\n"))
            for action in content.get("actions") or []:
                buttons.append(
                    (str((action.get("label") or {}).get("text")), str(action.get("id")))
                )
        return Delivered(user, "card", "\n".join(texts), title, buttons, biz)

    # -- Stream mode -----------------------------------------------------------------------------

    def _open(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if body.get("clientId") != CLIENT_ID or body.get("clientSecret") != CLIENT_SECRET:
            return 401, {"code": "InvalidAuthentication", "message": "client id or secret"}
        topics = {s.get("topic") for s in body.get("subscriptions") or []}
        if not {MESSAGES, CARDS} <= topics:
            return 400, {"code": "invalidParameter.subscriptions", "message": str(topics)}
        ticket = secrets.token_urlsafe(16)
        self._tickets.add(ticket)
        host, port = self._ws.socket.getsockname()[:2]
        return 200, {"endpoint": f"ws://{host}:{port}/connect", "ticket": ticket}

    def _connection(self, socket: ServerConnection) -> None:
        path = socket.request.path if socket.request else ""
        ticket = path.partition("ticket=")[2]
        if ticket not in self._tickets:
            socket.close(4001, "bad ticket")
            return
        self._tickets.discard(ticket)
        with self._cond:
            self._socket = socket
            self._cond.notify_all()
        socket.send(_frame("SYSTEM", "ping", json.dumps({"opaque": "check-1"})))
        try:
            for raw in socket:
                ack = json.loads(raw)
                with self._cond:
                    ident = (ack.get("headers") or {}).get("messageId") or ""
                    self.acks[ident] = ack
                    if json.loads(ack.get("data") or "{}").get("opaque"):
                        self.pongs.append(ident)
                    self._cond.notify_all()
        finally:
            with self._cond:
                if self._socket is socket:
                    self._socket = None
                self._cond.notify_all()

    def push(self, topic: str, data: dict[str, Any], message_id: str | None = None) -> Answer:
        """A CALLBACK frame over the Stream connection; waits for its acknowledgement."""
        socket = self._socket
        assert socket is not None, "superbot has not opened a Stream connection"
        frame = _frame("CALLBACK", topic, json.dumps(data, ensure_ascii=False), message_id)
        ident = json.loads(frame)["headers"]["messageId"]
        self._last_push = (topic, data, ident)
        self.acks.pop(ident, None)
        socket.send(frame)
        try:
            self.wait_for(lambda f: ident in f.acks, self.ack_timeout, f"the ack of {ident}")  # type: ignore[attr-defined]
        except AssertionError:
            return Answer(0, b"")  # not acknowledged: 钉钉 would deliver it again
        ack = self.acks[ident]
        return Answer(int(ack.get("code", 0)), json.dumps(ack).encode())

    def redeliver(self) -> Answer:
        """The last callback again: over Stream mode, the same frame (钉钉 redelivers a
        frame that was not acknowledged in time, under its messageId)."""
        if not self.stream:
            return super().redeliver()
        topic, data, ident = self._last_push
        return self.push(topic, data, ident)

    def disconnect(self) -> None:
        """钉钉 asks the client to connect again (as before a server is taken down)."""
        socket = self._socket
        assert socket is not None
        socket.send(_frame("SYSTEM", "disconnect", ""))

    # -- a person --------------------------------------------------------------------------

    def user_sends(self, user: str, text: str, *, group: bool = False) -> Answer:
        message = {
            "conversationId": f"cid{user}",
            "chatbotCorpId": "dingcorp",
            "chatbotUserId": "$:LWCP_v1:$robot",
            "msgId": f"msg{secrets.token_hex(8)}",
            "senderNick": user,
            "isAdmin": False,
            "senderStaffId": user,
            "sessionWebhookExpiredTime": int(self.now().timestamp() * 1000) + 5400000,
            "createAt": int(self.now().timestamp() * 1000),
            "senderCorpId": "dingcorp",
            "conversationType": "2" if group else "1",
            "senderId": f"$:LWCP_v1:${user}",
            "robotCode": ROBOT_CODE,
            "msgtype": "text",
            "text": {"content": text},
        }
        return self._callback(MESSAGES, message)

    def user_presses(self, user: str, card: Delivered, key: str) -> Answer:
        assert card.user == user, (card, user)
        assert key in [k for _, k in card.shown.buttons], (card, key)
        callback = {
            "outTrackId": card.card,
            "corpId": "dingcorp",
            "userId": user,
            "type": "actionCallback",
            "content": json.dumps({"cardPrivateData": {"actionIds": [key], "params": {}}}),
            "extension": "{}",
        }
        return self._callback(CARDS, callback)

    def _callback(self, topic: str, data: dict[str, Any]) -> Answer:
        if self.stream:
            return self.push(topic, data)
        timestamp = str(int(self.now().timestamp() * 1000))
        headers = {
            "Content-Type": "application/json",
            "timestamp": timestamp,
            "sign": sign(timestamp),
        }
        return self.post("/dingtalk", json.dumps(data, ensure_ascii=False).encode(), headers)

    @contextmanager
    def streaming(self) -> Iterator[None]:
        self.stream = True
        try:
            yield
        finally:
            self.stream = False


def sign(timestamp: str, secret: str = CLIENT_SECRET) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _frame(kind: str, topic: str, data: str, message_id: str | None = None) -> str:
    ident = message_id or secrets.token_hex(12)
    headers = {
        "appId": CLIENT_ID,
        "connectionId": "conn-1",
        "contentType": "application/json",
        "messageId": ident,
        "time": str(int(time.time() * 1000)),
        "topic": topic,
    }
    return json.dumps({"specVersion": "1.0", "type": kind, "headers": headers, "data": data})


def settings(fake: FakeDingtalk) -> dict[str, str]:
    found = {
        "DINGTALK_CLIENT_ID": CLIENT_ID,
        "DINGTALK_CLIENT_SECRET": CLIENT_SECRET,
        "DINGTALK_ROBOT_CODE": ROBOT_CODE,
        "DINGTALK_API_URL": fake.url,
    }
    if fake.stream:
        found["DINGTALK_STREAM"] = "1"
    return found
