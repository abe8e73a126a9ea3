"""A programme from targeting to reconciliation, in the browser, with the demo world.

Officer Đinh Văn Toàn (0900000010, Sơn La) targets the poor and near-poor
households of Xã Mường Bú: she previews who qualifies, saves and starts the
programme, opens a cycle, takes its list and submits it. She cannot approve
her own list; Quàng Thị Lan (0900000011) does. Toàn prepares a bank batch
and a post-office batch; Lan approves and starts them, and the task worker
pays them. Toàn downloads the bank's transfer file, uploads the bank's
result (all paid but one) and it reconciles. At the post office of Mường
Bú, clerk Lường Văn Pọm (0900000012) pays a household in cash against the
code it got by SMS, and the weaving cooperative (0900000004) takes a
voucher of the demo's voucher programme. Toàn writes down a household's complaint; the commune
officer (0900000002) answers it. The dashboard shows paid against planned.

Officers use the same cheap phones as everybody: every page is in
Vietnamese and fits 360 px.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from e2e.phone import PHONE_CONTEXT, fits_and_speaks_vietnamese

from .conftest import DEFAULT_TIMEOUT_MS, DEMO_PASSWORD, RESULTS

PREPARER = "0900000010"
APPROVER = "0900000011"
CLERK = "0900000012"
COMMUNE_OFFICER = "0900000002"
SELLER = "0900000004"  # leader of the Mường Bú weaving cooperative, verified by the programme

CODE = "lu-lut-muong-bu-e2e"
NAME = "Hỗ trợ sau lũ quét Mường Bú"
AMOUNT = 1_200_000
SMS_WAIT_SECONDS = 20
BATCH_WAIT_SECONDS = 30
BANK_FAILURE = "Tài khoản không tồn tại"


# --- Helpers ------------------------------------------------------------------------------------


def _screenshot(page: Page, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=RESULTS / f"programmes-{name}.png", full_page=True)


def _sign_in(page: Page, phone: str, then: str) -> None:
    page.goto(f"/accounts/login/?next={then}")
    fits_and_speaks_vietnamese(page)
    page.get_by_label("Số điện thoại", exact=False).fill(phone)
    page.get_by_label("Mật khẩu", exact=False).fill(DEMO_PASSWORD)
    page.locator("main").get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(re.compile(re.escape(then) + r"$"))
    fits_and_speaks_vietnamese(page)


def _today() -> date:
    """Today where the server keeps its dates (the bank's result must not be dated tomorrow)."""
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


def _vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


def _sms_for(outbox: Path, containing: str, *, count: int = 1) -> list[dict[str, str]]:
    """The first ``count`` SMS whose text contains ``containing``, waiting for the worker to send them."""
    deadline = time.monotonic() + SMS_WAIT_SECONDS
    while True:
        lines = outbox.read_text(encoding="utf-8").splitlines() if outbox.exists() else []
        found = [m for m in (json.loads(line) for line in lines if line.strip()) if containing in m["text"]]
        if len(found) >= count:
            return found[:count]
        if time.monotonic() > deadline:
            pytest.fail(f"fewer than {count} SMS containing {containing!r} after {SMS_WAIT_SECONDS} s")
        time.sleep(0.2)


def _wait_for_state(page: Page, state: str) -> None:
    """Reload the batch page until the task worker has moved it to ``state``."""
    badge = page.get_by_test_id("batch-state")
    deadline = time.monotonic() + BATCH_WAIT_SECONDS
    while badge.inner_text().strip() != state:
        if time.monotonic() > deadline:
            pytest.fail(f"the batch is still “{badge.inner_text()}” after {BATCH_WAIT_SECONDS} s")
        time.sleep(0.5)
        page.reload()


@pytest.fixture
def officer_context(browser: Browser, server: str) -> Iterator[object]:
    """A new phone-sized browser context for each person who signs in during the story."""
    contexts: list[BrowserContext] = []

    def new_page() -> Page:
        context = browser.new_context(base_url=server, **PHONE_CONTEXT)  # type: ignore[arg-type]
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield new_page
    for context in contexts:
        context.close()


# --- The story's steps ----------------------------------------------------------------------------


def _target_and_create(page: Page) -> None:
    """Toàn fills the programme, previews who qualifies, saves it and starts it."""
    page.goto("/programmes/new/")
    fits_and_speaks_vietnamese(page)
    page.get_by_label("Mã chương trình").fill(CODE)
    page.get_by_label("Tên chương trình").fill(NAME)
    page.get_by_label("Nhà tài trợ, đơn vị thực hiện").fill("UBND tỉnh Sơn La")
    page.get_by_label("Xã Mường Bú", exact=False).check()
    today = _today()
    page.get_by_label("Bắt đầu").fill(today.isoformat())
    page.get_by_label("Kết thúc").fill((today + timedelta(days=120)).isoformat())
    page.get_by_label("Ngân sách (đồng)").fill("200.000.000")
    page.get_by_label("Một khoản cho mỗi hộ").check()
    page.get_by_label("Số tiền (đồng)").fill(_vnd(AMOUNT))
    rule = page.get_by_test_id("rule-row")
    rule.get_by_label("Trường").select_option(label="Phân loại hộ (kết quả rà soát mới nhất)")
    rule.get_by_label("Phép so sánh").select_option(label="là một trong")
    rule.get_by_label("Giá trị").fill("Hộ nghèo, Hộ cận nghèo")

    # Before anything is saved: how many households qualify, and why.
    page.get_by_test_id("preview-button").click()
    preview = page.get_by_test_id("preview")
    expect(preview).to_contain_text("hộ")
    expect(preview).to_contain_text("Xã Mường Bú")
    expect(page.get_by_test_id("preview-household").first).to_be_visible()
    fits_and_speaks_vietnamese(page)
    _screenshot(page, "1-preview")

    page.get_by_test_id("save-button").click()
    expect(page).to_have_url(re.compile(rf"/programmes/{CODE}/$"))
    page.get_by_test_id("activate").click()
    expect(page.locator(".messages")).to_contain_text("ngân sách đã vào quỹ")
    expect(page.get_by_test_id("fund-balance")).to_contain_text("200.000.000")
    fits_and_speaks_vietnamese(page)


def _open_enrol_submit(page: Page) -> int:
    """Toàn opens cycle 1, takes its list and submits it; the households on it."""
    page.get_by_test_id("cycle-open").click()
    expect(page).to_have_url(re.compile(rf"/programmes/{CODE}/cycles/1/$"))
    page.get_by_test_id("enrol").click()
    enrolled = int(page.get_by_test_id("enrolled-count").inner_text())
    assert enrolled > 1
    expect(page.get_by_test_id("planned-total")).to_contain_text(_vnd(enrolled * AMOUNT))
    page.get_by_test_id("submit").click()
    # She prepared it: she may not approve it.
    expect(page.get_by_test_id("maker-checker")).to_contain_text("không tự duyệt được")
    expect(page.get_by_test_id("approve")).to_have_count(0)
    fits_and_speaks_vietnamese(page)
    _screenshot(page, "2-submitted")
    return enrolled


def _prepare(page: Page, channel: str) -> str:
    """Toàn prepares a batch of the waiting households through ``channel``; the batch page's path."""
    page.goto(f"/programmes/batches/cycle/{CODE}/1/")
    fits_and_speaks_vietnamese(page)
    page.get_by_test_id("prepare").get_by_label(channel, exact=False).check()
    page.get_by_test_id("prepare").get_by_role("button", name="Lập lô").click()
    expect(page.get_by_test_id("batch-state")).to_have_text("Đang soạn")
    expect(page.get_by_test_id("maker-checker")).to_be_visible()
    fits_and_speaks_vietnamese(page)
    return re.sub(r"^https?://[^/]+", "", page.url)


def _approve_and_start(page: Page, batch_path: str) -> None:
    """Lan approves the batch Toàn prepared and starts it; the worker pays it."""
    page.goto(batch_path)
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("batch-state")).to_have_text("Đã duyệt")
    page.get_by_test_id("start").click()
    _wait_for_state(page, "Đã chi, chờ đối soát")
    fits_and_speaks_vietnamese(page)


