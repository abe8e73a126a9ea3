"""The household roll as commune officers keep it: one spreadsheet row per member.

A row carries the household's key (``Mã hộ``), the member's own facts and,
on at least one row of each household, the household's facts (income,
dwelling, water…). Headers are matched after folding — with or without
diacritics, any case, any punctuation — so "Ngày sinh", "NGAY SINH" and
"ngay_sinh" are the same column. Values are read the way people write them:
"Nữ", "nu"; "Có", "x"; "05/03/1990"; "1.500.000". Nothing here touches the
database; ``services.imports`` turns parsed rows into households.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ketnoi.core.money import parse_vnd
from ketnoi.core.phone import normalize_phone
from ketnoi.core.text import fold, nfc
from ketnoi.poverty.facts import Device

from .ethnicity import ethnic_groups
from .models import (
    AREA_CHOICES,
    EDUCATION_CHOICES,
    LATRINE_CHOICES,
    MATERIAL_CHOICES,
    MAX_FLOOR_AREA_M2,
    WATER_CHOICES,
    WORK_CHOICES,
    Relation,
    Sex,
)


class CellError(ValueError):
    """A cell that cannot be read; ``message`` says why in the officer's words."""

    def __init__(self, message: str | Promise) -> None:
        self.message = message
        super().__init__(str(message))


def token(value: Any) -> str:
    """``"Vợ/Chồng "`` → ``"vo chong"``: folded, punctuation to single spaces."""
    return re.sub(r"[^a-z0-9]+", " ", fold(str(value))).strip()


def header_key(value: Any) -> str:
    """``"Ngày sinh"`` → ``"ngay_sinh"``; how headers are compared."""
    return token(value).replace(" ", "_")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return nfc(str(value))


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --- Value parsers: a raw cell (str from CSV; str, int, float, datetime, bool from XLSX) ---


def _choice_parser(
    choices: Iterable[tuple[str, Any]], aliases: Mapping[str, str], what: str | Promise, example: str
) -> Callable[[Any], str]:
    """Read a choice by its code, its label (Vietnamese or English), the label before "(", or an alias.

    The table is built on first use: labels are lazy translations.
    """
    choices = tuple(choices)
    table: dict[str, str] = {}

    def fill() -> None:
        for language in ("vi", "en"):
            with translation.override(language):
                for code, label in choices:
                    table.setdefault(token(str(label)), code)
                    table.setdefault(token(str(label).split("(")[0]), code)
        for code, _label in choices:
            table[token(code)] = code
        table.update({token(alias): code for alias, code in aliases.items()})

    def parse(value: Any) -> str:
        if not table:
            fill()
        key = token(_text(value))
        if key in table:
            return table[key]
        raise CellError(
            _("“%(value)s” không phải là %(what)s có trong danh sách; ví dụ: %(example)s.")
            % {"value": _text(value), "what": what, "example": example}
        )

    return parse


_TRUE = {"co", "c", "x", "yes", "y", "true", "1", "dung", "roi", "co a"}
_FALSE = {"khong", "k", "ko", "no", "n", "false", "0", "sai", "chua"}


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    key = token(_text(value))
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise CellError(_("“%(value)s”: hãy ghi Có hoặc Không.") % {"value": _text(value)})


_DATE = re.compile(r"^\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})\s*$")
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_EXCEL_EPOCH = date(1899, 12, 30)


