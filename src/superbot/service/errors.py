from __future__ import annotations

from typing import Any

from superbot.domain.text import Text


class ServiceError(Exception):
    """A request the use case refuses, with the reason for the person who made it."""

    def __init__(self, key: str, **params: Any) -> None:
        self.text = Text.of(key, **params)
        super().__init__(repr(self.text))


class NotSynced(ServiceError):
    def __init__(self) -> None:
        super().__init__("status.not_synced")
