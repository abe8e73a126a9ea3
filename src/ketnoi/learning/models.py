"""Courses written by trainers as files, learners' answers and progress, and signed certificates.

Course content lives in the repository (``content/learning/<slug>/``) and is
loaded by ``manage.py learning_load``: the tables below are a copy that the
loader replaces whole, course by course. Answer keys stay on the server
(``Activity.answer_key``); the browser only ever sends what the learner
chose and gets back whether it was right. Every answer carries a client id
made on the phone, so an answer sent again after a lost connection is
counted once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ketnoi.core.models import BaseModel
from ketnoi.places.models import Commune


class Course(BaseModel):
    slug = models.SlugField(_("mã khoá học"), max_length=60, unique=True)
    title = models.CharField(_("tên khoá học"), max_length=200)
    title_en = models.CharField(max_length=200, blank=True)
    summary = models.TextField(_("giới thiệu"), max_length=1000, blank=True)
    summary_en = models.TextField(max_length=1000, blank=True)
    language = models.CharField(_("ngôn ngữ"), max_length=8, default="vi")
    audience = models.CharField(_("dành cho"), max_length=200, blank=True)
    pass_percent = models.PositiveSmallIntegerField(_("điểm đạt (%)"), default=70)
    position = models.PositiveSmallIntegerField(default=0)
    published = models.BooleanField(_("đã công bố"), default=False)
    content_hash = models.CharField(max_length=64)  # SHA-256 of the course folder as loaded
    loaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("khoá học")
        verbose_name_plural = _("các khoá học")
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.slug


class Lesson(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    slug = models.SlugField(max_length=60)
    position = models.PositiveSmallIntegerField()
    title = models.CharField(_("tên bài"), max_length=200)
    title_en = models.CharField(max_length=200, blank=True)
    body_html = models.TextField()  # rendered from Markdown and sanitised at load time
    body_en_html = models.TextField(blank=True)
    audio = models.CharField(max_length=200, blank=True)  # static path of an optional small audio file
    minutes = models.PositiveSmallIntegerField(_("số phút"), default=5)

    class Meta:
        verbose_name = _("bài học")
        verbose_name_plural = _("các bài học")
        ordering = ["course", "position"]
        constraints = [models.UniqueConstraint(fields=["course", "slug"], name="lesson_slug_unique")]

    def __str__(self) -> str:
        return f"{self.course_id}/{self.slug}"


class Activity(models.Model):
    class Kind(models.TextChoices):
        CHOICE = "choice", _("Chọn câu trả lời")
        PICTURE_CHOICE = "picture_choice", _("Chọn hình")
        SCAM = "scam", _("Nhận ra lừa đảo")
        PRACTICE_PHOTO = "practice_photo", _("Thực hành: chụp ảnh sản phẩm")
        PRACTICE_STORY = "practice_story", _("Thực hành: viết câu chuyện sản phẩm")
        PRACTICE_REPLY = "practice_reply", _("Thực hành: trả lời khách")

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="activities")
    slug = models.SlugField(max_length=60)
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    prompt = models.TextField()
    prompt_en = models.TextField(blank=True)
    # What the page shows: [{"key": "a", "text": "…", "text_en": "…", "image": "…"}] (never the answer).
    options = models.JSONField(default=list, blank=True)
    # Server only: {"correct": ["b"]} for choices; rules for practice tasks (minimum words, keywords…).
    answer_key = models.JSONField(default=dict)
    explanation = models.TextField(blank=True)
    explanation_en = models.TextField(blank=True)
    points = models.PositiveSmallIntegerField(default=1)

    class Meta:
        verbose_name = _("hoạt động")
        verbose_name_plural = _("các hoạt động")
        ordering = ["lesson", "position"]
        constraints = [models.UniqueConstraint(fields=["lesson", "slug"], name="activity_slug_unique")]

    def __str__(self) -> str:
        return f"{self.lesson_id}/{self.slug}"


class Answer(models.Model):
    """An answer as the learner gave it, graded on the server; a resend with its client id is ignored."""

    client_id = models.UUIDField(unique=True)
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="answers")
    response = models.JSONField()  # what she chose or wrote
    correct = models.BooleanField()
    score = models.PositiveSmallIntegerField()
    feedback = models.JSONField(default=list, blank=True)  # hint codes for practice tasks
    answered_at = models.DateTimeField()  # on the phone (may be offline)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["learner", "activity"])]

    def __str__(self) -> str:
        return str(self.client_id)


class LessonProgress(models.Model):
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="progress")
    started_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(default=0)  # best points, recomputed from answers
    max_score = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["learner", "lesson"], name="lesson_progress_once")]

    def __str__(self) -> str:
        return f"{self.learner_id}/{self.lesson_id}"


class Certificate(models.Model):
    """Proof that ``learner`` passed ``course``, signed so it cannot be forged or altered."""

    number = models.CharField(_("số chứng nhận"), max_length=24, unique=True)
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certificates"
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="certificates")
    learner_name = models.CharField(max_length=120)  # as printed
    course_title = models.CharField(max_length=200)
    score_percent = models.PositiveSmallIntegerField()
    issued_at = models.DateTimeField()
    signature = models.CharField(max_length=200)  # over number|learner|course|score|issued_at
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("giấy chứng nhận")
        verbose_name_plural = _("các giấy chứng nhận")
        constraints = [models.UniqueConstraint(fields=["learner", "course"], name="certificate_once")]

    def __str__(self) -> str:
        return self.number


class LearningGroup(BaseModel):
    """A trainer's class in a commune: the learners whose progress she follows."""

    name = models.CharField(_("tên lớp"), max_length=120)
    trainer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    commune = models.ForeignKey(
        Commune, verbose_name=_("xã/phường"), on_delete=models.PROTECT, related_name="+"
    )
    courses = models.ManyToManyField(Course, blank=True, related_name="+")
    learners = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="learning_groups")

    class Meta:
        verbose_name = _("lớp học")
        verbose_name_plural = _("các lớp học")

    def __str__(self) -> str:
        return self.name
