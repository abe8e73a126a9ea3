"""The bank's files: the bulk-transfer file we write, the result file we read back (no database)."""

from __future__ import annotations

import codecs
import csv
import io
from datetime import date, datetime

import openpyxl
import pytest

from ketnoi.core.errors import DomainError
from ketnoi.payments import bank_files
from ketnoi.payments.bank_files import (
    TRANSFER_HEADER,
    bank_account_name,
    result_status,
    results_read,
    transfer_line,
    transfers_csv,
    transfers_xlsx,
)


def _lines(n: int) -> list[bank_files.TransferLine]:
    return [
        transfer_line(
            disbursement_id=f"KN7D{i:06d}",
            bank_bin="970405",
            account=f"0071002{i:06d}",
            account_name="Đặng Thị Hoà",
            amount_vnd=500_000,
        )
        for i in range(1, n + 1)
    ]


@pytest.mark.parametrize(
    ("name", "for_the_bank"),
    [
        ("Lò Thị Xuân", "LO THI XUAN"),
        ("Đặng  Thị-Hoà", "DANG THI HOA"),
        ("Hợp tác xã Thổ cẩm Mường Bú (HTX)", "HOP TAC XA THO CAM MUONG BU HTX"),
        ("  ", ""),
    ],
)
def test_account_names_are_written_as_banks_want_them(name, for_the_bank):
    assert bank_account_name(name) == for_the_bank


def test_the_transfer_file_has_a_header_then_one_line_per_payment_in_pieces():
    pieces = list(transfers_csv(_lines(5), lines_per_piece=2))

    assert len(pieces) == 3  # 2 + 2 + 1 lines (the header rides with the first piece)
    rows = list(csv.reader(io.StringIO(b"".join(pieces).decode("utf-8"))))
    assert rows[0] == list(TRANSFER_HEADER)
    assert rows[1] == ["KN7D000001", "970405", "0071002000001", "DANG THI HOA", "500000", "KN KN7D000001"]
    assert len(rows) == 6


def test_the_xlsx_transfer_file_keeps_account_numbers_as_text(monkeypatch):
    data = transfers_xlsx(_lines(2))

    rows = list(
        openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0].iter_rows(values_only=True)
    )
    assert rows[0] == TRANSFER_HEADER
    assert rows[1][2] == "0071002000001" and rows[1][4] == 500_000
    # a sheet has a row limit; more lines than that are refused rather than cut
    monkeypatch.setattr(bank_files, "XLSX_MAX_LINES", 1)
    with pytest.raises(ValueError):
        transfers_xlsx(_lines(2))


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("success", "success"),
        ("Thành công", "success"),
        ("THANH CONG", "success"),
        ("Thất bại", "failed"),
        ("Không thành công", "failed"),
        ("REJECTED", "failed"),
        ("Hoàn trả", "returned"),
        ("returned", "returned"),
        ("đang xử lý", None),
        ("", None),
    ],
)
def test_result_statuses_are_understood_in_english_and_vietnamese(word, status):
    assert result_status(word) == status


def test_a_vietnamese_csv_with_title_rows_semicolons_and_a_bom_is_read():
    text = (
        "KẾT QUẢ CHI LƯƠNG THEO LÔ;;;;;\n"
        "Ngân hàng: BIDV;;;;;\n"
        "Mã chi trả;Số tiền (VND);Trạng thái;Ngày giao dịch;Số tham chiếu;Lý do\n"
        "kn7d000001;1.500.000;Thành công;05/03/2026;FT26064;\n"
        ";;;;;\n"
        "KN7D000002;năm trăm;Lỗi;hôm qua;;Tài khoản đã đóng\n"
    )
    data = codecs.BOM_UTF8 + text.encode("utf-8")

    result = results_read(io.BytesIO(data), "kq.CSV")

    first, second = result.lines
    assert result.rows_read == 2
    assert first.line == 4 and first.disbursement_id == "KN7D000001"
    assert (first.amount_vnd, first.status, first.date, first.bank_reference) == (
        1_500_000,
        "success",
        date(2026, 3, 5),
        "FT26064",
    )
    assert second.line == 6
    assert (second.amount_vnd, second.amount_text, second.status) == (None, "năm trăm", "failed")
    assert (second.date, second.date_text, second.reason) == (None, "hôm qua", "Tài khoản đã đóng")


def test_a_utf16_csv_in_our_own_columns_is_read():
    data = bank_files.results_csv([("KN1D000001", 200_000, "returned", "2026-03-05", "", "x")])
    utf16 = data.decode("utf-8").encode("utf-16")

    (line,) = results_read(io.BytesIO(utf16), "result.csv").lines

    assert (line.status, line.amount_vnd, line.date) == ("returned", 200_000, date(2026, 3, 5))


def test_an_xlsx_result_with_date_cells_and_numbers_is_read():
    workbook = openpyxl.Workbook()
    workbook.active.append(["disbursement_id", "amount_vnd", "status", "date", "bank_reference", "reason"])
    workbook.active.append(["KN1D000001", 200000.0, "success", datetime(2026, 3, 5, 14, 30), 123456, None])  # noqa: DTZ001 - Excel cells have no time zone
    out = io.BytesIO()
    workbook.save(out)

    (line,) = results_read(io.BytesIO(out.getvalue()), "result.xlsx").lines

    assert (line.amount_vnd, line.date, line.bank_reference, line.reason) == (
        200_000,
        date(2026, 3, 5),
        "123456",
        "",
    )


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"", "kq.csv", "result_empty"),
        (b"ngay,so tien\n01/01/2026,5\n", "kq.csv", "result_no_header"),
        (b"%PDF-1.4", "kq.pdf", "result_file_type"),
        (b"PK\x03\x04 broken zip", "kq.xlsx", "result_unreadable"),
        (b"M\xe3 chi tr\xe1,Tr\xe1ng th\xe1i\n", "kq.csv", "result_encoding"),  # Windows-1258, not UTF-8
    ],
)
def test_a_file_that_is_not_a_result_file_is_refused_with_a_message(data, name, code):
    with pytest.raises(DomainError) as refused:
        results_read(io.BytesIO(data), name)

    assert refused.value.code == code
    assert str(refused.value)
