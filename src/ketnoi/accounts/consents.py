"""What a person agrees to, purpose by purpose, in words she can read.

A text is data, not code: change the words of a purpose and give it a new
version, so that every ``ConsentRecord`` says which words were shown. A
person whose consent was given to an older version is asked to renew it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import ConsentPurpose


@dataclass(frozen=True)
class ConsentText:
    version: str
    text: str | Promise


CONSENT_TEXTS: dict[str, ConsentText] = {
    ConsentPurpose.ACCOUNT: ConsentText(
        "2026-01",
        _(
            "Kết Nối lưu số điện thoại, tên và xã/phường nơi bạn ở để bạn đăng nhập và dùng dịch vụ. "
            "Kết Nối không bán dữ liệu của bạn cho ai."
        ),
    ),
    ConsentPurpose.NOTIFICATIONS: ConsentText(
        "2026-01",
        _(
            "Kết Nối gửi tin nhắn SMS hoặc Zalo đến số điện thoại của bạn: về đơn hàng, việc làm "
            "và tiền hỗ trợ."
        ),
    ),
    ConsentPurpose.PUBLIC_PROFILE: ConsentText(
        "2026-01",
        _(
            "Người mua được xem tên, ảnh, câu chuyện và xã/phường của bạn trên trang sản phẩm. "
            "Người mua không thấy số điện thoại của bạn."
        ),
    ),
    ConsentPurpose.HOUSEHOLD_REVIEW: ConsentText(
        "2026-01",
        _(
            "Cán bộ xã/phường dùng thông tin về dân tộc, sức khoẻ, thu nhập và nhà ở của hộ bạn "
            "để rà soát hộ nghèo và xét hỗ trợ. Đây là dữ liệu nhạy cảm: chỉ cán bộ phụ trách "
            "xã/phường của bạn được xem."
        ),
    ),
    ConsentPurpose.LOCATION: ConsentText(
        "2026-01",
        _(
            "Kết Nối dùng vị trí của bạn để tính phí giao hàng và tìm việc làm gần nơi bạn ở. "
            "Vị trí không hiện trên ảnh công khai."
        ),
    ),
}


def consent_text(purpose: str) -> ConsentText:
    """The text now shown for ``purpose`` (``KeyError`` for an unknown purpose)."""
    return CONSENT_TEXTS[purpose]
