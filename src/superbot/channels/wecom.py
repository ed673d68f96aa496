"""WeCom (企业微信) group robot: a markdown message to ``…/cgi-bin/webhook/send?key=…``."""

from __future__ import annotations

from typing import Any

from superbot.channels.robot import RobotChannel, Webhook
from superbot.service.ports import Message, Pace, Rate


class WecomChannel(RobotChannel):
    name = "wecom"
    pace = Pace(per_recipient=Rate(20, 60.0))
    max_body_bytes = 4096  # markdown.content, in UTF-8 bytes (errcode 40058 past it)
    busy_codes = frozenset({-1})
    rate_limit_codes = frozenset({45009})

    def request(self, message: Message, webhook: Webhook) -> tuple[str, dict[str, Any]]:
        # WeCom robots have no signing; the markdown message has no title field either,
        # so the body carries its own heading.
        return webhook.url, {"msgtype": "markdown", "markdown": {"content": message.body}}
