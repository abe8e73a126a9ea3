"""The poverty part of ``/api/v1``: a public self-check calculator and the standards themselves.

Open to anyone (no token): ``POST /assess`` is rate-limited per client
address, 30 a minute by default (``POVERTY_ASSESS_RATE = "30/min"`` in settings, read at
each request). The counter lives in Django's cache: with several processes,
point ``CACHES`` at a shared cache or the limit applies per process.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema
from ninja.throttling import AnonRateThrottle
from pydantic import StringConstraints

from ketnoi.accounts.network import client_ip
from ketnoi.api.schemas import COMMON_ERRORS, ErrorOut, lazy
from ketnoi.core.errors import NotFound

from . import standards
from .classify import PovertyAssessment, classify
from .standards import Standard, text

router = Router(tags=["poverty"], auth=None)

DEFAULT_ASSESS_RATE = "30/min"  # ninja reads s, m/min, h/hour, d/day
_STANDARDS_CACHE = "public, max-age=3600"


class ClientAddressThrottle(AnonRateThrottle):
    """Ninja's anonymous throttle, keyed by the address ``client_ip`` trusts.

    Ninja's own look-up believes any ``X-Forwarded-For`` a client sends, so a
    caller could dodge the limit by inventing one; ``client_ip`` trusts it only
    through the configured number of proxies. The rate is read from settings
    at each request, so an operator (or a test) can change it without a restart.
    """

    def __init__(self, *, scope: str, setting: str, default: str) -> None:
        self.scope = scope
        self.setting = setting
        self.default = default
        super().__init__(rate=default)

    def allow_request(self, request: HttpRequest) -> bool:
        rate = getattr(settings, self.setting, self.default)
        if rate != self.rate:
            self.rate = rate
            self.num_requests, self.duration = self.parse_rate(rate)
        return super().allow_request(request)

    def get_ident(self, request: HttpRequest) -> str | None:
        return client_ip(request) or "unknown"


assess_throttle = ClientAddressThrottle(
    scope="poverty_assess", setting="POVERTY_ASSESS_RATE", default=DEFAULT_ASSESS_RATE
)

IndicatorCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class AssessIn(Schema):
    standard: Annotated[str, Field(max_length=40)] = Field(
        "auto",
        description=lazy(
            _(
                "Mã chuẩn (`VN-2022-2025`, `VN-2027-2030`, `GLOBAL-MPI`) hoặc `auto`: "
                "chuẩn quốc gia đang áp dụng."
            )
        ),
        examples=["auto", "VN-2022-2025"],
    )
    on: date | None = Field(
        None,
        description=lazy(
            _(
                "Ngày đánh giá (mặc định hôm nay). Với `auto`, chọn chuẩn áp dụng ngày này; "
                "với chuẩn đã nêu, chuẩn đó phải còn áp dụng ngày này."
            )
        ),
    )
    area: Literal["rural", "urban"] | None = Field(
        None, description=lazy(_("`rural` (nông thôn) hoặc `urban` (thành thị). Chuẩn quốc gia bắt buộc."))
    )
    income_per_capita_vnd: int | None = Field(
        None,
        ge=0,
        le=10**12,
        description=lazy(
            _(
                "Thu nhập bình quân mỗi người mỗi tháng, đồng (trung bình 12 tháng qua). "
                "Chuẩn quốc gia bắt buộc."
            )
        ),
        examples=[1_400_000],
    )
    deprivations: dict[IndicatorCode, bool] = Field(
        max_length=40,
        description=lazy(
            _("Mỗi chỉ số của chuẩn → có thiếu hụt hay không. Phải có đủ mọi chỉ số của chuẩn, không thừa.")
        ),
        examples=[{"employment": True, "health_insurance": False}],
    )


class AssessOut(Schema):
    classification: str = Field(
        description=lazy(
            _(
                "`poor`, `near_poor`, `middle` hoặc `not_poor` (chuẩn quốc gia); `poor`, `vulnerable` hoặc "
                "`not_poor` (MPI)."
            )
        )
    )
    deprivation_count: int
    deprived: list[str] = Field(description=lazy(_("Các chỉ số thiếu hụt, theo thứ tự của chuẩn.")))
    standard: str
    standard_version: str
    income_line_vnd: int | None = Field(description=lazy(_("Chuẩn thu nhập đã áp dụng (không có với MPI).")))
    score: float = Field(description=lazy(_("Điểm thiếu hụt có trọng số, từ 0 đến 1.")))
    severe: bool = Field(
        description=lazy(_("MPI: nghèo nặng (điểm từ 1/2 trở lên). Luôn sai với chuẩn quốc gia."))
    )


class IncomeLineOut(Schema):
    area: str
    poor_line_vnd: int
    middle_upper_vnd: int | None


class CutoffOut(Schema):
    k: float
    k_fraction: str
    min_deprivations: int | None
    vulnerable_k: float | None
    severe_k: float | None


class DimensionOut(Schema):
    code: str
    label: str


class IndicatorOut(Schema):
    code: str
    dimension: str
    weight: float
    weight_fraction: str
    label: str
    deprived_when: str
    derived_from_facts: bool = Field(
        description=lazy(_("Sai khi thông tin hộ không cho biết chỉ số này và người gọi phải tự nêu."))
    )
    note: str


class StandardOut(Schema):
    code: str
    version: str
    kind: str = Field(description=lazy(_("`national` (chuẩn quốc gia) hoặc `mpi` (MPI toàn cầu).")))
    title: str
    source: str
    related: list[str]
    valid_from: date | None
    valid_to: date | None
    in_force: bool = Field(description=lazy(_("Có áp dụng hôm nay (giờ Việt Nam) hay không.")))
    income_lines: list[IncomeLineOut]
    cutoff: CutoffOut
    dimensions: list[DimensionOut]
    indicators: list[IndicatorOut]
    notes: list[str]
    digest: str = Field(description=lazy(_("Dấu của tệp dữ liệu chuẩn: đổi khi dữ liệu đổi.")))


@router.post(
    "/assess",
    response={200: AssessOut, **COMMON_ERRORS, 429: ErrorOut},
    throttle=[assess_throttle],
    summary=lazy(_("Tự kiểm tra: phân loại một hộ")),
    description=lazy(
        _(
            "Phân loại một hộ theo chuẩn nghèo từ khu vực, thu nhập bình quân và các chỉ số thiếu hụt. "
            "Không cần đăng nhập; giới hạn số lần gọi mỗi phút cho mỗi địa chỉ (429 khi vượt)."
        )
    ),
)
def assess(request: HttpRequest, payload: AssessIn) -> PovertyAssessment:
    return classify(
        payload.standard, payload.area, payload.income_per_capita_vnd, payload.deprivations, on=payload.on
    )


@router.get(
    "/standards",
    response={200: list[StandardOut]},
    summary=lazy(_("Các chuẩn nghèo")),
    description=lazy(
        _("Mọi chuẩn: nguồn pháp lý, phiên bản, thời gian áp dụng, chuẩn thu nhập, chỉ số, ngưỡng.")
    ),
)
def standard_list(request: HttpRequest, response: HttpResponse) -> list[dict[str, Any]]:
    response["Cache-Control"] = _STANDARDS_CACHE
    today = standards.today()
    return [_standard_out(s, today) for s in standards.all()]


@router.get(
    "/standards/{code}",
    response={200: StandardOut, 404: ErrorOut},
    summary=lazy(_("Một chuẩn nghèo theo mã")),
)
def standard_detail(request: HttpRequest, response: HttpResponse, code: str) -> dict[str, Any]:
    found = {s.code: s for s in standards.all()}.get(code)
    if found is None:
        raise NotFound(_("Không có chuẩn nghèo “%(code)s”."), code="unknown_standard", params={"code": code})
    response["Cache-Control"] = _STANDARDS_CACHE
    return _standard_out(found, standards.today())


def _standard_out(s: Standard, today: date) -> dict[str, Any]:
    return {
        "code": s.code,
        "version": s.version,
        "kind": s.kind,
        "title": text(s.title),
        "source": s.source,
        "related": list(s.related),
        "valid_from": s.valid_from,
        "valid_to": s.valid_to,
        "in_force": s.in_force_on(today),
        "income_lines": [
            {"area": area, "poor_line_vnd": line.poor_vnd, "middle_upper_vnd": line.middle_upper_vnd}
            for area, line in s.income_lines.items()
        ],
        "cutoff": {
            "k": float(s.k),
            "k_fraction": str(s.k),
            "min_deprivations": s.min_deprivations,
            "vulnerable_k": float(s.vulnerable_k) if s.vulnerable_k is not None else None,
            "severe_k": float(s.severe_k) if s.severe_k is not None else None,
        },
        "dimensions": [{"code": d.code, "label": text(d.label)} for d in s.dimensions],
        "indicators": [
            {
                "code": i.code,
                "dimension": i.dimension,
                "weight": float(i.weight),
                "weight_fraction": str(i.weight),
                "label": text(i.label),
                "deprived_when": text(i.deprived_when),
                "derived_from_facts": not i.given,
                "note": i.note,
            }
            for i in s.indicators
        ],
        "notes": list(s.notes),
        "digest": s.digest,
    }
