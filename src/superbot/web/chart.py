"""The 总览's trend chart as geometry: the template draws it as SVG, server-side, no script."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from superbot.service.overview import MonthLights

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 36, 12, 12, 28
SERIES = ("red", "yellow", "green", "done")


@dataclass(frozen=True)
class Line:
    light: str
    points: str  # "x,y x,y …" for <polyline>
    dots: tuple[tuple[float, float, int], ...]  # x, y, the count there


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    lines: tuple[Line, ...]
    ticks: tuple[tuple[float, str], ...]  # x, the month (YYYY-MM)
    grid: tuple[tuple[float, int], ...]  # y, the count there
    top: int
    baseline: float
    left: int
    right: float


def trend_chart(months: Sequence[MonthLights]) -> Chart | None:
    if not months:
        return None
    peak = max(max(getattr(m.counts, s) for s in SERIES) for m in months)
    top = max(_nice(peak), 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(months) - 1, 1)

    def x(i: int) -> float:
        return round(LEFT + (i * step if len(months) > 1 else plot_w / 2), 1)

    def y(v: int) -> float:
        return round(TOP + plot_h * (1 - v / top), 1)

    lines = []
    for light in SERIES:
        counts = [getattr(m.counts, light) for m in months]
        dots = tuple((x(i), y(n), n) for i, n in enumerate(counts))
        lines.append(Line(light, " ".join(f"{a},{b}" for a, b, _ in dots), dots))
    grid = tuple((y(v), v) for v in sorted({0, top // 2, top}))
    ticks = tuple((x(i), m.period.key) for i, m in enumerate(months))
    return Chart(WIDTH, HEIGHT, tuple(lines), ticks, grid, top, y(0), LEFT, WIDTH - RIGHT)


def _nice(value: int) -> int:
    """A round top for the axis: 7 → 8, 23 → 24, 41 → 50."""
    for step in (2, 4, 10, 20, 50, 100, 200, 500, 1000):
        if value <= step * 5:
            return -(-value // step) * step if value > 0 else step
    return value
