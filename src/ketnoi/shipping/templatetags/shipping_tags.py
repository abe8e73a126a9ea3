"""``{{ event.status|tracking_status }}``: a carrier's status in the reader's words."""

from __future__ import annotations

from django import template

from ketnoi.shipping.services import TRACKING_STATUSES

register = template.Library()


@register.filter
def tracking_status(status: str) -> str:
    label = TRACKING_STATUSES.get(status)
    return str(label) if label is not None else status