def _reconcile_bank(page: Page, batch_path: str) -> int:
    """Toàn downloads the transfer file and uploads the bank's answer: all paid but one; how many paid."""
    page.goto(batch_path)
    with page.expect_download() as download_info:
        page.get_by_test_id("download-csv").click()
    transfer = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(transfer)))
    assert rows and all(row["memo"] == f"KN {row['disbursement_id']}" for row in rows)
    assert all(row["account_number"] and row["bank_bin"] for row in rows)
    today = _today().strftime("%d/%m/%Y")
    result = io.StringIO()
    writer = csv.writer(result)
    writer.writerow(["Mã chi trả", "Số tiền", "Trạng thái", "Ngày giao dịch", "Mã giao dịch", "Lý do"])
    for index, row in enumerate(rows):
        failed = index == len(rows) - 1
        writer.writerow(
            [
                row["disbursement_id"],
                row["amount_vnd"],
                "Thất bại" if failed else "Thành công",
                today,
                "" if failed else f"FT26{index:06d}",
                BANK_FAILURE if failed else "",
            ]
        )
    page.get_by_test_id("upload-result").click()
    page.get_by_test_id("result-file").locator("input[type=file]").set_input_files(
        {"name": "ket-qua-ngan-hang.csv", "mimeType": "text/csv", "buffer": result.getvalue().encode("utf-8")}
    )
    page.get_by_test_id("check").click()
    expect(page.get_by_test_id("result-report")).to_contain_text("Kết quả kiểm tra")
    expect(page.get_by_test_id("count-problems")).to_contain_text("0")
    fits_and_speaks_vietnamese(page)
    page.get_by_test_id("apply").click()
    expect(page.get_by_test_id("result-report")).to_contain_text("Đã ghi kết quả")
    expect(page.get_by_test_id("count-paid")).to_contain_text(str(len(rows) - 1))
    expect(page.get_by_test_id("count-failed")).to_contain_text("1")
    _screenshot(page, "3-reconciled")
    page.goto(batch_path)
    expect(page.get_by_test_id("batch-state")).to_have_text("Có khoản không chi được")
    return len(rows) - 1


