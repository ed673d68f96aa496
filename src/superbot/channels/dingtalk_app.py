"""钉钉 enterprise internal app robot: one-to-one robot messages (``oToMessages/batchSend``:
``sampleText``, ``sampleMarkdown``) and interactive cards (``StandardCard``, whose buttons
come back as card callbacks), updated in place by their ``cardBizId``. The access token
comes from ``oauth2/accessToken`` and is fetched again when the API answers 401.

The same API serves 浙政钉 and 专有钉钉 at their own root (``DINGTALK_API_URL``).
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from superbot.channels.app import AppChannel, TokenExpired, retry_after
from superbot.service.ports import ChannelError, Message, Pace, Rate, Receipt

HEADER = "x-acs-dingtalk-access-token"
# The cards' callbacks go where this route key is registered (HTTP mode), or to the card
# callback topic of Stream mode.
CALLBACK_ROUTE = "superbot"
# Codes of a 403 that mean "too fast", not "not allowed".
THROTTLED = ("Throttling", "QpsLimit", "Flowcontrol", "FlowControl")


class DingtalkAppChannel(AppChannel):
    name = "dingtalk_app"
    platform = "dingtalk"
    # An app may call an API 20 times a second; a person gets a message every 3 s at most
    # from one robot without it being folded away.
    pace = Pace(per_recipient=Rate(20, 60.0), overall=Rate(20, 1.0))
    max_text_bytes = 5000  # sampleText content
    max_body_bytes = 5000  # sampleMarkdown text

    def __init__(
        self, client_id: str, client_secret: str, robot_code: str, api_url: str, **kw: Any
    ):
        super().__init__(api_url, **kw)
        self._client_id = client_id
        self._client_secret = client_secret
        self.robot_code = robot_code

    async def fetch_token(self) -> tuple[str, float]:
        status, reply, _ = await self.request(
            "POST",
            "/v1.0/oauth2/accessToken",
            payload={"appKey": self._client_id, "appSecret": self._client_secret},
        )
        if status == 200 and reply.get("accessToken"):
            return str(reply["accessToken"]), float(reply.get("expireIn", 7200))
        if status >= 500 or status == 429:
            raise ChannelError(f"{self.name}: accessToken: HTTP {status}", permanent=False)
        raise self.error(
            f"accessToken: HTTP {status}: {reply.get('code', '')} (DINGTALK_CLIENT_ID/SECRET)"
        )

    async def deliver(self, message: Message, recipient: str, token: str) -> Receipt:
        if message.buttons:
            card = secrets.token_hex(16)
            await self._call(
                "POST",
                "/v1.0/im/v1.0/robot/interactiveCards/send",
                {
                    "cardTemplateId": "StandardCard",
                    "cardBizId": card,
                    "robotCode": self.robot_code,
                    "singleChatReceiver": json.dumps({"userId": recipient}),
                    "cardData": json.dumps(self.card(message), ensure_ascii=False),
                    "callbackRouteKey": CALLBACK_ROUTE,
                },
                token,
            )
            return Receipt(ref=card)
        if message.subject:
            key, param = "sampleMarkdown", {"title": message.subject, "text": message.body}
        else:
            key, param = "sampleText", {"content": message.body}
        reply = await self._call(
            "POST",
            "/v1.0/robot/oToMessages/batchSend",
            {
                "robotCode": self.robot_code,
                "userIds": [recipient],
                "msgKey": key,
                "msgParam": json.dumps(param, ensure_ascii=False),
            },
            token,
        )
        if recipient in (reply.get("invalidStaffIdList") or ()):
            raise ChannelError(
                f"{self.name}: {recipient} is not a user the robot reaches", permanent=True
            )
        if recipient in (reply.get("flowControlledStaffIdList") or ()):
            raise ChannelError(
                f"{self.name}: {recipient} flow-controlled", permanent=False, retry_after=60.0
            )
        return Receipt(ref=str(reply.get("processQueryKey") or "") or None)

    async def replace_card(
        self, card: str, update: str | None, message: Message, recipient: str, token: str
    ) -> None:
        await self._call(
            "PUT",
            "/v1.0/im/robots/interactiveCards",
            {"cardBizId": card, "cardData": json.dumps(self.card(message), ensure_ascii=False)},
            token,
        )

    def card(self, message: Message) -> dict[str, Any]:
        """A StandardCard: the subject as its title, the body as markdown (lines kept), a
        row of buttons per row; a button's id is what it carries back."""
        rows = [
            {
                "type": "action",
                "id": f"answers{number}",
                "actions": [
                    {
                        "type": "button",
                        "label": {
                            "type": "text",
                            "text": button.label,
                            "id": f"label-{button.data}",
                        },
                        "actionType": "request",
                        "status": "normal",
                        "id": button.data,
                    }
                    for button in row
                ],
            }
            for number, row in enumerate(message.buttons)
        ]
        text = "  \n".join(message.body.split("\n"))  # markdown joins lines without a hard break
        return {
            "config": {"autoLayout": True, "enableForward": False},
            "header": {"title": {"type": "text", "text": message.subject}},
            "contents": [{"type": "markdown", "text": text, "id": "body"}, *rows],
        }

    async def _call(
        self, method: str, path: str, payload: dict[str, Any], token: str
    ) -> dict[str, Any]:
        status, reply, headers = await self.request(
            method, path, payload=payload, headers={HEADER: token}
        )
        if status == 200:
            return reply
        code = str(reply.get("code", ""))
        text = f"{self.name}: HTTP {status}: {code} {reply.get('message', '')}".rstrip()
        if status == 401 or code == "InvalidAuthentication":
            raise TokenExpired(text)
        if status == 429 or any(word in code for word in THROTTLED):
            raise ChannelError(text, permanent=False, retry_after=retry_after(headers, 1.0))
        if status >= 500:
            raise ChannelError(text, permanent=False)
        if status == 403:
            # The app lacks the permission (the robot's 单聊 or card API): an admin grants it.
            raise self.error(text.removeprefix(f"{self.name}: "))
        raise ChannelError(text, permanent=True)
