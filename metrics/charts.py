"""Chart geometry for the dashboard's server-rendered SVG (no JavaScript, no chart library, no CDN).

Each function takes the numbers already computed and returns plain coordinates; the templates draw them and
put the same numbers in a table next to each chart. Coordinates are rounded to one decimal to keep the SVG small.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field

WIDTH = 680
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 44, 16, 14, 36
MAX_X_LABELS = 8


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass
class Series:
    key: str
    label: str
    color: str
    dash: str
    points: list[dict] = field(default_factory=list)

    @property
    def polyline(self) -> str:
        return " ".join(f"{p['x']},{p['y']}" for p in self.points)


def nice_scale(maximum: float, ticks: int = 4) -> tuple[float, float]:
    """(top of the axis, step): steps of 1, 2 or 5 times a power of ten, at least 1 (counts)."""
    if maximum <= 0:
        return 1, 1
    raw = max(maximum / ticks, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(f * power for f in (1, 2, 5, 10) if f * power >= raw)
    return step * math.ceil(maximum / step), step


def _r(value: float) -> float:
    return round(value, 1)


def line_chart(weeks: list[dict], series: list[tuple[str, str, str, str]], height: int = 240) -> dict:
    """Weekly lines: `series` is (key in each week, label, colour, stroke-dasharray)."""
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = height - MARGIN_TOP - MARGIN_BOTTOM
    top, step = nice_scale(max((w[key] for w in weeks for key, *_ in series), default=0))
    count = len(weeks)

    def x(i: int) -> float:
        return _r(MARGIN_LEFT + (plot_w * i / (count - 1) if count > 1 else plot_w / 2))

    def y(value: float) -> float:
        return _r(MARGIN_TOP + plot_h - plot_h * value / top)

    lines = []
    for key, label, color, dash in series:
        line = Series(key, label, color, dash)
        for i, week in enumerate(weeks):
            line.points.append({"x": x(i), "y": y(week[key]), "value": week[key], "week": week["week_start"]})
        lines.append(line)
    every = max(1, math.ceil(count / MAX_X_LABELS))
    x_labels = [Tick(x(i), _short_date(w["week_start"])) for i, w in enumerate(weeks) if i % every == 0]
    y_ticks = [Tick(y(v), f"{v:g}") for v in _steps(top, step)]
    return {
        "width": WIDTH,
        "height": height,
        "left": MARGIN_LEFT,
        "right": WIDTH - MARGIN_RIGHT,
        "top": MARGIN_TOP,
        "bottom": MARGIN_TOP + plot_h,
        "series": lines,
        "x_labels": x_labels,
        "y_ticks": y_ticks,
        "label_y": height - 12,
    }


def bar_chart(items: list[tuple[str, int]], *, label_width: int = 230, bar_height: int = 26, gap: int = 10) -> dict:
    """Horizontal bars, one per (label, value), longest scale at the largest value."""
    value_width = 56
    plot_w = WIDTH - label_width - value_width
    top = max((value for _, value in items), default=0) or 1
    bars = []
    for i, (label, value) in enumerate(items):
        y = MARGIN_TOP + i * (bar_height + gap)
        length = _r(plot_w * value / top)
        bars.append(
            {
                "label": label,
                "value": value,
                "y": y,
                "text_y": y + bar_height * 0.7,
                "width": length,
                "value_x": _r(label_width + length + 6),
            }
        )
    return {
        "width": WIDTH,
        "height": MARGIN_TOP * 2 + len(items) * (bar_height + gap),
        "label_x": label_width - 8,
        "bar_x": label_width,
        "bar_height": bar_height,
        "bars": bars,
    }


def column_chart(items: list[tuple[str, int]], height: int = 220) -> dict:
    """Vertical columns, one per (label, value), with a count axis."""
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = height - MARGIN_TOP - MARGIN_BOTTOM
    top, step = nice_scale(max((value for _, value in items), default=0))
    slot = plot_w / max(len(items), 1)
    width = _r(slot * 0.6)
    columns = []
    for i, (label, value) in enumerate(items):
        column_height = _r(plot_h * value / top)
        x = MARGIN_LEFT + slot * i + (slot - width) / 2
        columns.append(
            {
                "label": label,
                "value": value,
                "x": _r(x),
                "y": _r(MARGIN_TOP + plot_h - column_height),
                "height": column_height,
                "center": _r(x + width / 2),
                "value_y": _r(MARGIN_TOP + plot_h - column_height - 4),
            }
        )
    return {
        "width": WIDTH,
        "height": height,
        "left": MARGIN_LEFT,
        "right": WIDTH - MARGIN_RIGHT,
        "bottom": MARGIN_TOP + plot_h,
        "column_width": width,
        "columns": columns,
        "y_ticks": [Tick(_r(MARGIN_TOP + plot_h - plot_h * v / top), f"{v:g}") for v in _steps(top, step)],
        "label_y": height - 12,
    }


def _steps(top: float, step: float) -> list[float]:
    return [step * i for i in range(round(top / step) + 1)]


def _short_date(iso: str) -> str:
    day = datetime.date.fromisoformat(iso)
    return f"{day:%b} {day.day}"
