"""What arrives from a chat app, once its platform's format is read."""

from __future__ import annotations

from dataclasses import dataclass

from superbot.domain.model import Account


@dataclass(frozen=True)
class Said:
    """A text message."""

    sender: Account
    ref: str  # the platform's id of the message: a second delivery is not handled again
    text: str | None  # None: a picture, a voice message … (the bot reads only text)
    group: bool = False  # said in a group chat (only the 通报 is for groups)
    aliases: tuple[Account, ...] = ()  # the same person by another id (飞书's open_id)


@dataclass(frozen=True)
class Pressed:
    """A button on a task card."""

    sender: Account
    ref: str  # the press, as the platform tells presses apart
    data: str  # what the button carries (``service.buttons``)
    card: str  # the card, as its channel updates it (钉钉 outTrackId, 飞书 message id …)
    update: str | None = None  # what else updating it needs (企业微信's response_code)
    aliases: tuple[Account, ...] = ()


Event = Said | Pressed
