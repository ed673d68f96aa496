"""A channel that records what it is given and fails when told to (a fake, not a mock)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from superbot.service.ports import ChannelError, Message, Pace, Rate, Receipt


@dataclass
class Sent:
    recipient: str
    message: Message
    at: float


@dataclass
class RecordingChannel:
    name: str = "telegram"
    pace: Pace = field(
        default_factory=lambda: Pace(per_recipient=Rate(1, 1.0), overall=Rate(30, 1.0))
    )
    clock: Callable[[], float] | None = None
    sent: list[Sent] = field(default_factory=list)
    failures: list[tuple[str | None, ChannelError]] = field(default_factory=list)
    closed: bool = False

    def fail_next(self, error: ChannelError, recipient: str | None = None) -> None:
        self.failures.append((recipient, error))

    async def send(self, message: Message, recipient: str) -> Receipt:
        for index, (only, error) in enumerate(self.failures):
            if only is None or only == recipient:
                del self.failures[index]
                raise error
        self.sent.append(Sent(recipient, message, self.clock() if self.clock else 0.0))
        return Receipt(ref=str(1000 + len(self.sent)))

    async def aclose(self) -> None:
        self.closed = True

    def to(self, recipient: str) -> list[Message]:
        return [s.message for s in self.sent if s.recipient == recipient]
