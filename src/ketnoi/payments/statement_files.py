"""Reading a bank statement as Vietnamese banks export it (CSV or XLSX); no database here.

A statement has a few title rows, then a header row, then one row per
transaction. The header row is found among the first rows by its names,
compared folded (no diacritics, any case, punctuation ignored, a bilingual
"Ghi có / Credit" read as either half): a date, the credit (money in) — or
one signed amount — and the description, where the buyer's bank put the
VietQR purpose, i.e. the order reference ("CT DEN:123 DH7KQ2M4TX LO THI
XUAN"). A transaction number column, where there is one, makes each line's
fingerprint sharper. Debit rows (money out) are skipped.

Files: XLSX (first sheet) or CSV in UTF-8 (with or without BOM) or UTF-16
with a BOM; comma, semicolon or tab. A file that cannot be read raises
``DomainError`` with a message saying what to do; a single unreadable
amount is reported on its line instead.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from django.utils.translation import gettext_lazy as _

from ketnoi.core.errors import DomainError
from ketnoi.core.spreadsheets import xlsx_rows
from ketnoi.core.text import fold, nfc

MAX_STATEMENT_BYTES = 5 * 1024 * 1024  # a year of a cooperative's statement is well under 1 MB
MAX_STATEMENT_LINES = 20_000
HEADER_SEARCH_ROWS = 20  # banks put the account, period and opening balance above the header

DATE, CREDIT, DEBIT, AMOUNT, DESCRIPTION, TXN = "date", "credit", "debit", "amount", "description", "txn"

# Folded header names (after dropping "(VND)" and punctuation) → column.
_ALIASES: dict[str, tuple[str, ...]] = {
    DATE: (
        "ngay",
        "ngay giao dich",
        "ngay gd",
        "ngay hieu luc",
        "ngay hach toan",
        "ngay ghi so",
        "ngay thuc hien",
        "thoi gian",
        "thoi gian giao dich",
        "ngay gio giao dich",
        "ngay gio",
        "date",
        "transaction date",
        "trans date",
        "txn date",
        "posting date",
        "value date",
        "effective date",
        "date time",
        "datetime",
    ),
    CREDIT: (
        "ghi co",
        "so tien ghi co",
        "ps co",
        "phat sinh co",
        "so tien co",
        "tien vao",
        "so tien vao",
        "so tien nhan",
        "credit",
        "credits",
        "credit amount",
        "cr",
        "amount in",
        "money in",
    ),
    DEBIT: (
        "ghi no",
        "so tien ghi no",
        "ps no",
        "phat sinh no",
        "so tien no",
        "tien ra",
        "so tien ra",
        "debit",
        "debits",
        "debit amount",
        "dr",
        "amount out",
        "money out",
    ),
    AMOUNT: ("so tien", "so tien giao dich", "amount", "transaction amount", "gia tri", "so tien gd"),
    DESCRIPTION: (
        "noi dung",
        "noi dung giao dich",
        "noi dung chuyen khoan",
        "noi dung ck",
        "noi dung gd",
        "dien giai",
        "mo ta",
        "mo ta giao dich",
        "chi tiet",
        "chi tiet giao dich",
        "ghi chu",
        "description",
        "transaction description",
        "details",
        "transaction details",
        "narrative",
        "remark",
        "remarks",
        "content",
        "transaction content",
        "memo",
    ),
    TXN: (
        "so tham chieu",
        "ma tham chieu",
        "ma giao dich",
        "ma gd",
        "so but toan",
        "so gd",
        "so giao dich",
        "so ct",
        "so chung tu",
        "so ref",
        "reference",
        "reference no",
        "reference number",
        "ref no",
        "ref",
        "transaction id",
        "transaction no",
        "transaction number",
        "trans no",
        "txn id",
        "txn no",
    ),
}
_BY_HEADER = {alias: column for column, aliases in _ALIASES.items() for alias in aliases}
_PREFIXES = tuple(alias for alias in _BY_HEADER if len(alias) >= 4)
# Bare "Nợ"/"Có" mean debit/credit only when written with their diacritics:
# folded, "no" is also the English "No." (row number).
_EXACT = {"nợ": DEBIT, "có": CREDIT}

_PARENTHESES = re.compile(r"\([^)]*\)")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_NOT_ALNUM_UPPER = re.compile(r"[^A-Z0-9]+")
_AMOUNT_JUNK = re.compile(r"(vnd|vnđ|đồng|dong|₫|đ|\s|\u00a0|\u202f)", re.IGNORECASE)
_WHOLE = re.compile(r"\d+")
_GROUPED = re.compile(r"\d{1,3}(?:([.,' ])\d{3})(?:\1\d{3})*")
_WITH_FRACTION = re.compile(
    r"(?P<int>\d{1,3}(?:(?P<sep>[.,' ])\d{3})(?:(?P=sep)\d{3})*|\d+)(?P<dec>[.,])(?P<frac>\d{1,2})"
)
_SUMMARY = re.compile(r"\s*(tong|total|so du|balance|cong phat sinh)")
_DATE_FORMATS = (
    "%d/%m/%Y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%d/%m/%y",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d-%m-%Y %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %I:%M:%S %p",
)


class AmountError(ValueError):
    """A cell in an amount column that is not a whole number of đồng."""


@dataclass(frozen=True)
class StatementLine:
    line: int  # 1-based row number in the file, as a spreadsheet shows it
    date: date | None
    date_text: str
    amount_vnd: int | None  # money in; None when the cell could not be read
    description: str
    txn: str
    fingerprint: str

    @property
    def squeezed(self) -> str:
        """The description in upper-case ASCII letters and digits only, where a reference is looked for."""
        return squeeze(self.description)


@dataclass(frozen=True)
class Statement:
    lines: list[StatementLine]
    rows_read: int
    skipped_rows: int


def squeeze(text: str) -> str:
    """``"CT DEN:123 dh7kq2m4tx"`` → ``"CTDEN123DH7KQ2M4TX"``: banks split and glue words at will."""
    return _NOT_ALNUM_UPPER.sub("", fold(text).upper())


# --- Cells ------------------------------------------------------------------------------


def _header_names(value: Any) -> list[str]:
    """The names one header cell may stand for: "Ghi có (VND) / Credit" → ["ghi co", "credit"]."""
    if value is None:
        return []
    text = nfc(str(value)).lower()
    names = []
    for part in re.split(r"[/\n|]", _PARENTHESES.sub(" ", text)):
        exact = part.strip(" .:")
        if exact in _EXACT:
            names.append(exact)
            continue
        token = _NOT_ALNUM.sub(" ", fold(part)).strip()
        if token:
            names.append(token)
    return names


def _column_of(value: Any) -> str | None:
    """The column a header names: exactly ("Ghi có"), else by its first words ("Nội dung chi tiết")."""
    names = _header_names(value)
    for name in names:
        column = _EXACT.get(name) or _BY_HEADER.get(name)
        if column is not None:
            return column
    for name in names:
        prefixes = [alias for alias in _PREFIXES if name.startswith(alias + " ")]
        if prefixes:
            return _BY_HEADER[max(prefixes, key=len)]
    return None


def header_columns(row: tuple[Any, ...]) -> dict[str, int]:
    """Which column of ``row`` holds what; the first of each kind wins."""
    found: dict[str, int] = {}
    for position, value in enumerate(row):
        column = _column_of(value)
        if column is not None and column not in found:
            found[column] = position
    return found


def _is_header(columns: dict[str, int]) -> bool:
    return DESCRIPTION in columns and (CREDIT in columns or AMOUNT in columns)


def parse_amount(value: Any) -> int | None:
    """A cell of an amount column → whole đồng (signed), ``None`` when blank.

    Reads ``1500000``, ``1.500.000``, ``1,500,000``, ``1,500,000.00``,
    ``+1.500.000 VND``, ``(200.000)``; raises ``AmountError`` for text or a
    fraction of a đồng.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise AmountError(str(value))
    if isinstance(value, int):
        return value
    if isinstance(value, (float, Decimal)):
        if not math.isfinite(value) or value != int(value):
            raise AmountError(str(value))
        return int(value)
    text = _AMOUNT_JUNK.sub("", nfc(str(value)))
    if text in ("", "-"):
        return None
    sign = 1
    if text.startswith("(") and text.endswith(")"):
        sign, text = -1, text[1:-1]
    if text[:1] in "+-":
        sign, text = (-1 if text[0] == "-" else 1), text[1:]
    if _WHOLE.fullmatch(text):
        return sign * int(text)
    if _GROUPED.fullmatch(text):
        return sign * int(re.sub(r"[.,' ]", "", text))
    match = _WITH_FRACTION.fullmatch(text)
    if match and match.group("sep") != match.group("dec") and int(match.group("frac")) == 0:
        return sign * int(re.sub(r"[.,' ]", "", match.group("int")))
    raise AmountError(text)


