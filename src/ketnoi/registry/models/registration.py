"""A household's own request to be reviewed, from a phone, kept as a draft until sent."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ketnoi.core.models import BaseModel
from ketnoi.core.phone import PhoneNumberField

from .households import Household


class Registration(BaseModel):
    """The step-by-step form's answers; becomes a ``Household`` when submitted.

    ``reference`` is what the person keeps (printed, spoken, sent by SMS) to
    follow her request; ``answers`` holds the draft, step by step.
    """

    reference = models.CharField(_("mã hồ sơ"), max_length=20, unique=True)
    phone = PhoneNumberField(_("số điện thoại"), db_index=True)
    step = models.CharField(_("bước"), max_length=30, default="start")
    answers = models.JSONField(default=dict, blank=True)
    submitted_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)
    household = models.OneToOneField(
        Household, null=True, blank=True, on_delete=models.PROTECT, related_name="registration"
    )
    helper_name = models.CharField(_("người giúp điền (nếu có)"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("đơn tự đăng ký")
        verbose_name_plural = _("các đơn tự đăng ký")

    def __str__(self) -> str:
        return self.reference


class OneTimeCode(models.Model):
    """A short code sent by SMS to prove a phone number; only its hash is kept."""

    phone = PhoneNumberField(db_index=True)
    purpose = models.CharField(max_length=30)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["phone", "purpose", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.purpose} {self.created_at:%Y-%m-%d %H:%M}"


class RegistrationConsent(models.Model):
    """Consent given (or withdrawn) on a self-registration, per purpose and text version.

    A household asking for review may have no account, so its consent is
    recorded against the request itself; append-only, like ``ConsentRecord``.
    """

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("mục đích"), max_length=32)
    action = models.CharField(_("hành động"), max_length=10)  # "given" or "withdrawn"
    text_version = models.CharField(_("phiên bản nội dung"), max_length=20)
    at = models.DateTimeField(_("lúc"))
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.purpose} {self.action} v{self.text_version}"
