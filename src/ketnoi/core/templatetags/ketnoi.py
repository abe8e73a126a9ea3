"""Template filters for Vietnamese display: ``{{ amount|vnd }}``, ``{{ phone|phone }}``."""

from __future__ import annotations

from django import template

from ketnoi.core.money import format_vnd
from ketnoi.core.phone import format_phone

register = template.Library()


@register.filter
def vnd(amount: int | None) -> str:
    return "" if amount is None else format_vnd(int(amount))


@register.filter
def phone(e164: str | None) -> str:
    return "" if not e164 else format_phone(e164)