def parse_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = nfc(str(value or ""))
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 — a calendar date, no time zone
        except ValueError:
            continue
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        return (
            value.strftime("%d/%m/%Y %H:%M") if (value.hour or value.minute) else value.strftime("%d/%m/%Y")
        )
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return nfc(str(value))


def fingerprint(*, when: date | None, date_text: str, amount: int | None, description: str, txn: str) -> str:
    """What makes a line the same line when the statement is exported again (CSV or XLSX)."""
    parts = [when.isoformat() if when else fold(date_text), str(amount), squeeze(description), squeeze(txn)]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


# --- Files ------------------------------------------------------------------------------


def _xlsx_rows(file: IO[bytes]) -> Iterator[tuple[Any, ...]]:
    return xlsx_rows(file, error_code="statement_unreadable")


def _csv_rows(file: IO[bytes]) -> Iterator[tuple[Any, ...]]:
    data = file.read(MAX_STATEMENT_BYTES + 1)
    encoding = "utf-16" if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise DomainError(
            _(
                "Tệp CSV không ở dạng UTF-8. Trong Excel chọn Lưu thành → “CSV UTF-8”, "
                "hoặc tải lên tệp .xlsx."
            ),
            code="statement_encoding",
        ) from None
    head = text.splitlines()[:HEADER_SEARCH_ROWS]
    counts = {d: max((ln.count(d) for ln in head), default=0) for d in (",", ";", "\t")}
    delimiter = max(counts, key=lambda d: (counts[d], d == ","))
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            yield tuple(row)
    except csv.Error:
        raise DomainError(
            _("Tệp CSV bị lỗi, không đọc được. Hãy xuất lại sao kê từ ngân hàng."),
            code="statement_unreadable",
        ) from None


