"""Learning pages: courses, lessons with their activities, results, certificates and their verification.

Every activity is a plain HTML form that works without JavaScript: it posts
one answer with a ``client_id`` made here when the page was drawn, so a
double tap or a resent form counts once. The offline script (added later)
reads the forms' ``data-activity`` and ``data-client-id`` and sends what was
answered offline to ``answers/sync`` as JSON, one batch at a time.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from ketnoi.core.errors import DomainError, NotFound

from . import selectors
from .grading import CHOICE_KINDS, feedback_messages
from .models import Activity, Answer, Course, Lesson
from .services import AnswerResult, SyncItem, answer_record, answers_sync, certificate_verify, lesson_open


def _english() -> bool:
    return (get_language() or "vi").startswith("en")


def _course(slug: str) -> Course:
    try:
        return selectors.course_for_page(slug)
    except NotFound as error:
        raise Http404(str(error)) from None


@require_GET
def course_list_view(request: HttpRequest) -> HttpResponse:
    """The published courses, with how far she got in each when signed in."""
    courses = list(selectors.courses_published())
    progress = {}
    if request.user.is_authenticated:
        progress = {line.course.pk: line for line in selectors.learner_progress(request.user)}
    return render(
        request,
        "learning/course_list.html",
        {"rows": [(course, progress.get(course.pk)) for course in courses]},
    )


@require_GET
def course_view(request: HttpRequest, slug: str) -> HttpResponse:
    """One course: its lessons, each marked done or started, and her score."""
    course = _course(slug)
    return render(
        request, "learning/course.html", {"outline": selectors.course_outline(course, request.user)}
    )


def _activity_view(
    activity: Activity,
    answer: Answer | None,
    english: bool,
    *,
    error: DomainError | None = None,
    typed: Any = None,
) -> dict[str, Any]:
    """What the lesson page draws for one activity: the form (refilled) and her last result or the error."""
    if error is not None:
        answer = None
    else:
        typed = answer.response if answer else {}
    typed = typed if isinstance(typed, dict) else {}
    answers = typed.get("answers") if isinstance(typed.get("answers"), dict) else {}
    return {
        "activity": activity,
        "client_id": uuid.uuid4(),
        "multiple": activity.kind in CHOICE_KINDS and len(activity.answer_key.get("correct", [])) > 1,
        "answer": answer,
        "feedback": feedback_messages(activity, list(answer.feedback), english=english) if answer else [],
        "chosen": set(typed.get("choices", [])),
        "questions": [(question, answers.get(question["key"], "")) for question in activity.options]
        if activity.kind == Activity.Kind.PRACTICE_STORY
        else [],
        "text": typed.get("text", ""),
        "error": str(error) if error is not None else "",
    }


def _lesson_page(
    request: HttpRequest,
    course: Course,
    lesson: Lesson,
    *,
    failed: Activity | None = None,
    error: DomainError | None = None,
    typed: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    english = _english()
    latest = selectors.answers_latest(request.user, lesson)
    activities = []
    for activity in lesson.activities.all():
        if failed is not None and activity.pk == failed.pk:
            activities.append(_activity_view(activity, None, english, error=error, typed=typed))
        else:
            activities.append(_activity_view(activity, latest.get(activity.pk), english))
    before, after = selectors.lesson_neighbours(lesson)
    return render(
        request,
        "learning/lesson.html",
        {
            "course": course,
            "lesson": lesson,
            "activities": activities,
            "before": before,
            "after": after,
            "audio_url": selectors.media_url(lesson.audio) if lesson.audio else "",
        },
        status=status,
    )


@never_cache
@require_GET
def lesson_view(request: HttpRequest, slug: str, lesson_slug: str) -> HttpResponse:
    """A lesson: its text and pictures, then its activities as forms."""
    course = _course(slug)
    try:
        lesson = selectors.lesson_for_page(course, lesson_slug)
    except NotFound as error:
        raise Http404(str(error)) from None
    # A download for offline use (the service worker says "Purpose: prefetch")
    # is not the learner opening the lesson.
    if request.user.is_authenticated and request.headers.get("Purpose") != "prefetch":
        lesson_open(learner=request.user, lesson=lesson)
    return _lesson_page(request, course, lesson)


def _response_from_post(activity: Activity, request: HttpRequest) -> dict[str, Any]:
    """The learner's response as the graders read it, from the form's fields (nothing else)."""
    if activity.kind in CHOICE_KINDS:
        return {"choices": request.POST.getlist("choice")}
    if activity.kind == Activity.Kind.PRACTICE_PHOTO:
        return {"photo": request.FILES.get("photo")}
    if activity.kind == Activity.Kind.PRACTICE_STORY:
        return {"answers": {q["key"]: request.POST.get(f"answer_{q['key']}", "") for q in activity.options}}
    return {"text": request.POST.get("text", "")}


def _certificate_message(request: HttpRequest, result: AnswerResult) -> None:
    if result.certificate_number and not result.replayed:
        url = reverse("learning:certificate_print", args=[result.certificate_number])
        messages.success(
            request,
            format_html(
                '{} <a href="{}">{}</a>',
                _("Chúc mừng! Chị đã hoàn thành khoá học."),
                url,
                _("Xem giấy chứng nhận"),
            ),
        )


@login_required
@require_POST
def answer_view(request: HttpRequest, activity_id: int) -> HttpResponse:
    """One answer from a lesson form; back to the lesson with the result shown under the question."""
    activity = (
        Activity.objects.select_related("lesson__course")
        .filter(pk=activity_id, lesson__course__published=True)
        .first()
    )
    if activity is None:
        raise Http404
    lesson = activity.lesson
    response = _response_from_post(activity, request)
    try:
        result = answer_record(
            learner=request.user,
            client_id=request.POST.get("client_id"),
            activity_id=activity.pk,
            response=response,
            answered_at=None,
        )
    except DomainError as error:
        page_lesson = selectors.lesson_for_page(lesson.course, lesson.slug)
        typed = {key: value for key, value in response.items() if key != "photo"}
        return _lesson_page(
            request,
            lesson.course,
            page_lesson,
            failed=activity,
            error=error,
            typed=typed,
            status=error.status,
        )
    _certificate_message(request, result)
    url = reverse("learning:lesson", args=[lesson.course.slug, lesson.slug])
    return redirect(f"{url}#act-{activity.slug}")


def _sync_item(item: SyncItem, activities: dict[int, Activity], english: bool) -> dict[str, Any]:
    if item.error is not None or item.result is None:
        error = item.error or DomainError(_("Không ghi được câu trả lời này."))
        return {
            "client_id": item.client_id,
            "status": "refused",
            "error": {"detail": str(error), "code": error.code, "status": error.status},
        }
    result = item.result
    activity = activities[result.activity_id]
    return {
        "client_id": result.client_id,
        "status": "duplicate" if result.replayed else "recorded",
        "activity": result.activity_id,
        "correct": result.correct,
        "score": result.score,
        "points": result.points,
        "feedback": feedback_messages(activity, result.feedback, english=english),
        "explanation": (activity.explanation_en or activity.explanation) if english else activity.explanation,
        "answered_at": result.answered_at.isoformat(),
        "clock_adjusted": result.clock_adjusted,
        "lesson_completed": result.lesson_completed,
        "certificate": result.certificate_number,
    }


def _json_error(error: DomainError) -> JsonResponse:
    return JsonResponse({"detail": str(error), "code": error.code}, status=error.status)


@require_POST
def answers_sync_view(request: HttpRequest) -> JsonResponse:
    """``POST /learning/answers/sync``: the phone's outbox as JSON (session cookie + ``X-CSRFToken``).

    Body: ``{"items": [{"client_id", "activity", "response", "answered_at"}, …]}`` (at most 200).
    Answer: ``{"results": [...]}``, one per item in the same order, each ``recorded``,
    ``duplicate`` (counted before, not again) or ``refused`` with its reason.
    """
    if not request.user.is_authenticated:
        return _json_error(
            DomainError(_("Hãy đăng nhập để gửi câu trả lời."), code="not_signed_in", status=401)
        )
    try:
        payload = json.loads(request.body or b"null")
    except RequestDataTooBig:
        return _json_error(
            DomainError(
                _("Gửi ít câu trả lời hơn mỗi lần (ảnh làm gói quá lớn)."), code="sync_too_large", status=413
            )
        )
    except (ValueError, UnicodeDecodeError):
        return _json_error(
            DomainError(_("Dữ liệu gửi lên không đúng dạng."), code="sync_invalid", status=400)
        )
    items = payload.get("items") if isinstance(payload, dict) else payload
    try:
        outcomes = answers_sync(request.user, items)
    except DomainError as error:
        return _json_error(error)
    ids = {item.result.activity_id for item in outcomes if item.result}
    activities = Activity.objects.in_bulk(ids)
    english = _english()
    return JsonResponse(
        {"results": [_sync_item(item, activities, english) for item in outcomes]},
        json_dumps_params={"ensure_ascii": False},
    )


@login_required
@never_cache
@require_GET
def my_learning_view(request: HttpRequest) -> HttpResponse:
    """Her courses in progress and the certificates she holds."""
    return render(
        request,
        "learning/mine.html",
        {
            "progress": selectors.learner_progress(request.user),
            "certificates": list(selectors.certificates_of(request.user)),
        },
    )


def _verify_url(request: HttpRequest, number: str, signature: str) -> str:
    return (
        request.build_absolute_uri(reverse("learning:certificate_verify", args=[number])) + f"?s={signature}"
    )


@login_required
@never_cache
@require_GET
def certificate_print_view(request: HttpRequest, number: str) -> HttpResponse:
    """Her certificate, ready to print, with a QR code that opens the public verification page."""
    try:
        certificate = selectors.certificate_for_owner(request.user, number)
    except NotFound as error:
        raise Http404(str(error)) from None
    url = _verify_url(request, certificate.number, certificate.signature)
    qr = segno.make(url, error="m").svg_inline(scale=3, title=str(_("Mã QR để kiểm tra giấy chứng nhận")))
    return render(
        request,
        "learning/certificate_print.html",
        {"certificate": certificate, "qr": mark_safe(qr), "verify_url": url},  # noqa: S308 (segno's own SVG)
    )


@require_GET
def certificate_verify_view(request: HttpRequest, number: str) -> HttpResponse:
    """Public: whether the certificate in the QR is genuine, revoked or invalid (forged or altered)."""
    verification = certificate_verify(number, request.GET.get("s", ""))
    return render(
        request,
        "learning/certificate_verify.html",
        {"number": number, "verification": verification},
        status=200,
    )
