"""A fake 飞书 (Feishu) open platform for an app bot, from its documentation:

- ``POST /open-apis/auth/v3/tenant_access_token/internal`` ``{app_id, app_secret}`` issues a
  ``tenant_access_token`` (``expire`` 7200 s); calls carry ``Authorization: Bearer …``, and a
  bad or expired one is HTTP 400 code 99991663 / 99991677.
- ``POST /open-apis/im/v1/messages?receive_id_type=user_id|open_id``: ``text`` (``content``
  a JSON string ``{"text"}``) and ``interactive`` cards (at most 30 KB), to users in the app's
  range (230013 otherwise). 5 messages a second to one user (230020 past it).
- ``PATCH /open-apis/im/v1/messages/:message_id`` replaces a card sent with
  ``config.update_multi`` (230031 otherwise).

A person's text (``im.message.receive_v1``) or button (``card.action.trigger``) becomes an
event of schema 2.0, POSTed to superbot's ``/feishu``: carrying the verification token,
encrypted with the encrypt key (AES-256-CBC, key ``SHA-256(encrypt key)``, a random IV
before the ciphertext, PKCS#7) and signed (``X-Lark-Signature = SHA-256(timestamp + nonce +
encrypt key + body)``).

With ``long_connection``, events go over the long connection instead, as the lark-oapi SDK
receives them: ``POST /callback/ws/endpoint`` ``{AppID, AppSecret}`` gives a WebSocket URL
with a ``service_id``; frames are protocol buffers (``pbbp2.Frame``: SeqID 1, LogID 2,
service 3, method 4, headers 5 as key 1 / value 2, payload 8), data frames (method 1)
carry an event in plain JSON under headers ``type``, ``message_id``, ``sum``, ``seq`` and
are answered with the same frame, its payload ``{"code": 200, "data": base64(answer)}``;
the client pings (method 0, ``type: ping``) and gets a ``pong``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import threading
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from tests.fakes.chat_platform import Answer, Delivered, FakePlatform, Request
from websockets.sync.server import Server, ServerConnection, serve

APP_ID = "cli_a1b2c3d4e5f6"
APP_SECRET = "feishu-app-secret"
VERIFICATION_TOKEN = "feishuVerificationToken"
ENCRYPT_KEY = "feishuEncryptKey"
CARD_BYTES = 30 * 1024
PER_USER_SECOND = 5


def open_id(user: str) -> str:
    return f"ou_{hashlib.md5(user.encode()).hexdigest()}"  # an id, not a secret


class FakeFeishu(FakePlatform):
    name = "feishu"

    def __init__(self, members: set[str], *, long_connection: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.members = set(members)
        self.open_ids = {open_id(user): user for user in members}
        self.toasts: list[str] = []
        self.long_connection = long_connection
        self.pings = 0
        self.answers: dict[str, dict[str, Any]] = {}  # message_id → the client's answer
        self._shared: set[str] = set()  # cards sent with update_multi
        self._sent_at: dict[str, list[float]] = {}
        self._socket: ServerConnection | None = None
        self._last_event: dict[str, Any] = {}
        self._devices: set[str] = set()
        self._ws: Server = serve(self._connection, "127.0.0.1", 0)
        self._ws_thread = threading.Thread(target=self._ws.serve_forever, daemon=True)

    def __enter__(self) -> FakeFeishu:
        super().__enter__()
        self._ws_thread.start()
        return self

    def __exit__(self, *args: Any) -> None:
        self._ws.shutdown()
        super().__exit__(*args)

    @property
    def connected(self) -> bool:
        return self._socket is not None

    # -- the long connection -------------------------------------------------------------------

    def _endpoint(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if body.get("AppID") != APP_ID or body.get("AppSecret") != APP_SECRET:
            return 200, {"code": 1000040343, "msg": "app id or secret invalid"}
        device = secrets.token_hex(8)
        self._devices.add(device)
        host, port = self._ws.socket.getsockname()[:2]
        url = f"ws://{host}:{port}/ws/v2?device_id={device}&service_id=33554678"
        config = {
            "ReconnectCount": -1,
            "ReconnectInterval": 120,
            "ReconnectNonce": 30,
            "PingInterval": 120,
        }
        return 200, {"code": 0, "msg": "ok", "data": {"URL": url, "ClientConfig": config}}

    def _connection(self, socket: ServerConnection) -> None:
        query = parse_qs(urlsplit(socket.request.path if socket.request else "").query)
        if query.get("device_id", [""])[0] not in self._devices:
            socket.close(1008, "unknown device")
            return
        with self._cond:
            self._socket = socket
            self._cond.notify_all()
        try:
            for raw in socket:
                frame = _decode(raw if isinstance(raw, bytes) else raw.encode())
                headers = dict(frame.get(5, []))
                with self._cond:
                    if frame.get(4, [0])[0] == 0 and headers.get("type") == "ping":
                        self.pings += 1
                        pong = {3: [frame.get(3, [0])[0]], 4: [0], 5: [("type", "pong")]}
                        socket.send(_encode(pong))
                    elif frame.get(4, [0])[0] == 1:
                        self.answers[headers.get("message_id", "")] = json.loads(frame[8][0])
                    self._cond.notify_all()
        finally:
            with self._cond:
                if self._socket is socket:
                    self._socket = None
                self._cond.notify_all()

    def redeliver(self) -> Answer:
        """The last event again (over the long connection: the same event in a new frame)."""
        if not self.long_connection:
            return super().redeliver()
        return self._push(self._last_event)

    def _push(self, data: dict[str, Any]) -> Answer:
        self._last_event = data
        socket = self._socket
        assert socket is not None, "superbot has not opened the long connection"
        ident = secrets.token_hex(12)
        payload = json.dumps(data, ensure_ascii=False).encode()
        half = len(payload) // 2  # in two parts, as a large event comes
        for seq, part in enumerate((payload[:half], payload[half:])):
            headers = [
                ("type", "event"),
                ("message_id", ident),
                ("sum", "2"),
                ("seq", str(seq)),
                ("trace_id", "t"),
            ]
            socket.send(
                _encode({1: [seq + 1], 2: [7], 3: [33554678], 4: [1], 5: headers, 8: [part]})
            )
        self.wait_for(lambda f: ident in f.answers, what=f"the answer to {ident}")  # type: ignore[attr-defined]
        answer = self.answers[ident]
        return Answer(int(answer.get("code", 0)), base64.b64decode(answer.get("data") or "e30="))

    def api(self, request: Request) -> tuple[int, dict[str, Any]]:
        if request.path == "/callback/ws/endpoint":
            return self._endpoint(request.json())
        if request.path == "/open-apis/auth/v3/tenant_access_token/internal":
            body = request.json()
            if body.get("app_id") != APP_ID or body.get("app_secret") != APP_SECRET:
                return 200, {"code": 10014, "msg": "app secret invalid"}
            return 200, {
                "code": 0,
                "msg": "ok",
                "tenant_access_token": self.issue_token(),
                "expire": 7200,
            }
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.tokens:
            return 400, {"code": 99991663, "msg": "Invalid access token for authorization."}
        if not self.token_ok(token):
            return 400, {"code": 99991677, "msg": "Authentication token expired."}
        if request.path == "/open-apis/im/v1/messages" and request.method == "POST":
            return self._send(request)
        if request.path.startswith("/open-apis/im/v1/messages/") and request.method == "PATCH":
            return self._patch(request.path.rsplit("/", 1)[1], request.json())
        return 404, {"code": 404, "msg": "not found"}

    def _user(self, kind: str | None, ident: str) -> str | None:
        if kind == "open_id":
            return self.open_ids.get(ident)
        if kind == "user_id":
            return ident if ident in self.members else None
        return None

    def _send(self, request: Request) -> tuple[int, dict[str, Any]]:
        body = request.json()
        user = self._user(request.query.get("receive_id_type"), str(body.get("receive_id")))
        if user is None:
            return 400, {"code": 230013, "msg": "Bot has NO availability to this user."}
        if self._over_limit(user):
            return 400, {"code": 230020, "msg": "This operation triggers the frequency limit."}
        content = json.loads(body.get("content") or "{}")
        ident = f"om_{secrets.token_hex(12)}"
        if body.get("msg_type") == "text":
            if not content.get("text"):
                return 400, {"code": 230001, "msg": "invalid content"}
            self.deliver(Delivered(user, "text", content["text"]))
        elif body.get("msg_type") == "interactive":
            if len(str(body.get("content")).encode()) > CARD_BYTES:
                return 400, {"code": 230025, "msg": "card content too long"}
            shown = _card(user, content, ident)
            if (content.get("config") or {}).get("update_multi"):
                self._shared.add(ident)
            self.deliver(shown)
        else:
            return 400, {"code": 230001, "msg": "unsupported msg_type"}
        return 200, {"code": 0, "msg": "success", "data": {"message_id": ident}}

    def _over_limit(self, user: str) -> bool:
        now = time.monotonic()
        recent = [t for t in self._sent_at.get(user, []) if t > now - 1.0] + [now]
        self._sent_at[user] = recent
        return len(recent) > PER_USER_SECOND

    def _patch(self, ident: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        card = self.card(ident)
        if card is None:
            return 400, {"code": 230011, "msg": "The message was not found."}
        if ident not in self._shared:
            return 400, {"code": 230031, "msg": "not a shared card (config.update_multi)"}
        self.update(ident, _card(card.user, json.loads(body.get("content") or "{}"), ident))
        return 200, {"code": 0, "msg": "success"}

    # -- a person --------------------------------------------------------------------------

    def _ids(self, user: str) -> dict[str, str]:
        return {"union_id": f"on_{user}", "user_id": user, "open_id": open_id(user)}

    def user_sends(self, user: str, text: str, *, group: bool = False) -> Answer:
        message = {
            "message_id": f"om_{secrets.token_hex(12)}",
            "root_id": "",
            "parent_id": "",
            "create_time": str(int(self.now().timestamp() * 1000)),
            "chat_id": f"oc_{user}",
            "chat_type": "group" if group else "p2p",
            "message_type": "text",
            "content": json.dumps({"text": text}, ensure_ascii=False),
        }
        event = {
            "sender": {"sender_id": self._ids(user), "sender_type": "user"},
            "message": message,
        }
        return self._event("im.message.receive_v1", event)

    def user_presses(self, user: str, card: Delivered, key: str) -> Answer:
        assert card.user == user, (card, user)
        assert key in [k for _, k in card.shown.buttons], (card, key)
        event = {
            "operator": {"tenant_key": "tenant", **self._ids(user)},
            "token": f"c-{secrets.token_hex(8)}",
            "action": {"value": {"data": key}, "tag": "button"},
            "host": "im_message",
            "context": {"open_message_id": card.card, "open_chat_id": f"oc_{user}"},
        }
        answer = self._event("card.action.trigger", event)
        toast = (
            (answer.json() or {}).get("toast", {}).get("content") if answer.status == 200 else None
        )
        if toast:
            self.toasts.append(toast)
        return answer

    def check_url(self) -> tuple[Answer, str]:
        challenge = secrets.token_hex(8)
        body = {"challenge": challenge, "token": VERIFICATION_TOKEN, "type": "url_verification"}
        return self._post(body), challenge

    def _event(self, kind: str, event: dict[str, Any]) -> Answer:
        header = {
            "event_id": secrets.token_hex(16),
            "token": VERIFICATION_TOKEN,
            "create_time": str(int(self.now().timestamp() * 1000)),
            "event_type": kind,
            "tenant_key": "tenant",
            "app_id": APP_ID,
        }
        return self._post({"schema": "2.0", "header": header, "event": event})

    def _post(self, data: dict[str, Any]) -> Answer:
        if self.long_connection and data.get("type") != "url_verification":
            return self._push(data)
        body = json.dumps({"encrypt": encrypt(json.dumps(data, ensure_ascii=False))}).encode()
        timestamp, nonce = str(int(self.now().timestamp())), secrets.token_hex(8)
        headers = {
            "Content-Type": "application/json",
            "X-Lark-Request-Timestamp": timestamp,
            "X-Lark-Request-Nonce": nonce,
            "X-Lark-Signature": signature(timestamp, nonce, body),
        }
        return self.post("/feishu", body, headers)


def _card(user: str, card: dict[str, Any], ident: str) -> Delivered:
    title = str(((card.get("header") or {}).get("title") or {}).get("content") or "")
    texts, buttons = [], []
    for element in card.get("elements") or []:
        if element.get("tag") == "markdown":
            texts.append(str(element.get("content") or ""))
        elif element.get("tag") == "div":
            texts.append(str((element.get("text") or {}).get("content") or ""))
        for action in element.get("actions") or []:
            label = str((action.get("text") or {}).get("content") or "")
            buttons.append((label, str((action.get("value") or {}).get("data") or "")))
    return Delivered(
        user, "card" if buttons else "markdown", "\n".join(texts), title, buttons, ident
    )


def signature(timestamp: str, nonce: str, body: bytes, key: str = ENCRYPT_KEY) -> str:
    return hashlib.sha256((timestamp + nonce + key).encode() + body).hexdigest()


def encrypt(text: str, key: str = ENCRYPT_KEY) -> str:
    raw = text.encode()
    pad = 16 - len(raw) % 16
    raw += bytes([pad]) * pad
    iv = os.urandom(16)
    encryptor = Cipher(
        algorithms.AES(hashlib.sha256(key.encode()).digest()), modes.CBC(iv)
    ).encryptor()
    return base64.b64encode(iv + encryptor.update(raw) + encryptor.finalize()).decode()


def decrypt(encrypted: str, key: str = ENCRYPT_KEY) -> str:
    data = base64.b64decode(encrypted)
    decryptor = Cipher(
        algorithms.AES(hashlib.sha256(key.encode()).digest()), modes.CBC(data[:16])
    ).decryptor()
    plain = decryptor.update(data[16:]) + decryptor.finalize()
    return plain[: -plain[-1]].decode()


def _varint(value: int) -> bytes:
    out = b""
    while value > 0x7F:
        out += bytes([value & 0x7F | 0x80])
        value >>= 7
    return out + bytes([value])


def _encode(fields: dict[int, list[Any]]) -> bytes:
    """A protocol buffer of varints, byte strings and (key, value) headers."""
    out = b""
    for number, values in sorted(fields.items()):
        for value in values:
            if isinstance(value, int):
                out += _varint(number << 3) + _varint(value)
            else:
                data = (
                    value
                    if isinstance(value, bytes)
                    else _encode({1: [value[0].encode()], 2: [value[1].encode()]})
                )
                out += _varint(number << 3 | 2) + _varint(len(data)) + data
    return out


def _decode(data: bytes) -> dict[int, list[Any]]:
    fields: dict[int, list[Any]] = {}
    at = 0

    def varint() -> int:
        nonlocal at
        result = shift = 0
        while True:
            byte = data[at]
            at += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return result

    while at < len(data):
        key = varint()
        if key & 7 == 0:
            fields.setdefault(key >> 3, []).append(varint())
        else:
            length = varint()
            value: Any = data[at : at + length]
            at += length
            if key >> 3 == 5:
                pair = _decode(value)
                value = (pair[1][0].decode(), pair.get(2, [b""])[0].decode())
            fields.setdefault(key >> 3, []).append(value)
    return fields


def settings(fake: FakeFeishu) -> dict[str, str]:
    found = {
        "FEISHU_APP_ID": APP_ID,
        "FEISHU_APP_SECRET": APP_SECRET,
        "FEISHU_VERIFICATION_TOKEN": VERIFICATION_TOKEN,
        "FEISHU_ENCRYPT_KEY": ENCRYPT_KEY,
        "FEISHU_API_URL": fake.url,
    }
    if fake.long_connection:
        found["FEISHU_LONG_CONNECTION"] = "1"
    return found
