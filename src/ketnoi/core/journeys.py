"""The first job of each kind of user, shown on the home page.

Each app adds its own entry point here as it arrives; a journey without a
page yet leads to signing in (or to the profile once signed in).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Journey:
    key: str
    who: str | Promise
    first_job: str | Promise
    url_name: str
    roles: tuple[str, ...]
    public: bool = False  # open without signing in

    def url(self) -> str:
        return reverse(self.url_name)


JOURNEYS: tuple[Journey, ...] = (
    Journey(
        "household",
        _("Hộ gia đình cần được hỗ trợ"),
        _(
            "Tự gửi đơn đề nghị xã rà soát hộ nghèo trên điện thoại, không cần tài khoản; "
            "xem kết quả bằng mã gửi qua tin nhắn."
        ),
        "registry:register",
        (),
        public=True,
    ),
    Journey(
        "seller",
        _("Bạn làm ra sản phẩm"),
        _("Đăng bán thổ cẩm, miến, chè, mật ong… kèm ảnh và câu chuyện của bạn."),
        "accounts:profile",
        ("seller",),
    ),
    Journey(
        "buyer",
        _("Bạn muốn mua hàng của hợp tác xã"),
        _("Tìm sản phẩm (gõ không dấu cũng được), đọc câu chuyện, đặt hàng, trả qua VietQR hoặc khi nhận."),
        "accounts:profile",
        ("buyer",),
    ),
    Journey(
        "worker",
        _("Bạn làm giúp việc gia đình, hoặc cần thuê người giúp việc"),
        _("Học nghề, nhận việc công bằng gần nơi ở, nhận lương, tiết kiệm, ứng lương đã làm."),
        "accounts:profile",
        ("worker", "household_client"),
    ),
    Journey(
        "partner",
        _("Bạn là doanh nghiệp, đối tác hoặc cố vấn"),
        _("Tìm hợp tác xã phù hợp, đề nghị kết nối, tư vấn theo chu trình 4M."),
        "accounts:profile",
        ("partner", "mentor"),
    ),
    Journey(
        "officer",
        _("Bạn là cán bộ xã, tỉnh hoặc tổ chức"),
        _("Đăng ký và xác minh hộ, rà soát nghèo đa chiều, chi trả hỗ trợ, đo kết quả."),
        "registry:household_queue",
        ("administrator", "programme_officer", "commune_officer"),
    ),
    Journey(
        "health",
        _("Bạn là nhân viên trạm y tế hoặc bác sĩ"),
        _("Gửi ca bệnh xin ý kiến bác sĩ tuyến tỉnh, trả lời, chuyển tuyến."),
        "accounts:profile",
        ("health_worker", "doctor"),
    ),
)


def journeys_for(user: Any) -> list[Journey]:
    """All journeys for a visitor; for a signed-in user, hers first."""
    if not getattr(user, "is_authenticated", False):
        return list(JOURNEYS)
    held = set(user.role_assignments.values_list("role", flat=True))
    return sorted(JOURNEYS, key=lambda j: 0 if held.intersection(j.roles) else 1)
