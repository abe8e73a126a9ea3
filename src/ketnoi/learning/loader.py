"""Courses from files: read, check and load ``content/learning/<slug>/`` into the tables.

A course folder holds ``course.yaml``, one Markdown file per lesson and
language (``<lesson>.vi.md``, ``<lesson>.en.md``), ``images/`` and an optional
``audio/``. ``content/learning/README.md`` is the trainers' guide; the
schema in short:

``course.yaml``
    ``title``/``title_en``, ``summary``/``summary_en`` (required);
    ``slug`` (equals the folder name), ``language`` (``vi``), ``audience``,
    ``pass_percent`` (70), ``position`` (0), ``published`` (false);
    ``lessons``: a list, at least one.
lesson
    ``slug``, ``title``/``title_en`` (required); ``minutes`` (5);
    ``body``/``body_en`` (Markdown file names, default ``<slug>.vi.md`` and
    ``<slug>.en.md``); ``audio`` (a file under the folder); ``activities``.
activity
    ``slug``, ``kind``, ``prompt``/``prompt_en``,
    ``explanation``/``explanation_en`` (required); ``points`` (1); and by
    kind: ``choice`` and ``picture_choice`` — ``options`` (2–6 of
    ``{key, text, text_en}``, plus ``image`` for pictures) and ``correct``
    (a key or a list of keys); ``scam`` — ``verdict: scam|safe`` (options
    "Safe"/"Scam") or ``options`` + ``correct``; ``practice_photo`` —
    ``serious`` (hint codes that fail the photo); ``practice_story`` —
    ``min_words``, ``questions`` (``{key, text, text_en, hint, hint_en}``,
    default the catalogue's who/how/from); ``practice_reply`` —
    ``min_words``, ``required`` (``{name, label, label_en, keywords}``).

Every learner-facing text needs its English twin; unknown keys, duplicate
keys or slugs, missing or unsafe images, a question without a right answer
and an unknown kind are errors. All problems of all courses are collected
and reported together (file, line, field) and then nothing is loaded.

Loading happens in one transaction: a course whose content hash did not
change is left alone; the others are updated in place by lesson and
activity slug, so learners' answers, progress and certificates survive.
An activity (or lesson) that disappeared from the files is deleted only if
nobody has answered it; otherwise the whole load is refused.

Markdown is rendered with markdown-it-py (raw HTML off) and cleaned with
nh3 (p, h2–h4, lists, strong, em, blockquote, links, images). Images and
audio are copied into the default storage at
``learning/<course>/<sha256>.<ext>``: content-addressed, so a file never
changes under its name and can be cached for ever. Files are written before
the database transaction; if the transaction fails they stay unreferenced,
which is harmless.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .course_files import COURSE_FILE, CourseContentError, Problem
from .course_schema import CourseReader, CourseSpec
from .models import Activity, Answer, Course, Lesson, LessonProgress

__all__ = ["CourseContentError", "LoadResult", "Problem", "content_root", "courses_load", "courses_read"]

# Part of every content hash: a new loader version reloads every course once.


@dataclass(frozen=True)
class LoadResult:
    slug: str
    status: str  # "created", "updated", "unchanged" (with --check: what would happen)
    lessons: int
    activities: int
    package_bytes: int


def content_root() -> Path:
    """Where the course folders are: ``settings.LEARNING_CONTENT_DIR`` or ``content/learning``."""
    configured = getattr(settings, "LEARNING_CONTENT_DIR", None)
    return Path(configured) if configured else Path(settings.BASE_DIR) / "content" / "learning"


# --- Reading and loading ---------------------------------------------------------


def courses_read(root: Path, slugs: Sequence[str] = ()) -> list[CourseSpec]:
    """Every course folder under ``root`` (or only ``slugs``), read and checked.

    Raises ``CourseContentError`` listing every problem of every course read.
    """
    problems: list[Problem] = []
    if not root.is_dir():
        raise CourseContentError(
            [Problem(str(root.name), None, "", _("Không thấy thư mục khoá học."), "no_root")]
        )
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    if slugs:
        known = {folder.name for folder in folders}
        problems += [
            Problem(slug, None, "", _("Không có khoá học này."), "unknown_course")
            for slug in slugs
            if slug not in known
        ]
        folders = [folder for folder in folders if folder.name in set(slugs)]
    specs: list[CourseSpec] = []
    for folder in folders:
        reader = CourseReader(folder)
        spec = reader.read()
        problems += reader.problems
        if spec is not None:
            specs.append(spec)
    if problems:
        raise CourseContentError(problems)
    return specs


def courses_load(
    root: Path | None = None, slugs: Sequence[str] = (), *, check_only: bool = False, force: bool = False
) -> list[LoadResult]:
    """Check every course, then (unless ``check_only``) load those whose files changed, all or nothing.

    Raises ``CourseContentError`` and changes nothing when a file is wrong or
    when a reload would delete an activity or lesson learners already answered.
    """
    from .services import lesson_progress_refresh  # the write side of progress lives there

    specs = courses_read(root or content_root(), slugs)
    with transaction.atomic():
        existing = {course.slug: course for course in Course.objects.filter(slug__in=[s.slug for s in specs])}
        problems = [problem for spec in specs for problem in _removal_problems(spec, existing.get(spec.slug))]
        if problems:
            raise CourseContentError(problems)
        results: list[LoadResult] = []
        for spec in specs:
            course = existing.get(spec.slug)
            if course is not None and course.content_hash == spec.content_hash and not force:
                status = "unchanged"
            else:
                status = "created" if course is None else "updated"
                if not check_only:
                    _assets_store(spec.assets)
                    for lesson in _course_write(spec, course):
                        lesson_progress_refresh(lesson=lesson)
            results.append(
                LoadResult(
                    slug=spec.slug,
                    status=status,
                    lessons=len(spec.lessons),
                    activities=sum(len(lesson.activities) for lesson in spec.lessons),
                    package_bytes=spec.package_bytes,
                )
            )
        return results


def _removal_problems(spec: CourseSpec, course: Course | None) -> list[Problem]:
    """What the files drop that learners already answered: refused, with the slug to put back."""
    if course is None:
        return []
    file = f"{spec.slug}/{COURSE_FILE}"
    kept = {lesson.slug: {activity.slug for activity in lesson.activities} for lesson in spec.lessons}
    answered = Activity.objects.filter(lesson__course=course).filter(
        Exists(Answer.objects.filter(activity=OuterRef("pk")))
    )
    problems: list[Problem] = []
    for lesson_slug, activity_slug in answered.values_list("lesson__slug", "slug").order_by(
        "lesson__position", "position"
    ):
        if lesson_slug not in kept:
            problems.append(
                Problem(
                    file,
                    None,
                    f"lessons: {lesson_slug}",
                    _("Không xoá được bài %(lesson)s: đã có người học trả lời. Hãy giữ lại bài này.")
                    % {"lesson": lesson_slug},
                    "answered_removed",
                )
            )
        elif activity_slug not in kept[lesson_slug]:
            problems.append(
                Problem(
                    file,
                    None,
                    f"lessons: {lesson_slug}, activities: {activity_slug}",
                    _("Không xoá được câu hỏi %(activity)s: đã có người học trả lời. Hãy giữ câu hỏi này.")
                    % {"activity": activity_slug},
                    "answered_removed",
                )
            )
    completed = LessonProgress.objects.filter(lesson__course=course, completed_at__isnull=False)
    for lesson_slug in (
        completed.exclude(lesson__slug__in=kept).values_list("lesson__slug", flat=True).distinct()
    ):
        problem = Problem(
            file,
            None,
            f"lessons: {lesson_slug}",
            _("Không xoá được bài %(lesson)s: đã có người học trả lời. Hãy giữ lại bài này.")
            % {"lesson": lesson_slug},
            "answered_removed",
        )
        if problem not in problems:
            problems.append(problem)
    return problems


def _assets_store(assets: dict[str, bytes]) -> None:
    for name, data in assets.items():
        if not default_storage.exists(name):  # content-addressed: same name, same bytes
            default_storage.save(name, ContentFile(data))


def _course_write(spec: CourseSpec, course: Course | None) -> list[Lesson]:
    """Write one checked course in place (by slug); the lessons written, for progress to follow."""
    course = course or Course(slug=spec.slug)
    for name in (
        "title",
        "title_en",
        "summary",
        "summary_en",
        "language",
        "audience",
        "pass_percent",
        "position",
        "published",
        "content_hash",
    ):
        setattr(course, name, getattr(spec, name))
    course.loaded_at = timezone.now()
    course.save()
    lessons = {lesson.slug: lesson for lesson in course.lessons.all()}
    kept = {lesson_spec.slug for lesson_spec in spec.lessons}
    Lesson.objects.filter(pk__in=[lesson.pk for slug, lesson in lessons.items() if slug not in kept]).delete()
    written: list[Lesson] = []
    for position, lesson_spec in enumerate(spec.lessons, start=1):
        lesson = lessons.get(lesson_spec.slug) or Lesson(course=course, slug=lesson_spec.slug)
        lesson.position = position
        lesson.title = lesson_spec.title
        lesson.title_en = lesson_spec.title_en
        lesson.body_html = lesson_spec.body_html
        lesson.body_en_html = lesson_spec.body_en_html
        lesson.audio = lesson_spec.audio
        lesson.minutes = lesson_spec.minutes
        lesson.save()
        activities = {activity.slug: activity for activity in lesson.activities.all()}
        keep = {activity.slug for activity in lesson_spec.activities}
        Activity.objects.filter(pk__in=[a.pk for slug, a in activities.items() if slug not in keep]).delete()
        for activity_position, activity_spec in enumerate(lesson_spec.activities, start=1):
            activity = activities.get(activity_spec.slug) or Activity(lesson=lesson, slug=activity_spec.slug)
            activity.position = activity_position
            for name in (
                "kind",
                "prompt",
                "prompt_en",
                "options",
                "answer_key",
                "explanation",
                "explanation_en",
                "points",
            ):
                setattr(activity, name, getattr(activity_spec, name))
            activity.save()
        written.append(lesson)
    return written
