"""Chart geometry for the admin page: numbers in, SVG coordinates out, no markup.

The template draws the shapes (templates/stats.html), so every label passes through Jinja's
autoescaping; this module only decides where things go. Colours are CSS classes in
static/stats.css: the page's CSP allows no inline style.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

WIDTH, HEIGHT = 600, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28
MAX_X_LABELS = 10
HBAR_ROW, HBAR_LABEL, HBAR_LABEL_CHARS = 26, 170, 12


@dataclass(frozen=True)
class Series:
    """One named run of values, one per day; None where there is no value (a gap)."""

    css: str
    label: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class Mark:
    """A bar or a dot, with the tooltip the browser shows for it."""

    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass(frozen=True)
class Label:
    """A piece of text at a point: an axis value, a day, a name (escaped by the template)."""

    x: float
    y: float
    text: str


@dataclass
class Chart:
    """Everything the template needs to draw one chart."""

    title: str
    width: int = WIDTH
    height: int = HEIGHT
    bars: list[Mark] = field(default_factory=list)
    lines: list[tuple[str, str]] = field(default_factory=list)  # (css, "x,y x,y …")
    dots: list[Mark] = field(default_factory=list)
    grid: list[Label] = field(default_factory=list)  # horizontal lines with the value
    x_labels: list[Label] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (css, label)
    names: list[Label] = field(default_factory=list)  # horizontal bars: the name before each
    amounts: list[Label] = field(default_factory=list)  # horizontal bars: the value after each
    zero: float = 0.0
    empty: bool = False

    @property
    def right(self) -> int:
        """Where the plot area ends: grid lines stop there."""
        return self.width - RIGHT


def nice_step(span: float, ticks: int = 4) -> float:
    """A round step (1, 2 or 5 × 10ⁿ) giving about `ticks` grid lines over `span`."""
    raw = max(span, 1e-9) / ticks
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _fmt(value: float, percent: bool) -> str:
    return f"{value:.0%}" if percent else f"{value:g}"


def _frame(
    chart: Chart, days: Sequence[date], lo: float, hi: float, percent: bool
) -> tuple[float, float]:
    """Grid lines and day labels; returns the value range the y axis spans."""
    step = 0.25 if percent else max(1.0, nice_step(hi - lo))  # counts: whole numbers
    lo, hi = math.floor(lo / step) * step, max(math.ceil(hi / step) * step, step)
    chart.grid = [
        Label(LEFT, _y(v, lo, hi), _fmt(v, percent))
        for v in (lo + i * step for i in range(round((hi - lo) / step) + 1))
    ]
    chart.zero = _y(0, lo, hi)
    every = max(1, math.ceil(len(days) / MAX_X_LABELS))
    chart.x_labels = [
        Label(_center(i, len(days)), HEIGHT - 8, day.strftime("%m-%d"))
        for i, day in enumerate(days)
        if i % every == 0
    ]
    return lo, hi


def _y(value: float, lo: float, hi: float) -> float:
    return round(TOP + (hi - value) / (hi - lo) * (HEIGHT - TOP - BOTTOM), 1)


def _center(index: int, count: int) -> float:
    slot = (WIDTH - LEFT - RIGHT) / max(count, 1)
    return round(LEFT + slot * (index + 0.5), 1)


def bar_chart(
    title: str,
    days: Sequence[date],
    bars: Sequence[Series],
    line: Series | None = None,
    *,
    percent: bool = False,
) -> Chart:
    """Grouped bars per day, optionally with a line across (e.g. the net change)."""
    chart = Chart(title, legend=[(s.css, s.label) for s in [*bars, *([line] if line else [])]])
    values = [v for s in [*bars, *([line] if line else [])] for v in s.values if v is not None]
    chart.empty = not any(values)
    lo, hi = _frame(chart, days, min([0.0, *values]), max([1.0, *values]), percent)
    slot = (WIDTH - LEFT - RIGHT) / max(len(days), 1)
    bar = slot * 0.8 / max(len(bars), 1)
    for i, day in enumerate(days):
        start = LEFT + slot * i + slot * 0.1
        for j, series in enumerate(bars):
            value = series.values[i] or 0
            top, base = sorted((_y(value, lo, hi), chart.zero))
            tip = f"{day.isoformat()} {series.label}：{_fmt(value, percent)}"
            chart.bars.append(
                Mark(round(start + j * bar, 1), top, round(bar, 1), base - top, series.css, tip)
            )
    if line is not None:
        _add_line(chart, days, line, lo, hi, percent)
    return chart


def line_chart(title: str, days: Sequence[date], lines: Sequence[Series]) -> Chart:
    """Lines of shares (0–1) per day, broken where a value is not known yet."""
    chart = Chart(title, legend=[(s.css, s.label) for s in lines])
    chart.empty = all(v is None for s in lines for v in s.values)
    lo, hi = _frame(chart, days, 0.0, 1.0, True)
    for series in lines:
        _add_line(chart, days, series, lo, hi, True)
    return chart


def _add_line(
    chart: Chart, days: Sequence[date], series: Series, lo: float, hi: float, percent: bool
) -> None:
    run: list[str] = []
    for i, (day, value) in enumerate(zip(days, series.values, strict=True)):
        if value is None:
            if run:
                chart.lines.append((series.css, " ".join(run)))
            run = []
            continue
        x, y = _center(i, len(days)), _y(value, lo, hi)
        run.append(f"{x},{y}")
        tip = f"{day.isoformat()} {series.label}：{_fmt(value, percent)}"
        chart.dots.append(Mark(x, y, 3, 3, series.css, tip))
    if run:
        chart.lines.append((series.css, " ".join(run)))


def hbar_chart(title: str, items: Sequence[tuple[str, int]], css: str) -> Chart:
    """One horizontal bar per named item (a channel, say), largest first."""
    items = sorted(items, key=lambda item: -item[1])
    height = TOP + BOTTOM + HBAR_ROW * max(len(items), 1)
    chart = Chart(title, height=height, empty=not any(v for _, v in items))
    top = max([1, *(v for _, v in items)])
    span = WIDTH - HBAR_LABEL - RIGHT - 40
    for i, (name, value) in enumerate(items):
        y = TOP + HBAR_ROW * i
        shown = name if len(name) <= HBAR_LABEL_CHARS else name[: HBAR_LABEL_CHARS - 1] + "…"
        chart.names.append(Label(HBAR_LABEL - 8, y + HBAR_ROW * 0.65, shown))
        w = round(span * value / top, 1)
        chart.bars.append(Mark(HBAR_LABEL, y + 4, w, HBAR_ROW - 8, css, f"{name}：{value}"))
        chart.amounts.append(Label(HBAR_LABEL + w + 6, y + HBAR_ROW * 0.65, str(value)))
    return chart
