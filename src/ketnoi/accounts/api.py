"""The accounts part of ``/api/v1``: tokens, the caller herself, people in an officer's area."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from ketnoi.api.schemas import AUTH_ERRORS, COMMON_ERRORS, ErrorOut, NfcStr, Password, PhoneText, lazy
from ketnoi.api.security import bearer
from ketnoi.core.errors import PermissionDenied
from ketnoi.core.phone import mask_phone
from ketnoi.places.models import Commune

from .models import RoleAssignment, User
from .network import client_ip
from .selectors import AREA_OFFICER_ROLES, people_in_area, user_has_role
from .services import credentials_check
from .tokens import token_issue, token_revoke

router = Router(tags=["accounts"], auth=bearer)

PEOPLE_PAGE_SIZE = 50


# --- Schemas ----------------------------------------------------------------


class TokenIn(Schema):
    phone: PhoneText
    password: Password
    label: Annotated[NfcStr, Field(max_length=100)] = Field(
        "", description=lazy(_("Tên để nhận ra mã, ví dụ tên máy hoặc hệ thống của đối tác."))
    )


class TokenOut(Schema):
    token: str = Field(
        description=lazy(_("Gửi trong tiêu đề `Authorization: Bearer <mã>`. Chỉ hiện một lần."))
    )
    expires_at: datetime


class CommuneRef(Schema):
    code: int
    name: str
    province_code: int
    province_name: str

    @staticmethod
    def resolve_province_code(obj: Commune) -> int:
        return obj.province_id

    @staticmethod
    def resolve_province_name(obj: Commune) -> str:
        return obj.province.name


class RoleOut(Schema):
    role: str
    label: str
    province_code: int | None
    commune_code: int | None


class MeOut(Schema):
    phone: str = Field(description=lazy(_("Dạng quốc tế E.164, ví dụ +84912345678.")))
    display_name: str
    language: str
    home_commune: CommuneRef | None
    roles: list[RoleOut]


class PersonOut(Schema):
    id: int
    display_name: str
    phone_masked: str = Field(description=lazy(_("Chỉ hiện vài chữ số đầu và cuối, ví dụ `091 *** 5678`.")))
    home_commune: CommuneRef | None

    @staticmethod
    def resolve_phone_masked(obj: User) -> str:
        return mask_phone(obj.phone)


# --- Operations -------------------------------------------------------------


@router.post(
    "/auth/token",
    auth=None,
    response={200: TokenOut, **COMMON_ERRORS, 401: ErrorOut, 429: ErrorOut},
    summary=lazy(_("Lấy mã truy cập")),
    description=lazy(
        _(
            "Đổi số điện thoại và mật khẩu lấy một mã truy cập (bearer token). Sai nhiều lần liền thì "
            "tài khoản và địa chỉ IP bị khoá tạm thời (429), kể cả khi sau đó nhập đúng mật khẩu."
        )
    ),
)
def token_create(request: HttpRequest, response: HttpResponse, payload: TokenIn) -> TokenOut:
    ip_address = client_ip(request)
    user = credentials_check(phone=payload.phone, password=payload.password, ip_address=ip_address)
    raw, token = token_issue(user=user, label=payload.label, ip_address=ip_address)
    response["Cache-Control"] = "no-store"
    return TokenOut(token=raw, expires_at=token.expires_at)


@router.delete(
    "/auth/token",
    response={204: None, 401: ErrorOut},
    summary=lazy(_("Thu hồi mã truy cập đang dùng")),
    description=lazy(_("Mã truy cập gửi kèm yêu cầu này hết hiệu lực ngay.")),
)
def token_delete(request: HttpRequest) -> Status:
    token_revoke(token=request.api_token, actor=request.auth, ip_address=client_ip(request))  # type: ignore[attr-defined]
    return Status(204, None)


@router.get(
    "/me",
    response={200: MeOut, 401: ErrorOut},
    summary=lazy(_("Thông tin người đang dùng mã")),
    description=lazy(_("Số điện thoại, tên, ngôn ngữ, xã/phường nơi ở và các vai trò kèm mã địa bàn.")),
)
def me(request: HttpRequest) -> MeOut:
    user: User = request.auth  # type: ignore[attr-defined]
    assignments = RoleAssignment.objects.filter(user=user).order_by("role", "province_id", "commune_id")
    home = (
        Commune.objects.select_related("province").filter(pk=user.home_commune_id).first()
        if user.home_commune_id
        else None
    )
    return MeOut(
        phone=user.phone,
        display_name=user.display_name,
        language=user.language,
        home_commune=home,  # type: ignore[arg-type]
        roles=[
            RoleOut(
                role=a.role,
                label=str(a.get_role_display()),
                province_code=a.province_id,
                commune_code=a.commune_id,
            )
            for a in assignments
        ],
    )


@router.get(
    "/accounts/people",
    response={200: list[PersonOut], **AUTH_ERRORS},
    summary=lazy(_("Người dân trong địa bàn của cán bộ")),
    description=lazy(
        _(
            "Chỉ cho quản trị viên, cán bộ chương trình và cán bộ xã/phường: những người có xã/phường "
            "nơi ở nằm trong địa bàn của mình. Số điện thoại được che bớt. Chia trang: `page`, `page_size`."
        )
    ),
)
@paginate(PageNumberPagination, page_size=PEOPLE_PAGE_SIZE, max_page_size=100)
def people(request: HttpRequest) -> QuerySet[User]:
    officer: User = request.auth  # type: ignore[attr-defined]
    if not user_has_role(officer, *AREA_OFFICER_ROLES):
        raise PermissionDenied(
            _("Chỉ cán bộ xã/phường, cán bộ chương trình hoặc quản trị viên mới xem được danh sách này."),
            code="permission_denied",
        )
    return people_in_area(officer)
