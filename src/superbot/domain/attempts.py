"""Wrong codes slowed down: an account that sends too many wrong invite codes in a while waits
before the next try. Eight random characters leave nothing to guess in a few hundred tries;
the pause keeps it that way for anyone trying millions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

WRONG_CODES = 5  # wrong invite codes one account may send …
WRONG_CODE_WINDOW = timedelta(minutes=15)  # … within this long


def next_try(
    wrong: Iterable[datetime],
    now: datetime,
    limit: int = WRONG_CODES,
    window: timedelta = WRONG_CODE_WINDOW,
) -> datetime | None:
    """When the account may try a code again; None: now. ``wrong`` are the times of its wrong
    codes: once ``limit`` of them fall within ``window``, the next try waits until the
    oldest of those leaves the window."""
    recent = sorted(at for at in wrong if now - window < at <= now)
    if len(recent) < limit:
        return None
    return recent[-limit] + window
