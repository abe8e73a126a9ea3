"""Needs and offers: what a seller asks for, and what a partner gives, where and for how many.

A seller's needs are set by her leader or a member, or by an officer of her
area (commune, programme officer of her province, administrator) filling
them in with her. A partner profile belongs to a user holding the partner or
mentor role; an administrator may save one for her. Both are audited.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ketnoi.accounts.models import Role
from ketnoi.accounts.selectors import user_has_role
from ketnoi.core.audit import audit_record
from ketnoi.core.errors import DomainError, PermissionDenied
from ketnoi.core.text import nfc
from ketnoi.market.models import Category, Seller
from ketnoi.market.selectors import officer_covers_seller, seller_can_edit
from ketnoi.places.models import Province

from ..models import Match, Need, Partner, SellerNeeds

# Languages a cooperative or a partner may speak, as data: code → name (ethnic languages by their
# usual Vietnamese names). Bit 0 of the matching masks is Vietnamese.
LANGUAGES: dict[str, str] = {
    "vi": "Tiếng Việt",
    "en": "English",
    "tay": "Tiếng Tày",
    "thai": "Tiếng Thái",
    "muong": "Tiếng Mường",
    "khmer": "Tiếng Khmer",
    "hmong": "Tiếng H'Mông",
    "nung": "Tiếng Nùng",
    "dao": "Tiếng Dao",
    "giarai": "Tiếng Gia Rai",
    "ede": "Tiếng Ê Đê",
    "bana": "Tiếng Ba Na",
    "zh": "Tiếng Hoa",
}
MIN_CAPACITY = 1
MAX_CAPACITY = 500
MAX_MONTHLY_CAPACITY = 120
MAX_NOTES = 2000
MAX_ORGANISATION = 200
MAX_ABOUT = 2000
OPEN_MATCH_STATES = (Match.State.PENDING, Match.State.ACCEPTED)
PARTNER_ROLES = (Role.PARTNER, Role.MENTOR)


def _choices(values: Iterable[Any], allowed: Sequence[str], *, field: str, message: Any) -> list[str]:
    """``values`` without repeats, in the order of ``allowed``; ``DomainError`` for any unknown one."""
    chosen = {str(v).strip() for v in values}
    unknown = sorted(chosen.difference(allowed))
    if unknown:
        raise DomainError(message, code=f"{field}_unknown", params={"values": ", ".join(unknown)}, status=422)
    return [v for v in allowed if v in chosen]


def _needs(values: Iterable[Any], *, field: str) -> list[str]:
    return _choices(
        values,
        Need.values,
        field=field,
        message=_("Không có mục hỗ trợ “%(values)s”. Hãy chọn trong danh sách."),
    )


def _languages(values: Iterable[Any]) -> list[str]:
    return _choices(
        values,
        list(LANGUAGES),
        field="languages",
        message=_("Không có ngôn ngữ “%(values)s” trong danh sách."),
    )


def _text(value: Any, *, limit: int, field: str, label: Any) -> str:
    text = nfc(str(value or "")).strip()
    if len(text) > limit:
        raise DomainError(
            _("%(label)s dài quá: tối đa %(limit)s ký tự."),
            code=f"{field}_too_long",
            params={"label": label, "limit": limit},
            status=422,
        )
    return text


def _categories(values: Sequence[Category | int | str]) -> list[Category]:
    ids = {v.pk if isinstance(v, Category) else int(v) for v in values}
    found = list(Category.objects.filter(pk__in=ids))
    if len(found) != len(ids):
        raise DomainError(_("Có nhóm hàng không còn trong danh sách. Hãy chọn lại."), code="category_unknown")
    return found


def needs_may_edit(user: Any, seller: Seller) -> bool:
    """Her leader or a member, or an officer whose area covers her commune."""
    return seller_can_edit(user, seller) or officer_covers_seller(user, seller)


@transaction.atomic
def seller_needs_set(
    seller: Seller,
    *,
    actor: Any,
    needs: Iterable[str],
    categories: Sequence[Category | int | str],
    monthly_capacity: str = "",
    languages: Iterable[str] = ("vi",),
    notes: str = "",
) -> SellerNeeds:
    """Create or replace ``seller``'s needs. ``PermissionDenied`` unless ``needs_may_edit``;
    ``DomainError`` (422) for no need chosen, an unknown need, category or language, or text too long.
    """
    if not needs_may_edit(actor, seller):
        raise PermissionDenied(
            _("Chỉ người của hợp tác xã hoặc cán bộ phụ trách xã này mới sửa được nhu cầu."),
            code="needs_forbidden",
        )
    chosen_needs = _needs(needs, field="needs")
    if not chosen_needs:
        raise DomainError(_("Hãy chọn ít nhất một việc cần hỗ trợ."), code="needs_empty", status=422)
    chosen_languages = _languages(languages) or ["vi"]
    capacity_text = _text(
        monthly_capacity, limit=MAX_MONTHLY_CAPACITY, field="monthly_capacity", label=_("Sản lượng mỗi tháng")
    )
    notes_text = _text(notes, limit=MAX_NOTES, field="notes", label=_("Ghi chú"))
    chosen_categories = _categories(categories)

    record = SellerNeeds.objects.select_for_update().filter(seller=seller).first()
    before: dict[str, Any] = {}
    if record is None:
        record = SellerNeeds(seller=seller)
    else:
        before = {
            "needs": record.needs,
            "monthly_capacity": record.monthly_capacity,
            "languages": record.languages,
            "notes": record.notes,
            "categories": sorted(record.categories.values_list("pk", flat=True)),
        }
    record.needs = chosen_needs
    record.monthly_capacity = capacity_text
    record.languages = chosen_languages
    record.notes = notes_text
    record.full_clean(exclude=["seller"])
    record.save()
    record.categories.set(chosen_categories)
    after = {
        "needs": chosen_needs,
        "monthly_capacity": capacity_text,
        "languages": chosen_languages,
        "notes": notes_text,
        "categories": sorted(c.pk for c in chosen_categories),
    }
    changes = {k: (before.get(k), v) for k, v in after.items() if before.get(k) != v}
    audit_record(actor=actor, action="mentoring.needs_set", target=record, changes=changes)
    return record


def partner_may_edit(user: Any, partner: Partner | None, owner: Any) -> bool:
    """A partner (or mentor) edits her own profiles; an administrator anyone's."""
    if user_has_role(user, Role.ADMINISTRATOR):
        return True
    if not getattr(user, "is_authenticated", False) or not user.is_active or owner.pk != user.pk:
        return False
    return partner is None or partner.user_id == user.pk


