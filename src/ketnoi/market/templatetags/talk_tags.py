"""``{{ message.body|rich_text }}`` and ``{{ review.stars|stars }}`` for messages and reviews."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from ketnoi.market.richtext import rich_text_html
from ketnoi.market.selectors_talk import unread_count

register = template.Library()


@register.filter
def rich_text(stored: str | None) -> SafeString:
    """Sanitised message or review text (b, i, br only), safe to put in the page."""
    return rich_text_html(stored or "")


@register.filter
def stars(count: int | float | None) -> str:
    """``★★★★☆`` for 4 (rounded); empty for none."""
    if count is None:
        return ""
    full = max(0, min(5, round(count)))
    return "★" * full + "☆" * (5 - full)


@register.simple_tag(takes_context=True)
def unread_messages(context: template.Context) -> int:
    """How many messages wait for the signed-in user (one query; 0 for a visitor).

    For the header: ``{% unread_messages as unread %}``.
    """
    request = context.get("request")
    return unread_count(getattr(request, "user", None))
