"""Reconciling a bank batch with the bank's result file.

The story: a bank batch of four households was sent; the bank answers with
a file saying who was paid, who was not, and whose money came back. Good
lines are applied, every bad line is reported with its reason and changes
nothing, and importing the same file again changes nothing either.
"""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest
from django.utils import timezone

from ketnoi.core.errors import DomainError, PermissionDenied
from ketnoi.ledger.models import Transfer
from ketnoi.ledger.services import account_balance, balances_check, transfers_check
from ketnoi.payments.bank_files import RESULT_HEADER, results_csv
from ketnoi.programmes.models import Batch, Channel
from ketnoi.programmes.services.batches import batch_approve, batch_prepare, batch_send, batch_start
from ketnoi.programmes.services.reconcile import bank_result_apply, bank_result_check

from .factories import cycle_approved, programme_make, programme_officer, verified_household

pytestmark = pytest.mark.django_db

AMOUNT = 500_000


@pytest.fixture
def preparer(commune_a):
    return programme_officer(commune_a.province)


@pytest.fixture
def approver(commune_a):
    return programme_officer(commune_a.province)


def _send(cycle, preparer, approver, channel=Channel.BANK) -> Batch:
    batch = batch_prepare(cycle, channel=channel, actor=preparer)
    batch_approve(batch, actor=approver)
    batch_start(batch, actor=approver)
    return batch_send(batch.pk, lease=Batch.objects.get(pk=batch.pk).lease_until)


@pytest.fixture
def programme(preparer, commune_a):
    return programme_make(preparer, province=commune_a.province, amount_vnd=AMOUNT)


@pytest.fixture
def batch(programme, preparer, approver, commune_a) -> Batch:
    for _ in range(4):
        verified_household(commune_a, payout=True)
    verified_household(commune_a)  # paid at the post office
    cycle = cycle_approved(programme, preparer=preparer, approver=approver)
    return _send(cycle, preparer, approver)


def _ids(batch) -> list[str]:
    return list(batch.disbursements.order_by("id").values_list("disbursement_id", flat=True))


def _today() -> str:
    return timezone.localdate().strftime("%d/%m/%Y")


def test_a_clean_result_file_settles_every_payment_and_reconciles_the_batch(batch, approver, programme):
    a, b, c, d = _ids(batch)
    fund_before = account_balance(programme.fund_account_code)
    data = results_csv(
        [
            (a, AMOUNT, "success", _today(), "FT001", ""),
            (b, "500.000", "Thành công", _today(), "FT002", ""),
            (c, AMOUNT, "failed", _today(), "", "Tài khoản không tồn tại"),
            (d, AMOUNT, "THAT BAI", _today(), "", ""),
        ]
    )

    # the dry run says what would happen and changes nothing
    check = bank_result_check(batch, data, "ket-qua.csv")
    assert (check.paid, check.failed, check.problems, check.applied) == (2, 2, [], False)
    assert not batch.disbursements.exclude(state="sent").exists()

    report = bank_result_apply(batch, data, "ket-qua.csv", actor=approver)

    assert (report.paid, report.failed, report.returned, report.problems) == (2, 2, 0, [])
    states = dict(batch.disbursements.values_list("disbursement_id", "state"))
    assert states == {a: "paid", b: "paid", c: "failed", d: "failed"}
    c_row = batch.disbursements.get(disbursement_id=c)
    assert c_row.failure_reason == "Tài khoản không tồn tại"
    assert batch.disbursements.get(disbursement_id=a).bank_reference == "FT001"
    batch.refresh_from_db()
    assert batch.state == "partly_failed"
    # the two failed payments are back in the fund; the two paid ones left the clearing account
    assert account_balance(programme.fund_account_code) == fund_before + 2 * AMOUNT
    assert account_balance("payout-bank-clearing") == 0
    assert account_balance("beneficiaries-external") == 2 * AMOUNT


def test_importing_the_same_file_twice_changes_nothing_the_second_time(batch, approver):
    a, b, *_ = _ids(batch)
    data = results_csv(
        [(a, AMOUNT, "success", _today(), "FT1", ""), (b, AMOUNT, "failed", _today(), "", "x")]
    )
    bank_result_apply(batch, data, "kq.csv", actor=approver)
    transfers = Transfer.objects.count()

    again = bank_result_apply(batch, data, "kq.csv", actor=approver)

    assert (again.paid, again.failed, again.unchanged, again.problems) == (0, 0, 2, [])
    assert Transfer.objects.count() == transfers


