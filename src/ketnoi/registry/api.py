"""The registry part of ``/api/v1``: households for field-data apps and partners.

Only officers (commune, programme, administrator) may call it, and each sees
only the households of her areas: anything else answers 404, exactly like a
household that does not exist. CCCDs are only ever sent masked.
"""

from datetime import date, datetime
from typing import Literal

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from ketnoi.accounts.models import User
from ketnoi.accounts.selectors import user_has_role
from ketnoi.api.schemas import AUTH_ERRORS, ErrorOut, lazy
from ketnoi.api.security import bearer
from ketnoi.core.errors import PermissionDenied
from ketnoi.core.phone import mask_phone

from .models import Assessment, Household, HouseholdStatus, Member
from .selectors import REGISTRY_ROLES, household_for_officer, households_for_officer, latest_assessment

router = Router(tags=["registry"], auth=bearer)

HOUSEHOLDS_PAGE_SIZE = 50

StatusCode = Literal["submitted", "under_review", "needs_correction", "verified"]


# --- Schemas ----------------------------------------------------------------


class AssessmentOut(Schema):
    year: int
    standard: str = Field(description=lazy(_("Mã chuẩn nghèo đã áp dụng, ví dụ `VN-2022-2025`.")))
    standard_version: str
    assessed_on: date
    classification: str = Field(description=lazy(_("`poor`, `near_poor`, `middle` hoặc `not_poor`.")))
    deprivation_count: int
    deprived: list[str] = Field(description=lazy(_("Mã các chỉ số hộ thiếu hụt: lý do của kết quả.")))
    income_per_capita_vnd: int
    recognised: bool


class HouseholdItemOut(Schema):
    id: int
    reference: str
    commune_code: int
    status: str
    classification: str | None = Field(
        description=lazy(_("Kết quả đánh giá mới nhất, hoặc null khi hộ chưa được đánh giá."))
    )

    @staticmethod
    def resolve_commune_code(obj: Household) -> int:
        return obj.commune_id

    @staticmethod
    def resolve_classification(obj: Household) -> str | None:
        latest = latest_assessment(obj)
        return latest.classification if latest else None


class MemberOut(Schema):
    id: int
    full_name: str
    birth_date: date
    sex: str
    relation: str
    ethnic_group: str = Field(description=lazy(_("Mã dân tộc (01 Kinh … 54 Rơ-măm).")))
    citizen_id_masked: str = Field(
        description=lazy(_("Số CCCD đã che, ví dụ `001••••••345`; trống nếu chưa có."))
    )
    has_disability: bool
    able_to_work: bool
    attending_school: bool
    education: str
    has_health_insurance: bool
    work: str
    stunted_or_underweight: bool


class HouseholdOut(Schema):
    id: int
    reference: str
    commune_code: int
    commune_name: str
    province_code: int
    status: str
    source: str
    area: str
    address_line: str
    contact_phone_masked: str
    income_12m_vnd: int
    walls: str
    frame: str
    roof: str
    floor_area_m2: float
    water_source: str
    latrine: str
    uses_telecom: bool
    devices: list[str]
    waste_collected_or_treated: bool
    verified_at: datetime | None
    members: list[MemberOut]
    classification: str | None
    latest_assessment: AssessmentOut | None


def _household_out(household: Household) -> HouseholdOut:
    latest = latest_assessment(household)
    members: list[Member] = list(household.members.all())
    return HouseholdOut(
        id=household.pk,
        reference=household.reference,
        commune_code=household.commune_id,
        commune_name=household.commune.name,
        province_code=household.commune.province_id,
        status=household.status,
        source=household.source,
        area=household.area,
        address_line=household.address_line,
        contact_phone_masked=mask_phone(household.contact_phone),
        income_12m_vnd=household.income_12m_vnd,
        walls=household.walls,
        frame=household.frame,
        roof=household.roof,
        floor_area_m2=float(household.floor_area_m2),
        water_source=household.water_source,
        latrine=household.latrine,
        uses_telecom=household.uses_telecom,
        devices=list(household.devices),
        waste_collected_or_treated=household.waste_collected_or_treated,
        verified_at=household.verified_at,
        members=[MemberOut.from_orm(m) for m in members],
        classification=latest.classification if latest else None,
        latest_assessment=AssessmentOut.from_orm(latest) if latest else None,
    )


def _officer(request: HttpRequest) -> User:
    """The calling officer; 403 for a caller whose roles give her no households to see."""
    user: User = request.auth  # type: ignore[attr-defined]
    if not user_has_role(user, *REGISTRY_ROLES):
        raise PermissionDenied(
            _("Chỉ cán bộ xã/phường, cán bộ chương trình hoặc quản trị viên mới xem được hồ sơ hộ."),
            code="permission_denied",
        )
    return user


# --- Operations -------------------------------------------------------------


@router.get(
    "/households",
    response={200: list[HouseholdItemOut], **AUTH_ERRORS},
    summary=lazy(_("Các hộ trong địa bàn của cán bộ")),
    description=lazy(
        _(
            "Chỉ cho cán bộ xã/phường, cán bộ chương trình và quản trị viên: các hộ ở xã/phường nằm trong "
            "địa bàn của mình, kèm kết quả đánh giá mới nhất. Lọc theo `status`, `commune_code`. "
            "Chia trang: `page`, `page_size`."
        )
    ),
)
@paginate(PageNumberPagination, page_size=HOUSEHOLDS_PAGE_SIZE, max_page_size=200)
def households_list(
    request: HttpRequest, status: StatusCode | None = None, commune_code: int | None = None
) -> QuerySet[Household]:
    officer = _officer(request)
    households = households_for_officer(officer).prefetch_related(
        Prefetch("assessments", queryset=Assessment.objects.order_by("-year", "standard"))
    )
    if status is not None:
        households = households.filter(status=HouseholdStatus(status))
    if commune_code is not None:
        households = households.filter(commune_id=commune_code)
    return households.order_by("commune_id", "reference")


@router.get(
    "/households/{household_id}",
    response={200: HouseholdOut, **AUTH_ERRORS, 404: ErrorOut},
    summary=lazy(_("Một hộ: thành viên, điều kiện sống, kết quả đánh giá")),
    description=lazy(
        _(
            "Thành viên (CCCD đã che), thu nhập và điều kiện sống, kết quả đánh giá mới nhất với các chỉ số "
            "thiếu hụt. Hộ ngoài địa bàn của người gọi trả về 404."
        )
    ),
)
def household_detail(request: HttpRequest, household_id: int) -> HouseholdOut:
    officer = _officer(request)
    return _household_out(household_for_officer(user=officer, household_id=household_id))
