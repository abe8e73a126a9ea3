"""Reads of the catalogue that pages, the API and other apps need, already narrowed.

Public reads (``products_public``, ``product_search``, ``product_for_page``,
``seller_for_page``) show active products of active sellers only, and never
load what is private: the women-led and ethnic-minority-led flags, bank
details and the pickup address stay out of public querysets (``PUBLIC_SELLER_FIELDS``).
Every list and page costs a fixed number of queries whatever the data size.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db.models import (
    Avg,
    Case,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import StrIndex
from django.db.models.lookups import GreaterThan, LessThan
from django.utils.translation import gettext_lazy as _

from ketnoi.accounts.selectors import AREA_OFFICER_ROLES, user_scopes
from ketnoi.core.errors import NotFound
from ketnoi.core.scopes import scopes_cover
from ketnoi.core.text import fold

from .models import Category, Product, ProductPhoto, Review, Seller

MAX_SEARCH_WORDS = 8
MAX_WORD_LENGTH = 40
REVIEWS_ON_PAGE = 10
MAX_PHOTOS = 8

# What a public page or the public API may know about a seller.
PUBLIC_SELLER_FIELDS = (
    "seller__id",
    "seller__name",
    "seller__slug",
    "seller__village",
    "seller__verified",
    "seller__is_active",
    "seller__commune__code",
    "seller__commune__name",
    "seller__commune__province__code",
    "seller__commune__province__name",
)
PUBLIC_PRODUCT_FIELDS = (
    "id",
    "slug",
    "name",
    "name_en",
    "price_vnd",
    "unit",
    "stock",
    "weight_g",
    "ocop_stars",
    "ocop_year",
    "category__slug",
    "category__name",
    "category__name_en",
    *PUBLIC_SELLER_FIELDS,
)


# The catalogue list's rendered HTML is cached under this version; the
# services bump it on every change a card shows (``catalogue_changed``).
CATALOGUE_VERSION_KEY = "market:catalogue:version"


def catalogue_version() -> int:
    """The current version of the public catalogue (one cache read)."""
    version = cache.get(CATALOGUE_VERSION_KEY)
    if version is None:
        # A fresh cache: start from the clock so pages cached before a restart never match.
        cache.add(CATALOGUE_VERSION_KEY, time.time_ns(), None)
        version = cache.get(CATALOGUE_VERSION_KEY, 0)
    return int(version)


# ------------------------------------------------------------- permissions


def officer_covers_seller(user: Any, seller: Seller) -> bool:
    """Whether ``user`` is an officer (commune, province programme, administrator) covering ``seller``."""
    scopes = user_scopes(user, roles=AREA_OFFICER_ROLES)
    if not scopes:
        return False
    province_code = Seller.objects.filter(pk=seller.pk).values_list("commune__province_id", flat=True).first()
    if province_code is None:  # not saved yet
        province_code = seller.commune.province_id
    return scopes_cover(scopes, province_code=province_code, commune_code=seller.commune_id)


def seller_can_edit(user: Any, seller: Seller) -> bool:
    """Whether ``user`` is ``seller``'s leader or one of its members (and active)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if seller.leader_id == user.pk:
        return True
    return seller.members.filter(pk=user.pk).exists()


def sellers_of_user(user: Any) -> QuerySet[Seller]:
    """The sellers ``user`` leads or belongs to."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Seller.objects.none()
    return (
        Seller.objects.filter(Q(leader=user) | Q(members=user))
        .distinct()
        .select_related("commune__province")
        .order_by("name_folded", "pk")
    )


def seller_for_editor(user: Any, slug: str) -> Seller:
    """The seller ``slug`` if ``user`` may edit it; otherwise ``NotFound`` (as if it did not exist)."""
    seller = sellers_of_user(user).filter(slug=slug).first()
    if seller is None:
        raise NotFound(_("Không tìm thấy người bán này."), code="seller_not_found")
    return seller


def product_for_editor(user: Any, slug: str) -> Product:
    """The product ``slug`` (active or not) if ``user`` may edit it; otherwise ``NotFound``."""
    sellers = sellers_of_user(user).values("pk")
    product = (
        Product.objects.filter(slug=slug, seller__in=Subquery(sellers))
        .select_related("seller__commune__province", "category")
        .prefetch_related("photos")
        .first()
    )
    if product is None:
        raise NotFound(_("Không tìm thấy sản phẩm này."), code="product_not_found")
    return product


def products_of_seller_for_editor(seller: Seller) -> QuerySet[Product]:
    """All the seller's products (active and hidden) with their photo count, for her own page."""
    return (
        with_first_photo(Product.objects.filter(seller=seller))
        .select_related("category")
        .annotate(photo_count=Count("photos"))
        .order_by("-is_active", "-updated_at", "-pk")
    )