def parse_date(value: Any) -> date:
    """``05/03/1990`` (day first), ``1990-03-05``, or a date cell of the spreadsheet."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 1 <= value < 80000:
        return date.fromordinal(_EXCEL_EPOCH.toordinal() + int(value))  # an unformatted date cell
    text = _text(value)
    match = _DATE.match(text)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day)
        match = _ISO_DATE.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            return date(year, month, day)
    except ValueError:
        raise CellError(
            _("Ngày “%(value)s” không có trên lịch; hãy kiểm tra ngày và tháng.") % {"value": text}
        ) from None
    if re.fullmatch(r"\d{4}", text):
        raise CellError(
            _("Cần đủ ngày/tháng/năm. Nếu chỉ biết năm sinh %(year)s, hãy ghi 01/01/%(year)s.")
            % {"year": text}
        )
    raise CellError(
        _("Ngày “%(value)s” không đúng; hãy ghi ngày/tháng/năm, ví dụ 05/03/1990.") % {"value": text}
    )


def parse_income(value: Any) -> int:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < 0:
            raise CellError(_("Thu nhập không thể là số âm."))
        return round(value)
    text = _text(value)
    if text.startswith("-"):
        raise CellError(_("Thu nhập không thể là số âm."))
    try:
        return parse_vnd(text)
    except ValidationError as error:
        raise CellError("; ".join(error.messages)) from None


def parse_floor_area(value: Any) -> Decimal:
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            area = Decimal(str(value))
        else:
            area = Decimal(_text(value).replace(" ", "").replace(",", "."))
    except InvalidOperation:
        raise CellError(
            _("Diện tích “%(value)s” không phải là số; ví dụ 35 hoặc 35,5.") % {"value": _text(value)}
        ) from None
    if not area.is_finite() or area <= 0:
        raise CellError(_("Diện tích nhà phải lớn hơn 0."))
    if area > MAX_FLOOR_AREA_M2:
        raise CellError(
            _("Diện tích %(value)s m² quá lớn (tối đa %(max)s m²); hãy kiểm tra lại.")
            % {"value": _text(value), "max": MAX_FLOOR_AREA_M2}
        )
    return area.quantize(Decimal("0.1"))


def parse_phone(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = str(int(value))
        if len(text) == 9:  # the spreadsheet dropped the leading 0
            text = "0" + text
    else:
        text = _text(value)
    try:
        return normalize_phone(text)
    except ValidationError as error:
        raise CellError("; ".join(error.messages)) from None


def parse_citizen_id(value: Any) -> str:
    """The digits only; the structure is checked with the member (``citizen_id``)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = str(int(value))
        if len(text) < 12:  # a number cell drops leading zeros (Hà Nội's 001…)
            text = text.zfill(12)
        return text
    return "".join(_text(value).replace("'", "").split())


def parse_name(value: Any) -> str:
    name = " ".join(_text(value).split())
    if len(name) < 2:
        raise CellError(_("Họ tên quá ngắn."))
    if len(name) > 120:
        raise CellError(_("Họ tên dài quá 120 ký tự."))
    return name


def parse_text(value: Any) -> str:
    return " ".join(_text(value).split())[:200]


DEVICE_LABELS = {
    Device.TELEVISION.value: "Ti vi",
    Device.RADIO.value: "Đài",
    Device.COMPUTER.value: "Máy tính",
    Device.SMARTPHONE.value: "Điện thoại thông minh",
    Device.TABLET.value: "Máy tính bảng",
}
_DEVICE_ALIASES = {
    "ti vi": Device.TELEVISION,
    "tivi": Device.TELEVISION,
    "tv": Device.TELEVISION,
    "vo tuyen": Device.TELEVISION,
    "dai": Device.RADIO,
    "radio": Device.RADIO,
    "dai radio": Device.RADIO,
    "may tinh": Device.COMPUTER,
    "may vi tinh": Device.COMPUTER,
    "may tinh de ban": Device.COMPUTER,
    "laptop": Device.COMPUTER,
    "computer": Device.COMPUTER,
    "dien thoai thong minh": Device.SMARTPHONE,
    "dien thoai": Device.SMARTPHONE,
    "smartphone": Device.SMARTPHONE,
    "may tinh bang": Device.TABLET,
    "tablet": Device.TABLET,
    "ipad": Device.TABLET,
}
_NO_DEVICE = {"", "khong", "khong co", "0"}


def parse_devices(value: Any) -> list[str]:
    """A list such as "Ti vi, Điện thoại thông minh" (commas or semicolons)."""
    found = []
    for part in re.split(r"[,;+\n]", _text(value)):
        key = token(part)
        if key in _NO_DEVICE:
            continue
        device = _DEVICE_ALIASES.get(key) or next((d for d in Device if d.value == key), None)
        if device is None:
            raise CellError(
                _(
                    "Không biết thiết bị “%(value)s”; hãy ghi: Ti vi, Đài, Máy tính, "
                    "Điện thoại thông minh, Máy tính bảng."
                )
                % {"value": nfc(part)}
            )
        found.append(device.value)
    return sorted(set(found))


