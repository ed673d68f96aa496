"""DingTalk (钉钉) group robot: a markdown message, signed when the robot has a secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import httpx

from superbot.channels.robot import RobotChannel, Webhook
from superbot.service.ports import Message, Pace, Rate


class DingtalkChannel(RobotChannel):
    name = "dingtalk"
    pace = Pace(per_recipient=Rate(20, 60.0))
    # DingTalk refuses request bodies over 20000 bytes (errcode 460101); the rest of the
    # JSON (title, keys, escaped newlines and quotes) needs room too.
    max_body_bytes = 18000
    busy_codes = frozenset({-1})
    rate_limit_codes = frozenset({130101, 410100})
    # Past 20 messages a minute DingTalk mutes the robot for ten minutes.
    rate_limit_wait = 600.0

    def request(self, message: Message, webhook: Webhook) -> tuple[str, dict[str, Any]]:
        url = webhook.url
        if webhook.secret is not None:
            timestamp = str(round(self._now().timestamp() * 1000))
            params = {"timestamp": timestamp, "sign": dingtalk_sign(timestamp, webhook.secret)}
            url = str(httpx.URL(url).copy_merge_params(params))
        payload = {
            "msgtype": "markdown",
            "markdown": {"title": message.subject, "text": message.body},
        }
        return url, payload


def dingtalk_sign(timestamp: str, secret: str) -> str:
    """``base64(HMAC-SHA256(key=secret, msg="{timestamp}\\n{secret}"))``, before URL encoding."""
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()
