"""Move: a seller's monthly revenue, her baseline, graduation, and the product feed she hands to partners.

Revenue for a month is either entered (by the seller or an officer of her
area) or taken from her marketplace orders: the goods total (without the
delivery fee) of orders now delivered or completed, counted in the month
they were delivered, local time. ``revenue_months_refresh`` writes the
orders' figures and never overwrites a month someone entered by hand.

A seller graduates when her revenue is at least the baseline plus the
programme's uplift (30 % by default) for a number of consecutive months
(3 by default) after the baseline's period; the graduation is recorded once,
with the months and amounts that met the rule.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import openpyxl
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from ketnoi.core.audit import audit_record
from ketnoi.core.errors import DomainError, PermissionDenied
from ketnoi.core.money import format_vnd
from ketnoi.core.notify import message_send
from ketnoi.core.text import nfc
from ketnoi.market.models import OrderEvent, OrderState, Product, ProductPhoto, Seller
from ketnoi.market.selectors import officer_covers_seller, product_story, seller_can_edit
from ketnoi.market.selectors_orders import REVENUE_STATES

from ..models import Baseline, Graduation, RevenueMonth

# A cooperative's month above this is a typing slip (an extra zero or three), not a sale.
MAX_MONTHLY_REVENUE_VND = 10_000_000_000
# A month this many times the baseline needs the person to confirm it.
UNUSUAL_FACTOR = 50
MAX_PEOPLE = 100_000
MAX_CHANNELS = 10
MAX_CHANNEL_LENGTH = 60
MAX_BASELINE_MONTHS = 12
FIRST_MONTH = date(2015, 1, 1)  # nothing on the platform is older
DEFAULT_UPLIFT_PERCENT = 30
DEFAULT_MONTHS = 3

_YEAR_MONTH = re.compile(r"(\d{4})-(\d{2})")

_SMS_GRADUATED = _(
    "Kết Nối: Chúc mừng %(seller)s! Doanh thu đã tăng từ %(uplift)s%% trở lên so với mức gốc "
    "trong %(months)s tháng liên tiếp. Chương trình đã ghi nhận hợp tác xã hoàn thành mục tiêu."
)


# --- Months -----------------------------------------------------------------------------------


def month_start(value: date | datetime) -> date:
    """The first day of the month of ``value`` (a datetime is read in local time)."""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return value.replace(day=1)


def month_after(month: date) -> date:
    return date(month.year + 1, 1, 1) if month.month == 12 else date(month.year, month.month + 1, 1)


def month_before(month: date) -> date:
    return date(month.year - 1, 12, 1) if month.month == 1 else date(month.year, month.month - 1, 1)


def current_month(now: datetime | None = None) -> date:
    return month_start(now or timezone.now())


def months_span(first: date, last: date) -> list[date]:
    """Every month from ``first`` to ``last``, both included, oldest first."""
    months, month = [], month_start(first)
    while month <= last:
        months.append(month)
        month = month_after(month)
    return months


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# --- Who may record -----------------------------------------------------------------------------


def outcomes_may_record(user: Any, seller: Seller) -> bool:
    """The seller's leader or members, or an officer (commune, programme, administrator) of her area."""
    return seller_can_edit(user, seller) or officer_covers_seller(user, seller)


def _check_may_record(actor: Any, seller: Seller) -> None:
    if actor is not None and not outcomes_may_record(actor, seller):
        raise PermissionDenied(
            _("Chỉ người bán và cán bộ phụ trách địa bàn của người bán mới ghi được doanh thu."),
            code="outcomes_forbidden",
        )


# --- Revenue from orders ------------------------------------------------------------------------


@dataclass(frozen=True)
class OrdersMonth:
    month: date
    revenue_vnd: int
    orders: int
    new_buyers: int


