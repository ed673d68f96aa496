"""A fake 企业微信 (WeCom) server for a self-built app, from the platform's documentation:

- ``GET /cgi-bin/gettoken?corpid&corpsecret`` issues an ``access_token`` (7200 s); a refused
  or expired token is errcode 40014 / 42001, a wrong corp id or secret 40013 / 40001.
- ``POST /cgi-bin/message/send`` takes ``text`` and ``markdown`` (content at most 2048
  bytes) and ``template_card`` of type ``button_interaction`` (main title, at most 6 buttons
  with a key of at most 1024 bytes, a ``task_id`` of at most 128 bytes of ``[A-Za-z0-9_-@]``
  used once per app) to a member of the corp (81013 otherwise). A member gets at most 30
  messages a minute from an app; more are dropped (counted in ``dropped``).
- ``POST /cgi-bin/message/update_template_card`` replaces a card, given the
  ``response_code`` of a press on it (valid once, for 72 hours).

A person's text or press becomes a callback to superbot's ``/wecom``: the message XML,
encrypted (AES-256-CBC, key ``base64(EncodingAESKey + "=")``, IV its first 16 bytes, PKCS#7
to 32 bytes, ``random(16) + length + message + corp id``) and signed
(``msg_signature = SHA-1(sorted(token, timestamp, nonce, encrypt))``), written here.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import struct
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from tests.fakes.chat_platform import Answer, Delivered, FakePlatform, Request

CORP_ID = "ww1234567890abcdef"
AGENT_ID = 1000002
SECRET = "wecom-app-secret"
TOKEN = "wecomCallbackToken"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters
CONTENT_BYTES = 2048
TASK_ID = re.compile(r"[A-Za-z0-9_\-@]{1,128}\Z")
PER_MEMBER_MINUTE = 30


class FakeWecom(FakePlatform):
    name = "wecom"

    def __init__(self, members: set[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.members = set(members)
        self.dropped = 0
        self._task_ids: set[str] = set()
        self._response_codes: dict[str, tuple[str, str, float]] = {}  # code → user, task, at
        self._sent_at: dict[str, list[float]] = {}

    # -- the API -------------------------------------------------------------------------------

    def api(self, request: Request) -> tuple[int, dict[str, Any]]:
        if request.path == "/cgi-bin/gettoken":
            if request.query.get("corpid") != CORP_ID:
                return 200, {"errcode": 40013, "errmsg": "invalid corpid"}
            if request.query.get("corpsecret") != SECRET:
                return 200, {"errcode": 40001, "errmsg": "invalid credential"}
            return 200, {
                "errcode": 0,
                "errmsg": "ok",
                "access_token": self.issue_token(),
                "expires_in": 7200,
            }
        token = request.query.get("access_token")
        if token not in self.tokens:
            return 200, {"errcode": 40014, "errmsg": "invalid access_token"}
        if not self.token_ok(token):
            return 200, {"errcode": 42001, "errmsg": "access_token expired"}
        if request.path == "/cgi-bin/message/send":
            return 200, self._send(request.json())
        if request.path == "/cgi-bin/message/update_template_card":
            return 200, self._update(request.json())
        return 404, {"errcode": 404, "errmsg": "no such api"}

    def _send(self, body: dict[str, Any]) -> dict[str, Any]:
        user, kind = body.get("touser"), body.get("msgtype")
        if body.get("agentid") != AGENT_ID:
            return {"errcode": 40056, "errmsg": "invalid agentid"}
        if user not in self.members:
            return {"errcode": 81013, "errmsg": "user & party & tag all invalid"}
        if kind in ("text", "markdown"):
            content = (body.get(kind) or {}).get("content") or ""
            if not content:
                return {"errcode": 44004, "errmsg": "empty content"}
            if len(content.encode()) > CONTENT_BYTES:
                return {"errcode": 45002, "errmsg": "content size out of limit"}
            shown = Delivered(user, kind, content)
        elif kind == "template_card":
            card, problem = self._card(body.get("template_card") or {})
            if problem:
                return {"errcode": 40058, "errmsg": problem}
            if card["task_id"] in self._task_ids:
                return {"errcode": 40058, "errmsg": "task_id duplicated"}
            self._task_ids.add(card["task_id"])
            shown = _shown(user, card)
        else:
            return {"errcode": 40008, "errmsg": "invalid message type"}
        if self._over_limit(user):
            self.dropped += 1  # the platform drops it silently
        else:
            self.deliver(shown)
        return {"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": secrets.token_hex(8)}

    def _card(self, card: dict[str, Any]) -> tuple[dict[str, Any], str]:
        if card.get("card_type") != "button_interaction":
            return card, "card_type must be button_interaction"
        if not (card.get("main_title") or {}).get("title"):
            return card, "main_title.title missing"
        if not TASK_ID.match(str(card.get("task_id") or "")):
            return card, "invalid task_id"
        buttons = card.get("button_list") or []
        if not 1 <= len(buttons) <= 6:
            return card, "button_list: 1 to 6 buttons"
        for button in buttons:
            if not button.get("text") or len(str(button.get("key") or "").encode()) > 1024:
                return card, "invalid button"
        return card, ""

    def _over_limit(self, user: str) -> bool:
        now = self.now().timestamp()
        recent = [t for t in self._sent_at.get(user, []) if t > now - 60]
        recent.append(now)
        self._sent_at[user] = recent
        return len(recent) > PER_MEMBER_MINUTE

    def _update(self, body: dict[str, Any]) -> dict[str, Any]:
        code = str(body.get("response_code") or "")
        found = self._response_codes.pop(code, None)
        if found is None or self.now().timestamp() - found[2] > 72 * 3600:
            return {"errcode": 40165, "errmsg": "invalid response_code"}
        user, task, _ = found
        card, problem = self._card(body.get("template_card") or {})
        if problem:
            return {"errcode": 40058, "errmsg": problem}
        if body.get("userids") != [user]:
            return {"errcode": 40031, "errmsg": "invalid userids"}
        self.update(task, _shown(user, {**card, "task_id": task}))
        return {"errcode": 0, "errmsg": "ok"}

    # -- a person --------------------------------------------------------------------------

    def user_sends(self, user: str, text: str) -> Answer:
        return self._callback(
            {
                "ToUserName": CORP_ID,
                "FromUserName": user,
                "CreateTime": str(int(self.now().timestamp())),
                "MsgType": "text",
                "Content": text,
                "MsgId": str(secrets.randbits(63)),
                "AgentID": str(AGENT_ID),
            }
        )

    def user_presses(self, user: str, card: Delivered, key: str) -> Answer:
        assert card.user == user, (card, user)
        assert key in [k for _, k in card.shown.buttons], (card, key)
        code = secrets.token_hex(16)
        self._response_codes[code] = (user, card.card, self.now().timestamp())
        return self._callback(
            {
                "ToUserName": CORP_ID,
                "FromUserName": user,
                "CreateTime": str(int(self.now().timestamp())),
                "MsgType": "event",
                "Event": "template_card_event",
                "EventKey": key,
                "TaskId": card.card,
                "CardType": "button_interaction",
                "ResponseCode": code,
                "AgentID": str(AGENT_ID),
            }
        )

    def check_url(self) -> tuple[Answer, str]:
        """The console's URL check: superbot must answer the decrypted echostr."""
        echo = secrets.token_hex(8)
        encrypted = encrypt(echo)
        query = self._signed_query(encrypted)
        return self.get(f"/wecom?{urlencode({**query, 'echostr': encrypted})}"), echo

    def _callback(self, fields: dict[str, str], **override: str) -> Answer:
        inner = (
            "<xml>" + "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items()) + "</xml>"
        )
        encrypted = encrypt(inner)
        query = {**self._signed_query(encrypted), **override}
        outer = (
            f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><AgentID>{AGENT_ID}</AgentID>"
            f"<Encrypt><![CDATA[{escape(encrypted)}]]></Encrypt></xml>"
        )
        return self.post(f"/wecom?{urlencode(query)}", outer.encode(), {"Content-Type": "text/xml"})

    def _signed_query(self, encrypted: str) -> dict[str, str]:
        timestamp = str(int(self.now().timestamp()))
        nonce = secrets.token_hex(5)
        return {
            "msg_signature": signature(timestamp, nonce, encrypted),
            "timestamp": timestamp,
            "nonce": nonce,
        }


