"""The learning part of ``/api/v1`` (mounted at ``/learning``): published courses, public, no sign-in."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from ketnoi.api.schemas import COMMON_ERRORS, lazy

from .models import Course
from .selectors import courses_published_with_lessons

router = Router(tags=["learning"], auth=None)

COURSES_PAGE_SIZE = 20


class LessonRef(Schema):
    slug: str
    title: str
    title_en: str
    position: int


class CourseOut(Schema):
    slug: str = Field(examples=["ban-hang-online"])
    title: str = Field(description=lazy(_("Tên khoá học bằng tiếng Việt.")))
    title_en: str
    summary: str
    summary_en: str
    language: str = Field(description=lazy(_("Ngôn ngữ chính của khoá học, ví dụ `vi`.")), examples=["vi"])
    pass_percent: int = Field(description=lazy(_("Điểm đạt để nhận giấy chứng nhận, theo %.")))
    lesson_count: int
    lessons: list[LessonRef] = Field(description=lazy(_("Các bài học theo thứ tự.")))

    @staticmethod
    def resolve_lessons(obj: Course) -> list[LessonRef]:
        return [
            LessonRef(
                slug=lesson.slug, title=lesson.title, title_en=lesson.title_en, position=lesson.position
            )
            for lesson in obj.lessons.all()
        ]


@router.get(
    "/courses",
    response={200: list[CourseOut], **COMMON_ERRORS},
    summary=lazy(_("Các khoá học đã công bố")),
    description=lazy(
        _(
            "Khoá học kỹ năng số, tài chính và nghề giúp việc đã công bố, theo thứ tự, mỗi khoá với các bài "
            "học. Công khai, không cần đăng nhập. Chia trang: `page`."
        )
    ),
)
@paginate(PageNumberPagination, page_size=COURSES_PAGE_SIZE, max_page_size=100)
def courses_list(request: HttpRequest) -> QuerySet[Course]:
    return courses_published_with_lessons()
