"""The bank's files for a disbursement batch: the bulk-transfer file out, the result file back.

Pure functions, no database. The transfer file has one line per payment:
disbursement id, the bank's BIN (NAPAS), account number, account holder's
name in upper case without diacritics (what the banks' bulk-transfer
templates accept), amount in đồng and the memo ``KN <disbursement id>``.

The bank answers with a result (or statement) file, CSV or XLSX, one line
per payment: disbursement id, amount, status (success / failed / returned,
in English or Vietnamese), date, the bank's reference and a reason. The
header row is found among the first rows by its names, compared folded (no
diacritics, any case); columns may come in any order. Values that cannot be
read are kept as written (``None`` in the parsed field), so the caller can
say what is wrong on that line instead of refusing the whole file.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator
from datetime import date
from typing import IO, Any, NamedTuple

import openpyxl
from django.utils.translation import gettext_lazy as _

from ketnoi.core.errors import DomainError
from ketnoi.core.spreadsheets import xlsx_rows
from ketnoi.core.text import fold, nfc

from .statement_files import AmountError, parse_amount, parse_date

# A sheet holds 1,048,576 rows; one is the header. Bigger batches go as CSV.
XLSX_MAX_LINES = 1_048_575
MAX_RESULT_BYTES = 256 * 1024 * 1024  # a million lines is about 70 MB
MAX_RESULT_LINES = 2_000_000
HEADER_SEARCH_ROWS = 20

TRANSFER_HEADER = ("disbursement_id", "bank_bin", "account_number", "account_name", "amount_vnd", "memo")
RESULT_HEADER = ("disbursement_id", "amount_vnd", "status", "date", "bank_reference", "reason")

SUCCESS, FAILED, RETURNED = "success", "failed", "returned"
RESULT_STATUSES = (SUCCESS, FAILED, RETURNED)

ID, AMOUNT, STATUS, DATE, REFERENCE, REASON = RESULT_HEADER

# Folded header names (punctuation as spaces) → column of the result file.
_ALIASES: dict[str, tuple[str, ...]] = {
    ID: (
        "disbursement id",
        "ma chi tra",
        "ma khoan chi",
        "ma thanh toan",
        "customer reference",
        "client reference",
        "payment id",
        "ma tham chieu khach hang",
    ),
    AMOUNT: ("amount vnd", "amount", "so tien", "so tien vnd", "so tien giao dich", "gia tri"),
    STATUS: ("status", "result", "trang thai", "ket qua", "tinh trang"),
    DATE: (
        "date",
        "value date",
        "transaction date",
        "ngay",
        "ngay giao dich",
        "ngay hach toan",
        "ngay thuc hien",
        "thoi gian",
    ),
    REFERENCE: (
        "bank reference",
        "reference",
        "ma giao dich",
        "ma giao dich ngan hang",
        "so tham chieu",
        "so giao dich",
        "transaction id",
        "ref",
    ),
    REASON: ("reason", "ly do", "ghi chu", "mo ta", "error", "error message", "thong bao loi", "mo ta loi"),
}
_BY_HEADER = {alias: column for column, aliases in _ALIASES.items() for alias in aliases}

# Folded status words → status.
_STATUS_WORDS: dict[str, str] = {
    **dict.fromkeys(
        ("success", "successful", "succeeded", "ok", "paid", "completed", "done", "thanh cong", "da chuyen"),
        SUCCESS,
    ),
    **dict.fromkeys(
        ("failed", "failure", "fail", "rejected", "error", "that bai", "khong thanh cong", "loi", "tu choi"),
        FAILED,
    ),
    **dict.fromkeys(
        ("returned", "return", "refunded", "reversed", "hoan tra", "tra lai", "bi tra lai"), RETURNED
    ),
}
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_NOT_BANK_NAME = re.compile(r"[^A-Z0-9 ]+")


class TransferLine(NamedTuple):
    disbursement_id: str
    bank_bin: str
    account: str
    account_name: str
    amount_vnd: int
    memo: str


class ResultLine(NamedTuple):
    line: int  # 1-based row number in the file, as a spreadsheet shows it
    disbursement_id: str
    amount_vnd: int | None  # None when missing or not a whole number of đồng
    amount_text: str
    status: str | None  # success / failed / returned; None when not understood
    status_text: str
    date: date | None
    date_text: str
    bank_reference: str
    reason: str


class ResultFile(NamedTuple):
    lines: list[ResultLine]
    rows_read: int


# --- Transfer file out -------------------------------------------------------------------


def bank_account_name(name: str) -> str:
    """``"Lò Thị Xuân"`` → ``"LO THI XUAN"``: upper case, no diacritics, letters, digits and spaces."""
    return " ".join(_NOT_BANK_NAME.sub(" ", fold(name).upper()).split())


def transfer_line(
    *, disbursement_id: str, bank_bin: str, account: str, account_name: str, amount_vnd: int
) -> TransferLine:
    return TransferLine(
        disbursement_id=disbursement_id,
        bank_bin=bank_bin,
        account=account,
        account_name=bank_account_name(account_name),
        amount_vnd=amount_vnd,
        memo=f"KN {disbursement_id}",
    )


def transfers_csv(lines: Iterable[TransferLine], *, lines_per_piece: int = 20_000) -> Iterator[bytes]:
    """The transfer file as CSV (UTF-8, comma, header first), in pieces of ``lines_per_piece`` lines."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(TRANSFER_HEADER)
    pending = 0
    for line in lines:
        writer.writerow(line)
        pending += 1
        if pending >= lines_per_piece:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode("utf-8")