def _shown(user: str, card: dict[str, Any]) -> Delivered:
    title = card["main_title"]["title"]
    text = "\n".join(
        part
        for part in (card["main_title"].get("desc", ""), card.get("sub_title_text", ""))
        if part
    )
    buttons = [(b["text"], b["key"]) for b in card["button_list"]]
    return Delivered(user, "card", text, title, buttons, card["task_id"])


def signature(timestamp: str, nonce: str, encrypted: str, token: str = TOKEN) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypted])).encode()).hexdigest()


def _key() -> bytes:
    return base64.b64decode(AES_KEY + "=")


def encrypt(text: str, receive_id: str = CORP_ID) -> str:
    raw = text.encode()
    content = os.urandom(16) + struct.pack(">I", len(raw)) + raw + receive_id.encode()
    pad = 32 - len(content) % 32
    content += bytes([pad]) * pad
    key = _key()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(content) + encryptor.finalize()).decode()


def decrypt(encrypted: str) -> tuple[str, str]:
    """(message, receive id): how the platform reads what it encrypted."""
    key = _key()
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()
    plain = plain[: -plain[-1]]
    (length,) = struct.unpack(">I", plain[16:20])
    return plain[20 : 20 + length].decode(), plain[20 + length :].decode()


def settings(fake: FakeWecom) -> dict[str, str]:
    """The environment superbot needs to use this fake."""
    return {
        "WECOM_CORP_ID": CORP_ID,
        "WECOM_AGENT_ID": str(AGENT_ID),
        "WECOM_SECRET": SECRET,
        "WECOM_TOKEN": TOKEN,
        "WECOM_AES_KEY": AES_KEY,
        "WECOM_API_URL": fake.url,
    }


def wall_clock() -> datetime:
    return datetime.now(UTC)
