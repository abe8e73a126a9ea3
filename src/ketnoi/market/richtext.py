"""User text with a little formatting (messages, reviews): NFC, then an allow-list sanitiser.

Only ``<b>``, ``<i>`` and ``<br>`` survive, without attributes; links and
every other tag are stripped (their text kept), ``<script>`` and ``<style>``
with their content. What is stored is safe HTML: ``<`` typed as text is kept
as ``&lt;``. Pages render it with ``{{ text|rich_text }}``, which sanitises
again before marking it safe, so a row written some other way cannot inject
markup either.
"""

from __future__ import annotations

import html

import nh3
from django.utils.safestring import SafeString, mark_safe

from ketnoi.core.text import nfc

ALLOWED_TAGS = frozenset({"b", "i", "br"})
MAX_LENGTH = 2000  # characters as typed (NFC)


def rich_text_clean(text: str) -> str:
    """``text`` (as typed) as sanitised HTML: line breaks as ``<br>``, only b/i/br kept."""
    typed = nfc(text).replace("\r\n", "\n").replace("\r", "\n")
    return nh3.clean(
        typed.replace("\n", "<br>"), tags=set(ALLOWED_TAGS), attributes={}, link_rel=None
    ).strip()


def rich_text_html(stored: str) -> SafeString:
    """Stored rich text, sanitised once more, ready for a template."""
    return mark_safe(nh3.clean(stored or "", tags=set(ALLOWED_TAGS), attributes={}, link_rel=None))  # noqa: S308


def rich_text_plain(stored: str) -> str:
    """Stored rich text as plain text (for SMS and e-mail): tags gone, entities decoded."""
    with_breaks = (stored or "").replace("<br>", "\n")
    return html.unescape(nh3.clean(with_breaks, tags=set(), attributes={}, link_rel=None)).strip()
