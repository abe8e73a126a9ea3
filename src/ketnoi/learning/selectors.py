"""Reads of learning, each in a fixed number of queries, for pages, the API and other apps.

``certificate_held`` is the one question other apps ask (jobs requires a
certificate before offering work).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.files.storage import default_storage
from django.db.models import Count, Prefetch, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from ketnoi.core.errors import NotFound

from .models import Activity, Answer, Certificate, Course, Lesson, LessonProgress


def courses_published() -> QuerySet[Course]:
    """Published courses in their order, each with ``lesson_count``."""
    return (
        Course.objects.filter(published=True)
        .annotate(lesson_count=Count("lessons"))
        .order_by("position", "slug")
    )


def courses_published_with_lessons() -> QuerySet[Course]:
    """Published courses with their lessons (slug and titles) prefetched: two queries."""
    return courses_published().prefetch_related(
        Prefetch(
            "lessons",
            queryset=Lesson.objects.only("pk", "course_id", "slug", "title", "title_en", "position"),
        )
    )


def course_for_page(slug: str) -> Course:
    course = Course.objects.filter(slug=slug, published=True).first()
    if course is None:
        raise NotFound(_("Không tìm thấy khoá học này."), code="course_not_found")
    return course


@dataclass(frozen=True)
class LessonLine:
    lesson: Lesson
    activity_count: int
    points: int
    progress: LessonProgress | None

    @property
    def done(self) -> bool:
        return bool(self.progress and self.progress.completed_at)

    @property
    def started(self) -> bool:
        return self.progress is not None


@dataclass(frozen=True)
class CourseOutline:
    course: Course
    lessons: list[LessonLine]
    certificate: Certificate | None

    @property
    def lessons_done(self) -> int:
        return sum(line.done for line in self.lessons)

    @property
    def score(self) -> int:
        return sum(line.progress.score for line in self.lessons if line.progress)

    @property
    def max_score(self) -> int:
        return sum(line.points for line in self.lessons)

    @property
    def percent(self) -> int:
        return round(100 * self.score / self.max_score) if self.max_score else 0

    @property
    def next_lesson(self) -> Lesson | None:
        return next((line.lesson for line in self.lessons if not line.done), None)


def course_outline(course: Course, learner: Any) -> CourseOutline:
    """The lessons of ``course`` with ``learner``'s progress on each: three queries (one signed out)."""
    lessons = list(
        course.lessons.defer("body_html", "body_en_html").annotate(
            activity_count=Count("activities"), points=Sum("activities__points")
        )
    )
    progress: dict[int, LessonProgress] = {}
    certificate = None
    if learner is not None and learner.is_authenticated:
        progress = {
            row.lesson_id: row
            for row in LessonProgress.objects.filter(learner=learner, lesson__course=course)
        }
        certificate = Certificate.objects.filter(learner=learner, course=course).first()
    return CourseOutline(
        course=course,
        lessons=[
            LessonLine(
                lesson=lesson,
                activity_count=lesson.activity_count,  # type: ignore[attr-defined]
                points=lesson.points or 0,  # type: ignore[attr-defined]
                progress=progress.get(lesson.pk),
            )
            for lesson in lessons
        ],
        certificate=certificate,
    )


def lesson_for_page(course: Course, lesson_slug: str) -> Lesson:
    """The lesson with its activities (one query each)."""
    lesson = (
        Lesson.objects.filter(course=course, slug=lesson_slug)
        .prefetch_related(Prefetch("activities", queryset=Activity.objects.order_by("position")))
        .first()
    )
    if lesson is None:
        raise NotFound(_("Không tìm thấy bài học này."), code="lesson_not_found")
    lesson.course = course
    return lesson


def lesson_neighbours(lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
    """The lessons before and after ``lesson`` in its course (one query)."""
    around = list(
        Lesson.objects.filter(
            course_id=lesson.course_id, position__in=[lesson.position - 1, lesson.position + 1]
        ).only("slug", "title", "title_en", "position")
    )
    before = next((item for item in around if item.position < lesson.position), None)
    after = next((item for item in around if item.position > lesson.position), None)
    return before, after


def answers_latest(learner: Any, lesson: Lesson) -> dict[int, Answer]:
    """``learner``'s latest answer to each activity of ``lesson`` (one query)."""
    if learner is None or not learner.is_authenticated:
        return {}
    latest: dict[int, Answer] = {}
    for answer in Answer.objects.filter(learner=learner, activity__lesson=lesson).order_by(
        "received_at", "pk"
    ):
        latest[answer.activity_id] = answer
    return latest


def media_url(name: str) -> str:
    """The address of a course file the loader stored (``Lesson.audio``)."""
    return default_storage.url(name)


@dataclass(frozen=True)
class CourseProgress:
    course: Course
    lessons_total: int
    lessons_done: int
    certificate: Certificate | None

    @property
    def percent_done(self) -> int:
        return round(100 * self.lessons_done / self.lessons_total) if self.lessons_total else 0


def learner_progress(learner: Any) -> list[CourseProgress]:
    """Every course ``learner`` has started, with lessons done and her certificate: three queries."""
    done_by_course: dict[int, tuple[int, int]] = {}
    for course_id, started, done in (
        LessonProgress.objects.filter(learner=learner)
        .values("lesson__course_id")
        .annotate(started=Count("pk"), done=Count("completed_at"))
        .values_list("lesson__course_id", "started", "done")
    ):
        done_by_course[course_id] = (started, done)
    courses = (
        Course.objects.filter(pk__in=done_by_course)
        .annotate(lesson_count=Count("lessons"))
        .order_by("position", "slug")
    )
    certificates = {
        c.course_id: c for c in Certificate.objects.filter(learner=learner, course_id__in=done_by_course)
    }
    return [
        CourseProgress(
            course=course,
            lessons_total=course.lesson_count,  # type: ignore[attr-defined]
            lessons_done=done_by_course[course.pk][1],
            certificate=certificates.get(course.pk),
        )
        for course in courses
    ]


def certificates_of(learner: Any) -> QuerySet[Certificate]:
    return Certificate.objects.filter(learner=learner).select_related("course").order_by("-issued_at")


def certificate_for_owner(user: Any, number: str) -> Certificate:
    certificate = Certificate.objects.select_related("course").filter(number=number, learner=user).first()
    if certificate is None:
        raise NotFound(_("Không tìm thấy giấy chứng nhận này."), code="certificate_not_found")
    return certificate


def certificate_held(user: Any, course_slug: str) -> bool:
    """Whether ``user`` holds a certificate (not revoked) for the course ``course_slug``. One query."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return Certificate.objects.filter(
        learner=user, course__slug=course_slug, revoked_at__isnull=True
    ).exists()
