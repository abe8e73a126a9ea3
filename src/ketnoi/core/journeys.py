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
        "beneficiary",
        _("Hộ đang nhận hỗ trợ của chương trình"),
        _(
            "Xem các chương trình, khoản được hưởng, tiền đã nhận và phiếu mua hàng bằng số điện thoại; "
            "gửi phản ánh nếu chưa nhận được."
        ),
        "programmes:my",
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
        "mentoring:match_home",
        ("partner", "mentor"),
    ),
    Journey(
        "fairs",
        _("Hợp tác xã muốn gặp người mua, đối tác, cố vấn"),
        _("Đăng ký hội chợ gặp gỡ – kết nối, hẹn gặp, nhận lịch in sẵn; theo dõi doanh thu tăng lên."),
        "mentoring:event_list",
        ("seller",),
    ),
    Journey(
        "officer",
        _("Bạn là cán bộ xã, tỉnh hoặc tổ chức"),
        _("Đăng ký và xác minh hộ, rà soát nghèo đa chiều, chi trả hỗ trợ, đo kết quả."),
        "registry:household_queue",
        ("administrator", "programme_officer", "commune_officer"),
    ),
    Journey(
        "programmes",
        _("Bạn chi trả hỗ trợ cho hộ nghèo, cận nghèo"),
        _(
            "Chọn hộ đủ điều kiện, lập và duyệt danh sách, chi qua ngân hàng, bưu điện hoặc phiếu, "
            "trả lời phản ánh."
        ),
        "programmes:programme_list",
        ("administrator", "programme_officer"),
    ),
    Journey(
        "4m",
        _("Bạn theo dõi chương trình 4M cho hợp tác xã"),
        _("Tổ chức hội chợ, đề xuất kết nối theo đợt, xem cố vấn, doanh thu và số hợp tác xã ra trường."),
        "mentoring:dashboard",
        ("administrator", "programme_officer"),
    ),
    Journey(
        "post_clerk",
        _("Bạn là nhân viên bưu điện"),
        _("Trả tiền hỗ trợ tận tay người nhận khi họ đọc đúng mã trong tin nhắn."),
        "programmes:cash_counter",
        ("post_clerk",),
    ),
    Journey(
        "learner",
        _("Bạn muốn học bán hàng trên mạng, nhận tiền an toàn, quản lý tiền"),
        _(
            "Bài học ngắn trên điện thoại, học được cả khi mất mạng, có đọc to; "
            "xong khoá được cấp chứng nhận."
        ),
        "learning:courses",
        (),
        public=True,
    ),
    Journey(
        "trainer",
        _("Bạn hướng dẫn một lớp học"),
        _("Xem học viên của lớp học đến đâu, ai đang vướng ở bài nào, tải bảng tiến độ."),
        "learning:trainer_home",
        ("trainer",),
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
