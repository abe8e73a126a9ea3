"""The 4M part of ``/api/v1``: the programme's indicators, for donors and reports.

Only programme officers' and administrators' tokens are let in: no token is
401, any other role 403. The figures are those of the caller's area (a
programme officer's province, an administrator's country), the same as on
the officers' dashboard.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema

from ketnoi.accounts.models import User
from ketnoi.accounts.selectors import user_has_role
from ketnoi.api.schemas import AUTH_ERRORS, ErrorOut, lazy
from ketnoi.api.security import TokenBearer
from ketnoi.core.errors import PermissionDenied

from .indicators import INDICATOR_ROLES, board_for_user

ONLY_OFFICERS = _("Chỉ cán bộ chương trình và quản trị viên mới xem được số liệu 4M.")


class IndicatorsBearer(TokenBearer):
    """A live token whose holder is a programme officer or an administrator."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = super().authenticate(request, token)
        if user is not None and not user_has_role(user, *INDICATOR_ROLES):
            raise PermissionDenied(ONLY_OFFICERS, code="permission_denied")
        return user


router = Router(tags=["mentoring"], auth=IndicatorsBearer())


class IndicatorOut(Schema):
    code: str = Field(
        description=lazy(
            _(
                "Mã cố định: `cooperatives_revenue_up_30`, `women_benefiting`, `matches_made`, "
                "`matches_completed`, `sessions_held`, `graduated`."
            )
        )
    )
    label: str = Field(description=lazy(_("Tên chỉ số, bằng ngôn ngữ đã chọn (Accept-Language).")))
    value: int
    as_of: date = Field(description=lazy(_("Ngày tính số liệu.")))


class IndicatorFilters(Schema):
    programme: Annotated[str, Field(min_length=1, max_length=40, examples=["4m-son-la"])] | None = Field(
        None, description=lazy(_("Mã chương trình: chỉ tính các đợt kết nối và người tốt nghiệp của nó."))
    )
    province: Annotated[int, Field(ge=1, le=999, examples=[14])] | None = Field(
        None, description=lazy(_("Mã tỉnh/thành phố, trong địa bàn của người gọi."))
    )


@router.get(
    "/indicators",
    response={200: list[IndicatorOut], **AUTH_ERRORS, 404: ErrorOut},
    summary=lazy(_("Các chỉ số của chu trình 4M")),
    description=lazy(
        _(
            "Cho cán bộ chương trình và quản trị viên: số hợp tác xã có doanh thu tăng từ 30 % "
            "(trung bình 3 tháng gần nhất so với mức gốc), phụ nữ hưởng lợi, kết nối được hai bên "
            "đồng ý và đã hoàn thành, buổi tư vấn đã diễn ra, người bán tốt nghiệp — trong địa bàn "
            "của người gọi. Lọc theo `programme` (mã chương trình) và `province` (mã tỉnh); tỉnh "
            "ngoài địa bàn: 403; mã không có: 404."
        )
    ),
)
def indicators_list(request: HttpRequest, filters: Query[IndicatorFilters]) -> list[IndicatorOut]:
    user = request.auth  # type: ignore[attr-defined]
    board = board_for_user(user, programme_code=filters.programme, province_code=filters.province)
    return [
        IndicatorOut(code=item.code, label=item.label, value=item.value, as_of=item.as_of)
        for item in board.indicators
    ]