def _ethnicity_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for code, name in ethnic_groups():
        table[code] = code
        table[str(int(code))] = code
        table[token(name).replace(" ", "")] = code
    # Names people also write.
    table.update({"hmong": "08", "meo": "08", "khmer": "05", "viet": "01", "kinh viet": "01"})
    return table


_ETHNICITY: dict[str, str] = {}


def parse_ethnic_group(value: Any) -> str:
    if not _ETHNICITY:
        _ETHNICITY.update(_ethnicity_table())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        key = str(int(value))
    else:
        key = token(_text(value)).replace(" ", "")
    code = _ETHNICITY.get(key)
    if code is None:
        raise CellError(
            _("Không biết dân tộc “%(value)s”; hãy ghi tên (ví dụ Thái, Mông, Tày) hoặc mã 01–54.")
            % {"value": _text(value)}
        )
    return code


parse_area = _choice_parser(
    AREA_CHOICES,
    {"nt": "rural", "tt": "urban", "nong thon": "rural", "thanh thi": "urban"},
    _("khu vực"),
    "Nông thôn, Thành thị",
)
parse_material = _choice_parser(
    MATERIAL_CHOICES,
    {
        "ben": "durable",
        "kien co": "durable",
        "khong ben": "non_durable",
        "tam": "non_durable",
        "kbc": "non_durable",
    },
    _("loại vật liệu"),
    "Bền chắc, Không bền chắc",
)
parse_water = _choice_parser(
    WATER_CHOICES,
    {
        "may": "piped",
        "nuoc may": "piped",
        "gieng khoan": "protected_well",
        "gieng co bao ve": "protected_well",
        "gieng dao co bao ve": "protected_well",
        "nuoc khe co bao ve": "protected_spring",
        "nuoc mo co bao ve": "protected_spring",
        "nuoc mua": "rainwater",
        "nuoc binh": "bottled",
        "gieng dao": "unprotected_well",
        "gieng khong bao ve": "unprotected_well",
        "nuoc khe": "unprotected_spring",
        "nuoc mo": "unprotected_spring",
        "khe mo": "unprotected_spring",
        "song": "surface",
        "suoi": "surface",
        "song suoi": "surface",
        "ao ho": "surface",
        "khac": "other",
    },
    _("nguồn nước"),
    "Nước máy, Giếng khoan, Nước mưa, Nước khe, Sông suối",
)
parse_latrine = _choice_parser(
    LATRINE_CHOICES,
    {
        "tu hoai": "flush_septic",
        "ban tu hoai": "semi_septic",
        "hai ngan": "double_vault",
        "2 ngan": "double_vault",
        "chim co ong thong hoi": "ventilated_pit",
        "ho dao": "unhygienic",
        "cau tam": "unhygienic",
        "tam": "unhygienic",
        "khong hop ve sinh": "unhygienic",
        "khong": "none",
        "khong co": "none",
    },
    _("loại nhà tiêu"),
    "Tự hoại, Bán tự hoại, Hai ngăn, Tạm, Không có",
)
parse_sex = _choice_parser(
    Sex.choices,
    {"m": "male", "f": "female", "nu gioi": "female", "nam gioi": "male"},
    _("giới tính"),
    "Nam, Nữ",
)
parse_relation = _choice_parser(
    Relation.choices,
    {
        "chu ho": "head",
        "vo": "spouse",
        "chong": "spouse",
        "con de": "child",
        "con trai": "child",
        "con gai": "child",
        "con dau": "other",
        "con re": "other",
        "bo": "parent",
        "me": "parent",
        "cha": "parent",
        "chau noi": "grandchild",
        "chau ngoai": "grandchild",
        "ong": "grandparent",
        "ba": "grandparent",
        "anh": "sibling",
        "chi": "sibling",
        "em": "sibling",
    },
    _("quan hệ với chủ hộ"),
    "Chủ hộ, Vợ, Chồng, Con, Bố, Mẹ, Cháu",
)
parse_education = _choice_parser(
    EDUCATION_CHOICES,
    {
        "khong": "none",
        "chua di hoc": "none",
        "mu chu": "none",
        "tieu hoc": "primary",
        "lop 5": "primary",
        "thcs": "lower_secondary",
        "trung hoc co so": "lower_secondary",
        "lop 9": "lower_secondary",
        "thpt": "upper_secondary",
        "trung hoc pho thong": "upper_secondary",
        "lop 12": "upper_secondary",
        "nghe": "vocational",
        "hoc nghe": "vocational",
        "trung cap": "vocational",
        "so cap": "vocational",
        "cao dang": "tertiary",
        "dai hoc": "tertiary",
    },
    _("trình độ học vấn"),
    "Chưa học xong tiểu học, Tiểu học, THCS, THPT, Nghề, Đại học",
)
parse_work = _choice_parser(
    WORK_CHOICES,
    {
        "co hop dong": "wage_with_contract",
        "lam cong co hop dong": "wage_with_contract",
        "khong hop dong": "wage_without_contract",
        "lam cong khong hop dong": "wage_without_contract",
        "lam thue": "wage_without_contract",
        "tu lam": "self_employed",
        "lam nong": "self_employed",
        "lam ruong": "self_employed",
        "buon ban": "self_employed",
        "that nghiep": "unemployed",
        "khong co viec": "unemployed",
        "khong di lam": "not_in_labour_force",
        "di hoc": "not_in_labour_force",
        "nghi huu": "not_in_labour_force",
        "noi tro": "not_in_labour_force",
        "con nho": "not_in_labour_force",
    },
    _("việc làm"),
    "Có hợp đồng, Không hợp đồng, Tự làm, Thất nghiệp, Không đi làm",
)


