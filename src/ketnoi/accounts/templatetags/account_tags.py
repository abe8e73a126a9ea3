"""Display helpers for people's data: ``{{ phone|masked_phone }}``, ``{{ assignment|role_area }}``."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from ketnoi.accounts.models import RoleAssignment
from ketnoi.core.phone import mask_phone

register = template.Library()


register.filter("masked_phone", mask_phone)


@register.filter
def role_area(assignment: RoleAssignment) -> str:
    """The area a role is held for, in words: a commune with its province, a province, or the country."""
    if assignment.commune is not None:
        return f"{assignment.commune.name}, {assignment.commune.province.name}"
    if assignment.province is not None:
        return assignment.province.name
    if assignment.role == "administrator":
        return _("cả nước")
    return ""