def transfers_xlsx(lines: Iterable[TransferLine]) -> bytes:
    """The transfer file as XLSX (one sheet, written as a stream); at most ``XLSX_MAX_LINES`` lines.

    Account numbers stay text, so their leading zeros survive Excel.
    """
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("chuyen_khoan")
    sheet.append(list(TRANSFER_HEADER))
    for count, line in enumerate(lines, start=1):
        if count > XLSX_MAX_LINES:
            sheet.close()  # ends the sheet's temporary file cleanly before refusing
            raise ValueError(f"An XLSX sheet holds at most {XLSX_MAX_LINES} lines.")
        sheet.append(list(line))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def results_csv(lines: Iterable[tuple[Any, ...]]) -> bytes:
    """A result file in this module's own columns (``RESULT_HEADER``): for tests and bank simulators."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(RESULT_HEADER)
    writer.writerows(lines)
    return buffer.getvalue().encode("utf-8")


# --- Result file back --------------------------------------------------------------------


def result_status(text: str) -> str | None:
    """``"Thành công"`` → ``"success"``; ``None`` for a word not understood."""
    return _STATUS_WORDS.get(_NOT_ALNUM.sub(" ", fold(text)).strip())


def _header_columns(row: tuple[Any, ...]) -> dict[str, int]:
    found: dict[str, int] = {}
    for position, value in enumerate(row):
        if value is None:
            continue
        name = _NOT_ALNUM.sub(" ", fold(str(value).replace("(VND)", " "))).strip()
        column = _BY_HEADER.get(name)
        if column is not None and column not in found:
            found[column] = position
    return found


def _csv_rows(file: IO[bytes]) -> Iterator[tuple[Any, ...]]:
    head = file.read(4)
    file.seek(0)
    encoding = "utf-16" if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else "utf-8-sig"
    text = io.TextIOWrapper(file, encoding=encoding, newline="")
    try:
        first = text.readline()
        delimiter = max((",", ";", "\t"), key=lambda d: (first.count(d), d == ","))
        yield from csv.reader(_chain_line(first, text), delimiter=delimiter)
    except UnicodeDecodeError:
        raise DomainError(
            _(
                "Tệp CSV không ở dạng UTF-8. Trong Excel chọn Lưu thành → “CSV UTF-8”, "
                "hoặc tải lên tệp .xlsx."
            ),
            code="result_encoding",
        ) from None
    except csv.Error:
        raise DomainError(
            _("Tệp CSV bị lỗi, không đọc được. Hãy xuất lại tệp kết quả từ ngân hàng."),
            code="result_unreadable",
        ) from None
    finally:
        text.detach()


def _chain_line(first: str, rest: Iterable[str]) -> Iterator[str]:
    yield first
    yield from rest


def _rows(file: IO[bytes], filename: str) -> Iterator[tuple[Any, ...]]:
    name = filename.lower()
    if name.endswith(".xlsx"):
        return xlsx_rows(file, error_code="result_unreadable")
    if name.endswith(".csv"):
        return _csv_rows(file)
    raise DomainError(_("Chỉ nhận tệp kết quả dạng .csv hoặc .xlsx."), code="result_file_type")


def _size(file: IO[bytes]) -> int:
    position = file.tell()
    file.seek(0, io.SEEK_END)
    size = file.tell()
    file.seek(position)
    return size


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, date):
        return value.isoformat()[:10]
    return str(value).strip()


def _clean(value: Any) -> str:
    text = _text(value)
    return text if text.isascii() else nfc(text)


def results_read(file: IO[bytes], filename: str) -> ResultFile:
    """Every line of the bank's result file (CSV or XLSX); ``DomainError`` if it cannot be read as one.

    Needs the disbursement id and status columns; amount and date are
    checked by the caller, line by line. Blank rows are skipped.
    """
    size = _size(file)
    if size == 0:
        raise DomainError(_("Tệp trống."), code="result_empty")
    if size > MAX_RESULT_BYTES:
        raise DomainError(
            _("Tệp quá lớn: tối đa %(max)s MB."),
            code="result_too_large",
            params={"max": MAX_RESULT_BYTES // (1024 * 1024)},
            status=413,
        )
    file.seek(0)
    rows = _rows(file, filename)
    columns: dict[str, int] | None = None
    header_line = 0
    for number, row in enumerate(rows, start=1):
        found = _header_columns(row)
        if ID in found and STATUS in found:
            columns, header_line = found, number
            break
        if number >= HEADER_SEARCH_ROWS:
            break
    if columns is None:
        raise DomainError(
            _(
                "Không tìm thấy dòng tiêu đề của tệp kết quả. Cần có các cột: mã chi trả (disbursement_id), "
                "số tiền, trạng thái, ngày, mã giao dịch ngân hàng, lý do."
            ),
            code="result_no_header",
        )
    return ResultFile(*_lines(rows, columns, first_line=header_line + 1))


def _lines(
    rows: Iterator[tuple[Any, ...]], columns: dict[str, int], *, first_line: int
) -> tuple[list[ResultLine], int]:
    """The rows under the header as ``ResultLine``s; written for a million rows (few calls per row)."""
    positions = [columns.get(name, -1) for name in RESULT_HEADER]
    width = max(positions) + 1
    # Result files repeat the same few dates and statuses: read each spelling once.
    dates: dict[Any, date | None] = {}
    statuses: dict[str, str | None] = {}
    lines: list[ResultLine] = []
    append = lines.append
    rows_read = 0
    for number, row in enumerate(rows, start=first_line):
        if not any(row):
            continue  # a blank row ("" or empty cells)
        if len(row) < width:
            row = (*row, *([None] * (width - len(row))))
        raw_id, raw_amount, raw_status, raw_date, raw_reference, raw_reason = (
            row[p] if p >= 0 else None for p in positions
        )
        rows_read += 1
        if rows_read > MAX_RESULT_LINES:
            raise DomainError(
                _("Tệp có quá nhiều dòng: tối đa %(max)s."),
                code="result_too_long",
                params={"max": MAX_RESULT_LINES},
            )
        amount_text = _text(raw_amount)
        amount: int | None
        if amount_text.isdigit():
            amount = int(amount_text)
        else:
            try:
                amount = parse_amount(raw_amount)
            except AmountError:
                amount = None
        status_text = _text(raw_status)
        status = statuses.get(status_text, "?")
        if status == "?":
            status = statuses[status_text] = result_status(status_text)
        key = raw_date if isinstance(raw_date, (str, date)) or raw_date is None else str(raw_date)
        when = dates.get(key, date.min)
        if when == date.min:
            when = dates[key] = parse_date(raw_date) if raw_date not in (None, "") else None
        append(
            ResultLine(
                number,
                _text(raw_id).upper(),
                amount,
                amount_text,
                status,
                status_text,
                when,
                _text(raw_date),
                _clean(raw_reference)[:40],
                _clean(raw_reason)[:300],
            )
        )
    return lines, rows_read
