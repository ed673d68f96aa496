"""A channel that delivers into memory at once: no network, no pace limits.

Shaped like ``tests/fakes/channel.py``'s ``RecordingChannel``, minus the failures and the
pace: with no ``pace`` the dispatcher books no waits, so what is timed is the outbox alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from superbot.service.ports import Message, Receipt


@dataclass
class MemoryChannel:
    name: str = "telegram"
    sent: list[tuple[str, Message]] = field(default_factory=list)

    async def send(self, message: Message, recipient: str) -> Receipt:
        self.sent.append((recipient, message))
        return Receipt(ref=str(len(self.sent)))  # a Telegram message id, as the bot keeps it

    async def aclose(self) -> None:
        """Nothing to close."""


async def no_sleep(seconds: float) -> None:
    """The dispatcher's sleep: never needed without pace limits, and never waited for."""
