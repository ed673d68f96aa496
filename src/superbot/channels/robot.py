"""What the group robots (WeCom, DingTalk, Feishu) share: a webhook named by environment
variables, one JSON POST, and a reply whose code says what happened.

A recipient is the name of the variable holding the robot's URL, optionally followed by
``:`` and the name of the variable holding its signing secret (``DINGTALK_URL:DINGTALK_SECRET``).
Secrets never appear in tasks.yaml, and the URL (which carries the robot's token) never
appears in an error message.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx

from superbot.service.ports import ChannelError, Message, Pace, Receipt


@dataclass(frozen=True)
class Webhook:
    url: str = field(repr=False)
    secret: str | None = field(default=None, repr=False)


def resolve_webhook(recipient: str, environ: Mapping[str, str]) -> Webhook:
    url_env, _, secret_env = recipient.partition(":")
    url = _variable(url_env.strip(), environ, "webhook URL")
    if not url.startswith(("https://", "http://")):
        raise ChannelError(f"{url_env} does not hold an http(s) URL", permanent=True)
    secret = _variable(secret_env.strip(), environ, "signing secret") if secret_env else None
    return Webhook(url, secret)


def _variable(name: str, environ: Mapping[str, str], what: str) -> str:
    if not name:
        raise ChannelError(f"no environment variable named for the {what}", permanent=True)
    value = environ.get(name, "").strip()
    if not value:
        raise ChannelError(f"environment variable {name} ({what}) is not set", permanent=True)
    return value


class RobotChannel:
    """One POST of JSON to a webhook. Subclasses say what to post and how to read the reply."""

    name: str
    pace: Pace
    max_body_bytes: int  # the most UTF-8 bytes of markdown body the robot takes
    code_key: ClassVar[str] = "errcode"
    message_key: ClassVar[str] = "errmsg"
    # Reply codes worth retrying, and those meaning "too fast" with how long to wait.
    busy_codes: ClassVar[frozenset[int]] = frozenset()
    rate_limit_codes: ClassVar[frozenset[int]] = frozenset()
    rate_limit_wait: ClassVar[float] = 60.0

    def __init__(
        self,
        environ: Mapping[str, str],
        *,
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._environ = environ
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(transport=transport, timeout=timeout)
        self._now = now  # for request signatures

    def request(self, message: Message, webhook: Webhook) -> tuple[str, dict[str, Any]]:
        """The URL to post to and the JSON to post."""
        raise NotImplementedError

    def reply_code(self, reply: Mapping[str, Any]) -> object:
        return reply.get(self.code_key)

    def is_rate_limited(self, code: object, reply: Mapping[str, Any]) -> bool:
        return code in self.rate_limit_codes

    async def send(self, message: Message, recipient: str) -> Receipt:
        try:
            url, payload = self.request(message, resolve_webhook(recipient, self._environ))
        except ChannelError as exc:
            raise ChannelError(f"{self.name}: {exc}", permanent=exc.permanent) from None
        reply = await self._post(url, payload)
        code = self.reply_code(reply)
        if code == 0:
            return Receipt()
        if code is None:
            raise ChannelError(f"{self.name}: reply without {self.code_key}", permanent=True)
        text = f"{self.name}: code {code}: {reply.get(self.message_key, '')}".rstrip(": ")
        if self.is_rate_limited(code, reply):
            raise ChannelError(text, permanent=False, retry_after=self.rate_limit_wait)
        if code in self.busy_codes:
            raise ChannelError(text, permanent=False)
        # An invalid or removed webhook, a bad signature, a refused keyword or IP, a message
        # too long: the same request will fail the same way.
        raise ChannelError(text, permanent=True)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def _post(self, url: str, payload: dict[str, Any]) -> dict[str, Any]:
        # Compact UTF-8 JSON: the robots' size limits count bytes of the request body.
        content = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        try:
            response = await self._client.post(
                url,
                content=content,
                headers={"Content-Type": "application/json; charset=utf-8"},
            )
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise ChannelError(f"{self.name}: invalid webhook URL", permanent=True) from exc
        except httpx.TimeoutException as exc:
            raise ChannelError(f"{self.name}: timed out", permanent=False) from exc
        except httpx.HTTPError as exc:
            raise ChannelError(
                f"{self.name}: {type(exc).__name__}: {exc}", permanent=False
            ) from exc
        return self._reply(response)

    def _reply(self, response: httpx.Response) -> dict[str, Any]:
        status = response.status_code
        if status == 429:
            raise ChannelError(
                f"{self.name}: HTTP 429",
                permanent=False,
                retry_after=_retry_after(response) or self.rate_limit_wait,
            )
        if status >= 500 or status == 408:
            raise ChannelError(f"{self.name}: HTTP {status}", permanent=False)
        if status >= 400:
            # 404: the webhook is gone; 413: too large; 400: a request it will never take.
            raise ChannelError(f"{self.name}: HTTP {status}", permanent=True)
        try:
            reply = response.json()
        except ValueError:
            reply = None
        if not isinstance(reply, dict):
            # Not the robot talking (a proxy or a captive portal, say): try again later.
            raise ChannelError(
                f"{self.name}: HTTP {status} without a JSON object reply", permanent=False
            )
        return reply


def _retry_after(response: httpx.Response) -> float | None:
    try:
        seconds = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
    return seconds if seconds >= 0 else None
