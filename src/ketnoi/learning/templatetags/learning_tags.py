"""Template helpers of learning: the text of a course in the reader's language."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def tr(obj: Any, name: str) -> Any:
    """``obj.<name>_en`` when the page is in English and it is filled in, else ``obj.<name>`` (Vietnamese).

    Works on model instances and on the dicts of ``Activity.options``.
    """
    english = (get_language() or "vi").startswith("en")
    if isinstance(obj, dict):
        value = obj.get(name, "")
        return (obj.get(f"{name}_en") or value) if english else value
    value = getattr(obj, name, "")
    if english:
        # Lesson bodies are stored as body_html / body_en_html.
        en_name = name.replace("_html", "_en_html") if name.endswith("_html") else f"{name}_en"
        return getattr(obj, en_name, "") or value
    return value
