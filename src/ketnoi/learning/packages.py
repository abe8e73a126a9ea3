"""How much a learner downloads to take a course offline.

A course's offline package is what the phone keeps so that every lesson can
be read and answered without a connection: the text of each lesson page in
her language (the lesson body, the questions and their choices) and every
file those pages show (pictures in the bodies, pictures of picture
choices, the lesson's audio). Files shared by several lessons are counted
once, as the phone's cache keeps them once. The page's frame (header,
stylesheet, script) is shared by all lessons and cached with the site, so
it is not part of a course's package.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.core.files.storage import default_storage

from .models import Course, Lesson

_IMG_SRC = re.compile(r"""<img\b[^>]*?\bsrc=["']([^"']+)["']""", re.IGNORECASE)


def _english(language: str) -> bool:
    return language.lower().startswith("en")


def _storage_name(reference: str) -> str | None:
    """The storage name behind a file's URL (or the name itself); ``None`` for a file elsewhere."""
    base = default_storage.url("")
    if base and reference.startswith(base):
        return reference[len(base) :]
    if "://" in reference or reference.startswith("/"):
        return None
    return reference


def _file_bytes(references: Iterable[str]) -> int:
    total = 0
    for name in {_storage_name(reference) for reference in references}:
        if name and default_storage.exists(name):
            total += default_storage.size(name)
    return total


def _lesson_page(lesson: Lesson, *, english: bool) -> tuple[int, set[str]]:
    """Bytes of one lesson page's own text (title, body, questions, choices) and the files it shows."""
    body = (lesson.body_en_html if english else "") or lesson.body_html
    parts = [(lesson.title_en if english else "") or lesson.title, body]
    files = set(_IMG_SRC.findall(body))
    if lesson.audio:
        files.add(lesson.audio)
    for activity in lesson.activities.all():
        parts.append((activity.prompt_en if english else "") or activity.prompt)
        for option in activity.options:
            parts.append((option.get("text_en") if english else "") or option.get("text", ""))
            parts.append((option.get("hint_en") if english else "") or option.get("hint", ""))
            if option.get("image"):
                files.add(option["image"])
    return sum(len(part.encode()) for part in parts), files


def lesson_text_bytes(course: Course, *, language: str = "vi") -> dict[str, int]:
    """Bytes of each lesson page's own text in ``language`` (Vietnamese where no English): slug → bytes."""
    english = _english(language)
    return {
        lesson.slug: _lesson_page(lesson, english=english)[0]
        for lesson in course.lessons.prefetch_related("activities").order_by("position")
    }


def course_package_size(course: Course, *, language: str = "vi") -> int:
    """Bytes a learner downloads to take ``course`` offline in ``language``: lesson texts plus their files.

    Two queries (lessons, activities) and one size look-up per distinct file.
    """
    english = _english(language)
    text = 0
    files: set[str] = set()
    for lesson in course.lessons.prefetch_related("activities"):
        lesson_bytes, lesson_files = _lesson_page(lesson, english=english)
        text += lesson_bytes
        files |= lesson_files
    return text + _file_bytes(files)
