"""Writes to the catalogue: categories, sellers (with the programme's badge) and products.

Every service validates first (nothing written on bad input), writes inside
``transaction.atomic``, and records an audit entry. Text arrives from phones
in NFC or NFD; it is stored in NFC as typed (HTML included) and the pages
escape it when rendering.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from ketnoi.accounts.models import Role
from ketnoi.accounts.selectors import user_has_role
from ketnoi.core.audit import audit_record, changes_between, snapshot
from ketnoi.core.errors import DomainError, NotFound, PermissionDenied
from ketnoi.core.text import fold, nfc
from ketnoi.places.models import Commune

from ..data import BANKS, CATEGORIES
from ..models import Category, Product, Seller
from ..selectors import CATALOGUE_VERSION_KEY, officer_covers_seller, seller_can_edit

OCOP_FIRST_YEAR = 2018  # the OCOP programme's first certificates
BANK_BINS = frozenset(bin_ for bin_, _short, _full in BANKS)
_ACCOUNT_RE = re.compile(r"^\d{6,19}$")
_WORD = re.compile(r"[^\W_]+")
_TAX_CODE_RE = re.compile(r"^\d{10}(-\d{3})?$")

SELLER_FIELDS = (
    "kind",
    "name",
    "commune",
    "village",
    "story",
    "story_en",
    "women_led",
    "ethnic_minority_led",
    "bank_bin",
    "bank_account",
    "bank_account_name",
    "pickup_line",
    "tax_code",
    "is_active",
)
PRODUCT_FIELDS = (
    "category",
    "name",
    "name_en",
    "price_vnd",
    "unit",
    "stock",
    "weight_g",
    "ocop_stars",
    "ocop_year",
    "story_who",
    "story_how",
    "story_from",
    "story_meaning",
    "story_en",
    "is_active",
)


# --------------------------------------------------------------------- shared


def _catalogue_version_bump() -> None:
    try:
        cache.incr(CATALOGUE_VERSION_KEY)
    except ValueError:  # not in the cache (evicted, or a fresh one)
        cache.set(CATALOGUE_VERSION_KEY, time.time_ns(), None)


def catalogue_changed() -> None:
    """Retire the cached catalogue pages: now, and again once the change is committed.

    Bumping before the commit too means this process never serves its own
    stale page; bumping after it means no page cached in between (with the
    old data) outlives the change. With a per-process cache (LocMem) other
    processes see the change when their copy expires
    (``views.catalogue.CATALOGUE_CACHE_SECONDS``); a shared cache sees it at once.
    """
    _catalogue_version_bump()
    transaction.on_commit(_catalogue_version_bump)


def category_sync() -> int:
    """Load the categories of ``market/data/categories.py`` (idempotent); the number written."""
    for position, (slug, name, name_en) in enumerate(CATEGORIES):
        Category.objects.update_or_create(
            slug=slug, defaults={"name": name, "name_en": name_en, "position": position}
        )
    return len(CATEGORIES)


# Slugs that would shadow a fixed address (``/api/v1/products/categories``).
RESERVED_SLUGS = frozenset({"categories", "new", "search"})


def unique_slug(model: type[Model], text: str, *, max_length: int, exclude_pk: Any = None) -> str:
    """A slug made from the folded ``text``, with ``-2``, ``-3``… added until no row of ``model`` has it."""
    base = slugify(fold(text))[: max_length - 6].strip("-") or "san-pham"
    taken = RESERVED_SLUGS | set(
        model._default_manager.filter(slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)  # type: ignore[attr-defined]
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _clean_text(values: dict[str, Any]) -> None:
    for key, value in values.items():
        if isinstance(value, str):
            if "\x00" in value:
                raise ValidationError({key: _("Chữ có ký tự không hợp lệ.")}, code="nul_character")
            values[key] = nfc(value)


def _only(fields: Iterable[str], values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(fields)
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")
    return dict(values)


def _full_clean(instance: Model, *, exclude: Iterable[str] = ()) -> None:
    # Uniqueness of slugs is ensured by ``unique_slug``; the rest by the model.
    instance.full_clean(exclude=list(exclude), validate_unique=False)


# --------------------------------------------------------------------- sellers


def _validate_seller(seller: Seller) -> None:
    errors: dict[str, Any] = {}
    seller.bank_account = re.sub(r"[\s.\-]", "", seller.bank_account or "")
    if seller.bank_bin and seller.bank_bin not in BANK_BINS:
        errors["bank_bin"] = _("Hãy chọn ngân hàng trong danh sách.")
    if seller.bank_account and not _ACCOUNT_RE.match(seller.bank_account):
        errors["bank_account"] = _("Số tài khoản gồm 6 đến 19 chữ số.")
    seller.tax_code = (seller.tax_code or "").replace(" ", "")
    if seller.tax_code and not _TAX_CODE_RE.match(seller.tax_code):
        errors["tax_code"] = _("Mã số thuế gồm 10 chữ số, hoặc 10 chữ số - 3 chữ số.")
    if bool(seller.bank_bin) != bool(seller.bank_account):
        errors.setdefault(
            "bank_account" if seller.bank_bin else "bank_bin",
            _("Cần cả ngân hàng và số tài khoản để người mua chuyển khoản được."),
        )
    if errors:
        raise ValidationError(errors)
    _full_clean(seller, exclude=["slug", "name_folded", "leader"])


@transaction.atomic
def seller_create(
    *, actor: Any, leader: Any, name: str, kind: str, commune: Commune, **fields: Any
) -> Seller:
    """Register a seller led by ``leader`` (who must hold the seller role).

    ``actor`` is the leader herself, an officer covering ``commune``, or
    ``None`` for the system (demo data). Other ``fields``: see ``SELLER_FIELDS``.
    The slug is made from the folded name. Never verified on creation.
    """
    values = _only(SELLER_FIELDS, {**fields, "name": name, "kind": kind, "commune": commune})
    _clean_text(values)
    if not user_has_role(leader, Role.SELLER):
        raise DomainError(_("Người đại diện phải có vai trò người bán."), code="leader_not_seller")
    seller = Seller(leader=leader, **values)
    if actor is not None and actor != leader and not officer_covers_seller(actor, seller):
        raise PermissionDenied(_("Bạn không được tạo người bán ở xã này."), code="seller_create_denied")
    _validate_seller(seller)
    seller.name_folded = fold(seller.name)[:150]
    seller.slug = unique_slug(Seller, seller.name, max_length=160)
    seller.save()
    audit_record(
        actor=actor, action="market.seller_create", target=seller, changes={"name": (None, seller.name)}
    )
    return seller


@transaction.atomic
def seller_update(*, actor: Any, seller: Seller, **changes: Any) -> Seller:
    """Change a seller's details; only her leader, members or an administrator may.

    The slug stays (links keep working); the verified badge is changed only
    by ``seller_verify``. Products' search text follows a new name or place.
    """
    values = _only(SELLER_FIELDS, changes)
    _clean_text(values)
    locked = Seller.objects.select_for_update().get(pk=seller.pk)
    if not seller_can_edit(actor, locked):
        raise NotFound(_("Không tìm thấy người bán này."), code="seller_not_found")
    before = snapshot(locked, values)
    for key, value in values.items():
        setattr(locked, key, value)
    _validate_seller(locked)
    locked.name_folded = fold(locked.name)[:150]
    diff = changes_between(before, snapshot(locked, values))
    if not diff:
        return locked
    locked.save()
    if {"name", "commune", "village"} & set(diff):
        products_search_refresh(seller=locked)
    audit_record(actor=actor, action="market.seller_update", target=locked, changes=diff)
    catalogue_changed()
    return locked


@transaction.atomic
def seller_verify(actor: Any, seller: Seller, *, verified: bool = True, reason: str = "") -> Seller:
    """Grant (or with ``verified=False`` withdraw) the "verified by the programme" badge.

    Only an officer whose area covers the seller's commune (its commune
    officer, a programme officer of its province) or an administrator may.
    Idempotent: granting a badge already held changes nothing.
    """
    locked = Seller.objects.select_for_update().select_related("commune").get(pk=seller.pk)
    if not officer_covers_seller(actor, locked):
        raise PermissionDenied(
            _("Chỉ cán bộ phụ trách xã của người bán mới được xác minh."), code="seller_verify_denied"
        )
    if locked.verified == verified:
        return locked
    before = locked.verified
    locked.verified = verified
    locked.verified_by = actor if verified else None
    locked.verified_at = timezone.now() if verified else None
    locked.save(update_fields=["verified", "verified_by", "verified_at", "updated_at"])
    audit_record(
        actor=actor,
        action="market.seller_verify" if verified else "market.seller_unverify",
        target=locked,
        changes={"verified": (before, verified)},
        reason=nfc(reason)[:500],
    )
    catalogue_changed()
    seller.verified, seller.verified_by, seller.verified_at = (
        locked.verified,
        locked.verified_by,
        locked.verified_at,
    )
    return locked


@transaction.atomic
def seller_member_add(*, actor: Any, seller: Seller, member: Any) -> None:
    """Let ``member`` (a user with the seller role) edit this seller's products."""
    if not seller_can_edit(actor, seller):
        raise NotFound(_("Không tìm thấy người bán này."), code="seller_not_found")
    if not user_has_role(member, Role.SELLER):
        raise DomainError(_("Thành viên phải có vai trò người bán."), code="member_not_seller")
    seller.members.add(member)
    audit_record(
        actor=actor, action="market.seller_member_add", target=seller, changes={"member": (None, member.pk)}
    )


