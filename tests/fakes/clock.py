"""Time as a parameter: a clock that only moves when told to, and a sleep that moves it."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

# Loop turns a sleeper lets pass before it takes the clock to its wake time: long enough for
# every other task that is ready to run to reach its own sleep (or finish).
SETTLE_TURNS = 20


class FakeClock:
    """Concurrent sleepers wake in the order of their wake times, each at its own time, as
    they would on a real clock: the earliest one moves the clock when everyone else is
    asleep too."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.slept: list[float] = []
        self._sleepers: list[datetime] = []
        self._changes = 0  # sleepers come and go: a wake decided on an old view waits

    def __call__(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        wake = self.now + timedelta(seconds=seconds)
        self._sleepers.append(wake)
        self._changes += 1
        try:
            while True:
                seen = self._changes
                for _ in range(SETTLE_TURNS):
                    await asyncio.sleep(0)
                if seen == self._changes and wake <= min(self._sleepers):
                    break
        finally:
            self._sleepers.remove(wake)
            self._changes += 1
        self.now = max(self.now, wake)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