# --- The columns ---------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str  # the folded header, also accepted as the header itself
    header: str  # what the template shows (Vietnamese, with diacritics)
    field: str  # the HouseholdInput / MemberInput attribute it fills
    household: bool  # a fact of the household (repeated or given once), not of the member
    required: bool
    parse: Callable[[Any], Any]
    example: str
    aliases: tuple[str, ...] = ()

    def header_keys(self) -> set[str]:
        return {self.key, header_key(self.header), *(header_key(a) for a in self.aliases)}


# The household key is not a field of either input: it groups the rows.
KEY = Column(
    "ma_ho",
    "Mã hộ",
    "",
    True,
    True,
    parse_text,
    "HO001",
    ("so ho", "ma so ho", "stt ho", "ma ho gia dinh", "ma ho so"),
)

COLUMNS: tuple[Column, ...] = (
    KEY,
    Column("ho_ten", "Họ và tên", "full_name", False, True, parse_name, "Lò Thị Xuân", ("ho ten", "ten")),
    Column(
        "ngay_sinh",
        "Ngày sinh",
        "birth_date",
        False,
        True,
        parse_date,
        "05/03/1990",
        ("ngay thang nam sinh",),
    ),
    Column("gioi_tinh", "Giới tính", "sex", False, True, parse_sex, "Nữ"),
    Column(
        "quan_he",
        "Quan hệ với chủ hộ",
        "relation",
        False,
        True,
        parse_relation,
        "Chủ hộ",
        ("quan he chu ho",),
    ),
    Column("dan_toc", "Dân tộc", "ethnic_group", False, True, parse_ethnic_group, "Thái"),
    Column(
        "cccd",
        "Số CCCD",
        "citizen_id",
        False,
        False,
        parse_citizen_id,
        "014190001234",
        ("so cccd", "can cuoc", "can cuoc cong dan", "so dinh danh", "cmnd"),
    ),
    Column(
        "hoc_van",
        "Học vấn",
        "education",
        False,
        True,
        parse_education,
        "THCS",
        ("trinh do hoc van", "trinh do"),
    ),
    Column("di_hoc", "Đang đi học", "attending_school", False, False, parse_bool, "Không", ("dang di hoc",)),
    Column("viec_lam", "Việc làm", "work", False, True, parse_work, "Tự làm"),
    Column(
        "kha_nang_lao_dong",
        "Còn khả năng lao động",
        "able_to_work",
        False,
        False,
        parse_bool,
        "Có",
        ("con kha nang lao dong", "kha nang lao dong"),
    ),
    Column(
        "bhyt",
        "Có BHYT",
        "has_health_insurance",
        False,
        True,
        parse_bool,
        "Có",
        ("co bhyt", "bao hiem y te", "co bao hiem y te"),
    ),
    Column("khuyet_tat", "Khuyết tật", "has_disability", False, False, parse_bool, "Không"),
    Column(
        "suy_dinh_duong",
        "Trẻ suy dinh dưỡng",
        "stunted_or_underweight",
        False,
        False,
        parse_bool,
        "Không",
        ("tre suy dinh duong", "suy dinh duong"),
    ),
    Column(
        "thon",
        "Thôn/bản",
        "address_line",
        True,
        False,
        parse_text,
        "Bản Hua Ná",
        ("thon ban", "ban", "dia chi"),
    ),
    Column("khu_vuc", "Khu vực", "area", True, True, parse_area, "Nông thôn"),
    Column(
        "dien_thoai",
        "Điện thoại",
        "contact_phone",
        True,
        False,
        parse_phone,
        "0912345678",
        ("so dien thoai", "sdt", "dt"),
    ),
    Column(
        "thu_nhap_12_thang",
        "Thu nhập 12 tháng (đồng)",
        "income_12m_vnd",
        True,
        True,
        parse_income,
        "54000000",
        ("thu nhap", "thu nhap 12 thang", "tong thu nhap", "tong thu nhap 12 thang"),
    ),
    Column("tuong", "Tường", "walls", True, True, parse_material, "Bền chắc"),
    Column("khung", "Khung, cột", "frame", True, True, parse_material, "Bền chắc", ("khung cot", "cot")),
    Column("mai", "Mái", "roof", True, True, parse_material, "Không bền chắc"),
    Column(
        "dien_tich_m2",
        "Diện tích nhà (m²)",
        "floor_area_m2",
        True,
        True,
        parse_floor_area,
        "45",
        ("dien tich", "dien tich nha", "dien tich nha m2", "dien tich nha o"),
    ),
    Column(
        "nuoc",
        "Nguồn nước",
        "water_source",
        True,
        True,
        parse_water,
        "Nước máy",
        ("nguon nuoc", "nuoc sinh hoat", "nguon nuoc sinh hoat"),
    ),
    Column("nha_tieu", "Nhà tiêu", "latrine", True, True, parse_latrine, "Tự hoại", ("nha ve sinh",)),
    Column(
        "dung_dien_thoai",
        "Dùng điện thoại/internet",
        "uses_telecom",
        True,
        True,
        parse_bool,
        "Có",
        ("dung dien thoai", "dung dien thoai internet", "vien thong", "dung vien thong"),
    ),
    Column(
        "thiet_bi",
        "Thiết bị",
        "devices",
        True,
        False,
        parse_devices,
        "Ti vi, Điện thoại thông minh",
        ("thiet bi tiep can thong tin", "thiet bi thong tin"),
    ),
    Column(
        "thu_gom_rac",
        "Rác được thu gom/xử lý",
        "waste_collected_or_treated",
        True,
        True,
        parse_bool,
        "Có",
        ("rac", "thu gom rac", "rac duoc thu gom", "xu ly rac"),
    ),
)

