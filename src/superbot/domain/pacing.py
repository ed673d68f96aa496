"""Sending no faster than a channel allows: sliding windows per key, on a clock we are given."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    key: str
    count: int
    per_seconds: float


class Pacer:
    """``reserve`` says how long to wait before the next send under every given limit."""

    def __init__(self) -> None:
        self._sent: dict[str, deque[float]] = {}
        self._blocked: dict[str, float] = {}

    def reserve(self, limits: Sequence[Limit], now: float) -> float:
        """Seconds to wait from ``now``; the send is booked at ``now + wait``."""
        at = max([now, *(self._blocked.get(limit.key, now) for limit in limits)])
        for _ in range(len(limits) + 1):  # each window may push ``at`` later once
            moved = False
            for limit in limits:
                window = self._window(limit.key, at - limit.per_seconds)
                if len(window) >= limit.count:
                    earliest = window[len(window) - limit.count] + limit.per_seconds
                    if earliest > at:
                        at, moved = earliest, True
            if not moved:
                break
        for limit in limits:
            self._sent.setdefault(limit.key, deque()).append(at)
        return at - now

    def room(self, limit: Limit, now: float, horizon: float) -> int:
        """How many more sends under ``limit`` could be booked to go out by ``now + horizon``:
        what a dispatcher may claim without holding rows it cannot send within its lease."""
        if self._blocked.get(limit.key, now) > now + horizon:
            return 0
        booked = len(self._window(limit.key, now - limit.per_seconds))
        allowed = limit.count + int(limit.count * horizon / limit.per_seconds)
        return max(0, allowed - booked)

    def settle(self, key: str, at: float) -> None:
        """The last send booked under ``key`` finished only at ``at``: count it from then.
        For a key whose sends go one at a time (one recipient), so that a slow answer does
        not let the next message reach the remote side sooner than its limit allows."""
        window = self._sent.get(key)
        if window and window[-1] < at:
            window[-1] = at

    def block(self, key: str, until: float) -> None:
        """The remote side said "retry after": nothing goes to ``key`` before ``until``."""
        self._blocked[key] = max(until, self._blocked.get(key, until))

    def _window(self, key: str, since: float) -> deque[float]:
        window = self._sent.setdefault(key, deque())
        while window and window[0] <= since:
            window.popleft()
        return window