def _cash_at_the_counter(page: Page, outbox: Path) -> None:
    """A household comes with the SMS it got; the clerk finds it by phone and pays it, once."""
    sms = _sms_for(outbox, f"tiền mặt của chương trình {NAME}")[0]
    disbursement_id = re.search(r"mã chi trả (KN\w+)", sms["text"]).group(1)  # type: ignore[union-attr]
    code = re.search(r"mã nhận tiền (\d+)", sms["text"]).group(1)  # type: ignore[union-attr]
    page.get_by_label("Mã chi trả hoặc số điện thoại").fill("0" + sms["to"].removeprefix("+84"))
    page.get_by_test_id("cash-find").click()
    page.get_by_test_id("cash-found").get_by_role("link").filter(has_text=disbursement_id).click()
    expect(page.get_by_test_id("cash-amount")).to_contain_text(_vnd(AMOUNT))
    fits_and_speaks_vietnamese(page)
    page.get_by_label("Mã nhận tiền người nhận đưa").fill(code)
    page.get_by_test_id("cash-confirm").click()
    expect(page.get_by_test_id("cash-paid")).to_contain_text("Không chi lần nữa")
    fits_and_speaks_vietnamese(page)
    _screenshot(page, "4-cash-paid")


def _voucher_at_the_cooperative(page: Page, outbox: Path) -> None:
    """A household of the demo's voucher programme buys at the weaving cooperative with its code.

    The demo sent the vouchers by SMS and already used one of them: the
    seller tries the codes until one is still good, as a buyer with an old
    message would be told it was used.
    """
    messages = _sms_for(outbox, "Phiếu mua hàng cho hộ nghèo", count=2)
    for sms in messages:
        code = re.search(r"Mã phiếu: ([A-Z0-9-]+)", sms["text"]).group(1)  # type: ignore[union-attr]
        page.goto("/payments/vouchers/")
        page.get_by_label("Mã phiếu").fill(code)
        page.get_by_test_id("voucher-check").click()
        if page.get_by_test_id("voucher-found").count():
            break
        expect(page.locator(".errorlist")).to_contain_text("đã được dùng")
    expect(page.get_by_test_id("voucher-value")).to_contain_text("500.000")
    fits_and_speaks_vietnamese(page)
    page.get_by_test_id("voucher-redeem").click()
    expect(page.locator(".messages")).to_contain_text("Đã nhận phiếu 500.000")
    fits_and_speaks_vietnamese(page)


