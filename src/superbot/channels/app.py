"""What the chat apps' channels (钉钉, 企业微信, 飞书) share: an access token fetched with the
app's credentials and kept until it expires, calls to the platform's API that fetch a new
token once when the platform says the old one expired, and HTTP failures told apart.

Each platform's module says how to get a token, how to send a text, markdown or card, how
to update a card, and which of its reply codes mean "wait", "never" or "our settings are
wrong". A message is a card when it has buttons, markdown when it has a subject, else text.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from superbot.domain.pacing import Limit
from superbot.service.ports import ChannelError, Message, Pace, Receipt

# A token is renewed this long before the platform says it expires: a send in flight when
# it lapses would fail.
TOKEN_MARGIN = timedelta(minutes=5)


NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Token:
    value: str = ""
    expires_at: datetime = NEVER


class TokenExpired(Exception):
    """The platform refused the token (expired or revoked): fetch another and try again."""


class AppChannel:
    """One chat app: its API root, its token, its pace."""

    name: str
    platform: str  # the channel its people are bound on: dingtalk, wecom, feishu
    pace: Pace
    max_text_bytes: int  # the longest plain text one message may hold
    max_body_bytes: int  # the longest markdown

    def __init__(
        self,
        api_url: str,
        *,
        client: httpx.AsyncClient | None = None,
        timeout: float = 10.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(timeout=timeout)
        self._now = now
        self._token = Token()
        self._token_lock = asyncio.Lock()

    # -- what each platform says ---------------------------------------------------------------

    async def fetch_token(self) -> tuple[str, float]:
        """A new token and its lifetime in seconds."""
        raise NotImplementedError

    async def deliver(self, message: Message, recipient: str, token: str) -> Receipt:
        raise NotImplementedError

    async def replace_card(
        self, card: str, update: str | None, message: Message, recipient: str, token: str
    ) -> None:
        raise NotImplementedError

    # -- the Channel protocol ------------------------------------------------------------------

    def limits(self, recipient: str) -> list[Limit]:
        """The platform's limits a message to ``recipient`` falls under: the app's own, and
        the person's."""
        rates = [
            (f"{self.name}:*", self.pace.overall),
            (f"{self.name}:{recipient}", self.pace.per_recipient),
        ]
        return [Limit(key, rate.count, rate.per_seconds) for key, rate in rates if rate is not None]

    async def send(self, message: Message, recipient: str) -> Receipt:
        receipt: Receipt = await self._with_token(
            lambda token: self.deliver(message, recipient, token)
        )
        return receipt

    async def update_card(
        self, card: str, update: str | None, message: Message, recipient: str
    ) -> None:
        await self._with_token(
            lambda token: self.replace_card(card, update, message, recipient, token)
        )

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    # -- tokens --------------------------------------------------------------------------------

    async def _with_token(self, call: Callable[[str], Any]) -> Any:
        token = await self.token()
        try:
            return await call(token)
        except TokenExpired:
            token = await self.token(stale=token)
            try:
                return await call(token)
            except TokenExpired as again:
                raise self.error("the platform refused a fresh access token", again) from again

    async def token(self, stale: str | None = None) -> str:
        """The app's token, fetched when there is none, it expires, or ``stale`` was refused
        (by however many sends at once: the first fetches, the others use its token)."""
        async with self._token_lock:
            current = self._token
            fresh = current.value and current.value != stale
            if fresh and self._now() < current.expires_at - TOKEN_MARGIN:
                return current.value
            value, lifetime = await self.fetch_token()
            self._token = Token(value, self._now() + timedelta(seconds=lifetime))
            return value

    # -- HTTP ----------------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        payload: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, dict[str, Any], httpx.Headers]:
        """One call to the platform: (HTTP status, its JSON object, headers). Transport
        failures and answers that are not the platform talking are worth retrying."""
        content = None
        sent_headers = dict(headers or {})
        if payload is not None:
            content = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
            sent_headers["Content-Type"] = "application/json; charset=utf-8"
        try:
            response = await self._client.request(
                method,
                f"{self.api_url}{path}",
                params=params,
                content=content,
                headers=sent_headers,
            )
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise ChannelError(f"{self.name}: invalid API root", permanent=True) from exc
        except httpx.TimeoutException as exc:
            raise ChannelError(f"{self.name}: timed out", permanent=False) from exc
        except httpx.HTTPError as exc:
            raise ChannelError(f"{self.name}: {type(exc).__name__}", permanent=False) from exc
        try:
            reply = response.json()
        except ValueError:
            reply = None
        if not isinstance(reply, dict):
            if response.status_code == 404:
                raise ChannelError(
                    f"{self.name}: HTTP 404 (is the API root right?)", permanent=True
                )
            raise ChannelError(
                f"{self.name}: HTTP {response.status_code} without a JSON reply", permanent=False
            )
        return response.status_code, reply, response.headers

    def error(self, text: str, cause: object = None) -> ChannelError:
        """Our settings are wrong (credentials, app id, IP allow-list): no message gets
        through until someone fixes them."""
        return ChannelError(f"{self.name}: {text}", permanent=True)


def retry_after(headers: httpx.Headers, default: float) -> float:
    try:
        seconds = float(headers.get("Retry-After", ""))
    except ValueError:
        return default
    return seconds if seconds >= 0 else default