def test_every_bad_line_is_reported_with_its_reason_and_changes_nothing(
    batch, approver, programme, preparer, commune_a
):
    a, b, c, d = _ids(batch)
    # another batch (the post office one) of the same cycle
    other = batch_prepare(batch.cycle, channel=Channel.POST_OFFICE, actor=preparer)
    other_id = other.disbursements.get().disbursement_id
    yesterday_of_sending = (timezone.localdate() - timedelta(days=3)).strftime("%d/%m/%Y")
    tomorrow = (timezone.localdate() + timedelta(days=1)).strftime("%d/%m/%Y")
    data = results_csv(
        [
            ("KN999999D000001", AMOUNT, "success", _today(), "", ""),  # 2: unknown id
            (other_id, AMOUNT, "success", _today(), "", ""),  # 3: another batch
            (a, AMOUNT + 1, "success", _today(), "", ""),  # 4: wrong amount
            (b, AMOUNT, "success", yesterday_of_sending, "", ""),  # 5: before the batch was sent
            (c, AMOUNT, "success", tomorrow, "", ""),  # 6: in the future
            (d, AMOUNT, "đang xử lý", _today(), "", ""),  # 7: unknown status
            (d, AMOUNT, "success", _today(), "", ""),  # 8: good
            (d, AMOUNT, "success", _today(), "", ""),  # 9: the same line again
            ("", AMOUNT, "success", _today(), "", ""),  # 10: no id
            (c, "năm trăm", "returned", _today(), "", ""),  # 11: amount unreadable
            (b, AMOUNT, "returned", "hôm qua", "", ""),  # 12: date unreadable
        ]
    )

    report = bank_result_apply(batch, data, "kq.csv", actor=approver)

    assert [(p.line, p.code) for p in report.problems] == [
        (2, "unknown_id"),
        (3, "other_batch"),
        (4, "wrong_amount"),
        (5, "date_before_sent"),
        (6, "date_in_future"),
        (7, "unknown_status"),
        (9, "duplicate"),
        (10, "missing_id"),
        (11, "bad_amount"),
        (12, "bad_date"),
    ]
    messages = {p.code: p.message for p in report.problems}
    assert messages["wrong_amount"] == "Số tiền 500.001 khác số tiền của khoản chi (500.000)."
    assert "dòng 8" in messages["duplicate"]
    assert "thuộc lô khác" in messages["other_batch"]
    assert report.paid == 1
    states = dict(batch.disbursements.values_list("disbursement_id", "state"))
    assert states == {a: "sent", b: "sent", c: "sent", d: "paid"}
    assert other.disbursements.get().state == "pending"


def test_contradictory_lines_for_one_payment_are_all_refused(batch, approver):
    a, *_ = _ids(batch)
    data = results_csv([(a, AMOUNT, "success", _today(), "", ""), (a, AMOUNT, "failed", _today(), "", "")])

    report = bank_result_apply(batch, data, "kq.csv", actor=approver)

    assert [(p.line, p.code) for p in report.problems] == [
        (2, "contradictory_lines"),
        (3, "contradictory_lines"),
    ]
    assert batch.disbursements.get(disbursement_id=a).state == "sent"


def test_a_paid_payment_the_bank_says_failed_is_refused_but_a_return_brings_the_money_back(
    batch, approver, programme
):
    a, b, *_ = _ids(batch)
    bank_result_apply(
        batch,
        results_csv([(a, AMOUNT, "success", _today(), "", ""), (b, AMOUNT, "success", _today(), "", "")]),
        "kq1.csv",
        actor=approver,
    )
    fund = account_balance(programme.fund_account_code)

    report = bank_result_apply(
        batch,
        results_csv(
            [
                (a, AMOUNT, "failed", _today(), "", ""),  # contradicts: already paid
                (b, AMOUNT, "returned", _today(), "", "Người nhận đã mất"),
            ]
        ),
        "kq2.csv",
        actor=approver,
    )

    assert [(p.line, p.code) for p in report.problems] == [(2, "contradicts_state")]
    assert "đã ở trạng thái “Đã nhận”" in report.problems[0].message
    assert report.returned == 1
    row = batch.disbursements.get(disbursement_id=b)
    assert (row.state, row.failure_reason) == ("failed", "Người nhận đã mất")
    assert account_balance(programme.fund_account_code) == fund + AMOUNT
    assert Transfer.objects.filter(idempotency_key=f"disb-{b}-return").count() == 1
    assert balances_check() == [] and transfers_check() == []


def test_an_xlsx_result_file_with_vietnamese_headers_is_read(batch, approver):
    a, *_ = _ids(batch)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["KẾT QUẢ CHI LƯƠNG THEO LÔ"])
    sheet.append(["Mã chi trả", "Số tiền (VND)", "Trạng thái", "Ngày giao dịch", "Số tham chiếu", "Lý do"])
    sheet.append([a, AMOUNT, "Thành công", timezone.localdate(), "FT9", None])
    out = io.BytesIO()
    workbook.save(out)

    report = bank_result_apply(batch, out.getvalue(), "ket-qua.xlsx", actor=approver)

    assert (report.paid, report.problems) == (1, [])
    assert batch.disbursements.get(disbursement_id=a).bank_reference == "FT9"


def test_a_file_without_the_needed_columns_is_refused_whole(batch, approver):
    with pytest.raises(DomainError) as refused:
        bank_result_check(batch, b"ngay,so tien\n01/01/2026,5\n", "kq.csv")

    assert refused.value.code == "result_no_header"
    assert RESULT_HEADER[0] in str(refused.value)


def test_an_officer_of_another_province_cannot_import(batch, commune_b):
    outsider = programme_officer(commune_b.province)

    with pytest.raises(PermissionDenied):
        bank_result_apply(batch, results_csv([]), "kq.csv", actor=outsider)
