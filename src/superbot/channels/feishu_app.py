"""飞书 app bot: messages to a user (``im/v1/messages``: ``text``, and ``interactive`` cards
for markdown and for task cards with buttons), cards updated in place (``PATCH
im/v1/messages/:id``, which needs ``update_multi``). The ``tenant_access_token`` is fetched
with the app's id and secret, kept until it expires and fetched again when refused.

A person is bound by ``user_id`` or by ``open_id`` (``ou_…``): messages go to whichever
the account holds.
"""

from __future__ import annotations

import json
from typing import Any

from superbot.channels.app import AppChannel, TokenExpired, retry_after
from superbot.service.ports import ChannelError, Message, Pace, Rate, Receipt

TOKEN_CODES = frozenset({99991661, 99991663, 99991664, 99991668, 99991677})
BUSY_CODES = frozenset({99991400, 230020, 11232, 1000004})  # frequency limits; system busy
# The app id or secret is wrong, or the app lacks a permission (an admin grants it).
SETTINGS_CODES = frozenset({10003, 10014, 99991672, 99991679, 99991401})
COLOURS = {"🔴": "red", "🟡": "yellow", "🟢": "green", "✅": "turquoise"}


class FeishuAppChannel(AppChannel):
    name = "feishu_app"
    platform = "feishu"
    # 5 messages a second to one user, 50 a second for the app.
    pace = Pace(per_recipient=Rate(5, 1.0), overall=Rate(50, 1.0))
    max_text_bytes = 30000  # text content; a request body may hold 150 KB
    max_body_bytes = 18000  # markdown in a card, as for the group robot

    def __init__(self, app_id: str, app_secret: str, api_url: str, **kwargs: Any) -> None:
        super().__init__(api_url, **kwargs)
        self._app_id = app_id
        self._app_secret = app_secret

    async def fetch_token(self) -> tuple[str, float]:
        _, reply, _ = await self.request(
            "POST",
            "/open-apis/auth/v3/tenant_access_token/internal",
            payload={"app_id": self._app_id, "app_secret": self._app_secret},
        )
        code = reply.get("code")
        if code == 0 and reply.get("tenant_access_token"):
            return str(reply["tenant_access_token"]), float(reply.get("expire", 7200))
        if code in SETTINGS_CODES:
            raise self.error(f"tenant_access_token: code {code}: {reply.get('msg', '')}")
        raise ChannelError(f"{self.name}: tenant_access_token: code {code}", permanent=False)

    async def deliver(self, message: Message, recipient: str, token: str) -> Receipt:
        if message.buttons or message.subject:
            kind, content = "interactive", self.card(message)
        else:
            kind, content = "text", {"text": message.body}
        reply = await self._call(
            "POST",
            "/open-apis/im/v1/messages",
            {
                "receive_id": recipient,
                "msg_type": kind,
                "content": json.dumps(content, ensure_ascii=False),
            },
            token,
            params={"receive_id_type": "open_id" if recipient.startswith("ou_") else "user_id"},
        )
        data = reply.get("data") or {}
        return Receipt(ref=str(data.get("message_id") or "") or None)

    async def replace_card(
        self, card: str, update: str | None, message: Message, recipient: str, token: str
    ) -> None:
        content = json.dumps(self.card(message), ensure_ascii=False)
        await self._call("PATCH", f"/open-apis/im/v1/messages/{card}", {"content": content}, token)

    def card(self, message: Message) -> dict[str, Any]:
        """The subject as the card's title bar (coloured by the light it starts with), the
        body as markdown or as plain lines, a row of buttons per row."""
        if message.buttons:
            body: dict[str, Any] = {
                "tag": "div",
                "text": {"tag": "plain_text", "content": message.body},
            }
        else:
            body = {"tag": "markdown", "content": message.body}
        rows = [
            {
                "tag": "action",
                "actions": [
                    {
                        "tag": "button",
                        "text": {"tag": "plain_text", "content": button.label},
                        "type": "default",
                        "value": {"data": button.data},
                    }
                    for button in row
                ],
            }
            for row in message.buttons
        ]
        colour = COLOURS.get(message.subject[:1], "blue")
        return {
            "config": {"wide_screen_mode": True, "update_multi": True},
            "header": {
                "title": {"tag": "plain_text", "content": message.subject},
                "template": colour,
            },
            "elements": [body, *rows],
        }

    async def _call(
        self,
        method: str,
        path: str,
        payload: dict[str, Any],
        token: str,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        status, reply, headers = await self.request(
            method,
            path,
            payload=payload,
            params=params,
            headers={"Authorization": f"Bearer {token}"},
        )
        code = reply.get("code")
        if status == 200 and code == 0:
            return reply
        text = f"{self.name}: HTTP {status}: code {code}: {reply.get('msg', '')}".rstrip(": ")
        if code in TOKEN_CODES:
            raise TokenExpired(text)
        if status == 429 or code in BUSY_CODES:
            wait = headers.get("x-ogw-ratelimit-reset")
            seconds = float(wait) if wait and wait.isdigit() else retry_after(headers, 1.0)
            raise ChannelError(text, permanent=False, retry_after=seconds)
        if status >= 500:
            raise ChannelError(text, permanent=False)
        if code in SETTINGS_CODES:
            raise self.error(text.removeprefix(f"{self.name}: "))
        # 230013 (the user is outside the app's range), 230001/230002 (no such user or chat),
        # 99992402 (bad field): this message will never reach this person.
        raise ChannelError(text, permanent=True)
