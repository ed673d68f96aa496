"""Feishu (飞书) group robot: an interactive card, signed in the body when it has a secret.

A card rather than a ``post``: its header shows the subject as a title bar, and its markdown
element renders the body's bold, links and lists, which ``post`` would need converted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from superbot.channels.robot import RobotChannel, Webhook
from superbot.service.ports import Message, Pace, Rate


class FeishuChannel(RobotChannel):
    name = "feishu"
    # 5 a second and 100 a minute per robot. Pace holds one rate per recipient, so the
    # minute limit is kept for the channel as a whole, which is stricter but safe.
    pace = Pace(per_recipient=Rate(5, 1.0), overall=Rate(100, 60.0))
    # Feishu refuses request bodies over 20 KB; leave room for the card around the body.
    max_body_bytes = 18000
    code_key = "code"
    message_key = "msg"
    rate_limit_codes = frozenset({11232})

    def request(self, message: Message, webhook: Webhook) -> tuple[str, dict[str, Any]]:
        payload: dict[str, Any] = {}
        if webhook.secret is not None:
            timestamp = str(int(self._now().timestamp()))
            payload["timestamp"] = timestamp
            payload["sign"] = feishu_sign(timestamp, webhook.secret)
        payload["msg_type"] = "interactive"
        payload["card"] = {
            "config": {"wide_screen_mode": True},
            "header": {
                "title": {"tag": "plain_text", "content": message.subject},
                "template": "blue",
            },
            "elements": [{"tag": "markdown", "content": message.body}],
        }
        return webhook.url, payload

    def reply_code(self, reply: Mapping[str, Any]) -> object:
        # Older Feishu deployments answer {"StatusCode": 0, "StatusMessage": "success"}.
        return reply.get("code", reply.get("StatusCode"))

    def is_rate_limited(self, code: object, reply: Mapping[str, Any]) -> bool:
        # 9499 is Feishu's "Bad Request" (malformed, or over 20 KB), which no retry mends,
        # and also what it answers when throttling ("too many request").
        if code == 9499:
            return "too many" in str(reply.get("msg", "")).lower()
        return super().is_rate_limited(code, reply)


def feishu_sign(timestamp: str, secret: str) -> str:
    """``base64(HMAC-SHA256(key="{timestamp}\\n{secret}", msg=b""))``."""
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()
