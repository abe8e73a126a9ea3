"""The 4M cycle: meet (events), match (needs × offers), mentor (plans, sessions), move (outcomes).

A seller (a cooperative or household business of the marketplace) says what
she needs; a partner (buyer, distributor, e-commerce platform, mentor,
expert) says what she offers, where and for how many cooperatives. Events
bring them together in scheduled meetings; rounds propose matches that both
sides accept or decline (declining carries no penalty); a match becomes a
mentoring plan with milestones and sessions; revenue and other outcomes are
recorded per month, and a seller graduates when the programme's criteria
hold. A seller's sensitive data (ethnicity, revenue, members) is never shown
to partners: only ``mentoring.selectors`` decide what a partner sees.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ketnoi.core.models import BaseModel
from ketnoi.core.money import MoneyField
from ketnoi.market.models import Category, Seller
from ketnoi.places.models import Province


class Need(models.TextChoices):
    BUYERS = "buyers", _("Tìm người mua")
    PACKAGING = "packaging", _("Bao bì, thiết kế")
    OCOP = "ocop", _("Chứng nhận OCOP")
    ECOMMERCE = "ecommerce", _("Lên sàn thương mại điện tử")
    FINANCE = "finance", _("Vốn, tài chính")
    EXPORT = "export", _("Xuất khẩu")
    DIGITAL_SKILLS = "digital_skills", _("Kỹ năng số")
    BOOKKEEPING = "bookkeeping", _("Ghi chép sổ sách")


class SellerNeeds(BaseModel):
    """What a seller asks for, with her product categories and how much she can supply a month."""

    seller = models.OneToOneField(Seller, on_delete=models.CASCADE, related_name="needs")
    needs = models.JSONField(_("nhu cầu"), default=list)  # Need values
    categories = models.ManyToManyField(Category, verbose_name=_("nhóm hàng"), blank=True, related_name="+")
    monthly_capacity = models.CharField(_("sản lượng mỗi tháng"), max_length=120, blank=True)
    languages = models.JSONField(_("ngôn ngữ"), default=list)  # e.g. ["vi", "tai"]
    notes = models.TextField(_("ghi chú"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("nhu cầu của người bán")
        verbose_name_plural = _("nhu cầu của người bán")

    def __str__(self) -> str:
        return f"{self.seller_id}"


class Partner(BaseModel):
    class Kind(models.TextChoices):
        BUYER = "buyer", _("Người mua, doanh nghiệp thu mua")
        DISTRIBUTOR = "distributor", _("Nhà phân phối")
        ECOMMERCE = "ecommerce", _("Sàn thương mại điện tử")
        MENTOR = "mentor", _("Cố vấn kinh doanh")
        EXPERT = "expert", _("Chuyên gia kỹ thuật")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="partner_profiles"
    )
    kind = models.CharField(_("loại đối tác"), max_length=12, choices=Kind.choices)
    organisation = models.CharField(_("tổ chức"), max_length=200)
    about = models.TextField(_("giới thiệu"), max_length=2000, blank=True)
    offers = models.JSONField(_("hỗ trợ được"), default=list)  # Need values
    categories = models.ManyToManyField(Category, verbose_name=_("nhóm hàng"), blank=True, related_name="+")
    provinces = models.ManyToManyField(Province, verbose_name=_("tỉnh phục vụ"), blank=True, related_name="+")
    languages = models.JSONField(_("ngôn ngữ"), default=list)
    capacity = models.PositiveSmallIntegerField(_("số hợp tác xã nhận được"), default=1)
    active = models.BooleanField(_("đang nhận"), default=True)

    class Meta:
        verbose_name = _("đối tác")
        verbose_name_plural = _("các đối tác")

    def __str__(self) -> str:
        return self.organisation


# --- Meet ---------------------------------------------------------------------


class Event(BaseModel):
    class Kind(models.TextChoices):
        FAIR = "fair", _("Hội chợ gặp gỡ, kết nối")
        FIELD_VISIT = "field_visit", _("Chuyến thăm thực địa")
        ONLINE = "online", _("Buổi gặp trực tuyến")

    class State(models.TextChoices):
        DRAFT = "draft", _("Đang chuẩn bị")
        REGISTRATION = "registration", _("Đang nhận đăng ký")
        REQUESTS = "requests", _("Đang hẹn gặp")
        SCHEDULED = "scheduled", _("Đã xếp lịch")
        DONE = "done", _("Đã diễn ra")

    name = models.CharField(_("tên sự kiện"), max_length=200)
    kind = models.CharField(_("hình thức"), max_length=12, choices=Kind.choices)
    state = models.CharField(_("trạng thái"), max_length=12, choices=State.choices, default=State.DRAFT)
    province = models.ForeignKey(Province, verbose_name=_("tỉnh"), on_delete=models.PROTECT, related_name="+")
    venue = models.CharField(_("địa điểm"), max_length=200, blank=True)
    starts_on = models.DateField(_("ngày"))
    organiser = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    tables = models.PositiveSmallIntegerField(_("số bàn"), default=10)
    # The meeting slots of the day: [{"start": "08:00", "end": "08:20"}, …]
    slots = models.JSONField(_("các khung giờ"), default=list)

    class Meta:
        verbose_name = _("sự kiện")
        verbose_name_plural = _("các sự kiện")

    def __str__(self) -> str:
        return self.name


class Registration(BaseModel):
    """A person attending an event, for her cooperative or as a partner; validated by the organiser."""

    class State(models.TextChoices):
        PENDING = "pending", _("Chờ duyệt")
        VALIDATED = "validated", _("Đã duyệt")
        REJECTED = "rejected", _("Không được duyệt")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    seller = models.ForeignKey(Seller, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("trạng thái"), max_length=10, choices=State.choices, default=State.PENDING)
    available_slots = models.JSONField(_("khung giờ có mặt"), default=list)  # slot indexes; empty = all
    note = models.CharField(_("ghi chú"), max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="registration_once"),
            models.CheckConstraint(
                condition=models.Q(seller__isnull=False, partner__isnull=True)
                | models.Q(seller__isnull=True, partner__isnull=False),
                name="registration_seller_or_partner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id}/{self.user_id}"


class MeetingRequest(BaseModel):
    class State(models.TextChoices):
        PENDING = "pending", _("Chờ trả lời")
        ACCEPTED = "accepted", _("Đồng ý")
        DECLINED = "declined", _("Từ chối")
        CANCELLED = "cancelled", _("Đã huỷ")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="requests")
    sender = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="requests_sent")
    receiver = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="requests_received")
    message = models.CharField(_("lời nhắn"), max_length=500, blank=True)
    state = models.CharField(_("trạng thái"), max_length=10, choices=State.choices, default=State.PENDING)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sender", "receiver"], name="meeting_request_once")]

    def __str__(self) -> str:
        return f"{self.sender_id}→{self.receiver_id}"


class Meeting(models.Model):
    """An accepted request placed at a table in a slot; nobody is in two places at once."""

    request = models.OneToOneField(MeetingRequest, on_delete=models.CASCADE, related_name="meeting")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="meetings")
    table = models.PositiveSmallIntegerField()
    slot = models.PositiveSmallIntegerField()
    held = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "table", "slot"], name="meeting_table_slot_once")
        ]

    def __str__(self) -> str:
        return f"{self.event_id} t{self.table} s{self.slot}"


# --- Match --------------------------------------------------------------------


class Round(BaseModel):
    """A programme's matching round: a global assignment proposed, reviewed by an officer, then sent."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Đang tính")
        REVIEWED = "reviewed", _("Đã xem xét")
        SENT = "sent", _("Đã gửi đề xuất")
        CLOSED = "closed", _("Đã đóng")

    name = models.CharField(_("tên đợt"), max_length=200)
    programme = models.ForeignKey(
        "programmes.Programme", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    province = models.ForeignKey(Province, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("trạng thái"), max_length=10, choices=State.choices, default=State.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    total_fit = models.FloatField(default=0)
    greedy_fit = models.FloatField(default=0)  # what a first-come greedy assignment would have reached

    class Meta:
        verbose_name = _("đợt kết nối")
        verbose_name_plural = _("các đợt kết nối")

    def __str__(self) -> str:
        return self.name


class Match(BaseModel):
    class State(models.TextChoices):
        SUGGESTED = "suggested", _("Gợi ý, chờ cán bộ xem")
        PENDING = "pending", _("Chờ hai bên trả lời")
        ACCEPTED = "accepted", _("Hai bên đồng ý")
        DECLINED = "declined", _("Có bên từ chối")
        CANCELLED = "cancelled", _("Đã huỷ")
        COMPLETED = "completed", _("Đã hoàn thành")

    class Answer(models.TextChoices):
        NONE = "", _("Chưa trả lời")
        ACCEPT = "accept", _("Đồng ý")
        DECLINE = "decline", _("Từ chối")

    round = models.ForeignKey(Round, null=True, blank=True, on_delete=models.PROTECT, related_name="matches")
    seller = models.ForeignKey(Seller, on_delete=models.PROTECT, related_name="+")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="matches")
    score = models.FloatField(_("độ phù hợp"))
    reasons = models.JSONField(default=list)  # [{"code": "category", "label": "…", "weight": 0.3}]
    state = models.CharField(_("trạng thái"), max_length=10, choices=State.choices, default=State.PENDING)
    seller_answer = models.CharField(max_length=8, choices=Answer.choices, blank=True)
    partner_answer = models.CharField(max_length=8, choices=Answer.choices, blank=True)
    proposed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("kết nối")
        verbose_name_plural = _("các kết nối")
        constraints = [
            models.UniqueConstraint(
                fields=["seller", "partner"],
                condition=models.Q(state__in=["suggested", "pending", "accepted"]),
                name="one_open_match_per_pair",
            )
        ]
        indexes = [models.Index(fields=["partner", "state"]), models.Index(fields=["seller", "state"])]

    def __str__(self) -> str:
        return f"{self.seller_id}×{self.partner_id}"


# --- Mentor -------------------------------------------------------------------


class MentoringPlan(BaseModel):
    match = models.OneToOneField(Match, on_delete=models.PROTECT, related_name="plan")
    goals = models.TextField(_("mục tiêu"), max_length=4000)

    def __str__(self) -> str:
        return f"plan {self.match_id}"


class Milestone(models.Model):
    plan = models.ForeignKey(MentoringPlan, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("mốc"), max_length=200)
    due_on = models.DateField(_("hạn"))
    done_on = models.DateField(_("xong ngày"), null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.title


class Session(models.Model):
    plan = models.ForeignKey(MentoringPlan, on_delete=models.CASCADE, related_name="sessions")
    starts_at = models.DateTimeField(_("thời gian"))
    held = models.BooleanField(_("đã diễn ra"), default=False)
    notes = models.TextField(_("ghi chép"), max_length=4000, blank=True)
    next_steps = models.TextField(_("việc tiếp theo"), max_length=2000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["starts_at", "id"]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.starts_at:%Y-%m-%d}"


class Reminder(models.Model):
    """A reminder already sent (session tomorrow, milestone overdue): its key makes sending idempotent."""

    key = models.CharField(max_length=120, unique=True)
    sent_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.key


# --- Move ---------------------------------------------------------------------


class RevenueMonth(models.Model):
    """A seller's revenue for one month: entered by an officer or the seller, or taken from her orders."""

    class Source(models.TextChoices):
        ENTERED = "entered", _("Nhập tay")
        ORDERS = "orders", _("Từ đơn hàng trên Kết Nối")

    seller = models.ForeignKey(Seller, on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("tháng"))  # the first day of the month
    revenue_vnd = MoneyField(_("doanh thu (đồng)"))
    source = models.CharField(max_length=8, choices=Source.choices)
    new_buyers = models.PositiveIntegerField(_("người mua mới"), default=0)
    new_channels = models.JSONField(_("kênh bán mới"), default=list, blank=True)
    members_benefiting = models.PositiveIntegerField(_("thành viên hưởng lợi"), default=0)
    women_benefiting = models.PositiveIntegerField(_("phụ nữ hưởng lợi"), default=0)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["seller", "month"], name="revenue_month_once")]

    def __str__(self) -> str:
        return f"{self.seller_id} {self.month:%Y-%m}"


class Baseline(models.Model):
    seller = models.OneToOneField(Seller, on_delete=models.PROTECT, related_name="revenue_baseline")
    revenue_vnd = MoneyField(_("doanh thu tháng gốc (đồng)"))
    basis = models.CharField(
        _("cách tính"), max_length=200
    )  # e.g. "trung bình 3 tháng 2026-01..03 từ đơn hàng"
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    set_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.seller_id}"


class Graduation(models.Model):
    seller = models.ForeignKey(Seller, on_delete=models.PROTECT, related_name="+")
    programme = models.ForeignKey(
        "programmes.Programme", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    graduated_on = models.DateField(_("ngày ra trường"))
    criteria = models.JSONField()  # the rule that held, e.g. {"uplift_percent": 30, "months": 3}
    evidence = models.JSONField()  # the months and revenues that met it
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["seller", "programme"], name="graduation_once")]

    def __str__(self) -> str:
        return f"{self.seller_id} {self.graduated_on}"