def orders_by_month(
    seller: Seller, *, first: date | None = None, last: date | None = None
) -> list[OrdersMonth]:
    """The goods total of the seller's delivered or completed orders, per month of delivery (one query).

    Months with no delivery are left out. ``new_buyers`` counts buyers (by
    account, else by phone) whose first delivered order from this seller
    falls in that month.
    """
    events = OrderEvent.objects.filter(
        order__seller=seller, order__state__in=REVENUE_STATES, to_state=OrderState.DELIVERED
    )
    seen: set[int] = set()
    totals: dict[date, list[int]] = {}
    first_month_of: dict[str, date] = {}
    for at, order_id, subtotal, buyer_id, phone in events.order_by("at", "pk").values_list(
        "at", "order_id", "order__subtotal_vnd", "order__buyer_id", "order__buyer_phone"
    ):
        if order_id in seen:  # one delivery per order; a repeated event does not count twice
            continue
        seen.add(order_id)
        month = month_start(at)
        bucket = totals.setdefault(month, [0, 0])
        bucket[0] += int(subtotal)
        bucket[1] += 1
        first_month_of.setdefault(f"user:{buyer_id}" if buyer_id else f"phone:{phone}", month)
    newcomers: dict[date, int] = {}
    for month in first_month_of.values():
        newcomers[month] = newcomers.get(month, 0) + 1
    return [
        OrdersMonth(month=month, revenue_vnd=revenue, orders=count, new_buyers=newcomers.get(month, 0))
        for month, (revenue, count) in sorted(totals.items())
        if (first is None or month >= first) and (last is None or month <= last)
    ]


def revenue_from_orders(seller: Seller, month: date) -> int:
    """Her goods revenue from marketplace orders delivered in ``month`` (0 when none)."""
    start = month_start(month)
    total = 0
    seen: set[int] = set()
    for order_id, subtotal in OrderEvent.objects.filter(
        order__seller=seller,
        order__state__in=REVENUE_STATES,
        to_state=OrderState.DELIVERED,
        at__gte=_aware(start),
        at__lt=_aware(month_after(start)),
    ).values_list("order_id", "order__subtotal_vnd"):
        if order_id not in seen:
            seen.add(order_id)
            total += int(subtotal)
    return total


@transaction.atomic
def revenue_months_refresh(seller: Seller, *, actor: Any = None, now: datetime | None = None) -> list[date]:
    """Write each month's revenue from her orders (source "orders"); the months written or changed.

    A month someone entered by hand is left as it is. A month whose orders
    were all refunded since goes back to 0. Idempotent.
    """
    _check_may_record(actor, seller)
    last = current_month(now)
    from_orders = {m.month: m for m in orders_by_month(seller, last=last)}
    existing = {row.month: row for row in RevenueMonth.objects.filter(seller=seller)}
    changed: list[date] = []
    for month in sorted(set(from_orders) | {m for m, r in existing.items() if r.source == "orders"}):
        figures = from_orders.get(month, OrdersMonth(month=month, revenue_vnd=0, orders=0, new_buyers=0))
        row = existing.get(month)
        if row is None:
            RevenueMonth.objects.create(
                seller=seller,
                month=month,
                revenue_vnd=figures.revenue_vnd,
                new_buyers=figures.new_buyers,
                source=RevenueMonth.Source.ORDERS,
            )
            changed.append(month)
        elif row.source == RevenueMonth.Source.ORDERS and (
            row.revenue_vnd != figures.revenue_vnd or row.new_buyers != figures.new_buyers
        ):
            row.revenue_vnd, row.new_buyers = figures.revenue_vnd, figures.new_buyers
            row.save(update_fields=["revenue_vnd", "new_buyers", "updated_at"])
            changed.append(month)
    if changed:
        audit_record(
            actor=actor,
            action="mentoring.revenue_refresh",
            target=seller,
            changes={"months": (None, [m.isoformat() for m in changed])},
        )
    return changed


# --- Revenue entered by hand --------------------------------------------------------------------


