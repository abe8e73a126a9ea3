"""The places part of ``/api/v1``: public look-ups, no sign-in needed."""

from __future__ import annotations

from typing import Annotated

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema

from ketnoi.api.schemas import COMMON_ERRORS, ErrorOut, NfcStr, lazy
from ketnoi.core.errors import DomainError, NotFound

from .geo import GeoPoint, plus_code_decode, plus_code_full
from .models import Commune, Province
from .selectors import MAX_LIMIT, MAX_QUERY_LENGTH, commune_get, commune_search, province_get, province_list

router = Router(tags=["places"], auth=None)

# Provinces and communes change only with a reform (a data migration).
_STATIC_DATA_CACHE = "public, max-age=86400"


class ProvinceOut(Schema):
    code: int = Field(description=lazy(_("Mã chính thức (Tổng cục Thống kê), ví dụ 14 là Sơn La.")))
    name: str = Field(examples=["Tỉnh Sơn La"])
    short_name: str = Field(examples=["Sơn La"])
    division_type: str = Field(examples=["tỉnh"])
    codename: str = Field(examples=["son_la"])
    phone_code: int | None
    formerly: str | None = Field(
        None,
        description=lazy(
            _("Khi `q` là tên một tỉnh đã sáp nhập năm 2025 (ví dụ `Tỉnh Đắk Nông`): tên cũ đó.")
        ),
    )

    @staticmethod
    def resolve_formerly(obj: Province) -> str | None:
        return getattr(obj, "formerly", None)


class ProvinceRef(Schema):
    code: int
    name: str


class CommuneOut(Schema):
    code: int = Field(description=lazy(_("Mã chính thức, ví dụ 3847 là Xã Mường Bú.")))
    name: str = Field(examples=["Xã Mường Bú"])
    short_name: str = Field(examples=["Mường Bú"])
    division_type: str = Field(examples=["xã"])
    province: ProvinceRef


class CommuneFilter(Schema):
    q: Annotated[NfcStr, Field(max_length=MAX_QUERY_LENGTH)] = Field(
        "", description=lazy(_("Các từ trong tên, có dấu hay không dấu: `muong bu`, `Mường Bú`."))
    )
    province: int | None = Field(
        None, ge=1, description=lazy(_("Chỉ xã/phường của tỉnh/thành phố có mã này."))
    )
    limit: int = Field(20, ge=1, le=MAX_LIMIT)


class PlusCodeOut(Schema):
    code: str = Field(description=lazy(_("Mã đầy đủ.")), examples=["7PH72VH3+CM"])
    latitude: float
    longitude: float
    in_viet_nam: bool


@router.get(
    "/provinces",
    response={200: list[ProvinceOut], **COMMON_ERRORS},
    summary=lazy(_("Danh sách tỉnh/thành phố")),
    description=lazy(_("34 tỉnh/thành phố sau sắp xếp năm 2025, theo tên; `q` để lọc theo tên.")),
)
def provinces(
    request: HttpRequest,
    response: HttpResponse,
    q: Annotated[NfcStr, Field(max_length=MAX_QUERY_LENGTH)] = "",
) -> list[Province]:
    response["Cache-Control"] = _STATIC_DATA_CACHE
    return province_list(query=q)


@router.get(
    "/communes",
    response={200: list[CommuneOut], **COMMON_ERRORS},
    summary=lazy(_("Tìm xã/phường")),
    description=lazy(
        _(
            "Xã/phường có tên chứa mọi từ đã gõ (có dấu hay không dấu đều được), tên khớp nhất trước; "
            "từ cũng có thể là tên tỉnh. Cần `q` hoặc `province`."
        )
    ),
)
def communes(request: HttpRequest, filters: Query[CommuneFilter]) -> list[Commune]:
    if not filters.q and filters.province is None:
        raise DomainError(
            _("Hãy gõ tên xã/phường (q) hoặc chọn tỉnh/thành phố (province)."), code="query_required"
        )
    if filters.province is not None:
        try:
            province_get(filters.province)
        except NotFound as error:
            raise DomainError(error.message, code=error.code, params=error.params, status=400) from None
    return commune_search(filters.q, province_code=filters.province, limit=filters.limit)


@router.get(
    "/communes/{code}",
    response={200: CommuneOut, 404: ErrorOut},
    summary=lazy(_("Một xã/phường theo mã")),
)
def commune_detail(request: HttpRequest, response: HttpResponse, code: str) -> Commune:
    commune = commune_get(code)
    response["Cache-Control"] = _STATIC_DATA_CACHE
    return commune


@router.get(
    "/plus-codes/{code}",
    response={200: PlusCodeOut, **COMMON_ERRORS},
    summary=lazy(_("Giải mã địa chỉ số (plus code)")),
    description=lazy(
        _(
            "Toạ độ tâm của ô mà mã địa chỉ số chỉ tới. Mã rút gọn (như `2VH3+CM`) cần `near=vĩ độ,kinh độ` "
            "của một điểm trong vòng khoảng 40 km, ví dụ trung tâm xã."
        )
    ),
)
def plus_code(
    request: HttpRequest,
    code: str,
    near: Annotated[NfcStr, Field(max_length=40, examples=["21.0285,105.8542"])] | None = None,
) -> PlusCodeOut:
    reference = _parse_near(near) if near else None
    full = plus_code_full(code, near=reference)
    point = plus_code_decode(full)
    return PlusCodeOut(
        code=full, latitude=point.latitude, longitude=point.longitude, in_viet_nam=point.in_viet_nam
    )


def _parse_near(text: str) -> GeoPoint:
    parts = text.replace(" ", "").split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        return GeoPoint(latitude=float(parts[0]), longitude=float(parts[1]))
    except (ValueError, ValidationError):
        raise DomainError(
            _("“near” phải là vĩ độ,kinh độ, ví dụ 21.0285,105.8542."), code="near_invalid"
        ) from None
