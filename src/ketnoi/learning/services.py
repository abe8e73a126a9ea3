"""Every write of learning: answers (once per client id), progress, certificates.

An answer arrives with a client id made on the phone. The first time it is
graded here and stored; any resend of the same id returns the stored result
and counts nothing again, so a phone that lost its connection mid-send may
send its whole outbox again safely. Progress is recomputed from the stored
answers (best score per activity), never incremented, so it cannot drift.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from ketnoi.core.audit import audit_record
from ketnoi.core.errors import DomainError, NotFound

from . import signing
from .grading import grade
from .models import Activity, Answer, Certificate, Course, Lesson, LessonProgress

MAX_SYNC_ITEMS = 200
# A phone's clock may be wrong: a time in the future (beyond this slack) or
# older than MAX_ANSWER_AGE is replaced by the time the server received it.
CLOCK_SLACK = timedelta(minutes=5)
MAX_ANSWER_AGE = timedelta(days=366)
CERTIFICATE_PREFIX = "KN-CC"


@dataclass(frozen=True)
class AnswerResult:
    client_id: str
    activity_id: int
    replayed: bool  # this client id had been received before; nothing new was counted
    correct: bool
    score: int
    points: int
    feedback: list[str]
    answered_at: datetime
    clock_adjusted: bool
    lesson_completed: bool
    certificate_number: str | None


@dataclass(frozen=True)
class SyncItem:
    """The outcome of one item of a batch: a result, or the refusal that stopped it."""

    client_id: str
    result: AnswerResult | None = None
    error: DomainError | None = None


@dataclass(frozen=True)
class CourseResult:
    lessons_total: int
    lessons_done: int
    score: int
    max_score: int
    pass_percent: int
    percent: int = field(init=False)

    def __post_init__(self) -> None:
        percent = round(100 * self.score / self.max_score) if self.max_score else 100
        object.__setattr__(self, "percent", percent)

    @property
    def done(self) -> bool:
        return self.lessons_total > 0 and self.lessons_done == self.lessons_total

    @property
    def passed(self) -> bool:
        return self.done and self.percent >= self.pass_percent


def _client_uuid(client_id: Any) -> uuid.UUID:
    if isinstance(client_id, uuid.UUID):
        return client_id
    try:
        return uuid.UUID(str(client_id))
    except (TypeError, ValueError):
        raise DomainError(
            _("Thiếu mã câu trả lời hoặc mã không đúng dạng."), code="client_id_invalid", status=422
        ) from None


def _answered_at(value: Any, now: datetime) -> tuple[datetime, bool]:
    """When she answered, as her phone says; an impossible time becomes ``now`` (second item: adjusted)."""
    if value is None or value == "":
        return now, False
    when = (
        value
        if isinstance(value, datetime)
        else parse_datetime(str(value))
        if isinstance(value, str)
        else None
    )
    if when is None:
        raise DomainError(_("Thời gian trả lời không đúng dạng."), code="answered_at_invalid", status=422)
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    if when > now + CLOCK_SLACK or when < now - MAX_ANSWER_AGE:
        return now, True
    return when, False


def _activity_id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise DomainError(_("Không tìm thấy câu hỏi này."), code="activity_not_found", status=404)
    return int(value)


def _result(answer: Answer, *, replayed: bool, clock_adjusted: bool = False) -> AnswerResult:
    activity = answer.activity
    progress = LessonProgress.objects.filter(
        learner_id=answer.learner_id, lesson_id=activity.lesson_id
    ).first()
    certificate = Certificate.objects.filter(
        learner_id=answer.learner_id, course_id=activity.lesson.course_id
    ).first()
    return AnswerResult(
        client_id=str(answer.client_id),
        activity_id=activity.pk,
        replayed=replayed,
        correct=answer.correct,
        score=answer.score,
        points=activity.points,
        feedback=list(answer.feedback),
        answered_at=answer.answered_at,
        clock_adjusted=clock_adjusted,
        lesson_completed=bool(progress and progress.completed_at),
        certificate_number=certificate.number if certificate else None,
    )


def _replayed(answer: Answer, *, learner: Any, activity_id: int) -> AnswerResult:
    if answer.learner_id != learner.pk or answer.activity_id != activity_id:
        raise DomainError(
            _("Mã câu trả lời này đã được dùng cho một câu hỏi khác. Hãy tải lại trang rồi trả lời lại."),
            code="client_id_reused",
            status=409,
        )
    return _result(answer, replayed=True)


def answer_record(
    *, learner: Any, client_id: Any, activity_id: Any, response: Any, answered_at: Any = None
) -> AnswerResult:
    """Grade and store one answer, once per ``client_id``; update progress; issue the certificate on a pass.

    Idempotent: the same ``client_id`` again (same learner and activity)
    returns the stored result and counts nothing; used by anyone else or for
    another activity it is refused (409). Only published courses take answers.
    ``answered_at`` (ISO text or datetime) in the future or over a year ago is
    replaced by the time received (``clock_adjusted``).
    """
    key = _client_uuid(client_id)
    wanted = _activity_id(activity_id)
    existing = Answer.objects.select_related("activity__lesson").filter(client_id=key).first()
    if existing is not None:
        return _replayed(existing, learner=learner, activity_id=wanted)
    activity = (
        Activity.objects.select_related("lesson__course")
        .filter(pk=wanted, lesson__course__published=True)
        .first()
    )
    if activity is None:
        raise NotFound(_("Không tìm thấy câu hỏi này."), code="activity_not_found")
    graded = grade(activity, response)  # refuses a response that does not fit, before anything is written
    now = timezone.now()
    when, adjusted = _answered_at(answered_at, now)
    with transaction.atomic():
        try:
            with transaction.atomic():
                answer = Answer.objects.create(
                    client_id=key,
                    learner=learner,
                    activity=activity,
                    response=graded.response,
                    correct=graded.correct,
                    score=graded.score,
                    feedback=graded.feedback,
                    answered_at=when,
                )
        except IntegrityError:
            # The same client id arrived twice at once; the other request stored it.
            stored = Answer.objects.select_related("activity__lesson").get(client_id=key)
            return _replayed(stored, learner=learner, activity_id=wanted)
        lesson_progress_refresh(lesson=activity.lesson, learner=learner, started_at=when)
        _certificate_if_passed(learner=learner, course=activity.lesson.course)
    return _result(answer, replayed=False, clock_adjusted=adjusted)


def answers_sync(learner: Any, items: Any) -> list[SyncItem]:
    """Record a batch from the phone's outbox, each item on its own: a bad item does not stop the others.

    ``items``: a list of at most 200 ``{client_id, activity, response,
    answered_at}``. Any other field (a score, a right answer) is ignored.
    """
    if not isinstance(items, list):
        raise DomainError(_("Dữ liệu gửi lên không đúng dạng."), code="sync_invalid", status=422)
    if len(items) > MAX_SYNC_ITEMS:
        raise DomainError(
            _("Gửi tối đa %(max)s câu trả lời một lần."),
            code="sync_too_many",
            params={"max": MAX_SYNC_ITEMS},
            status=413,
        )
    outcomes: list[SyncItem] = []
    for item in items:
        client_id = str(item.get("client_id", "")) if isinstance(item, dict) else ""
        try:
            if not isinstance(item, dict):
                raise DomainError(_("Dữ liệu gửi lên không đúng dạng."), code="sync_invalid", status=422)
            result = answer_record(
                learner=learner,
                client_id=item.get("client_id"),
                activity_id=item.get("activity", item.get("activity_id")),
                response=item.get("response"),
                answered_at=item.get("answered_at"),
            )
        except DomainError as error:
            outcomes.append(SyncItem(client_id=client_id, error=error))
        else:
            outcomes.append(SyncItem(client_id=result.client_id, result=result))
    return outcomes


def lesson_open(*, learner: Any, lesson: Lesson) -> LessonProgress:
    """Note that she started ``lesson``; a lesson without questions is done once opened."""
    with transaction.atomic():
        progress, created = LessonProgress.objects.get_or_create(
            learner=learner, lesson=lesson, defaults={"started_at": timezone.now()}
        )
        if created and not lesson.activities.exists():
            lesson_progress_refresh(lesson=lesson, learner=learner)
            _certificate_if_passed(learner=learner, course=lesson.course)
            progress.refresh_from_db()
    return progress


def lesson_progress_refresh(
    *, lesson: Lesson, learner: Any = None, started_at: datetime | None = None
) -> None:
    """Recompute progress on ``lesson`` from the stored answers: of ``learner``, or of everyone.

    Score is the best score per activity (capped at its current points);
    the lesson is completed once every activity has an answer, and stays
    completed. Called after each answer and after a course is reloaded.
    """
    points = dict(lesson.activities.values_list("pk", "points"))
    answers = Answer.objects.filter(activity__lesson=lesson)
    rows = LessonProgress.objects.filter(lesson=lesson)
    if learner is not None:
        answers = answers.filter(learner=learner)
        rows = rows.filter(learner=learner)
    best: dict[int, dict[int, int]] = defaultdict(dict)
    for learner_id, activity_id, score in answers.values_list("learner_id", "activity_id").annotate(
        best=Max("score")
    ):
        if activity_id in points:
            best[learner_id][activity_id] = min(score, points[activity_id])
    now = timezone.now()
    existing = {row.learner_id: row for row in rows}
    learner_ids = set(existing) | set(best)
    if learner is not None and started_at is not None:
        learner_ids.add(learner.pk)
    changed: list[LessonProgress] = []
    created: list[LessonProgress] = []
    for learner_id in learner_ids:
        row = existing.get(learner_id)
        if row is None:
            row = LessonProgress(learner_id=learner_id, lesson=lesson, started_at=started_at or now)
            created.append(row)
        else:
            changed.append(row)
        scores = best.get(learner_id, {})
        row.score = sum(scores.values())
        row.max_score = sum(points.values())
        if row.completed_at is None and len(scores) == len(points):
            row.completed_at = now
        row.updated_at = now
    LessonProgress.objects.bulk_create(created)
    LessonProgress.objects.bulk_update(changed, ["score", "max_score", "completed_at", "updated_at"])


def course_result(*, learner: Any, course: Course) -> CourseResult:
    """Where she stands in ``course``: lessons done, points over all lessons, pass mark."""
    lessons = list(course.lessons.values_list("pk", flat=True))
    progress = LessonProgress.objects.filter(learner=learner, lesson__course=course)
    done = 0
    score = 0
    for completed_at, row_score in progress.values_list("completed_at", "score"):
        done += completed_at is not None
        score += row_score
    max_score = sum(Activity.objects.filter(lesson__course=course).values_list("points", flat=True))
    return CourseResult(
        lessons_total=len(lessons),
        lessons_done=done,
        score=score,
        max_score=max_score,
        pass_percent=course.pass_percent,
    )


def _certificate_if_passed(*, learner: Any, course: Course) -> Certificate | None:
    if Certificate.objects.filter(learner=learner, course=course).exists():
        return None
    result = course_result(learner=learner, course=course)
    if not result.passed:
        return None
    return _certificate_create(learner=learner, course=course, score_percent=result.percent)


def certificate_issue(*, learner: Any, course: Course) -> Certificate:
    """The certificate of ``learner`` for ``course``: the one she holds, or a new one if she passed.

    Refuses (422) when the course is not passed yet.
    """
    with transaction.atomic():
        held = Certificate.objects.filter(learner=learner, course=course).first()
        if held is not None:
            return held
        result = course_result(learner=learner, course=course)
        if not result.passed:
            raise DomainError(
                _("Chưa đạt khoá học này: cần học hết các bài và đạt %(percent)s%% số điểm."),
                code="course_not_passed",
                params={"percent": course.pass_percent},
                status=422,
            )
        return _certificate_create(learner=learner, course=course, score_percent=result.percent)


def _certificate_create(*, learner: Any, course: Course, score_percent: int) -> Certificate:
    issued_at = timezone.now().replace(microsecond=0)
    year = timezone.localtime(issued_at).year
    prefix = f"{CERTIFICATE_PREFIX}-{year}-"
    learner_name = (learner.get_full_name() or str(learner))[:120]
    for _attempt in range(5):
        last = (
            Certificate.objects.filter(number__startswith=prefix)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
        )
        number = f"{prefix}{int(last.rsplit('-', 1)[1]) + 1 if last else 1:06d}"
        certificate = Certificate(
            number=number,
            learner=learner,
            course=course,
            learner_name=learner_name,
            course_title=course.title,
            score_percent=score_percent,
            issued_at=issued_at,
        )
        certificate.signature = signing.sign(certificate_message(certificate))
        try:
            with transaction.atomic():
                certificate.save()
        except IntegrityError:
            if Certificate.objects.filter(learner=learner, course=course).exists():
                return Certificate.objects.get(learner=learner, course=course)
            continue  # another certificate took this number at the same moment
        audit_record(
            actor=learner,
            action="learning.certificate_issue",
            target=certificate,
            changes={"number": (None, number), "score_percent": (None, score_percent)},
        )
        return certificate
    raise DomainError(_("Chưa cấp được giấy chứng nhận. Hãy thử lại."), code="certificate_busy", status=503)


def certificate_message(certificate: Certificate) -> bytes:
    return signing.canonical(
        number=certificate.number,
        learner_name=certificate.learner_name,
        course_slug=certificate.course.slug,
        course_title=certificate.course_title,
        score_percent=certificate.score_percent,
        issued_at=certificate.issued_at,
    )


@dataclass(frozen=True)
class Verification:
    state: str  # "valid", "revoked", "invalid" (forged, altered or unknown)
    certificate: Certificate | None  # only when the signature holds

    VALID = "valid"
    REVOKED = "revoked"
    INVALID = "invalid"


def certificate_verify(number: str, signature: str) -> Verification:
    """Whether the certificate ``number`` with ``signature`` (as printed in its QR) is genuine.

    Invalid when no such number, when the signature is not the stored one, or
    when the stored fields no longer match what was signed (an altered row).
    Nothing about the certificate is returned unless the signature holds.
    """
    certificate = Certificate.objects.select_related("course").filter(number=str(number)[:24]).first()
    if certificate is None or not signature or str(signature) != certificate.signature:
        return Verification(Verification.INVALID, None)
    if not signing.signature_valid(certificate_message(certificate), certificate.signature):
        return Verification(Verification.INVALID, None)
    if certificate.revoked_at is not None:
        return Verification(Verification.REVOKED, certificate)
    return Verification(Verification.VALID, certificate)


def certificate_revoke(*, actor: Any, certificate: Certificate, reason: str) -> Certificate:
    """Revoke ``certificate`` (a staff decision, with a reason); verification then says so."""
    if not getattr(actor, "is_staff", False):
        raise DomainError(_("Chỉ quản trị viên được thu hồi giấy chứng nhận."), code="forbidden", status=403)
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Hãy ghi lý do thu hồi."), code="reason_required", status=422)
    with transaction.atomic():
        locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if locked.revoked_at is not None:
            return locked
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="learning.certificate_revoke",
            target=locked,
            changes={"revoked_at": (None, locked.revoked_at)},
            reason=reason,
        )
    return locked
