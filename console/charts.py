"""Chart geometry for server-side SVG (the CSP allows no chart scripts or inline styles).

Each function returns a :class:`Chart`: shapes with positions, labels and tooltips, a
one-sentence summary for screen readers and the data as table rows. The template
``charts.html`` draws it (autoescaped, so labels from the database are safe).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import List, Mapping, Optional, Sequence, Tuple

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 28
MAX_X_LABELS = 8


@dataclass(frozen=True)
class Shape:
    """A bar (rect) or a point (circle at x, y) with its tooltip."""

    x: float
    y: float
    width: float
    height: float
    tooltip: str
    css: str = "bar"


@dataclass(frozen=True)
class Label:
    """Text at a position (axis labels, values)."""

    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass
class Chart:
    """Everything the template needs to draw one chart and its accessible table."""

    title: str
    summary: str
    columns: Tuple[str, ...]
    rows: Sequence[Tuple[str, ...]]
    shapes: List[Shape] = field(default_factory=list)
    labels: List[Label] = field(default_factory=list)
    grid: List[Label] = field(default_factory=list)  # y-axis ticks: y, text
    line: str = ""  # SVG path of a line chart
    legend: Tuple[Tuple[str, str], ...] = ()  # (css class, text)
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def empty(self) -> bool:
        """Nothing to draw."""
        return not self.shapes

    @property
    def plot(self) -> Tuple[int, int, int, int]:
        """The plot area: left, top, right, bottom."""
        return LEFT, TOP, self.width - RIGHT, self.height - BOTTOM


def axis_top(peak: float, whole: bool = True, ticks: int = 4) -> float:
    """A round axis maximum at or above ``peak``, split in ``ticks`` round steps.

    Steps are 1, 2, 2.5 or 5 times a power of 10; for counts (``whole``) never a fraction.
    """
    wanted = max(peak, 0) / ticks
    if wanted <= 0:
        return float(ticks) if whole else 1.0
    power = 10 ** math.floor(math.log10(wanted))
    for multiple in (1, 2, 2.5, 5, 10):
        step = multiple * power
        if whole and (step < 1 or step != int(step)):
            continue
        if wanted <= step:
            return float(step * ticks)
    return float(10 * power * ticks)


def number(value: float) -> str:
    """``12``, ``2.5`` (no trailing zeros)."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def day_label(day: date, days: int) -> str:
    """``Nov 21`` (``21`` would be ambiguous over 90 days)."""
    return f"{day:%b} {day.day}" if days > 1 else day.isoformat()


def _y_axis(chart: Chart, top_value: float, unit: str) -> float:
    left, top, _, bottom = chart.plot
    for i in range(5):
        value = top_value * i / 4
        y = bottom - (bottom - top) * i / 4
        chart.grid.append(Label(left - 6, y, number(value) + unit, "end"))
    return (bottom - top) / top_value


def _x_labels(chart: Chart, days: Sequence[date], slot: float) -> None:
    left, _, _, bottom = chart.plot
    every = max(1, math.ceil(len(days) / MAX_X_LABELS))
    for i, day in enumerate(days):
        if i % every == 0:
            chart.labels.append(Label(left + slot * (i + 0.5), bottom + 16, day_label(day, 2)))


