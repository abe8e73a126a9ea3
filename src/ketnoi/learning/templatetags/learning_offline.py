"""Template helpers of the offline part of learning: the size of a course's offline package."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from ketnoi.learning.models import Course
from ketnoi.learning.packages import course_package_size

register = template.Library()


@register.simple_tag
def course_package_bytes(course: Course) -> int:
    """Bytes she downloads to take ``course`` offline in the page's language (two queries, a few stats)."""
    return course_package_size(course, language=get_language() or "vi")