# -------------------------------------------------------------------- products


def _words(text: str) -> str:
    return " ".join(_WORD.findall(fold(text)))


def product_search_text(product: Product) -> str:
    """The folded words search looks in: the names first, then the story, seller and place.

    Each word follows a space (the text starts with ``# ``: saving strips a
    leading space), so search matches the start of words: "mat ong" does not
    find "mất" or "trong". The names come before `` | `` so ranking can tell
    a name match from a story match (``selectors.product_search``).
    """
    seller = product.seller
    commune = seller.commune
    names = _words(f"{product.name} {product.name_en}")
    rest = _words(
        " ".join(
            [
                product.story_who,
                product.story_how,
                product.story_from,
                product.story_meaning,
                product.story_en,
                seller.name,
                seller.village,
                commune.name,
                commune.province.name,
            ]
        )
    )
    return f"# {names} | {rest}"


def products_search_refresh(*, seller: Seller) -> int:
    """Recompute the search text of every product of ``seller`` (after a name or place change)."""
    seller = Seller.objects.select_related("commune__province").get(pk=seller.pk)
    products = list(Product.objects.filter(seller=seller))
    for product in products:
        product.seller = seller
        product.search_folded = product_search_text(product)
    Product.objects.bulk_update(products, ["search_folded"], batch_size=200)
    return len(products)


