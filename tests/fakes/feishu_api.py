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
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import time
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from tests.fakes.chat_platform import Answer, Delivered, FakePlatform, Request

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

    def __init__(self, members: set[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.members = set(members)
        self.open_ids = {open_id(user): user for user in members}
        self.toasts: list[str] = []
        self._shared: set[str] = set()  # cards sent with update_multi
        self._sent_at: dict[str, list[float]] = {}

    def api(self, request: Request) -> tuple[int, dict[str, Any]]:
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


def settings(fake: FakeFeishu) -> dict[str, str]:
    return {
        "FEISHU_APP_ID": APP_ID,
        "FEISHU_APP_SECRET": APP_SECRET,
        "FEISHU_VERIFICATION_TOKEN": VERIFICATION_TOKEN,
        "FEISHU_ENCRYPT_KEY": ENCRYPT_KEY,
        "FEISHU_API_URL": fake.url,
    }
