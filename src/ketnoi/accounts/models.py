"""People who sign in, the roles they hold, where, and what they consented to."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ketnoi.core.models import BaseModel
from ketnoi.core.phone import PhoneNumberField, normalize_phone
from ketnoi.core.scopes import AreaScope
from ketnoi.places.models import Commune, Province


class Language(models.TextChoices):
    VI = "vi", "Tiếng Việt"
    EN = "en", "English"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, phone: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(phone=normalize_phone(phone), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, phone: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(phone, password, **extra)


class User(AbstractBaseUser, PermissionsMixin, BaseModel):
    """A person who signs in with her mobile number and a password."""

    phone = PhoneNumberField(_("số điện thoại"), unique=True)
    display_name = models.CharField(_("tên hiển thị"), max_length=120)
    language = models.CharField(_("ngôn ngữ"), max_length=5, choices=Language.choices, default=Language.VI)
    home_commune = models.ForeignKey(
        Commune,
        verbose_name=_("xã/phường nơi ở"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_active = models.BooleanField(_("đang hoạt động"), default=True)
    is_staff = models.BooleanField(_("vào được trang quản trị"), default=False)

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        verbose_name = _("người dùng")
        verbose_name_plural = _("người dùng")

    def __str__(self) -> str:
        return self.display_name or self.phone

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Quản trị viên")
    PROGRAMME_OFFICER = "programme_officer", _("Cán bộ chương trình (tỉnh)")
    COMMUNE_OFFICER = "commune_officer", _("Cán bộ xã/phường")
    SELLER = "seller", _("Người bán")
    BUYER = "buyer", _("Người mua")
    PARTNER = "partner", _("Đối tác")
    MENTOR = "mentor", _("Cố vấn")
    WORKER = "worker", _("Người lao động")
    HOUSEHOLD_CLIENT = "household_client", _("Khách hàng gia đình")
    HEALTH_WORKER = "health_worker", _("Nhân viên y tế xã")
    DOCTOR = "doctor", _("Bác sĩ tuyến tỉnh")
    POST_CLERK = "post_clerk", _("Nhân viên bưu điện")
    TRAINER = "trainer", _("Giảng viên, người hướng dẫn")


# Which roles act for an area, and at which level. Roles not listed act only
# for themselves (a seller, a buyer) and take no scope.
SCOPE_LEVEL: dict[str, str] = {
    Role.ADMINISTRATOR: "national",
    Role.PROGRAMME_OFFICER: "province",
    Role.COMMUNE_OFFICER: "commune",
    Role.HEALTH_WORKER: "commune",
    Role.DOCTOR: "province",
    Role.POST_CLERK: "commune",
    Role.TRAINER: "province",
}


class RoleAssignment(BaseModel):
    """``user`` holds ``role``, for one province or commune where the role needs it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("vai trò"), max_length=32, choices=Role.choices)
    province = models.ForeignKey(
        Province,
        verbose_name=_("tỉnh/thành phố"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    commune = models.ForeignKey(
        Commune,
        verbose_name=_("xã/phường"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("vai trò")
        verbose_name_plural = _("vai trò")
        # One assignment per role and area; partial indexes because SQLite
        # treats NULLs as distinct in a plain unique constraint.
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=models.Q(province__isnull=True, commune__isnull=True),
                name="role_unique_national",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "province"],
                condition=models.Q(province__isnull=False, commune__isnull=True),
                name="role_unique_province",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "commune"],
                condition=models.Q(commune__isnull=False),
                name="role_unique_commune",
            ),
        ]

    def __str__(self) -> str:
        area = self.commune or self.province
        return f"{self.get_role_display()} — {area}" if area else str(self.get_role_display())

    @property
    def scope(self) -> AreaScope:
        return AreaScope(province_code=self.province_id, commune_code=self.commune_id)


class ConsentPurpose(models.TextChoices):
    """Why we process someone's data. The texts and versions are in ``consents.py``."""

    ACCOUNT = "account", _("Tạo và dùng tài khoản")
    NOTIFICATIONS = "notifications", _("Nhận tin nhắn SMS/Zalo")
    PUBLIC_PROFILE = "public_profile", _("Hiện hồ sơ người bán cho người mua")
    HOUSEHOLD_REVIEW = "household_review", _("Rà soát hộ nghèo (dữ liệu nhạy cảm)")
    LOCATION = "location", _("Dùng vị trí để giao hàng và tìm việc gần")


class ConsentRecord(models.Model):
    """One act of giving or withdrawing consent; never edited.

    The current state of a purpose is its latest record. Keeping every act
    (with the version of the text shown) is what makes consent provable.
    """

    class Action(models.TextChoices):
        GIVEN = "given", _("đồng ý")
        WITHDRAWN = "withdrawn", _("rút lại")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consent_records")
    purpose = models.CharField(_("mục đích"), max_length=32, choices=ConsentPurpose.choices)
    action = models.CharField(_("hành động"), max_length=10, choices=Action.choices)
    text_version = models.CharField(_("phiên bản nội dung"), max_length=20)
    at = models.DateTimeField(_("lúc"), default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("ghi nhận đồng ý")
        verbose_name_plural = _("ghi nhận đồng ý")
        indexes = [models.Index(fields=["user", "purpose", "-at"])]

    def __str__(self) -> str:
        return f"{self.user} {self.action} {self.purpose} v{self.text_version}"


class LoginFailure(models.Model):
    """A failed sign-in; counted per phone and per address for lock-out."""

    phone = models.CharField(max_length=40, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("đăng nhập sai")
        verbose_name_plural = _("đăng nhập sai")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.phone} {self.ip_address or ''}".rstrip()


class ApiToken(BaseModel):
    """A bearer token for the API. Only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, help_text=_("Đầu mã, để nhận ra mã mà không lộ mã."))
    label = models.CharField(_("tên"), max_length=100, blank=True)
    expires_at = models.DateTimeField(_("hết hạn lúc"))
    revoked_at = models.DateTimeField(_("thu hồi lúc"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("mã truy cập API")
        verbose_name_plural = _("mã truy cập API")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
