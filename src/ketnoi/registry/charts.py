"""Charts drawn on the server as inline SVG: no JavaScript, a few kilobytes each.

Each chart has a ``<title>`` and ``<desc>`` (read by screen readers), its
values written as text beside the marks, and colours given as SVG
presentation attributes (``fill=``), which the page's CSP allows where a
``style`` attribute would not be. Bars run across the screen so that long
commune names fit a 360 px phone; the numbers are also in a table under
each chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 360
LABEL_HEIGHT = 16
BAR_HEIGHT = 14
BAR_GAP = 3
ROW_GAP = 10
LEGEND_HEIGHT = 24
VALUE_ROOM = 52  # room right of the longest bar for its value
FONT = 'font-family="system-ui, sans-serif" font-size="12"'
INK = "#1d1d1b"
GRID = "#d8d2c4"
PALETTE = ("#8a1c2b", "#1a5fb4", "#1f6b3a", "#b5650d")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]
    texts: Sequence[str]  # each value as people read it ("12,5%")


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _head(chart_id: str, title: str, description: str, height: float) -> list[str]:
    return [
        f'<svg class="chart" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        f'viewBox="0 0 {WIDTH} {_n(height)}" width="100%" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(description)}</desc>',
    ]


def _legend(series: Sequence[Series]) -> list[str]:
    if len(series) < 2:
        return []
    parts, x = [], 0.0
    for index, one in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        parts.append(f'<rect x="{_n(x)}" y="4" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{_n(x + 16)}" y="14" {FONT} fill="{INK}">{escape(one.name)}</text>')
        x += 24 + 7 * len(one.name)
    return parts


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    max_value: float | None = None,
) -> SafeString:
    """Horizontal bars, one group per label, one bar per series, each with its value written."""
    top = LEGEND_HEIGHT if len(series) > 1 else 0
    row_height = LABEL_HEIGHT + len(series) * (BAR_HEIGHT + BAR_GAP) + ROW_GAP
    height = top + max(1, len(labels)) * row_height
    peak = max_value or max((v for s in series for v in s.values), default=0.0) or 1.0
    room = WIDTH - VALUE_ROOM
    parts = [*_head(chart_id, title, description, height), *_legend(series)]
    for row, label in enumerate(labels):
        y = top + row * row_height
        parts.append(f'<text x="0" y="{_n(y + 12)}" {FONT} fill="{INK}">{escape(label)}</text>')
        for index, one in enumerate(series):
            bar_y = y + LABEL_HEIGHT + index * (BAR_HEIGHT + BAR_GAP)
            width = max(0.0, min(1.0, one.values[row] / peak)) * room
            colour = PALETTE[index % len(PALETTE)]
            parts.append(
                f'<rect x="0" y="{_n(bar_y)}" width="{_n(max(width, 1))}" '
                f'height="{BAR_HEIGHT}" fill="{colour}"/>'
            )
            parts.append(
                f'<text x="{_n(width + 4)}" y="{_n(bar_y + 11)}" {FONT} fill="{INK}">'
                f"{escape(one.texts[row])}</text>"
            )
    if not labels:
        parts.append(f'<text x="0" y="14" {FONT} fill="{INK}">—</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def line_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    max_value: float | None = None,
) -> SafeString:
    """One line per series across ``labels`` (years), each point with its value written."""
    top = (LEGEND_HEIGHT if len(series) > 1 else 0) + 24  # room for the value written above a top point
    plot_height = 140.0
    bottom = top + plot_height
    height = bottom + 24
    left, right = 28.0, WIDTH - 28.0  # room for a value centred on the first and last points
    peak = max_value or max((v for s in series for v in s.values), default=0.0) or 1.0
    count = len(labels)
    step = (right - left) / (count - 1) if count > 1 else 0.0

    def x_of(i: int) -> float:
        return left + i * step if count > 1 else (left + right) / 2

    def y_of(value: float) -> float:
        return bottom - max(0.0, min(1.0, value / peak)) * plot_height

    parts = [*_head(chart_id, title, description, height), *_legend(series)]
    parts.append(f'<line x1="0" y1="{_n(bottom)}" x2="{WIDTH}" y2="{_n(bottom)}" stroke="{GRID}"/>')
    for i, label in enumerate(labels):
        parts.append(
            f'<text x="{_n(x_of(i))}" y="{_n(bottom + 18)}" {FONT} fill="{INK}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    for index, one in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        points = " ".join(f"{_n(x_of(i))},{_n(y_of(v))}" for i, v in enumerate(one.values))
        if count > 1:
            parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for i, value in enumerate(one.values):
            x, y = x_of(i), y_of(value)
            parts.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="4" fill="{colour}"/>')
            parts.append(
                f'<text x="{_n(x)}" y="{_n(y - 8)}" {FONT} fill="{colour}" text-anchor="middle">'
                f"{escape(one.texts[i])}</text>"
            )
    if not labels:
        parts.append(f'<text x="0" y="{_n(top + 14)}" {FONT} fill="{INK}">—</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
