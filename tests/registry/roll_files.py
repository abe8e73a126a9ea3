"""Household rolls as commune officers keep them, built for the import tests."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile

from ketnoi.registry import roll

HEADERS = [column.header for column in roll.COLUMNS]

HOUSEHOLD_DEFAULTS = {
    "thon": "Bản Bú",
    "khu_vuc": "Nông thôn",
    "dien_thoai": "0912345678",
    "thu_nhap_12_thang": "108.000.000",
    "tuong": "Bền chắc",
    "khung": "Bền chắc",
    "mai": "Bền chắc",
    "dien_tich_m2": "45",
    "nuoc": "Nước máy",
    "nha_tieu": "Tự hoại",
    "dung_dien_thoai": "Có",
    "thiet_bi": "Ti vi, Điện thoại thông minh",
    "thu_gom_rac": "Có",
}
MEMBER_DEFAULTS = {
    "ho_ten": "Lò Văn Pâng",
    "ngay_sinh": "12/04/1985",
    "gioi_tinh": "Nam",
    "quan_he": "Chủ hộ",
    "dan_toc": "Thái",
    "cccd": "",
    "hoc_van": "THCS",
    "di_hoc": "Không",
    "viec_lam": "Tự làm",
    "kha_nang_lao_dong": "Có",
    "bhyt": "Có",
    "khuyet_tat": "Không",
    "suy_dinh_duong": "Không",
}


def row(key: str, *, household: bool = True, **values: Any) -> dict[str, Any]:
    """One member's row of household ``key``; the household's facts too unless ``household=False``."""
    cells = {"ma_ho": key, **MEMBER_DEFAULTS, **(HOUSEHOLD_DEFAULTS if household else {})}
    cells.update(values)
    return cells


def family(key: str, *, surname: str = "Lò", **household: Any) -> list[dict[str, Any]]:
    """A household of three: head, spouse, a school child."""
    return [
        row(key, ho_ten=f"{surname} Văn Pâng", **household),
        row(
            key,
            household=False,
            ho_ten=f"Cầm Thị Ơn {surname}",
            ngay_sinh="02/09/1988",
            gioi_tinh="Nữ",
            quan_he="Vợ",
        ),
        row(
            key,
            household=False,
            ho_ten=f"{surname} Thị Mai",
            ngay_sinh="20/01/2014",
            gioi_tinh="Nữ",
            quan_he="Con",
            hoc_van="Tiểu học",
            di_hoc="Có",
            viec_lam="Không đi làm",
        ),
    ]


def table(rows: Sequence[dict[str, Any]], headers: Sequence[str] | None = None) -> list[list[Any]]:
    """Header row then data rows; ``headers`` may rename, drop or add columns (cells by key)."""
    headers = list(headers or HEADERS)
    keys = [roll.COLUMN_BY_HEADER.get(roll.header_key(h)) for h in headers]
    out: list[list[Any]] = [headers]
    for cells in rows:
        out.append(
            [
                cells.get(k.key, "") if k is not None else cells.get(h, "")
                for k, h in zip(keys, headers, strict=True)
            ]
        )
    return out


def xlsx_file(rows: Sequence[Sequence[Any]], name: str = "danh-sach.xlsx") -> SimpleUploadedFile:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for values in rows:
        sheet.append(list(values))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def csv_file(
    rows: Sequence[Sequence[Any]],
    name: str = "danh-sach.csv",
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    bom: bool = False,
) -> SimpleUploadedFile:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    data = buffer.getvalue().encode(encoding)
    return SimpleUploadedFile(name, (b"\xef\xbb\xbf" if bom else b"") + data)
