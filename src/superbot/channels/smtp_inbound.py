"""An SMTP listener (``SUPERBOT_INBOUND_SMTP=127.0.0.1:2525``) for offices that route a
reply address to superbot: each mail is handed over while the sending server waits, and
accepted (250) only once it is handled; a failure answers 451, so the sender tries again
later and nothing is lost. A mail delivered twice is known by its Message-ID."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

log = logging.getLogger("superbot.smtp")

MAX_BYTES = 40 * 1024 * 1024  # a reply with its evidence; bigger is refused before it is read

Handler = Callable[[bytes, tuple[str, ...]], Awaitable[object]]


def listen_address(text: str) -> tuple[str, int]:
    """``127.0.0.1:2525`` or ``[::1]:2525``."""
    host, _, port = text.strip().rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"SUPERBOT_INBOUND_SMTP must be host:port, not {text!r}")
    return host.strip("[]"), int(port)


class _Intake:
    def __init__(self, handle: Handler) -> None:
        self.handle = handle

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content
        if not isinstance(content, bytes):
            content = str(content).encode()
        try:
            await self.handle(content, tuple(envelope.rcpt_tos))
        except Exception:  # the sending server keeps the mail and tries again
            log.exception("a mail from %s could not be handled", envelope.mail_from)
            return "451 4.3.0 Not handled now, please try again later"
        return "250 2.0.0 OK"


class InboundSmtp:
    def __init__(self, address: str, handle: Handler, hostname: str = "superbot") -> None:
        self.host, self.port = listen_address(address)
        self.handle = handle
        self.hostname = hostname
        self.server: asyncio.Server | None = None

    async def start(self) -> None:
        intake = _Intake(self.handle)
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(
            lambda: SMTP(
                intake,
                hostname=self.hostname,
                data_size_limit=MAX_BYTES,
                enable_SMTPUTF8=True,
                decode_data=False,
            ),
            self.host,
            self.port,
        )
        self.port = self.server.sockets[0].getsockname()[1]

    async def run(self, stop: asyncio.Event) -> None:
        if self.server is None:
            await self.start()
        assert self.server is not None
        try:
            await stop.wait()
        finally:
            self.server.close()
            await self.server.wait_closed()
