"""The seller's revenue by month as an inline SVG bar chart, drawn on the server.

No JavaScript and no ``style`` attributes (the CSP forbids them): colours
are SVG presentation attributes. The chart has a ``<title>`` and a
``<desc>`` for screen readers, each bar its value written above it, and the
page shows the same numbers in a table under it.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 360
PLOT_TOP = 18  # room for the value above the tallest bar
PLOT_HEIGHT = 140
LABEL_ROOM = 20
FONT = 'font-family="system-ui, sans-serif" font-size="10"'
INK = "#1d1d1b"
BAR = "#8a1c2b"
GRID = "#d8d2c4"


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _tenths(amount: int, unit: int) -> str:
    tenths = (amount + unit // 20) // (unit // 10)  # rounded half up, in integers
    whole, tenth = divmod(tenths, 10)
    return f"{whole},{tenth}" if tenth else str(whole)


def short_vnd(amount: int) -> str:
    """``1_250_000`` → ``1,3tr``; ``85_000`` → ``85k``: short enough to sit above a bar."""
    if amount >= 999_950_000:  # what would round to 1.000tr is 1tỷ
        return _tenths(amount, 1_000_000_000) + "tỷ"
    if amount >= 999_500:
        return _tenths(amount, 1_000_000) + "tr"
    if amount >= 1_000:
        return f"{(amount + 500) // 1_000}k"
    return str(amount)


def month_bars(
    *, chart_id: str, title: str, description: str, labels: Sequence[str], values: Sequence[int]
) -> SafeString:
    """Vertical bars, one per month (oldest on the left), each with its value written above it."""
    count = max(1, len(labels))
    slot = WIDTH / count
    bar_width = slot * 0.7
    bottom = PLOT_TOP + PLOT_HEIGHT
    peak = max(values, default=0) or 1
    parts = [
        f'<svg class="chart" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        f'viewBox="0 0 {WIDTH} {bottom + LABEL_ROOM}" width="100%" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(description)}</desc>',
        f'<line x1="0" y1="{bottom}" x2="{WIDTH}" y2="{bottom}" stroke="{GRID}"/>',
    ]
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        height = max(0.0, min(1.0, value / peak)) * PLOT_HEIGHT
        x = index * slot + (slot - bar_width) / 2
        centre = index * slot + slot / 2
        if value > 0:
            parts.append(
                f'<rect x="{_n(x)}" y="{_n(bottom - height)}" width="{_n(bar_width)}" '
                f'height="{_n(max(height, 1))}" fill="{BAR}"/>'
            )
            parts.append(
                f'<text x="{_n(centre)}" y="{_n(bottom - height - 4)}" {FONT} fill="{INK}" '
                f'text-anchor="middle">{escape(short_vnd(value))}</text>'
            )
        parts.append(
            f'<text x="{_n(centre)}" y="{_n(bottom + 14)}" {FONT} fill="{INK}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
