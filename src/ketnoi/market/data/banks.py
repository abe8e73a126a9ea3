"""Vietnamese banks that take VietQR transfers: (BIN, short name, full name).

BINs are the six-digit NAPAS bank identification numbers put in VietQR field
38/01/00. The first eight are those in shared/domain/vietqr.md.
"""

from __future__ import annotations

BANKS: tuple[tuple[str, str, str], ...] = (
    ("970436", "Vietcombank", "Ngân hàng TMCP Ngoại thương Việt Nam"),
    ("970415", "VietinBank", "Ngân hàng TMCP Công thương Việt Nam"),
    ("970418", "BIDV", "Ngân hàng TMCP Đầu tư và Phát triển Việt Nam"),
    ("970405", "Agribank", "Ngân hàng Nông nghiệp và Phát triển Nông thôn Việt Nam"),
    ("970407", "Techcombank", "Ngân hàng TMCP Kỹ thương Việt Nam"),
    ("970422", "MB", "Ngân hàng TMCP Quân đội"),
    ("970416", "ACB", "Ngân hàng TMCP Á Châu"),
    ("970446", "Co-opBank", "Ngân hàng Hợp tác xã Việt Nam"),
    ("970432", "VPBank", "Ngân hàng TMCP Việt Nam Thịnh Vượng"),
    ("970423", "TPBank", "Ngân hàng TMCP Tiên Phong"),
    ("970403", "Sacombank", "Ngân hàng TMCP Sài Gòn Thương Tín"),
    ("970437", "HDBank", "Ngân hàng TMCP Phát triển TP. Hồ Chí Minh"),
    ("970441", "VIB", "Ngân hàng TMCP Quốc tế Việt Nam"),
    ("970443", "SHB", "Ngân hàng TMCP Sài Gòn – Hà Nội"),
    ("970431", "Eximbank", "Ngân hàng TMCP Xuất Nhập khẩu Việt Nam"),
    ("970426", "MSB", "Ngân hàng TMCP Hàng Hải Việt Nam"),
    ("970448", "OCB", "Ngân hàng TMCP Phương Đông"),
    ("970429", "SCB", "Ngân hàng TMCP Sài Gòn"),
    ("970440", "SeABank", "Ngân hàng TMCP Đông Nam Á"),
    ("970449", "LPBank", "Ngân hàng TMCP Lộc Phát Việt Nam"),
    ("970409", "BacABank", "Ngân hàng TMCP Bắc Á"),
    ("970412", "PVcomBank", "Ngân hàng TMCP Đại Chúng Việt Nam"),
    ("970454", "VietCapitalBank", "Ngân hàng TMCP Bản Việt"),
    ("970427", "VietABank", "Ngân hàng TMCP Việt Á"),
    ("970428", "NamABank", "Ngân hàng TMCP Nam Á"),
    ("970452", "KienLongBank", "Ngân hàng TMCP Kiên Long"),
    ("970430", "PGBank", "Ngân hàng TMCP Thịnh vượng và Phát triển"),
    ("970400", "SaigonBank", "Ngân hàng TMCP Sài Gòn Công Thương"),
    ("970438", "BaoVietBank", "Ngân hàng TMCP Bảo Việt"),
    ("970419", "NCB", "Ngân hàng TMCP Quốc Dân"),
    ("970425", "ABBANK", "Ngân hàng TMCP An Bình"),
    ("970433", "VietBank", "Ngân hàng TMCP Việt Nam Thương Tín"),
    ("970406", "DongABank", "Ngân hàng TMCP Đông Á"),
    ("970414", "MBV", "Ngân hàng TNHH MTV Việt Nam Hiện Đại"),
)

_BY_BIN = {bin_: short for bin_, short, _full in BANKS}


def bank_choices() -> list[tuple[str, str]]:
    """Choices for a form's bank field: BIN → "Short name — full name"."""
    return [(bin_, f"{short} — {full}") for bin_, short, full in BANKS]


def bank_name(bin_: str) -> str:
    """The short name of the bank with ``bin_``, or "" when unknown."""
    return _BY_BIN.get(bin_, "")
