"""The household registry on a cheap phone: a household asks to be reviewed, the commune verifies.

A woman in Xã Mường Bú (Sơn La) registers her household from the home page,
step by step, and follows her request on the status page with a code sent by
SMS. The commune officer of Mường Bú finds it in her queue, records a visit
and verifies it; the household is then classified under the standard in
force, with its reasons in words. The officer of another commune cannot open
it. The officer's dashboard draws the commune's figures.

Everything happens at 360 × 740 px: no page may scroll sideways, and every
page is in Vietnamese. SMS come from the development adapter's outbox file.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from e2e.phone import PHONE_CONTEXT, fits_and_speaks_vietnamese

from .conftest import DEFAULT_TIMEOUT_MS, DEMO_PASSWORD, RESULTS

# The demo commune officers (``ketnoi/accounts/demo.py``).
MUONG_BU_OFFICER = "0900000002"
BAC_HA_OFFICER = "0900000003"

SMS_WAIT_SECONDS = 15
NEXT = "Tiếp →"


@dataclass(frozen=True)
class Person:
    name: str
    birth_date: str  # as typed, day first
    sex: str
    relation: str


@dataclass(frozen=True)
class Applicant:
    """A household as it describes itself: a mother and her child in a poor home."""

    phone: str  # as she types it
    phone_e164: str
    village: str
    head: Person
    child: Person


# Walls and roof of bamboo and thatch, an unprotected spring, an open pit:
# three deprivations (housing quality, water, latrine). 24 m² for two is
# 12 m² each (not deprived); a child of two members is not "over half
# dependants". 1,200,000 đồng a month for two is 600,000 a person: under
# the rural line of 1,500,000, so poor under VN-2022-2025.
INCOME_PER_MONTH = "1.200.000"
INCOME_PER_YEAR = "14.400.000"
REASONS = ("Chất lượng nhà ở", "Nguồn nước sinh hoạt", "Nhà tiêu hợp vệ sinh")

MAI = Applicant(
    phone="0971 234 567",
    phone_e164="+84971234567",
    village="Bản Hua Ná",
    head=Person("Quàng Thị Mai Thuỳ", "14/03/1991", "Nữ", "Chủ hộ"),
    child=Person("Quàng Văn Tú", "05/09/2017", "Nam", "Con"),
)
SEN = Applicant(
    phone="0971 234 589",
    phone_e164="+84971234589",
    village="Bản Nà Ngùa",
    head=Person("Lường Thị Sen Ngọc", "27/11/1988", "Nữ", "Chủ hộ"),
    child=Person("Lường Thị Bích", "19/06/2015", "Nữ", "Con"),
)


# --- What every page must be ---------------------------------------------------------------


def _screenshot(page: Page, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=RESULTS / f"registry-{name}.png", full_page=True)


def _choose(page: Page, question: str, answer: str) -> None:
    """Tick the answer of a question asked as a group of radio buttons or boxes."""
    group = page.locator("fieldset").filter(has=page.locator("legend", has_text=question))
    group.get_by_label(answer, exact=True).check()


def _next(page: Page) -> None:
    page.get_by_role("button", name=NEXT).click()
    fits_and_speaks_vietnamese(page)


def _step(page: Page, number: int, title: str) -> None:
    expect(page.get_by_test_id("progress")).to_have_text(f"Bước {number}/8")
    expect(page.locator("h1")).to_have_text(title)
    fits_and_speaks_vietnamese(page)


# --- SMS -------------------------------------------------------------------------------------


def _messages(outbox: Path) -> list[dict[str, str]]:
    if not outbox.exists():
        return []
    return [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines() if line.strip()]


def _sms_to(outbox: Path, phone_e164: str, containing: str, *, after: int = 0) -> str:
    """The text of the first SMS to ``phone_e164`` containing ``containing``, among those sent
    after the first ``after`` messages, waiting for the task worker to send it."""
    deadline = time.monotonic() + SMS_WAIT_SECONDS
    while True:
        for message in _messages(outbox)[after:]:
            if message["to"] == phone_e164 and containing in message["text"]:
                return message["text"]
        if time.monotonic() > deadline:
            sent = [m for m in _messages(outbox) if m["to"] == phone_e164]
            pytest.fail(f"no SMS to {phone_e164} containing {containing!r} in {SMS_WAIT_SECONDS} s: {sent}")
        time.sleep(0.1)


# --- The household's side --------------------------------------------------------------------


def _add_person(page: Page, person: Person, *, adult: bool) -> None:
    page.get_by_label("Họ và tên", exact=True).fill(person.name)
    page.get_by_label("Ngày sinh", exact=True).fill(person.birth_date)
    _choose(page, "Giới tính", person.sex)
    _choose(page, "Quan hệ với chủ hộ", person.relation)
    page.get_by_label("Dân tộc", exact=True).select_option(label="Thái")
    _choose(page, "Có thẻ bảo hiểm y tế", "Có")
    _choose(page, "Có khuyết tật", "Không")
    if adult:
        _choose(page, "Học xong đến lớp nào?", "Xong trung học cơ sở (lớp 9)")
        _choose(page, "Việc làm chính", "Tự làm (làm nông, buôn bán, làm cho gia đình)")
        _choose(page, "Còn làm việc được không?", "Có")
    else:
        _choose(page, "Học xong đến lớp nào?", "Chưa học xong tiểu học")
        _choose(page, "Đang đi học không?", "Có")
        _choose(page, "Trẻ có bị suy dinh dưỡng", "Không")
    page.get_by_role("button", name="Lưu người này").click()
    fits_and_speaks_vietnamese(page)
    expect(page.locator(".messages")).to_contain_text(f"Đã lưu {person.name}")
    expect(page.get_by_test_id("members")).to_contain_text(person.name)


def _self_register(page: Page, who: Applicant, *, screenshots: bool = False) -> str:
    """From the home page to the reference number, through every step; the reference."""
    # She opens the home page and taps the household card
    page.goto("/")
    fits_and_speaks_vietnamese(page)
    page.locator("a.card[data-journey=household]").tap()
    expect(page.locator("h1")).to_have_text("Đề nghị rà soát hộ nghèo")
    fits_and_speaks_vietnamese(page)
    page.get_by_role("link", name="Bắt đầu", exact=True).click()

    # 1. Her phone, and that she fills the form for her own household
    _step(page, 1, "Số điện thoại và người điền")
    page.get_by_label("Số điện thoại của hộ", exact=True).fill(who.phone)
    _choose(page, "Ai đang điền đơn này?", "Tôi là người trong hộ")
    _next(page)

    # 2. Her commune, found with the commune picker, and her village
    _step(page, 2, "Nơi hộ đang ở")
    page.get_by_label("Tìm xã/phường", exact=True).fill("Mường Bú")
    commune = (
        page.get_by_test_id("commune-results")
        .locator("label.card")
        .filter(has_text="Xã Mường Bú")
        .filter(has_text="Sơn La")
    )
    expect(commune).to_have_count(1)
    commune.click()
    expect(commune.get_by_role("radio")).to_be_checked()
    fits_and_speaks_vietnamese(page)
    if screenshots:
        _screenshot(page, "2-commune-picker")
    page.get_by_label("Thôn, bản hoặc tổ dân phố", exact=True).fill(who.village)
    _choose(page, "Nơi ở thuộc", "Nông thôn")
    _next(page)

    # 3. The people: herself as head, then her child
    _step(page, 3, "Những người trong hộ")
    expect(page.get_by_role("heading", name="Người thứ nhất: chủ hộ")).to_be_visible()
    _add_person(page, who.head, adult=True)
    expect(page.get_by_role("heading", name="Thêm một người nữa")).to_be_visible()
    _add_person(page, who.child, adult=False)
    expect(page.get_by_role("heading", name="Đã ghi 2 người")).to_be_visible()
    _next(page)

    # 4. The home
    _step(page, 4, "Nhà ở")
    non_durable = "Không bền chắc (tre, nứa, tranh, lá, đất, bạt)"
    _choose(page, "Tường nhà làm bằng gì?", non_durable)
    _choose(page, "Khung, cột nhà làm bằng gì?", "Bền chắc (gạch, bê tông, sắt thép, ngói, gỗ tốt)")
    _choose(page, "Mái nhà làm bằng gì?", non_durable)
    page.get_by_label("Diện tích nhà ở, khoảng bao nhiêu mét vuông?").fill("24")
    _choose(page, "Nước ăn uống lấy từ đâu?", "Nước khe, mó không được bảo vệ")
    _choose(page, "Nhà tiêu (nhà vệ sinh) loại nào?", "Hố đào đơn giản, cầu tạm, trên ao")
    _next(page)

    # 5. Phone, internet, devices and waste
    _step(page, 5, "Điện thoại, internet và rác")
    _choose(page, "Trong hộ có ai dùng điện thoại hoặc internet không?", "Có")
    _choose(page, "Hộ có những thứ nào sau đây?", "Điện thoại thông minh (có mạng)")
    _choose(page, "Hộ có những thứ nào sau đây?", "Ti vi")
    _choose(page, "Rác của nhà có được thu gom", "Không")
    _next(page)

    # 6. The income, typed the Vietnamese way
    _step(page, 6, "Thu nhập 12 tháng qua")
    page.get_by_label("Trung bình một tháng, cả nhà có khoảng bao nhiêu tiền?").fill(INCOME_PER_MONTH)
    _next(page)

    # 7. Consent to the review, ticked by her
    _step(page, 7, "Đồng ý cho dùng thông tin")
    review_consent = page.locator("#consent-household_review").get_by_label("Tôi đồng ý")
    expect(review_consent).not_to_be_checked()
    review_consent.check()
    _next(page)

    # 8. She reads her answers back, in words, and sends
    _step(page, 8, "Xem lại và gửi")
    summary = page.locator("section.summary")
    expect(summary.filter(has_text="Nơi hộ đang ở")).to_contain_text("Xã Mường Bú")
    expect(summary.filter(has_text="Nơi hộ đang ở")).to_contain_text(who.village)
    people = summary.filter(has_text="Những người trong hộ")
    expect(people).to_contain_text(who.head.name)
    expect(people).to_contain_text(who.child.name)
    expect(summary.filter(has_text="Thu nhập 12 tháng qua")).to_contain_text(INCOME_PER_YEAR)
    if screenshots:
        _screenshot(page, "8-review")
    page.get_by_role("button", name="Gửi đơn", exact=True).click()

    # She sees her reference number, big
    expect(page.locator("h1")).to_have_text("Đã gửi đơn")
    fits_and_speaks_vietnamese(page)
    reference = page.get_by_test_id("reference").inner_text().strip()
    assert re.fullmatch(r"DK-[0-9A-Z-]+", reference), f"unexpected reference {reference!r}"
    return reference


@pytest.fixture
def context_options() -> dict[str, object]:
    return dict(PHONE_CONTEXT)


def test_a_household_registers_on_a_phone_and_sees_its_request_submitted(page: Page, outbox: Path) -> None:
    # Given a woman of Xã Mường Bú with a phone, and no account
    # When she fills every step of the form and sends it
    reference = _self_register(page, MAI, screenshots=True)
    _screenshot(page, "done")

    # Then the reference also reaches her phone by SMS
    assert reference in _sms_to(outbox, MAI.phone_e164, "Mã hồ sơ")

    # When she opens the status page and asks for a code with her phone number
    page.get_by_role("link", name="Xem kết quả đơn").click()
    expect(page.locator("h1")).to_have_text("Xem kết quả đơn")
    fits_and_speaks_vietnamese(page)
    sent_before = len(_messages(outbox))
    page.get_by_label("Số điện thoại đã dùng khi gửi đơn", exact=True).fill(MAI.phone)
    page.get_by_role("button", name="Gửi mã cho tôi").click()
    expect(page.locator("h1")).to_have_text("Nhập mã trong tin nhắn")
    fits_and_speaks_vietnamese(page)

    # And types the code the SMS brings
    sms = _sms_to(outbox, MAI.phone_e164, "mã xác nhận", after=sent_before)
    found = re.search(r"\b(\d{6})\b", sms)
    assert found, f"no six-digit code in {sms!r}"
    page.get_by_label("Mã trong tin nhắn", exact=True).fill(found.group(1))
    page.get_by_role("button", name="Xem kết quả", exact=True).click()

    # Then she sees her request, with its reference, as sent and waiting for the commune
    expect(page.locator("h1")).to_have_text("Đơn của bạn")
    fits_and_speaks_vietnamese(page)
    request = page.get_by_test_id("request").filter(has_text=reference)
    expect(request).to_have_count(1)
    expect(request).to_have_attribute("data-state", "submitted")
    expect(request.locator(".state")).to_contain_text("Đã gửi")
    _screenshot(page, "status")


# --- The commune's side ----------------------------------------------------------------------


@pytest.fixture
def sen_has_registered(browser: Browser, server: str) -> None:
    """Sen's household, of Mường Bú, has sent its request from its own phone."""
    phone = browser.new_context(base_url=server, **PHONE_CONTEXT)  # type: ignore[arg-type]
    phone.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        _self_register(phone.new_page(), SEN)
    finally:
        phone.close()


