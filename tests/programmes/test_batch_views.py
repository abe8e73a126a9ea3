"""The batch pages, as two officers use them: prepare, approve, start, download, import the result."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from ketnoi.accounts.models import Role
from ketnoi.payments.bank_files import results_csv
from ketnoi.programmes.models import Batch, Channel
from ketnoi.programmes.services.batches import batch_approve, batch_prepare, batch_send, batch_start
from tests.accounts.factories import PASSWORD, user_with_role

from .factories import cycle_approved, programme_make, programme_officer, verified_household

pytestmark = pytest.mark.django_db

AMOUNT = 400_000


@pytest.fixture
def preparer(commune_a):
    return programme_officer(commune_a.province)


@pytest.fixture
def approver(commune_a):
    return programme_officer(commune_a.province)


@pytest.fixture
def cycle(preparer, approver, commune_a):
    programme = programme_make(preparer, province=commune_a.province, amount_vnd=AMOUNT)
    for _ in range(3):
        verified_household(commune_a, payout=True, head_name="Lò Thị Xuân")
    verified_household(commune_a)
    return cycle_approved(programme, preparer=preparer, approver=approver)


def _login(client, user):
    assert client.login(phone=user.phone, password=PASSWORD)
    return client


def _sent(cycle, preparer, approver) -> Batch:
    batch = batch_prepare(cycle, channel=Channel.BANK, actor=preparer)
    batch_approve(batch, actor=approver)
    batch_start(batch, actor=approver)
    return batch_send(batch.pk, lease=Batch.objects.get(pk=batch.pk).lease_until)


def test_one_officer_prepares_another_approves_and_starts_and_the_page_follows_the_sending(
    client, cycle, preparer, approver, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    programme = cycle.programme
    _login(client, preparer)
    list_url = reverse("programmes:batch_list", args=[programme.code, cycle.number])

    # the list offers both channels with how many households wait for each
    page = client.get(list_url).content.decode()
    assert "Chuyển khoản ngân hàng — 3 hộ đang chờ" in page
    assert "Nhận tiền mặt tại bưu điện — 1 hộ đang chờ" in page

    # she prepares the bank batch and lands on it, told to ask someone else to approve
    response = client.post(list_url, {"channel": "bank"})
    batch = Batch.objects.get(cycle=cycle)
    assert response.status_code == 302 and response.url == reverse("programmes:batch_detail", args=[batch.pk])
    detail = client.get(response.url).content.decode()
    assert 'data-testid="maker-checker"' in detail and 'data-testid="approve"' not in detail
    # approving it herself anyway is refused, with the reason
    client.post(reverse("programmes:batch_approve", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.state == "draft"
    assert (
        "không được tự duyệt"
        in client.get(reverse("programmes:batch_detail", args=[batch.pk])).content.decode()
    )

    # a second officer approves it and starts it
    client.logout()
    _login(client, approver)
    client.post(reverse("programmes:batch_approve", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.state == "approved"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("programmes:batch_start", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.state == "sent"
    detail = client.get(reverse("programmes:batch_detail", args=[batch.pk])).content.decode()
    assert 'http-equiv="refresh"' not in detail
    assert 'data-testid="download-csv"' in detail


def test_a_sending_batch_page_refreshes_itself_and_shows_progress(client, cycle, preparer, approver):
    batch = batch_prepare(cycle, channel=Channel.BANK, actor=preparer)
    batch_approve(batch, actor=approver)
    batch_start(batch, actor=approver)  # the worker has not picked it up yet

    page = _login(client, approver).get(reverse("programmes:batch_detail", args=[batch.pk])).content.decode()

    assert '<meta http-equiv="refresh" content="5">' in page
    assert "Đang chi: 0%" in page


def test_the_payments_of_a_batch_can_be_filtered_by_state(
    client, cycle, preparer, approver, django_assert_max_num_queries
):
    batch = _sent(cycle, preparer, approver)
    first = batch.disbursements.order_by("id").first()
    from ketnoi.programmes.services.settlement import disbursement_mark_failed

    disbursement_mark_failed(first, actor=approver, reason="Sai tên chủ tài khoản")
    _login(client, approver)
    url = reverse("programmes:batch_detail", args=[batch.pk])

    with django_assert_max_num_queries(20):
        page = client.get(url, {"state": "failed"}).content.decode()

    assert page.count('data-testid="payment"') == 1
    assert first.disbursement_id in page and "Sai tên chủ tài khoản" in page
    assert client.get(url).content.decode().count('data-testid="payment"') == 3


def test_the_bank_file_downloads_as_csv_and_xlsx(client, cycle, preparer, approver):
    batch = _sent(cycle, preparer, approver)
    _login(client, approver)

    response = client.get(reverse("programmes:batch_file", args=[batch.pk, "csv"]))
    assert response.status_code == 200
    assert 'attachment; filename="chuyen-khoan-' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 4 and rows[1][3] == "LO THI XUAN" and rows[1][5] == f"KN {rows[1][0]}"

    response = client.get(reverse("programmes:batch_file", args=[batch.pk, "xlsx"]))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    assert len(list(sheet.iter_rows(values_only=True))) == 4


def test_the_result_file_is_checked_first_then_applied(client, cycle, preparer, approver):
    batch = _sent(cycle, preparer, approver)
    a, b, c = batch.disbursements.order_by("id").values_list("disbursement_id", flat=True)
    today = timezone.localdate().strftime("%d/%m/%Y")
    data = results_csv(
        [
            (a, AMOUNT, "success", today, "FT1", ""),
            (b, AMOUNT, "failed", today, "", "Tài khoản bị khoá"),
            (c, AMOUNT + 5, "success", today, "FT3", ""),
        ]
    )
    _login(client, approver)
    url = reverse("programmes:batch_result", args=[batch.pk])

    # the check reports the bad line and changes nothing
    upload = io.BytesIO(data)
    upload.name = "ket-qua.csv"
    page = client.post(url, {"action": "check", "file": upload}).content.decode()
    assert 'data-testid="apply"' in page
    assert "Số tiền 400.005 khác số tiền của khoản chi (400.000)." in page
    assert set(batch.disbursements.values_list("state", flat=True)) == {"sent"}

    # "apply" imports the file that was checked
    page = client.post(url, {"action": "apply"}).content.decode()
    assert "Đã ghi kết quả" in page
    states = dict(batch.disbursements.values_list("disbursement_id", "state"))
    assert states == {a: "paid", b: "failed", c: "sent"}
    # the kept file is gone: applying again asks for the file
    response = client.post(url, {"action": "apply"})
    assert response.status_code == 302


def test_an_unreadable_result_file_is_refused_with_a_message(client, cycle, preparer, approver):
    batch = _sent(cycle, preparer, approver)
    upload = io.BytesIO(b"%PDF-1.4 not a spreadsheet")
    upload.name = "ket-qua.pdf"

    response = _login(client, approver).post(
        reverse("programmes:batch_result", args=[batch.pk]), {"action": "check", "file": upload}
    )

    assert response.status_code == 400
    assert "Chỉ nhận tệp kết quả dạng .csv hoặc .xlsx." in response.content.decode()


def test_officers_outside_the_area_see_nothing_and_commune_officers_only_look(
    client, cycle, preparer, approver, commune_a, commune_b
):
    batch = _sent(cycle, preparer, approver)
    detail = reverse("programmes:batch_detail", args=[batch.pk])

    _login(client, programme_officer(commune_b.province))
    assert client.get(detail).status_code == 404
    client.logout()

    _login(client, user_with_role(Role.COMMUNE_OFFICER, commune=commune_a))
    page = client.get(detail)
    assert page.status_code == 200 and 'data-testid="batch-actions"' not in page.content.decode()
    listing = client.get(reverse("programmes:batch_list", args=[cycle.programme.code, cycle.number]))
    assert 'data-testid="batch"' in listing.content.decode()
    assert "Lập lô mới" not in listing.content.decode()
    assert (
        client.post(reverse("programmes:batch_list", args=[cycle.programme.code, cycle.number])).status_code
        == 403
    )
    assert client.get(reverse("programmes:batch_file", args=[batch.pk, "csv"])).status_code == 403