def columns(title: str, days: Sequence[date], series: Mapping[str, Sequence[int]],
            names: Mapping[str, str], noun: str) -> Chart:
    """Stacked columns per day: ``series`` maps a css class to one count per day."""
    totals = [sum(values[i] for values in series.values()) for i in range(len(days))]
    keys = list(series)
    rows = [(day.isoformat(), *(str(series[k][i]) for k in keys), str(totals[i]))
            for i, day in enumerate(days)]
    peak = max(totals, default=0)
    busiest = days[totals.index(peak)] if peak else None
    summary = (f"{title}, {len(days)} days: {sum(totals)} {noun} in total"
               + (f", most on {day_label(busiest, 2)} ({peak})." if busiest else "."))
    chart = Chart(title, summary, ("Day", *(names[k] for k in keys), "Total")
                  if len(keys) > 1 else ("Day", noun.capitalize()),
                  rows if len(keys) > 1 else [(r[0], r[-1]) for r in rows],
                  legend=tuple((k, names[k]) for k in keys) if len(keys) > 1 else ())
    if not peak:
        return chart
    left, _, right, bottom = chart.plot
    scale = _y_axis(chart, axis_top(peak), "")
    slot = (right - left) / len(days)
    for i, day in enumerate(days):
        base = float(bottom)
        for key in keys:
            count = series[key][i]
            if count:
                height = count * scale
                base -= height
                what = f"{names[key]} " if len(keys) > 1 else ""
                chart.shapes.append(Shape(left + slot * i + slot * 0.15, base, slot * 0.7,
                                          height, f"{day.isoformat()}: {count} {what}{noun}",
                                          f"bar {key}"))
    _x_labels(chart, days, slot)
    return chart


def rate_line(title: str, days: Sequence[date], rates: Sequence[Optional[float]],
              counts: Sequence[Tuple[int, int]]) -> Chart:
    """A percentage per day as a line (days without messages are left out)."""
    rows = [(day.isoformat(), "" if rate is None else f"{number(rate)}%", f"{part} of {whole}")
            for day, rate, (part, whole) in zip(days, rates, counts, strict=True)]
    part, whole = sum(c[0] for c in counts), sum(c[1] for c in counts)
    overall = f"{number(100 * part / whole)}%" if whole else "no messages"
    chart = Chart(title, f"{title}, {len(days)} days: {overall} overall "
                         f"({part} of {whole} patient messages).",
                  ("Day", "Fallback rate", "Messages"), rows)
    if not whole:
        return chart
    left, _, right, bottom = chart.plot
    scale = _y_axis(chart, axis_top(max(r or 0 for r in rates), whole=False), "%")
    slot = (right - left) / len(days)
    path: List[str] = []
    for i, (day, rate) in enumerate(zip(days, rates, strict=True)):
        if rate is None:
            continue
        x, y = left + slot * (i + 0.5), bottom - rate * scale
        path.append(f"{'M' if not path else 'L'}{x:.1f},{y:.1f}")
        share = f"{counts[i][0]} of {counts[i][1]} messages"
        chart.shapes.append(Shape(x, y, 4, 4, f"{day.isoformat()}: {number(rate)}% ({share})",
                                  "point"))
    chart.line = " ".join(path)
    _x_labels(chart, days, slot)
    return chart


def ranking(title: str, items: Sequence[Tuple[str, int]], noun: str) -> Chart:
    """Horizontal bars, largest first (labels left of the bars, counts right of them)."""
    height = TOP + BOTTOM + 24 * max(len(items), 1)
    total = sum(count for _, count in items)
    top = f", first {items[0][0]} ({items[0][1]})" if items else ""
    chart = Chart(title, f"{title}: {len(items)} shown, {total} {noun}{top}.",
                  ("Topic", noun.capitalize()), [(label, str(n)) for label, n in items],
                  height=height)
    if not items:
        return chart
    label_width, right = 240, WIDTH - RIGHT - 40
    scale = (right - label_width) / max(count for _, count in items)
    for i, (label, count) in enumerate(items):
        y = TOP + 24 * i
        chart.shapes.append(Shape(label_width, y + 4, max(count * scale, 1), 16,
                                  f"{label}: {count} {noun}"))
        chart.labels.append(Label(label_width - 8, y + 16, _short(label), "end"))
        chart.labels.append(Label(label_width + count * scale + 6, y + 16, str(count), "start"))
    return chart


def _short(label: str, limit: int = 36) -> str:
    return label if len(label) <= limit else label[:limit - 1] + "…"