def _rows(file: IO[bytes], filename: str) -> Iterator[tuple[Any, ...]]:
    name = filename.lower()
    if name.endswith(".xlsx"):
        return _xlsx_rows(file)
    if name.endswith(".csv"):
        return _csv_rows(file)
    if name.endswith(".xls"):
        raise DomainError(
            _(
                "Tệp .xls đời cũ chưa đọc được. Hãy mở bằng Excel và lưu lại dạng .xlsx, "
                "hoặc xuất sao kê dạng CSV."
            ),
            code="statement_file_type",
        )
    raise DomainError(_("Chỉ nhận sao kê dạng .xlsx hoặc .csv."), code="statement_file_type")


def _size(file: Any) -> int:
    size = getattr(file, "size", None)
    if size is None:
        position = file.tell()
        file.seek(0, io.SEEK_END)
        size = file.tell()
        file.seek(position)
    return int(size)


def statement_read(file: Any, filename: str) -> Statement:
    """Every money-in line of the statement ``file``; ``DomainError`` if it cannot be read as one."""
    if _size(file) > MAX_STATEMENT_BYTES:
        raise DomainError(
            _("Tệp quá lớn: tối đa %(max)s MB. Hãy xuất sao kê theo từng tháng."),
            code="statement_too_large",
            params={"max": MAX_STATEMENT_BYTES // (1024 * 1024)},
            status=413,
        )
    if _size(file) == 0:
        raise DomainError(_("Tệp trống."), code="statement_empty")
    file.seek(0)
    rows = _rows(file, filename)
    columns: dict[str, int] | None = None
    header_line = 0
    for number, row in enumerate(rows, start=1):
        found = header_columns(row)
        if _is_header(found):
            columns, header_line = found, number
            break
        if number >= HEADER_SEARCH_ROWS:
            break
    if columns is None:
        raise DomainError(
            _(
                "Không tìm thấy dòng tiêu đề của sao kê. Cần có các cột: Ngày giao dịch, Số tiền ghi có "
                "(hoặc Số tiền), Nội dung."
            ),
            code="statement_no_header",
        )
    lines: list[StatementLine] = []
    rows_read = skipped_rows = 0
    for number, row in enumerate(rows, start=header_line + 1):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            continue
        rows_read += 1
        if rows_read > MAX_STATEMENT_LINES:
            raise DomainError(
                _("Sao kê có quá nhiều dòng: tối đa %(max)s. Hãy xuất theo từng tháng."),
                code="statement_too_long",
                params={"max": MAX_STATEMENT_LINES},
            )
        line = _line(number, row, columns)
        if line is None:
            skipped_rows += 1
        else:
            lines.append(line)
    return Statement(lines=lines, rows_read=rows_read, skipped_rows=skipped_rows)


def _cell(row: tuple[Any, ...], columns: dict[str, int], name: str) -> Any:
    position = columns.get(name)
    if position is None or position >= len(row):
        return None
    return row[position]


def _line(number: int, row: tuple[Any, ...], columns: dict[str, int]) -> StatementLine | None:
    """The row as a money-in line; ``None`` for money out, a row with no amount, or a total."""
    raw_date = _cell(row, columns, DATE)
    when = parse_date(raw_date)
    date_text = _text(raw_date)
    description = _text(_cell(row, columns, DESCRIPTION))
    first_text = next((_text(v) for v in row if isinstance(v, str) and v.strip()), "")
    if not date_text and any(_SUMMARY.match(fold(t)) for t in (description, first_text)):
        return None  # "Tổng cộng", "Số dư cuối kỳ"… under the last transaction
    txn = _text(_cell(row, columns, TXN))
    amount: int | None
    try:
        if CREDIT in columns:
            amount = parse_amount(_cell(row, columns, CREDIT))
            if amount is None or amount == 0:
                return None
            amount = abs(amount)  # some banks write credits with a sign
        else:
            amount = parse_amount(_cell(row, columns, AMOUNT))
            if amount is None or amount <= 0:
                return None
    except AmountError:
        amount = None
    return StatementLine(
        line=number,
        date=when,
        date_text=date_text,
        amount_vnd=amount,
        description=description,
        txn=txn,
        fingerprint=fingerprint(
            when=when, date_text=date_text, amount=amount, description=description, txn=txn
        ),
    )