def _people(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > MAX_PEOPLE:
        raise DomainError(
            _("“%(field)s” phải là số người từ 0 đến %(max)s."),
            code="people_range",
            params={"field": field, "max": MAX_PEOPLE},
            status=422,
        )
    return value


def _channels(values: Iterable[Any]) -> list[str]:
    channels: list[str] = []
    for value in values:
        text = nfc(str(value))
        if not text:
            continue
        if len(text) > MAX_CHANNEL_LENGTH:
            raise DomainError(
                _("Tên kênh bán dài quá %(max)s ký tự: “%(name)s”."),
                code="channel_too_long",
                params={"max": MAX_CHANNEL_LENGTH, "name": text[:MAX_CHANNEL_LENGTH]},
                status=422,
            )
        if text not in channels:
            channels.append(text)
    if len(channels) > MAX_CHANNELS:
        raise DomainError(
            _("Ghi tối đa %(max)s kênh bán mới mỗi tháng."),
            code="too_many_channels",
            params={"max": MAX_CHANNELS},
            status=422,
        )
    return channels


def revenue_check(
    seller: Seller,
    month: date,
    revenue_vnd: Any,
    *,
    confirm_unusual: bool = False,
    now: datetime | None = None,
) -> int:
    """The amount if it may be recorded for ``month``; else a ``DomainError`` saying why (422)."""
    if month > current_month(now):
        raise DomainError(
            _("Chưa thể ghi doanh thu cho tháng %(month)s: tháng này chưa đến."),
            code="month_in_future",
            params={"month": month.strftime("%m/%Y")},
            status=422,
        )
    if month < FIRST_MONTH:
        raise DomainError(
            _("Tháng %(month)s quá xa: hãy kiểm tra lại năm."),
            code="month_too_old",
            params={"month": month.strftime("%m/%Y")},
            status=422,
        )
    if isinstance(revenue_vnd, bool) or not isinstance(revenue_vnd, int):
        raise DomainError(_("Doanh thu phải là một số tiền (đồng)."), code="revenue_invalid", status=422)
    if revenue_vnd < 0:
        raise DomainError(
            _("Doanh thu không thể âm. Tháng không bán được gì thì ghi 0."),
            code="revenue_negative",
            status=422,
        )
    if revenue_vnd > MAX_MONTHLY_REVENUE_VND:
        raise DomainError(
            _(
                "Doanh thu %(amount)s một tháng là quá lớn với một hợp tác xã (tối đa %(max)s). "
                "Hãy kiểm tra xem có gõ thừa số 0 không."
            ),
            code="revenue_absurd",
            params={"amount": format_vnd(revenue_vnd), "max": format_vnd(MAX_MONTHLY_REVENUE_VND)},
            status=422,
        )
    baseline = Baseline.objects.filter(seller=seller).values_list("revenue_vnd", flat=True).first()
    if baseline and revenue_vnd > UNUSUAL_FACTOR * baseline and not confirm_unusual:
        raise DomainError(
            _(
                "Doanh thu %(amount)s gấp hơn %(factor)s lần mức gốc (%(baseline)s). Nếu đúng là như vậy, "
                "hãy đánh dấu “Tôi đã kiểm tra, số này đúng” rồi lưu lại."
            ),
            code="revenue_unusual",
            params={
                "amount": format_vnd(revenue_vnd),
                "factor": UNUSUAL_FACTOR,
                "baseline": format_vnd(baseline),
            },
            status=422,
        )
    return revenue_vnd


@transaction.atomic
def revenue_month_set(
    seller: Seller,
    month: date,
    *,
    actor: Any,
    revenue_vnd: int,
    new_buyers: int = 0,
    new_channels: Sequence[str] = (),
    members_benefiting: int = 0,
    women_benefiting: int = 0,
    confirm_unusual: bool = False,
    now: datetime | None = None,
) -> RevenueMonth:
    """Record (or correct) her figures for ``month`` as entered by ``actor``.

    Refused (422, nothing written): a future month, a negative amount, more
    than ``MAX_MONTHLY_REVENUE_VND``, more than ``UNUSUAL_FACTOR`` × her
    baseline unless ``confirm_unusual``, counts of people out of range, more
    women than members. An entered month replaces a month taken from orders.
    """
    _check_may_record(actor, seller)
    month = month_start(month)
    amount = revenue_check(seller, month, revenue_vnd, confirm_unusual=confirm_unusual, now=now)
    members = _people(members_benefiting, str(_("Thành viên hưởng lợi")))
    women = _people(women_benefiting, str(_("Phụ nữ hưởng lợi")))
    values: dict[str, Any] = {
        "revenue_vnd": amount,
        "new_buyers": _people(new_buyers, str(_("Người mua mới"))),
        "new_channels": _channels(new_channels),
        "members_benefiting": members,
        "women_benefiting": women,
    }
    if members and women > members:
        raise DomainError(
            _("Số phụ nữ hưởng lợi không thể nhiều hơn số thành viên hưởng lợi."),
            code="women_over_members",
            status=422,
        )
    row = RevenueMonth.objects.select_for_update().filter(seller=seller, month=month).first()
    before: dict[str, Any] = {}
    if row is None:
        row = RevenueMonth(seller=seller, month=month)
    else:
        before = {name: getattr(row, name) for name in (*values, "source")}
    for name, value in values.items():
        setattr(row, name, value)
    row.source = RevenueMonth.Source.ENTERED
    row.entered_by = actor if getattr(actor, "is_authenticated", False) else None
    row.save()
    audit_record(
        actor=actor,
        action="mentoring.revenue_set",
        target=seller,
        changes={
            f"{month:%Y-%m}.{name}": (before.get(name), getattr(row, name))
            for name in (*values, "source")
            if before.get(name) != getattr(row, name)
        },
    )
    return row


@transaction.atomic
def month_people_set(
    seller: Seller,
    month: date,
    *,
    actor: Any,
    new_buyers: int | None = None,
    new_channels: Sequence[str] | None = None,
    members_benefiting: int | None = None,
    women_benefiting: int | None = None,
) -> RevenueMonth:
    """Record who benefited in ``month`` (and new buyers, channels) without touching its revenue.

    The month keeps its amount and its source, so a month taken from orders
    stays "from orders". Only the figures given change. 409 when the month
    has no revenue yet; 422 on counts out of range or more women than members.
    """
    _check_may_record(actor, seller)
    month = month_start(month)
    row = RevenueMonth.objects.select_for_update().filter(seller=seller, month=month).first()
    if row is None:
        raise DomainError(
            _(
                "Tháng %(month)s chưa có doanh thu. Hãy ghi doanh thu tháng đó, "
                "hoặc bấm “Cập nhật từ đơn hàng”, rồi ghi số người hưởng lợi."
            ),
            code="month_missing",
            params={"month": month.strftime("%m/%Y")},
            status=409,
        )
    changes: dict[str, Any] = {}
    if new_buyers is not None:
        changes["new_buyers"] = _people(new_buyers, str(_("Người mua mới")))
    if new_channels is not None:
        changes["new_channels"] = _channels(new_channels)
    if members_benefiting is not None:
        changes["members_benefiting"] = _people(members_benefiting, str(_("Thành viên hưởng lợi")))
    if women_benefiting is not None:
        changes["women_benefiting"] = _people(women_benefiting, str(_("Phụ nữ hưởng lợi")))
    members = changes.get("members_benefiting", row.members_benefiting)
    if members and changes.get("women_benefiting", row.women_benefiting) > members:
        raise DomainError(
            _("Số phụ nữ hưởng lợi không thể nhiều hơn số thành viên hưởng lợi."),
            code="women_over_members",
            status=422,
        )
    diff = {
        f"{month:%Y-%m}.{name}": (getattr(row, name), value)
        for name, value in changes.items()
        if getattr(row, name) != value
    }
    if diff:
        for name, value in changes.items():
            setattr(row, name, value)
        row.save(update_fields=[*changes, "updated_at"])
        audit_record(actor=actor, action="mentoring.month_people_set", target=seller, changes=diff)
    return row


# --- Baseline -----------------------------------------------------------------------------------


def baseline_period_end(baseline: Baseline) -> date:
    """The last month the baseline covers: the last ``YYYY-MM`` in its basis, else the month before set_at."""
    found = _YEAR_MONTH.findall(baseline.basis)
    if found:
        year, month = found[-1]
        return date(int(year), int(month), 1)
    return month_before(month_start(baseline.set_at))


@transaction.atomic
def baseline_set(
    seller: Seller,
    *,
    actor: Any,
    revenue_vnd: int | None = None,
    months: int = DEFAULT_MONTHS,
    until: date | None = None,
    now: datetime | None = None,
) -> Baseline:
    """Set her monthly revenue before the programme: ``revenue_vnd`` as entered, else from her orders.

    From orders it is the average of the ``months`` calendar months ending
    with ``until`` (default: the last complete month). ``until`` also marks
    the end of the baseline period: graduation counts only later months.
    Refused (422): a future period, an amount out of range, a baseline of 0.
    """
    _check_may_record(actor, seller)
    this_month = current_month(now)
    end = month_start(until) if until is not None else month_before(this_month)
    if end >= this_month:
        raise DomainError(
            _("Mức gốc phải tính trên những tháng đã qua, trước tháng này."),
            code="baseline_future",
            status=422,
        )
    if revenue_vnd is None:
        if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= MAX_BASELINE_MONTHS:
            raise DomainError(
                _("Số tháng để tính mức gốc phải từ 1 đến %(max)s."),
                code="baseline_months",
                params={"max": MAX_BASELINE_MONTHS},
                status=422,
            )
        period = months_span(end, end)
        while len(period) < months:
            period.insert(0, month_before(period[0]))
        total = sum(m.revenue_vnd for m in orders_by_month(seller, first=period[0], last=end))
        amount = (total + months // 2) // months  # rounded half up, whole đồng
        if amount == 0:
            raise DomainError(
                _(
                    "Không có đơn hàng nào đã giao trong %(months)s tháng %(first)s–%(last)s. "
                    "Hãy nhập mức gốc bằng tay, theo sổ sách của hợp tác xã."
                ),
                code="baseline_no_orders",
                params={
                    "months": months,
                    "first": period[0].strftime("%m/%Y"),
                    "last": end.strftime("%m/%Y"),
                },
                status=422,
            )
        basis = f"trung bình {months} tháng {period[0]:%Y-%m}..{end:%Y-%m} từ đơn hàng"
    else:
        amount = revenue_check(seller, end, revenue_vnd, confirm_unusual=True, now=now)
        if amount == 0:
            raise DomainError(
                _("Mức gốc phải lớn hơn 0 để đo được doanh thu tăng bao nhiêu phần trăm."),
                code="baseline_zero",
                status=422,
            )
        basis = f"nhập tay, doanh thu mỗi tháng đến {end:%Y-%m}"
    baseline = Baseline.objects.select_for_update().filter(seller=seller).first()
    before = (baseline.revenue_vnd, baseline.basis) if baseline else (None, None)
    if baseline is None:
        baseline = Baseline(seller=seller)
    baseline.revenue_vnd = amount
    baseline.basis = basis
    baseline.set_by = actor if getattr(actor, "is_authenticated", False) else None
    baseline.set_at = now or timezone.now()
    baseline.save()
    audit_record(
        actor=actor,
        action="mentoring.baseline_set",
        target=seller,
        changes={"baseline_vnd": (before[0], amount), "basis": (before[1], basis)},
    )
    return baseline


# --- Graduation ---------------------------------------------------------------------------------


def threshold_vnd(baseline_vnd: int, uplift_percent: int) -> int:
    """The smallest whole amount that is at least ``baseline × (100 + uplift) / 100``."""
    return -(-baseline_vnd * (100 + uplift_percent) // 100)


def qualifying_run(
    rows: Iterable[tuple[date, int, str]], *, threshold: int, months: int
) -> list[tuple[date, int, str]] | None:
    """The first ``months`` consecutive calendar months with revenue ≥ ``threshold``, or ``None``.

    ``rows`` are (month, revenue, source), oldest first; a month without a
    row breaks the run.
    """
    run: list[tuple[date, int, str]] = []
    for row in rows:
        month, revenue, _source = row
        if revenue < threshold or (run and month != month_after(run[-1][0])):
            run = []
        if revenue >= threshold:
            run.append(row)
            if len(run) == months:
                return run
    return None


def _check_rule(uplift_percent: Any, months: Any) -> None:
    for value, low, high in ((uplift_percent, 1, 1000), (months, 1, 24)):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise DomainError(
                _("Tiêu chí không hợp lệ: mức tăng 1–1000 %%, số tháng 1–24."),
                code="graduation_rule",
                status=422,
            )


@transaction.atomic
def graduation_check(
    seller: Seller,
    *,
    programme: Any = None,
    uplift_percent: int = DEFAULT_UPLIFT_PERCENT,
    months: int = DEFAULT_MONTHS,
    actor: Any = None,
    now: datetime | None = None,
) -> Graduation | None:
    """Record her graduation if revenue ≥ baseline × (1 + uplift) for ``months`` consecutive months.

    Only months after the baseline period count. Returns the graduation
    (the one already recorded for this seller and programme, if any), or
    ``None`` while the rule does not hold or there is no baseline yet.
    The evidence keeps the baseline, the threshold and each month's amount
    and source. Locks the seller row, so two checks record it once.
    """
    _check_rule(uplift_percent, months)
    _check_may_record(actor, seller)
    Seller.objects.select_for_update().filter(pk=seller.pk).first()
    existing = Graduation.objects.filter(seller=seller, programme=programme).first()
    if existing is not None:
        return existing
    baseline = Baseline.objects.filter(seller=seller).first()
    if baseline is None:
        return None
    threshold = threshold_vnd(baseline.revenue_vnd, uplift_percent)
    after = baseline_period_end(baseline)
    rows = list(
        RevenueMonth.objects.filter(seller=seller, month__gt=after, month__lte=current_month(now))
        .order_by("month")
        .values_list("month", "revenue_vnd", "source")
    )
    run = qualifying_run(rows, threshold=threshold, months=months)
    if run is None:
        return None
    graduation = Graduation.objects.create(
        seller=seller,
        programme=programme,
        graduated_on=timezone.localdate(now) if now else timezone.localdate(),
        criteria={"uplift_percent": uplift_percent, "months": months},
        evidence={
            "baseline_vnd": baseline.revenue_vnd,
            "baseline_basis": baseline.basis,
            "threshold_vnd": threshold,
            "months": [
                {"month": f"{month:%Y-%m}", "revenue_vnd": revenue, "source": source}
                for month, revenue, source in run
            ],
        },
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_record(
        actor=actor,
        action="mentoring.graduation_record",
        target=graduation,
        changes={"months": (None, [f"{m:%Y-%m}" for m, _r, _s in run])},
    )
    leader = seller.leader
    with translation.override(getattr(leader, "language", "") or "vi"):
        text = str(_SMS_GRADUATED) % {"seller": seller.name, "uplift": uplift_percent, "months": months}
    message_send(to=str(leader.phone), text=text)
    return graduation


# --- The product feed -----------------------------------------------------------------------------

FEED_HEADERS = (
    _("Tên sản phẩm"),
    _("Nhóm hàng"),
    _("Giá (đồng)"),
    _("Đơn vị"),
    _("Còn trong kho"),
    _("Mô tả"),
    _("Ảnh"),
    _("Đường dẫn sản phẩm"),
)
FEED_KEYS = ("name", "category", "price_vnd", "unit", "stock", "description", "photo_url", "product_url")


def product_feed(seller: Seller, *, base_url: str) -> list[list[Any]]:
    """Her active products as rows for a partner's catalogue (two queries).

    ``base_url`` (``https://host``) makes the photo and product links
    absolute, as a partner's importer needs them.
    """
    products = list(
        Product.objects.filter(seller=seller, is_active=True)
        .select_related("category")
        .order_by("category__position", "name", "pk")
    )
    photos: dict[int, str] = {}
    for product_id, large in (
        ProductPhoto.objects.filter(product__in=products)
        .order_by("-position", "-id")
        .values_list("product_id", "large")
    ):
        photos[product_id] = large  # the last written is the first photo
    base = base_url.rstrip("/")

    def absolute(url: str) -> str:
        return url if url.startswith(("http://", "https://")) else base + url

    return [
        [
            product.name,
            product.category.name,
            product.price_vnd,
            product.unit,
            product.stock,
            product_story(product),
            absolute(default_storage.url(photos[product.pk])) if product.pk in photos else "",
            absolute(reverse("market:product_detail", kwargs={"slug": product.slug})),
        ]
        for product in products
    ]


def _safe_cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula (=, +, -, @) is written with a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def product_feed_csv(rows: list[list[Any]]) -> str:
    """The feed as CSV (UTF-8 with a BOM, so Excel reads the Vietnamese names right)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([str(h) for h in FEED_HEADERS])
    writer.writerows([[_safe_cell(v) for v in row] for row in rows])
    return buffer.getvalue()


def product_feed_xlsx(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(str(_("Sản phẩm"))[:31])
    sheet.append([str(h) for h in FEED_HEADERS])
    for row in rows:
        sheet.append([_safe_cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
