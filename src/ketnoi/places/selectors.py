"""Reading provinces and communes: lists, look-ups by code, search as people type.

Search compares folded text (``ketnoi.core.text.fold``): "Sơn La", "son la",
"SON LA" and a decomposed "Sơn La" all meet, and so do "Đắk" and "dak".
"""

from __future__ import annotations

from django.db.models import Case, CharField, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Substr
from django.utils.translation import gettext_lazy as _

from ketnoi.core.errors import NotFound
from ketnoi.core.text import fold

from .models import Commune, Province

MAX_QUERY_LENGTH = 100
MAX_QUERY_WORDS = 6
MAX_LIMIT = 200

# The folded forms of the words that start an official name ("Xã Mường Bú").
_PROVINCE_PREFIXES = ("thanh pho ", "tinh ")
_COMMUNE_PREFIXES = ("dac khu ", "phuong ", "xa ")
_FOLDED_PREFIXES = _PROVINCE_PREFIXES + _COMMUNE_PREFIXES


def _folded_short_name(prefixes: tuple[str, ...]) -> Case:
    """``name_folded`` without "xa "/"tinh "…, so "Phường Ba Đình" sorts among the B's."""
    return Case(
        *[When(name_folded__startswith=p, then=Substr("name_folded", len(p) + 1)) for p in prefixes],
        default=F("name_folded"),
        output_field=CharField(),
    )


def _query_words(query: str) -> list[str]:
    # Control characters (NUL above all, which PostgreSQL refuses) separate words.
    text = "".join(ch if ch.isprintable() else " " for ch in fold(query or "")[:MAX_QUERY_LENGTH])
    return text.split()[:MAX_QUERY_WORDS]


def _word_starts(field: str, word: str) -> Q:
    """``word`` begins one of the words of ``field`` (``"bu"`` in ``"xa muong bu"``)."""
    return Q(**{f"{field}__startswith": word}) | Q(**{f"{field}__contains": f" {word}"})


def _all_words(field: str, words: list[str], *, prefix: bool) -> Q:
    condition = Q()
    for word in words:
        condition &= _word_starts(field, word) if prefix else Q(**{f"{field}__contains": word})
    return condition


def _ranked(queryset: QuerySet, words: list[str]) -> QuerySet:  # type: ignore[type-arg]
    """Best matches first: the exact name, then the name beginning with the query, and so on."""
    phrase = " ".join(words)
    return queryset.annotate(
        rank=Case(
            When(name_folded__in=[p + phrase for p in _FOLDED_PREFIXES] + [phrase], then=Value(0)),
            When(_word_starts("name_folded", phrase), then=Value(1)),
            When(_all_words("name_folded", words, prefix=True), then=Value(2)),
            When(_all_words("name_folded", words, prefix=False), then=Value(3)),
            default=Value(4),
            output_field=IntegerField(),
        )
    )


def province_list(*, query: str = "") -> list[Province]:
    """All 34 provinces and centrally-run cities by name, or those whose name matches ``query``.

    A name from before the 2025 merger ("Đắk Nông") finds the province it
    is now part of (Lâm Đồng), with the old name in ``formerly``.
    """
    provinces = Province.objects.annotate(sort_name=_folded_short_name(_PROVINCE_PREFIXES))
    words = _query_words(query)
    if not words:
        return list(provinces.order_by("sort_name", "code"))
    matched = _ranked(provinces.filter(_all_words("name_folded", words, prefix=False)), words)
    found = list(matched.order_by("rank", "sort_name", "code"))
    return found or _provinces_formerly_named(" ".join(words))


def _provinces_formerly_named(query: str) -> list[Province]:
    from vietnam_provinces import Province as VpProvince
    from vietnam_provinces.legacy import Province as LegacyProvince
    from vietnam_provinces.legacy.codes import ProvinceCode as LegacyProvinceCode

    former: dict[int, str] = {}
    for match in VpProvince.search_from_legacy(name=query):
        former.setdefault(
            int(match.province.code), LegacyProvince.from_code(LegacyProvinceCode(match.source_code)).name
        )
    provinces = list(Province.objects.filter(code__in=former))
    for province in provinces:
        province.formerly = former[province.code]  # type: ignore[attr-defined]
    return sorted(provinces, key=lambda p: list(former).index(p.code))


def province_get(code: int | str) -> Province:
    """The province with this official code, or ``NotFound`` (404)."""
    number = _as_code(code)
    province = Province.objects.filter(code=number).first() if number else None
    if province is None:
        raise NotFound(
            _("Không có tỉnh/thành phố nào mang mã “%(code)s”."),
            code="province_unknown",
            params={"code": code},
        )
    return province


def commune_search(query: str, province_code: int | None = None, limit: int = 20) -> list[Commune]:
    """Communes (with their province) whose name matches every word of ``query``.

    A word matches where it appears in the commune's name or in its
    province's name ("Mường Bú Sơn La"), diacritics or not; the commune's own
    name counts first. With no words, the first communes of
    ``province_code`` by name; with neither, nothing.
    """
    words = _query_words(query)
    if not words and province_code is None:
        return []
    limit = max(1, min(int(limit), MAX_LIMIT))
    communes = Commune.objects.select_related("province")
    if province_code is not None:
        communes = communes.filter(province_id=province_code)
    if not words:
        ordered = communes.annotate(sort_name=_folded_short_name(_COMMUNE_PREFIXES))
        return list(ordered.order_by("sort_name", "code")[:limit])
    for word in words:
        communes = communes.filter(Q(name_folded__contains=word) | Q(province__name_folded__contains=word))
    ranked = (
        _ranked(communes, words)
        .annotate(sort_name=_folded_short_name(_COMMUNE_PREFIXES))
        .order_by("rank", "sort_name", "province__name_folded", "code")
    )
    return list(ranked[:limit])


def commune_get(code: int | str) -> Commune:
    """The commune with this official code (with its province), or ``NotFound`` (404)."""
    number = _as_code(code)
    commune = Commune.objects.select_related("province").filter(code=number).first() if number else None
    if commune is None:
        raise NotFound(
            _("Không có xã/phường nào mang mã “%(code)s”. Hãy chọn lại trong danh sách."),
            code="commune_unknown",
            params={"code": code},
        )
    return commune


def commune_label(commune: Commune) -> str:
    """``"Mường Bú, Sơn La"``: short enough for a list on a small screen."""
    return f"{commune.short_name}, {commune.province.short_name}"


def _as_code(code: int | str | None) -> int | None:
    # Official codes are small positive integers; anything else names nothing.
    text = str(code).strip() if code is not None else ""
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        return None
    return int(text)