# -------------------------------------------------------------- public reads


def categories() -> list[Category]:
    return list(Category.objects.all())


def with_first_photo(queryset: QuerySet[Product]) -> QuerySet[Product]:
    """Annotate the first photo's small WebP (``photo_small``, ``photo_width``, ``photo_height``).

    Three correlated subqueries in the same SELECT: a page of cards costs
    no extra query per product.
    """
    first = ProductPhoto.objects.filter(product=OuterRef("pk")).order_by("position", "id")
    return queryset.annotate(
        photo_small=Subquery(first.values("small")[:1]),
        photo_width=Subquery(first.values("small_width")[:1]),
        photo_height=Subquery(first.values("small_height")[:1]),
    )


def products_public() -> QuerySet[Product]:
    """Active products of active sellers, with the public seller and place fields only."""
    return (
        Product.objects.filter(is_active=True, seller__is_active=True)
        .select_related("seller__commune__province", "category")
        .only(*PUBLIC_PRODUCT_FIELDS)
    )


def search_words(query: str) -> list[str]:
    """The folded words of ``query`` (letters and digits only), at most eight."""
    words = re.findall(r"[^\W_]+", fold(query or ""))
    unique = list(dict.fromkeys(w[:MAX_WORD_LENGTH] for w in words))
    return unique[:MAX_SEARCH_WORDS]


def product_search(
    query: str = "",
    category: str | None = None,
    province: int | str | None = None,
    ocop_min: int | str | None = None,
) -> QuerySet[Product]:
    """Active products matching every typed word, diacritics or not, ranked.

    "tho cam" finds "Thổ cẩm", "mien toi den" finds "Miến tỏi đen". Words
    found in the product's names rank before words found only in its story,
    seller or place; then OCOP stars, then newest. ``category`` is a slug,
    ``province`` an official code, ``ocop_min`` 3–5; a bad filter value is
    ignored rather than failing the page.
    """
    queryset = products_public()
    if category:
        queryset = queryset.filter(category__slug=category)
    province_code = _int_or_none(province)
    if province_code is not None:
        queryset = queryset.filter(seller__commune__province_id=province_code)
    stars = _int_or_none(ocop_min)
    if stars is not None and 1 <= stars <= 5:
        queryset = queryset.filter(ocop_stars__gte=stars)
    words = search_words(query)
    if not words:
        return with_first_photo(queryset).order_by("-created_at", "-pk")
    for word in words:  # every word, at the start of a word (see ``product_search_text``)
        queryset = queryset.filter(search_folded__contains=f" {word}")
    ranked = queryset.annotate(rank=_rank(words))
    return with_first_photo(ranked).order_by(  # type: ignore[misc]  # "rank" is annotated just above
        "-rank", F("ocop_stars").desc(nulls_last=True), "-created_at", "-pk"
    )


def _rank(words: list[str]) -> Any:
    """2 points per word whose first place is in the names, 3 more when the whole phrase is.

    The names come before " | " in ``search_folded`` (``product_search_text``).
    """
    names_end = StrIndex("search_folded", Value(" | "))
    total: Any = Value(0)
    for word in words:
        at = StrIndex("search_folded", Value(f" {word}"))
        total = total + Case(When(LessThan(at, names_end), then=Value(2)), default=Value(0))
    if len(words) > 1:
        at = StrIndex("search_folded", Value(" " + " ".join(words)))
        in_names = Case(When(LessThan(at, names_end), then=Value(3)), default=Value(0))
        total = total + Case(When(GreaterThan(at, 0), then=in_names), default=Value(0))
    return ExpressionWrapper(total, output_field=IntegerField())


