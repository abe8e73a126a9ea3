"""The QR code of a tracking code, as inline SVG (segno): no image request, sharp in print."""

from __future__ import annotations

import segno
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


def qr_svg(text: str, *, scale: int = 4) -> SafeString:
    """An ``<svg>`` of ``text`` as a QR code, labelled for screen readers."""
    svg = segno.make(text, micro=False, error="m").svg_inline(scale=scale, border=2, omitsize=False)
    # segno writes only path data derived from the code: no user text reaches the markup.
    return format_html('<figure class="qr" role="img" aria-label="{}">{}</figure>', text, mark_safe(svg))  # noqa: S308