@pytest.fixture
def other_phone(browser: Browser, server: str) -> Iterator[BrowserContext]:
    """A second phone, for a second person signed in at the same time."""
    context = browser.new_context(base_url=server, **PHONE_CONTEXT)  # type: ignore[arg-type]
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    yield context
    context.close()


def _sign_in_as_officer(page: Page, phone: str) -> None:
    """From the home page, through the officers' card and the sign-in page, to her queue."""
    page.goto("/")
    fits_and_speaks_vietnamese(page)
    page.locator("a.card[data-journey=officer]").tap()
    expect(page.locator("h1")).to_have_text("Đăng nhập")
    fits_and_speaks_vietnamese(page)
    page.get_by_label("Số điện thoại", exact=False).fill(phone)
    page.get_by_label("Mật khẩu", exact=False).fill(DEMO_PASSWORD)
    page.locator("main").get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("h1")).to_have_text("Hồ sơ hộ chờ xác minh")
    fits_and_speaks_vietnamese(page)


def _open_from_queue(page: Page, head_name: str) -> str:
    """Find the household's card in the queue by its head's name, page after page, and open it;
    the household's number as the officer sees it."""
    card = page.get_by_test_id("household").filter(has_text=head_name)
    for _ in range(20):
        if card.count():
            break
        page.get_by_role("link", name="Trang sau").click()
        fits_and_speaks_vietnamese(page)
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Xã Mường Bú")
    expect(card.locator(".badge")).to_have_text("Đã gửi")
    expect(card).to_contain_text("Hộ tự đăng ký")
    number = card.locator("strong").inner_text().strip()
    card.click()
    expect(page.locator("h1")).to_contain_text(f"Hộ {number}")
    fits_and_speaks_vietnamese(page)
    return number


