"""Households, their members and the facts behind each poverty indicator.

Self-reported data stays "submitted" until a commune officer whose area
covers the household's commune verifies it; a household's classification
lives in ``Assessment`` rows, one per standard and year, never overwritten.
Ethnicity, health and income are sensitive data (Law 91/2025): read them
only through ``registry.selectors``, which apply the access rules.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ketnoi.core.models import BaseModel
from ketnoi.core.money import MoneyField
from ketnoi.core.phone import PhoneNumberField
from ketnoi.places.models import Commune
from ketnoi.poverty.facts import Area, Education, Latrine, Material, WaterSource, Work

from ..ethnicity import ethnic_groups

MAX_FLOOR_AREA_M2 = 2000  # larger than any dwelling a household review meets: a typo


def _choices(enum: type, labels: dict[str, object]) -> list[tuple[str, object]]:
    return [(member.value, labels[member.value]) for member in enum]  # type: ignore[attr-defined]


AREA_CHOICES = _choices(Area, {"rural": _("Nông thôn"), "urban": _("Thành thị")})
WORK_CHOICES = _choices(
    Work,
    {
        "wage_with_contract": _("Làm công ăn lương, có hợp đồng lao động"),
        "wage_without_contract": _("Làm công ăn lương, không có hợp đồng"),
        "self_employed": _("Tự làm (làm nông, buôn bán, làm cho gia đình)"),
        "unemployed": _("Không có việc, đang tìm việc"),
        "not_in_labour_force": _("Không đi làm (đi học, nghỉ hưu, nội trợ, ốm đau)"),
    },
)
EDUCATION_CHOICES = _choices(
    Education,
    {
        "none": _("Chưa học xong tiểu học"),
        "primary": _("Xong tiểu học"),
        "lower_secondary": _("Xong trung học cơ sở (lớp 9)"),
        "upper_secondary": _("Xong trung học phổ thông (lớp 12)"),
        "vocational": _("Có chứng chỉ, bằng nghề"),
        "tertiary": _("Cao đẳng, đại học trở lên"),
    },
)
MATERIAL_CHOICES = _choices(
    Material,
    {
        "durable": _("Bền chắc (gạch, bê tông, sắt thép, ngói, gỗ tốt)"),
        "non_durable": _("Không bền chắc (tre, nứa, tranh, lá, đất, bạt)"),
    },
)
WATER_CHOICES = _choices(
    WaterSource,
    {
        "piped": _("Nước máy"),
        "protected_well": _("Giếng khoan, giếng đào có bảo vệ"),
        "protected_spring": _("Nước khe, mó có bảo vệ"),
        "rainwater": _("Nước mưa có bể chứa đậy kín"),
        "bottled": _("Nước đóng bình"),
        "unprotected_well": _("Giếng đào không được bảo vệ"),
        "unprotected_spring": _("Nước khe, mó không được bảo vệ"),
        "surface": _("Nước sông, suối, ao, hồ"),
        "other": _("Nguồn khác"),
    },
)
LATRINE_CHOICES = _choices(
    Latrine,
    {
        "flush_septic": _("Tự hoại"),
        "semi_septic": _("Bán tự hoại"),
        "double_vault": _("Hai ngăn"),
        "ventilated_pit": _("Chìm có ống thông hơi"),
        "biogas": _("Biogas"),
        "unhygienic": _("Hố đào đơn giản, cầu tạm, trên ao"),
        "none": _("Không có nhà tiêu"),
    },
)


class Sex(models.TextChoices):
    MALE = "male", _("Nam")
    FEMALE = "female", _("Nữ")


class Relation(models.TextChoices):
    HEAD = "head", _("Chủ hộ")
    SPOUSE = "spouse", _("Vợ/chồng")
    CHILD = "child", _("Con")
    PARENT = "parent", _("Bố/mẹ")
    GRANDCHILD = "grandchild", _("Cháu")
    GRANDPARENT = "grandparent", _("Ông/bà")
    SIBLING = "sibling", _("Anh/chị/em")
    OTHER = "other", _("Khác")


class HouseholdStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Đã gửi")
    UNDER_REVIEW = "under_review", _("Đang xem xét")
    NEEDS_CORRECTION = "needs_correction", _("Cần bổ sung, sửa")
    VERIFIED = "verified", _("Đã xác minh")


class HouseholdSource(models.TextChoices):
    SELF = "self", _("Hộ tự đăng ký")
    OFFICER = "officer", _("Cán bộ nhập")
    IMPORT = "import", _("Nhập từ tệp")


class Household(BaseModel):
    reference = models.CharField(_("mã hồ sơ"), max_length=20, unique=True)
    commune = models.ForeignKey(
        Commune, verbose_name=_("xã/phường"), on_delete=models.PROTECT, related_name="+"
    )
    address_line = models.CharField(_("thôn/bản, tổ, số nhà"), max_length=200, blank=True)
    area = models.CharField(_("khu vực"), max_length=8, choices=AREA_CHOICES)
    contact_phone = PhoneNumberField(_("số điện thoại liên hệ"), blank=True, db_index=True)
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=HouseholdStatus.choices, default=HouseholdStatus.SUBMITTED
    )
    source = models.CharField(_("nguồn"), max_length=10, choices=HouseholdSource.choices)

    # The facts behind the indicators (sensitive: income and living conditions).
    income_12m_vnd = MoneyField(_("tổng thu nhập 12 tháng qua (đồng)"))
    walls = models.CharField(_("tường"), max_length=12, choices=MATERIAL_CHOICES)
    frame = models.CharField(_("khung, cột"), max_length=12, choices=MATERIAL_CHOICES)
    roof = models.CharField(_("mái"), max_length=12, choices=MATERIAL_CHOICES)
    floor_area_m2 = models.DecimalField(
        _("diện tích nhà ở (m²)"),
        max_digits=7,
        decimal_places=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_FLOOR_AREA_M2)],
    )
    water_source = models.CharField(_("nguồn nước sinh hoạt"), max_length=20, choices=WATER_CHOICES)
    latrine = models.CharField(_("nhà tiêu"), max_length=16, choices=LATRINE_CHOICES)
    uses_telecom = models.BooleanField(_("có người dùng điện thoại hoặc internet"))
    devices = models.JSONField(_("thiết bị tiếp cận thông tin"), default=list, blank=True)
    waste_collected_or_treated = models.BooleanField(_("rác được thu gom hoặc xử lý"))

    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    last_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(_("xác minh lúc"), null=True, blank=True)
    # Where programme payments by bank transfer go (blank: paid in cash at the post office).
    payout_bank_bin = models.CharField(_("mã ngân hàng nhận tiền (BIN)"), max_length=6, blank=True)
    payout_account = models.CharField(_("số tài khoản nhận tiền"), max_length=19, blank=True)
    payout_account_name = models.CharField(_("tên chủ tài khoản nhận tiền"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("hộ gia đình")
        verbose_name_plural = _("các hộ gia đình")
        indexes = [models.Index(fields=["commune", "status"])]

    def __str__(self) -> str:
        return self.reference


class Member(BaseModel):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members")
    full_name = models.CharField(_("họ và tên"), max_length=120)
    name_folded = models.CharField(max_length=120, db_index=True, editable=False)
    birth_date = models.DateField(_("ngày sinh"))
    sex = models.CharField(_("giới tính"), max_length=6, choices=Sex.choices)
    relation = models.CharField(_("quan hệ với chủ hộ"), max_length=12, choices=Relation.choices)
    ethnic_group = models.CharField(_("dân tộc"), max_length=2, choices=ethnic_groups())
    # The CCCD is never stored in clear: encrypted, a keyed hash to find it, and
    # its last three digits to show masked.
    citizen_id_encrypted = models.TextField(blank=True, editable=False)
    citizen_id_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    citizen_id_masked = models.CharField(_("CCCD"), max_length=12, blank=True, editable=False)
    has_disability = models.BooleanField(_("khuyết tật"), default=False)
    able_to_work = models.BooleanField(_("còn khả năng lao động"), default=True)
    attending_school = models.BooleanField(_("đang đi học đúng cấp"), default=False)
    education = models.CharField(_("học vấn cao nhất"), max_length=16, choices=EDUCATION_CHOICES)
    has_health_insurance = models.BooleanField(_("có bảo hiểm y tế"))
    work = models.CharField(_("việc làm"), max_length=24, choices=WORK_CHOICES)
    stunted_or_underweight = models.BooleanField(_("trẻ suy dinh dưỡng (thấp còi, nhẹ cân)"), default=False)

    class Meta:
        verbose_name = _("thành viên")
        verbose_name_plural = _("các thành viên")
        ordering = ["household_id", "birth_date", "id"]
        # Duplicate detection looks people up by birth date within a province.
        indexes = [models.Index(fields=["birth_date"], name="registry_member_birth_date")]
        constraints = [
            models.UniqueConstraint(
                fields=["household"], condition=models.Q(relation="head"), name="one_head_per_household"
            )
        ]

    def __str__(self) -> str:
        return self.full_name


class FieldVisit(BaseModel):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="visits")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    visited_on = models.DateField(_("ngày đến hộ"))
    notes = models.TextField(_("ghi chú"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("lần đến hộ")
        verbose_name_plural = _("các lần đến hộ")
        ordering = ["-visited_on", "-id"]


class DuplicateFlag(BaseModel):
    """Two records that may be the same person; an officer decides, nothing merges by itself."""

    class Reason(models.TextChoices):
        SAME_CITIZEN_ID = "same_citizen_id", _("Trùng số CCCD")
        SIMILAR_NAME = "similar_name", _("Tên gần giống, cùng ngày sinh, cùng tỉnh")

    class Decision(models.TextChoices):
        OPEN = "open", _("Chờ quyết định")
        DIFFERENT = "different", _("Hai người khác nhau")
        SAME_PERSON = "same_person", _("Cùng một người")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    other_member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("lý do"), max_length=20, choices=Reason.choices)
    score = models.PositiveSmallIntegerField(_("độ giống (%)"), default=100)
    decision = models.CharField(
        _("quyết định"), max_length=12, choices=Decision.choices, default=Decision.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("ghi chú"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("nghi trùng")
        verbose_name_plural = _("các trường hợp nghi trùng")
        constraints = [
            models.UniqueConstraint(fields=["member", "other_member"], name="duplicate_flag_pair_unique")
        ]


class Assessment(BaseModel):
    """A household's classification under one standard for one year, with its reasons."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="assessments")
    year = models.PositiveSmallIntegerField(_("năm"))
    standard = models.CharField(_("chuẩn nghèo"), max_length=20)
    standard_version = models.CharField(_("phiên bản"), max_length=20)
    assessed_on = models.DateField(_("ngày đánh giá"))
    income_per_capita_vnd = MoneyField(_("thu nhập bình quân người/tháng"))
    deprived = models.JSONField(_("chỉ số thiếu hụt"), default=list)
    deprivation_count = models.PositiveSmallIntegerField(_("số chỉ số thiếu hụt"))
    classification = models.CharField(_("phân loại"), max_length=12)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recognised = models.BooleanField(_("đã được xã công nhận"), default=False)

    class Meta:
        verbose_name = _("kết quả rà soát")
        verbose_name_plural = _("các kết quả rà soát")
        ordering = ["-year", "-assessed_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "year", "standard"], name="one_assessment_per_year_and_standard"
            )
        ]
