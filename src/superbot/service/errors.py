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


class Unavailable(Exception):
    """The database cannot be reached or written just now (PostgreSQL restarting or cut off,
    SQLite busy or its folder read-only): nothing of the request was kept, and the same
    request later will work. People are told to try again; the log says why."""