@pytest.mark.usefixtures("sen_has_registered")
def test_the_commune_officer_verifies_a_self_registered_household_and_sees_why_it_is_poor(
    page: Page, other_phone: BrowserContext
) -> None:
    # Given the commune officer of Mường Bú, signed in on her phone
    _sign_in_as_officer(page, MUONG_BU_OFFICER)

    # When she finds the household that registered itself in her queue and opens it
    # (by its head's name: the queue shows the household's number, not the request's)
    reference = _open_from_queue(page, SEN.head.name)

    # Then she sees it as sent, not yet assessed, with its people
    expect(page.get_by_test_id("status")).to_have_text("Đã gửi")
    expect(page.get_by_test_id("classification")).to_have_count(0)
    expect(page.get_by_text("Chưa đánh giá. Hộ được đánh giá khi cán bộ xác minh.")).to_be_visible()
    expect(page.get_by_test_id("member")).to_have_count(2)
    household_url = page.url

    # When she records her visit to the household
    page.get_by_role("link", name="Ghi lần đến hộ").click()
    expect(page.locator("h1")).to_have_text(f"Ghi lần đến hộ {reference}")
    fits_and_speaks_vietnamese(page)
    visit_date = page.get_by_label("Ngày đến hộ")
    expect(visit_date).not_to_have_value("")  # today, already filled in
    page.get_by_label("Ghi chú").fill("Đã đến nhà: mái tranh, tường đất, lấy nước khe suối.")
    page.get_by_role("button", name="Lưu", exact=True).click()

    # Then the household page lists the visit
    expect(page.locator(".messages")).to_contain_text("Đã ghi lần đến hộ.")
    fits_and_speaks_vietnamese(page)
    expect(page.get_by_test_id("visit")).to_contain_text("mái tranh, tường đất")

    # And, as the household entered its data itself, nothing stops her from verifying it
    expect(page.get_by_test_id("verify-refusal")).to_have_count(0)

    # When she verifies it
    page.get_by_role("button", name="Xác minh", exact=True).click()

    # Then it is verified and classified, in words, with the deprivations that explain it
    expect(page.locator(".messages")).to_contain_text(f"Đã xác minh hộ {reference}. Kết quả: Hộ nghèo.")
    fits_and_speaks_vietnamese(page)
    expect(page.get_by_test_id("status")).to_have_text("Đã xác minh")
    result = page.locator("section[aria-labelledby=result-h]")
    expect(result.get_by_test_id("classification")).to_have_text("Hộ nghèo")
    expect(result).to_contain_text("Chuẩn nghèo đa chiều quốc gia giai đoạn 2022–2025")
    expect(result).to_contain_text("Vì sao: hộ thiếu hụt 3 chỉ số:")
    reasons = page.get_by_test_id("why").locator("li")
    expect(reasons).to_have_count(len(REASONS))
    for reason in REASONS:
        expect(reasons.filter(has_text=reason)).to_have_count(1)
    expect(page.get_by_role("button", name="Xác minh", exact=True)).to_have_count(0)
    _screenshot(page, "verified")

    # Given the commune officer of Bắc Hà, signed in on another phone
    other = other_phone.new_page()
    _sign_in_as_officer(other, BAC_HA_OFFICER)

    # When she opens the same household's address
    response = other.goto(household_url)

    # Then she is told there is no such page, and sees nothing of the household
    assert response is not None
    assert response.status == 404
    expect(other.locator("h1")).to_have_text("Không tìm thấy trang này")
    fits_and_speaks_vietnamese(other)
    expect(other.get_by_text(reference)).to_have_count(0)
    expect(other.get_by_text(SEN.head.name)).to_have_count(0)


