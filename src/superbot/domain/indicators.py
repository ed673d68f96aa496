"""定量指标 against their targets, as each kind is read in practice.

* ``amount`` (数量: 新增高企 30 家): met at the target; on the way, compared with the
  pro-rata target (the share of the task's time passed, or the quarter's own target);
* ``rate`` (增速、比重, in %): compared in percentage points, never as a share of the target —
  15 % growth against a 15 % target is met, and −5 % is 20 points short, not "−33 %";
* ``rank`` (排名前 30%, 第 3 名): smaller is better — 前 25% meets 前 30%.

``direction: down`` turns an amount or a rate around (能耗 falls to its target). A rank is
always "down". Quarterly targets (一季度 … 四季度) replace the year's in their quarter.
"""

from __future__ import annotations

from datetime import date

from superbot.domain.model import Direction, Indicator, IndicatorKind


def quarter_of(day: date) -> int:
    return (day.month - 1) // 3


def target_on(indicator: Indicator, as_of: date) -> float | None:
    """The target in force on ``as_of``: its quarter's when the plan sets one."""
    quarterly = indicator.quarterly
    if quarterly and quarterly[quarter_of(as_of)] is not None:
        return quarterly[quarter_of(as_of)]
    return indicator.target


def smaller_is_better(indicator: Indicator) -> bool:
    return indicator.kind is IndicatorKind.RANK or indicator.direction is Direction.DOWN


def is_met(indicator: Indicator, value: float | None, as_of: date) -> bool | None:
    target = target_on(indicator, as_of)
    if value is None or target is None:
        return None
    return value <= target if smaller_is_better(indicator) else value >= target


def attainment(indicator: Indicator, value: float | None) -> float | None:
    """完成率 of an amount against the year's target, in percent; None for a rate or a rank,
    which are compared in points (83.3 % of 前30% means nothing)."""
    target = indicator.target
    if value is None or not target or indicator.kind is not IndicatorKind.AMOUNT:
        return None
    if indicator.direction is Direction.DOWN:
        return 100.0 * target / value if value > 0 else None
    return 100.0 * value / target


def shortfall(
    indicator: Indicator, value: float | None, as_of: date, expected: float
) -> float | None:
    """How far behind the indicator is on ``as_of``, in points (negative: ahead).

    An amount: percentage points of its target behind the pro-rata target (``expected`` is
    the share of the task's time passed, 0–100) or behind the quarter's target. A rate or a
    rank: percentage points (or places) from the target in force.
    """
    target = target_on(indicator, as_of)
    if value is None or target is None:
        return None
    if indicator.kind is IndicatorKind.AMOUNT:
        if not target:
            return None
        if indicator.direction is Direction.DOWN:  # a ceiling holds all year, not pro rata
            return 100.0 * (value - target) / abs(target)
        quarterly = bool(indicator.quarterly) and indicator.quarterly[quarter_of(as_of)] is not None
        due_now = target if quarterly else target * expected / 100
        return 100.0 * (due_now - value) / abs(target)
    return value - target if smaller_is_better(indicator) else target - value
