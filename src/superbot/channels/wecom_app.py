"""企业微信 self-built app: messages to a member (``message/send``), task cards as
``template_card`` of type ``button_interaction``, updated with the ``response_code`` of the
button event (``message/update_template_card``). The ``access_token`` comes from
``gettoken`` and is fetched again on 40014 (invalid) or 42001 (expired).
"""

from __future__ import annotations

import secrets
from typing import Any

from superbot.channels.app import AppChannel, TokenExpired
from superbot.service.ports import ChannelError, Message, Pace, Rate, Receipt

TOKEN_CODES = frozenset({40014, 42001})
# 45009: API calls over the limit; 45033: too many at once; -1: system busy.
BUSY_CODES = frozenset({45009, 45033, -1})
# The corp id, secret or agent id is wrong, the server's IP is not allowed, the app may not
# call the API: every message fails alike until the settings are fixed.
SETTINGS_CODES = frozenset({40001, 40013, 40056, 60020, 48002, 301002})
# Documented limits of template_card (button_interaction).
TITLE_CHARS = 26
DESC_CHARS = 30
SUB_TITLE_CHARS = 112
BUTTONS = 6
BUTTON_TEXT_CHARS = 10


class WecomAppChannel(AppChannel):
    name = "wecom_app"
    platform = "wecom"
    # 30 messages a minute to one member (more are dropped, not refused).
    pace = Pace(per_recipient=Rate(30, 60.0), overall=Rate(600, 60.0))
    max_text_bytes = 2048  # text.content
    max_body_bytes = 2048  # markdown.content

    def __init__(self, corp_id: str, agent_id: str, secret: str, api_url: str, **kwargs: Any):
        super().__init__(api_url, **kwargs)
        self._corp_id = corp_id
        self._agent_id = int(agent_id) if agent_id.isdigit() else agent_id
        self._secret = secret

    async def fetch_token(self) -> tuple[str, float]:
        _, reply, _ = await self.request(
            "GET", "/cgi-bin/gettoken", params={"corpid": self._corp_id, "corpsecret": self._secret}
        )
        code = reply.get("errcode", 0)
        if code in SETTINGS_CODES:
            raise self.error(f"gettoken: code {code}: {reply.get('errmsg', '')}")
        if code != 0 or not reply.get("access_token"):
            raise ChannelError(f"{self.name}: gettoken: code {code}", permanent=False)
        return str(reply["access_token"]), float(reply.get("expires_in", 7200))

    async def deliver(self, message: Message, recipient: str, token: str) -> Receipt:
        payload: dict[str, Any] = {"touser": recipient, "agentid": self._agent_id}
        if message.buttons:
            payload |= {"msgtype": "template_card", "template_card": self.card(message)}
        elif message.subject:
            payload |= {"msgtype": "markdown", "markdown": {"content": message.body}}
        else:
            payload |= {"msgtype": "text", "text": {"content": message.body}}
        reply = await self._call("/cgi-bin/message/send", payload, token)
        invalid = str(reply.get("invaliduser") or "").split("|")
        if recipient in invalid:
            raise ChannelError(
                f"{self.name}: {recipient} is not a member the app reaches", permanent=True
            )
        return Receipt(ref=str(reply.get("msgid") or "") or None)

    async def replace_card(
        self, card: str, update: str | None, message: Message, recipient: str, token: str
    ) -> None:
        if update is None:
            raise ChannelError(
                f"{self.name}: a card is updated with its response_code", permanent=True
            )
        payload = {
            "userids": [recipient],
            "agentid": self._agent_id,
            "response_code": update,
            "template_card": self.card(message, task=card),
        }
        await self._call("/cgi-bin/message/update_template_card", payload, token)

    def card(self, message: Message, task: str | None = None) -> dict[str, Any]:
        """A button_interaction card: the subject as title, the first line as its
        description, the rest as the sub-title text; a button per answer."""
        first, _, rest = message.body.partition("\n")
        buttons = [button for row in message.buttons for button in row][:BUTTONS]
        return {
            "card_type": "button_interaction",
            "main_title": {
                "title": _cut(message.subject, TITLE_CHARS),
                "desc": _cut(first, DESC_CHARS),
            },
            "sub_title_text": _cut(rest.strip(), SUB_TITLE_CHARS),
            "task_id": task or f"superbot-{secrets.token_hex(8)}",
            "button_list": [
                {"text": _cut(b.label, BUTTON_TEXT_CHARS), "style": 1, "key": b.data}
                for b in buttons
            ],
        }

    async def _call(self, path: str, payload: dict[str, Any], token: str) -> dict[str, Any]:
        status, reply, _ = await self.request(
            "POST", path, payload=payload, params={"access_token": token}
        )
        code = reply.get("errcode")
        if code == 0:
            return reply
        text = f"{self.name}: code {code}: {reply.get('errmsg', '')}"
        if code in TOKEN_CODES:
            raise TokenExpired(text)
        if code in BUSY_CODES or status >= 500:
            raise ChannelError(text, permanent=False, retry_after=60.0 if code == 45009 else None)
        if code in SETTINGS_CODES:
            raise self.error(text.removeprefix(f"{self.name}: "))
        # 81013 (no such member), 40008 (bad message type), 44004 (empty text): this message
        # will never reach this person.
        raise ChannelError(text, permanent=True)


def _cut(text: str, chars: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= chars else text[: chars - 1] + "…"