MEMBER_COLUMNS = tuple(c for c in COLUMNS if not c.household)
HOUSEHOLD_COLUMNS = tuple(c for c in COLUMNS if c.household and c is not KEY)


def _column_index() -> dict[str, Column]:
    index: dict[str, Column] = {}
    for column in COLUMNS:
        for key in column.header_keys():
            assert key not in index, f"header {key!r} names two columns"
            index[key] = column
    return index


COLUMN_BY_HEADER = _column_index()


@dataclass
class HeaderMatch:
    """Which spreadsheet position holds which column, and what did not match."""

    positions: dict[str, int]  # column key → 0-based position
    unknown: list[str]  # headers that name no column (warned about, then ignored)
    duplicated: list[str]  # columns named twice

    @property
    def missing(self) -> list[Column]:
        return [c for c in COLUMNS if c.required and c.key not in self.positions]


def headers_match(headers: Iterable[Any]) -> HeaderMatch:
    match = HeaderMatch(positions={}, unknown=[], duplicated=[])
    for position, raw in enumerate(headers):
        if is_blank(raw):
            continue
        column = COLUMN_BY_HEADER.get(header_key(raw))
        if column is None:
            match.unknown.append(_text(raw))
        elif column.key in match.positions:
            match.duplicated.append(_text(raw))
        else:
            match.positions[column.key] = position
    return match


def known_headers(headers: Iterable[Any]) -> int:
    """How many of ``headers`` name a column: to tell the header row from a title above it."""
    return sum(1 for h in headers if not is_blank(h) and header_key(h) in COLUMN_BY_HEADER)