def _validate_product(product: Product) -> None:
    errors: dict[str, Any] = {}
    if product.price_vnd is not None and product.price_vnd <= 0:
        errors["price_vnd"] = _("Giá phải lớn hơn 0 đồng.")
    if product.stock is not None and product.stock < 0:
        errors["stock"] = _("Số lượng trong kho không được âm.")
    if product.weight_g is not None and product.weight_g <= 0:
        errors["weight_g"] = _("Khối lượng phải lớn hơn 0 gam.")
    if product.ocop_stars is None:
        if product.ocop_year is not None:
            errors["ocop_stars"] = _("Hãy chọn số sao OCOP, hoặc xoá năm chứng nhận.")
    elif product.ocop_stars not in (3, 4, 5):
        errors["ocop_stars"] = _("Sao OCOP là 3, 4 hoặc 5.")
    elif product.ocop_year is None:
        errors["ocop_year"] = _("Hãy nhập năm được chứng nhận OCOP.")
    elif not OCOP_FIRST_YEAR <= product.ocop_year <= timezone.localdate().year:
        errors["ocop_year"] = _("Năm chứng nhận OCOP từ 2018 đến năm nay.")
    if errors:
        raise ValidationError(errors)
    _full_clean(product, exclude=["slug", "search_folded", "seller"])


@transaction.atomic
def product_create(
    *,
    actor: Any,
    seller: Seller,
    name: str,
    category: Category,
    price_vnd: int,
    unit: str,
    weight_g: int,
    stock: int = 0,
    **fields: Any,
) -> Product:
    """List a product of ``seller``; ``actor`` must be her leader or a member (or ``None``, the system).

    Other ``fields``: see ``PRODUCT_FIELDS`` (story answers, OCOP stars and
    year, English name and story). Refuses with ``ValidationError`` (per
    field) on a price ≤ 0, negative stock, an OCOP year outside 2018–now.
    """
    values = _only(
        PRODUCT_FIELDS,
        {
            **fields,
            "name": name,
            "category": category,
            "price_vnd": price_vnd,
            "unit": unit,
            "weight_g": weight_g,
            "stock": stock,
        },
    )
    _clean_text(values)
    if actor is not None and not seller_can_edit(actor, seller):
        raise NotFound(_("Không tìm thấy người bán này."), code="seller_not_found")
    seller = Seller.objects.select_related("commune__province").get(pk=seller.pk)
    product = Product(seller=seller, **values)
    _validate_product(product)
    product.slug = unique_slug(Product, product.name, max_length=170)
    product.search_folded = product_search_text(product)
    product.save()
    audit_record(
        actor=actor,
        action="market.product_create",
        target=product,
        changes={"name": (None, product.name), "price_vnd": (None, product.price_vnd)},
    )
    catalogue_changed()
    return product


@transaction.atomic
def product_update(*, actor: Any, product: Product, **changes: Any) -> Product:
    """Change a product; only the seller's leader or members may (others: ``NotFound``).

    Takes a row lock so an edit and an order's stock reservation do not
    overwrite each other. The slug stays the same so shared links keep working.
    """
    values = _only(PRODUCT_FIELDS, changes)
    _clean_text(values)
    locked = Product.objects.select_for_update(of=("self",)).select_related("seller").get(pk=product.pk)
    if actor is not None and not seller_can_edit(actor, locked.seller):
        raise NotFound(_("Không tìm thấy sản phẩm này."), code="product_not_found")
    before = snapshot(locked, values)
    for key, value in values.items():
        setattr(locked, key, value)
    _validate_product(locked)
    diff = changes_between(before, snapshot(locked, values))
    if not diff:
        return locked
    locked.seller = Seller.objects.select_related("commune__province").get(pk=locked.seller_id)
    locked.search_folded = product_search_text(locked)
    locked.save()
    audit_record(actor=actor, action="market.product_update", target=locked, changes=diff)
    catalogue_changed()
    return locked
