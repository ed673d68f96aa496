"""The pause after wrong invite codes, exact to the second."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from superbot.domain.attempts import WRONG_CODE_WINDOW, WRONG_CODES, next_try

NOW = datetime(2022, 6, 22, 2, 0, tzinfo=UTC)


def minutes_ago(*minutes: int) -> list[datetime]:
    return [NOW - timedelta(minutes=m) for m in minutes]


def test_fewer_wrong_codes_than_the_limit_wait_for_nothing() -> None:
    assert next_try(minutes_ago(*range(WRONG_CODES - 1)), NOW) is None


def test_the_limit_reached_waits_until_the_oldest_leaves_the_window() -> None:
    wrong = minutes_ago(14, 9, 3, 2, 1)
    assert next_try(wrong, NOW) == NOW - timedelta(minutes=14) + WRONG_CODE_WINDOW


def test_wrong_codes_older_than_the_window_are_forgotten() -> None:
    wrong = minutes_ago(15, 3, 2, 1, 0)  # the first left the window just now
    assert next_try(wrong, NOW) is None


def test_many_wrong_codes_wait_for_the_latest_limits_worth() -> None:
    wrong = minutes_ago(12, 11, 10, 4, 3, 2, 1)
    # Until the fifth latest leaves: then only four remain within the window.
    assert next_try(wrong, NOW) == NOW - timedelta(minutes=10) + WRONG_CODE_WINDOW