def test_the_dashboard_draws_the_communes_figures_on_a_phone(page: Page) -> None:
    # Given the commune officer of Mường Bú, signed in on her phone
    _sign_in_as_officer(page, MUONG_BU_OFFICER)

    # When she taps "Figures"
    page.get_by_role("link", name="Số liệu", exact=True).click()

    # Then she sees the poverty figures of her commune: charts drawn as SVG ...
    expect(page.locator("h1")).to_have_text("Số liệu hộ nghèo")
    fits_and_speaks_vietnamese(page)
    chart = page.get_by_role("img", name=re.compile(r"^Tỷ lệ hộ nghèo và M0 theo địa bàn"))
    expect(chart).to_be_visible()
    assert chart.evaluate("el => el.tagName") == "svg"
    expect(chart.locator("text").filter(has_text="Xã Mường Bú")).to_have_count(1)
    assert chart.locator("rect").count() >= 2, "the chart draws no bars"
    expect(page.locator("svg.chart")).to_have_count(3)  # by area, each indicator's share, by year

    # ... and the same figures in a table, for her commune only
    expect(page.get_by_test_id("totals")).to_contain_text("hộ đã rà soát")
    rows = page.get_by_test_id("area-row")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("th")).to_have_text("Xã Mường Bú")
    cells = rows.first.locator("td")
    expect(cells).to_have_count(7)
    households = int(cells.nth(0).inner_text())
    poor = int(cells.nth(1).inner_text())
    assert 0 < poor <= households
    expect(page.get_by_test_id("by-area")).not_to_contain_text("Bắc Hà")
    _screenshot(page, "dashboard")