def _int_or_none(value: int | str | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def product_for_page(slug: str) -> Product:
    """An active product with its photos and public seller fields (2 queries), or ``NotFound``."""
    product = (
        products_public()
        .filter(slug=slug)
        .only(*PUBLIC_PRODUCT_FIELDS, "story_who", "story_how", "story_from", "story_meaning", "story_en")
        .prefetch_related(Prefetch("photos", queryset=ProductPhoto.objects.order_by("position", "id")))
        .first()
    )
    if product is None:
        raise NotFound(_("Không tìm thấy sản phẩm này."), code="product_not_found")
    return product


@dataclass(frozen=True)
class ReviewSummary:
    count: int
    average: float | None
    latest: list[Review]


def product_reviews(product: Product) -> ReviewSummary:
    """How many reviews, their average stars and the latest few with their authors (2 queries)."""
    totals = Review.objects.filter(product=product).aggregate(count=Count("pk"), average=Avg("stars"))
    latest = list(
        Review.objects.filter(product=product)
        .select_related("author")
        .only("stars", "text", "created_at", "author__display_name")
        .order_by("-created_at", "-pk")[:REVIEWS_ON_PAGE]
    )
    average = totals["average"]
    return ReviewSummary(count=totals["count"], average=round(average, 1) if average else None, latest=latest)


def seller_for_page(slug: str) -> Seller:
    """An active seller's public fields and place, or ``NotFound``. The private flags are not loaded."""
    seller = (
        Seller.objects.filter(slug=slug, is_active=True)
        .select_related("commune__province")
        .only(
            "id",
            "name",
            "slug",
            "kind",
            "village",
            "story",
            "story_en",
            "verified",
            "verified_at",
            "commune__code",
            "commune__name",
            "commune__province__code",
            "commune__province__name",
        )
        .first()
    )
    if seller is None:
        raise NotFound(_("Không tìm thấy người bán này."), code="seller_not_found")
    return seller


def seller_products_public(seller: Seller) -> QuerySet[Product]:
    return with_first_photo(products_public().filter(seller=seller)).order_by("-created_at", "-pk")


def provinces_with_products() -> list[tuple[int, str]]:
    """(code, name) of provinces that have at least one active product: the filter's choices (1 query)."""
    rows = (
        Product.objects.filter(is_active=True, seller__is_active=True)
        .values_list("seller__commune__province__code", "seller__commune__province__name")
        .distinct()
        .order_by("seller__commune__province__name")
    )
    return list(rows)


# ------------------------------------------------------------ page helpers

_WIDTH_IN_NAME = re.compile(r"-(\d+)w\.webp$")
_DEFAULT_WIDTHS = {"small": 320, "medium": 640, "large": 1280}


def photo_url(name: str | None) -> str | None:
    """The public URL of a stored photo file, or ``None``."""
    return default_storage.url(name) if name else None


def photo_width(name: str | None, default: int) -> int:
    """The pixel width written in a stored photo's file name (``…-640w.webp``)."""
    match = _WIDTH_IN_NAME.search(name or "")
    return int(match.group(1)) if match else default


@dataclass(frozen=True)
class PhotoView:
    src: str
    srcset: str
    width: int
    height: int
    alt: str


def photo_view(photo: ProductPhoto) -> PhotoView:
    """What the page needs to show ``photo``: the medium image, a srcset of the three widths, its size."""
    sources: dict[int, str] = {}
    for field in ("small", "medium", "large"):
        name = getattr(photo, field).name
        sources.setdefault(photo_width(name, _DEFAULT_WIDTHS[field]), default_storage.url(name))
    small_w = photo.small_width or _DEFAULT_WIDTHS["small"]
    medium_w = photo_width(photo.medium.name, _DEFAULT_WIDTHS["medium"])
    height = round(photo.small_height * medium_w / small_w) if photo.small_height else medium_w * 3 // 4
    return PhotoView(
        src=default_storage.url(photo.medium.name),
        srcset=", ".join(f"{url} {w}w" for w, url in sorted(sources.items())),
        width=medium_w,
        height=height,
        alt=photo.alt_text,
    )


def product_story(product: Product) -> str:
    """The seller's four short answers as one paragraph, each answer a sentence."""
    sentences = []
    for answer in (product.story_who, product.story_how, product.story_from, product.story_meaning):
        text = (answer or "").strip()
        if not text:
            continue
        text = text[0].upper() + text[1:]
        if text[-1] not in ".!?…":
            text += "."
        sentences.append(text)
    return " ".join(sentences)