def _open_matches(partner: Partner) -> int:
    return Match.objects.filter(partner=partner, state__in=OPEN_MATCH_STATES).count()


@transaction.atomic
def partner_profile_save(
    *,
    actor: Any,
    user: Any,
    kind: str,
    organisation: str,
    offers: Iterable[str],
    categories: Sequence[Category | int | str],
    provinces: Sequence[Province | int | str],
    languages: Iterable[str] = ("vi",),
    capacity: int,
    about: str = "",
    active: bool = True,
    partner: Partner | None = None,
) -> Partner:
    """Create (``partner`` None) or update a partner profile of ``user``.

    ``user`` must hold the partner or mentor role. Refused (422): an unknown kind, no offer or an
    unknown one, no province, capacity outside 1..500 or below the matches she has open now.
    """
    if not partner_may_edit(actor, partner, user):
        raise PermissionDenied(_("Bạn chỉ sửa được hồ sơ đối tác của chính mình."), code="partner_forbidden")
    if partner is not None and partner.user_id != user.pk:
        raise PermissionDenied(_("Hồ sơ này thuộc về người khác."), code="partner_forbidden")
    if not user_has_role(user, *PARTNER_ROLES):
        raise PermissionDenied(
            _("Chỉ người có vai trò đối tác hoặc cố vấn mới có hồ sơ đối tác. Hãy hỏi quản trị viên."),
            code="partner_role_missing",
        )
    if kind not in Partner.Kind.values:
        raise DomainError(_("Hãy chọn loại đối tác."), code="kind_unknown", status=422)
    name = _text(organisation, limit=MAX_ORGANISATION, field="organisation", label=_("Tên tổ chức"))
    if not name:
        raise DomainError(_("Hãy ghi tên tổ chức hoặc tên của bạn."), code="organisation_empty", status=422)
    about_text = _text(about, limit=MAX_ABOUT, field="about", label=_("Giới thiệu"))
    chosen_offers = _needs(offers, field="offers")
    if not chosen_offers:
        raise DomainError(_("Hãy chọn ít nhất một việc bạn hỗ trợ được."), code="offers_empty", status=422)
    chosen_languages = _languages(languages) or ["vi"]
    try:
        room = int(capacity)
    except (TypeError, ValueError):
        room = 0
    if not MIN_CAPACITY <= room <= MAX_CAPACITY:
        raise DomainError(
            _("Số hợp tác xã nhận được phải từ %(low)s đến %(high)s."),
            code="capacity_range",
            params={"low": MIN_CAPACITY, "high": MAX_CAPACITY},
            status=422,
        )
    province_ids = {p.pk if isinstance(p, Province) else int(p) for p in provinces}
    chosen_provinces = list(Province.objects.filter(pk__in=province_ids))
    if not chosen_provinces:
        raise DomainError(_("Hãy chọn ít nhất một tỉnh bạn phục vụ."), code="provinces_empty", status=422)
    if len(chosen_provinces) != len(province_ids):
        raise DomainError(_("Có tỉnh không có trong danh sách. Hãy chọn lại."), code="province_unknown")
    chosen_categories = _categories(categories)

    before: dict[str, Any] = {}
    if partner is None:
        partner = Partner(user=user)
    else:
        partner = Partner.objects.select_for_update().get(pk=partner.pk)
        open_now = _open_matches(partner)
        if room < open_now:
            raise DomainError(
                _("Bạn đang có %(count)s kết nối chờ hoặc đang làm; số nhận được không thể ít hơn."),
                code="capacity_below_open",
                params={"count": open_now},
                status=422,
            )
        before = {
            "kind": partner.kind,
            "organisation": partner.organisation,
            "offers": partner.offers,
            "languages": partner.languages,
            "capacity": partner.capacity,
            "active": partner.active,
            "provinces": sorted(partner.provinces.values_list("pk", flat=True)),
            "categories": sorted(partner.categories.values_list("pk", flat=True)),
        }
    partner.kind = kind
    partner.organisation = name
    partner.about = about_text
    partner.offers = chosen_offers
    partner.languages = chosen_languages
    partner.capacity = room
    partner.active = bool(active)
    partner.full_clean(exclude=["user"])
    partner.save()
    partner.provinces.set(chosen_provinces)
    partner.categories.set(chosen_categories)
    after = {
        "kind": kind,
        "organisation": name,
        "offers": chosen_offers,
        "languages": chosen_languages,
        "capacity": room,
        "active": bool(active),
        "provinces": sorted(p.pk for p in chosen_provinces),
        "categories": sorted(c.pk for c in chosen_categories),
    }
    changes = {k: (before.get(k), v) for k, v in after.items() if before.get(k) != v}
    audit_record(actor=actor, action="mentoring.partner_save", target=partner, changes=changes)
    return partner