def _file_complaint(page: Page) -> str:
    """Toàn writes down a household's complaint that it was not paid; its reference."""
    page.goto("/programmes/complaints/file/")
    fits_and_speaks_vietnamese(page)
    page.locator("#commune-q").fill("Mường Bú")
    page.locator("#commune-search").get_by_role("button", name="Tìm").click()
    page.get_by_test_id("commune-results").locator("label.card").filter(has_text="Sơn La").first.click()
    page.get_by_label("Chưa nhận được tiền").check()
    page.get_by_label("Kể lại sự việc").fill(
        "Nhà tôi có tên trong danh sách nhưng chưa nhận được tiền qua ngân hàng."
    )
    page.get_by_label("Chương trình hỗ trợ (nếu biết)").select_option(label=NAME)
    page.get_by_role("button", name="Ghi nhận phản ánh").click()
    expect(page.locator(".messages")).to_contain_text("Đã ghi nhận phản ánh")
    expect(page.get_by_test_id("state")).to_contain_text("Mới nhận")
    fits_and_speaks_vietnamese(page)
    return page.url.rstrip("/").rsplit("/", 1)[-1]


def _resolve_complaint(page: Page, reference: str) -> None:
    page.goto(f"/programmes/complaints/case/{reference}/")
    fits_and_speaks_vietnamese(page)
    page.get_by_label("Kết quả giải quyết").fill(
        f"Ngân hàng báo “{BANK_FAILURE}”. Tiền đã về lại quỹ; xã hướng dẫn hộ mở tài khoản mới."
    )
    page.get_by_role("button", name="Ghi kết quả").click()
    expect(page.get_by_test_id("state")).to_contain_text("Đã giải quyết")
    fits_and_speaks_vietnamese(page)


# --- The story ----------------------------------------------------------------------------------


def test_an_officer_targets_a_second_approves_the_batches_pay_reconcile_and_a_complaint_is_answered(
    officer_context, outbox: Path
) -> None:
    preparer = officer_context()
    _sign_in(preparer, PREPARER, "/programmes/")

    _target_and_create(preparer)
    enrolled = _open_enrol_submit(preparer)

    # The second officer approves the list.
    approver = officer_context()
    _sign_in(approver, APPROVER, f"/programmes/{CODE}/cycles/1/")
    approver.get_by_test_id("approve").click()
    expect(approver.locator("h1")).to_contain_text("Đã duyệt")

    # A bank batch and a post-office batch: prepared by one, approved and started by the other.
    bank = _prepare(preparer, "Chuyển khoản ngân hàng")
    post = _prepare(preparer, "Nhận tiền mặt tại bưu điện")
    _approve_and_start(approver, bank)
    _approve_and_start(approver, post)
    paid_by_bank = _reconcile_bank(preparer, bank)

    clerk = officer_context()
    _sign_in(clerk, CLERK, "/programmes/post-office/")
    _cash_at_the_counter(clerk, outbox)

    # The third channel: a voucher of the demo's voucher programme, taken by a verified seller.
    seller = officer_context()
    _sign_in(seller, SELLER, "/payments/vouchers/")
    _voucher_at_the_cooperative(seller, outbox)

    reference = _file_complaint(preparer)
    commune_officer = officer_context()
    _sign_in(commune_officer, COMMUNE_OFFICER, "/programmes/complaints/queue/")
    _resolve_complaint(commune_officer, reference)

    # The dashboard: paid against planned, the failure and its reason.
    preparer.goto(f"/programmes/dashboard/?programme={CODE}")
    fits_and_speaks_vietnamese(preparer)
    row = preparer.get_by_test_id("programme-row").filter(has_text=NAME)
    expect(row).to_contain_text(_vnd(enrolled * AMOUNT))
    paid = paid_by_bank + 1
    expect(preparer.get_by_test_id("total-paid")).to_contain_text(_vnd(paid * AMOUNT))
    expect(preparer.get_by_test_id("total-paid")).to_contain_text(f"{paid} hộ")
    expect(preparer.get_by_test_id("failures")).to_contain_text(BANK_FAILURE)
    expect(preparer.locator("svg.chart").first).to_be_visible()
    _screenshot(preparer, "5-dashboard")
    with preparer.expect_download() as download_info:
        preparer.get_by_test_id("xlsx").click()
    assert download_info.value.suggested_filename == f"so-lieu-chi-tra-{CODE}.xlsx"
