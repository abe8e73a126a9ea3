"""The 4M cycle in the browser, with the demo world: meet, match, mentor, move.

* Officer Đinh Văn Toàn (0900000010, Sơn La) organises a Meet & Match fair:
  the Mường Bú weaving cooperative (0900000004) and the demo mentor Phạm
  Quốc Bảo (0900000006) register, Toàn validates them and opens requests,
  the cooperative asks the mentor for a meeting and he accepts, Toàn makes
  the schedule and prints everyone's sheet and the tables' sheet.
* Toàn opens a programme round for Sơn La, computes it and sends the
  proposals; the first proposal's cooperative and partner both accept.
* The mentor writes down a session he held yesterday with Mường Bú.
* Toàn takes Mường Bú's revenue from her marketplace orders, checks her
  graduation, and the dashboard counts her among the graduates, on revenue
  from her orders.

Every page is in Vietnamese and fits a 360 px phone.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from e2e.phone import PHONE_CONTEXT, fits_and_speaks_vietnamese

from .conftest import DEFAULT_TIMEOUT_MS, DEMO_PASSWORD

ORGANISER = "0900000010"
SELLER = "0900000004"
MENTOR = "0900000006"
COOPERATIVE = "HTX Dệt thổ cẩm Mường Bú"
MENTOR_ORGANISATION = "Tư vấn kinh doanh Quốc Bảo"

# Who answers for whom in the demo world (accounts, market and 4M demos).
LEADERS = {
    "HTX Dệt thổ cẩm Mường Bú": "0900000004",
    "HTX Chè Shan tuyết Chiềng Sơn": "0900000103",
    "Hộ kinh doanh Mận sấy Mộc Châu": "0900000111",
}
PARTNERS = {
    "Tư vấn kinh doanh Quốc Bảo": "0900000006",
    "Công ty Nông sản sạch Tây Bắc": "0900000301",
    "Sàn Chợ Quê trực tuyến": "0900000302",
    "Chuyên gia OCOP và bao bì Lê Mai": "0900000303",
}

NewPage = Callable[[], Page]


@pytest.fixture
def new_page(browser: Browser, server: str) -> Iterator[NewPage]:
    """A new phone-sized browser context for each person who signs in during the story."""
    contexts: list[BrowserContext] = []

    def make() -> Page:
        context = browser.new_context(base_url=server, **PHONE_CONTEXT)  # type: ignore[arg-type]
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def _sign_in(new_page: NewPage, phone: str, then: str) -> Page:
    page = new_page()
    page.goto(f"/accounts/login/?next={then}")
    page.get_by_label("Số điện thoại", exact=False).fill(phone)
    page.get_by_label("Mật khẩu", exact=False).fill(DEMO_PASSWORD)
    page.locator("main").get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(re.compile(re.escape(then) + r"$"))
    fits_and_speaks_vietnamese(page)
    return page


def _today() -> datetime:
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))


def _ok(page: Page) -> None:
    """The page answered, speaks Vietnamese and fits the phone."""
    fits_and_speaks_vietnamese(page)
    expect(page.locator("h1").first).to_be_visible()


# --- Meet -----------------------------------------------------------------------------------------


def test_an_organiser_runs_a_fair_from_registration_to_printed_schedules(new_page: NewPage) -> None:
    name = f"Phiên kết nối Mường Bú {secrets.token_hex(2)}"
    organiser = _sign_in(new_page, ORGANISER, "/4m/meet/new/")
    organiser.get_by_label("Tên sự kiện").fill(name)
    organiser.get_by_label("Hội chợ gặp gỡ, kết nối").check()
    organiser.get_by_label("Tỉnh", exact=True).select_option(label="Tỉnh Sơn La")
    organiser.get_by_label("Địa điểm").fill("Nhà văn hoá xã Mường Bú")
    organiser.get_by_label("Ngày diễn ra").fill((_today() + timedelta(days=7)).date().isoformat())
    organiser.get_by_label("Số bàn gặp").fill("2")
    organiser.get_by_label("Số khung giờ").fill("4")
    organiser.get_by_role("button", name="Tạo sự kiện").click()
    expect(organiser.locator("h1")).to_have_text(name)
    event_url = organiser.url.removeprefix(organiser.url.split("/4m/")[0])
    organiser.get_by_role("button", name=re.compile("Đang nhận đăng ký")).click()
    expect(organiser.get_by_test_id("event-state")).to_have_text("Đang nhận đăng ký")
    _ok(organiser)

    for phone, who in ((SELLER, COOPERATIVE), (MENTOR, MENTOR_ORGANISATION)):
        person = _sign_in(new_page, phone, event_url)
        person.get_by_test_id("register").click()
        person.get_by_label(who).check()
        person.get_by_role("button", name="Gửi đăng ký").click()
        expect(person.get_by_test_id("mine")).to_contain_text("Chờ duyệt")

    organiser.reload()
    for _attendee in range(2):
        organiser.get_by_test_id("registrations").get_by_role(
            "button", name="Duyệt", exact=True
        ).first.click()
    expect(organiser.get_by_test_id("registrations")).not_to_contain_text("Chờ duyệt")
    organiser.get_by_role("button", name=re.compile("Đang hẹn gặp")).click()
    expect(organiser.get_by_test_id("event-state")).to_have_text("Đang hẹn gặp")

    seller = _sign_in(new_page, SELLER, event_url)
    seller.get_by_test_id("people").locator("li", has_text=MENTOR_ORGANISATION).get_by_role(
        "button", name="Hẹn gặp"
    ).click()
    expect(seller.get_by_test_id("sent")).to_contain_text(MENTOR_ORGANISATION)
    mentor = _sign_in(new_page, MENTOR, event_url)
    mentor.get_by_test_id("received").locator("li", has_text=COOPERATIVE).get_by_role(
        "button", name="Đồng ý gặp"
    ).click()
    expect(mentor.get_by_test_id("received")).to_contain_text("Đồng ý")

    organiser.reload()
    organiser.get_by_test_id("schedule").click()
    expect(organiser.get_by_test_id("event-state")).to_have_text("Đã xếp lịch")
    expect(organiser.get_by_test_id("organiser")).to_contain_text("Đã xếp 1 cuộc gặp")
    organiser.get_by_role("link", name="In lịch từng người").click()
    sheets = organiser.get_by_test_id("sheet")
    expect(sheets).to_have_count(2)
    expect(sheets.filter(has_text=f"Lịch gặp: {COOPERATIVE}")).to_contain_text(MENTOR_ORGANISATION)
    expect(sheets.filter(has_text=f"Lịch gặp: {MENTOR_ORGANISATION}")).to_contain_text(COOPERATIVE)
    fits_and_speaks_vietnamese(organiser)
    organiser.go_back()
    organiser.get_by_role("link", name="In lịch theo bàn").click()
    expect(organiser.locator("main")).to_contain_text(COOPERATIVE)

    seller.reload()
    expect(seller.locator("#schedule")).to_contain_text(MENTOR_ORGANISATION)


# --- Match ----------------------------------------------------------------------------------------


def _answer(new_page: NewPage, phone: str, other: str) -> Page:
    page = _sign_in(new_page, phone, "/4m/match/")
    row = page.locator("li[id^=match-]", has_text=other).filter(has=page.get_by_role("button", name="Đồng ý"))
    row.first.get_by_role("button", name="Đồng ý").click()
    return page


def test_a_programme_round_proposes_matches_that_both_sides_accept(new_page: NewPage) -> None:
    officer = _sign_in(new_page, ORGANISER, "/4m/match/rounds/")
    officer.get_by_label("Tên đợt kết nối").fill(f"Đợt kết nối thử {secrets.token_hex(2)}")
    officer.get_by_label("Tỉnh", exact=True).select_option(label="Tỉnh Sơn La")
    officer.get_by_role("button", name="Mở đợt").click()
    officer.get_by_test_id("compute").click()
    expect(officer.get_by_test_id("round-totals")).to_be_visible()
    expect(officer.get_by_test_id("round-matches")).to_contain_text("↔")
    _ok(officer)
    officer.get_by_test_id("send").click()
    expect(officer.get_by_test_id("round-state")).to_have_text("Đã gửi đề xuất")

    first = officer.get_by_test_id("round-matches").locator("li").first
    seller_name, partner_name = (part.strip() for part in first.locator("strong").inner_text().split("↔"))
    expect(first).to_contain_text("Chờ hai bên trả lời")

    _answer(new_page, LEADERS[seller_name], partner_name)
    partner = _answer(new_page, PARTNERS[partner_name], seller_name)
    expect(
        partner.get_by_test_id("partner-matches").locator("li", has_text=seller_name).first
    ).to_contain_text("Hai bên đồng ý")

    officer.reload()
    expect(officer.get_by_test_id("round-matches").locator("li").first).to_contain_text("Hai bên đồng ý")


# --- Mentor ---------------------------------------------------------------------------------------


def test_a_mentor_records_a_session_with_the_cooperative(new_page: NewPage) -> None:
    mentor = _sign_in(new_page, MENTOR, "/4m/mentor/")
    mentor.get_by_test_id("plans").locator("a", has_text=COOPERATIVE).first.click()
    _ok(mentor)
    held_before = mentor.get_by_test_id("session").filter(has_text="Đã gặp").count()
    yesterday = (_today() - timedelta(days=1)).date()
    mentor.get_by_label("Ngày", exact=True).fill(yesterday.isoformat())
    mentor.get_by_label("Giờ", exact=True).fill("15:30")
    mentor.get_by_role("button", name="Hẹn buổi này").click()
    session = mentor.get_by_test_id("session").filter(has_text=f"15:30 {yesterday:%d/%m/%Y}")
    session.get_by_role("link", name="Ghi lại buổi này").click()
    _ok(mentor)
    mentor.get_by_label("Có, đã gặp").check()
    mentor.get_by_label("Ghi chép").fill("Xem mẫu hộp quà; chọn giấy kraft và nhãn song ngữ Thái – Việt.")
    mentor.get_by_label("Việc tiếp theo đã thống nhất").fill("Chị Xuân làm 10 hộp mẫu trong tuần.")
    mentor.get_by_role("button", name="Lưu").click()

    expect(mentor.get_by_test_id("session").filter(has_text="Đã gặp")).to_have_count(held_before + 1)
    expect(mentor.get_by_test_id("sessions")).to_contain_text("nhãn song ngữ Thái – Việt")
    expect(mentor.get_by_test_id("sessions")).to_contain_text("10 hộp mẫu")

    seller = _sign_in(new_page, SELLER, mentor.url.removeprefix(mentor.url.split("/4m/")[0]))
    expect(seller.get_by_test_id("sessions")).to_contain_text("nhãn song ngữ Thái – Việt")
    expect(seller.get_by_role("link", name="Ghi lại buổi này")).to_have_count(0)


# --- Move -----------------------------------------------------------------------------------------


def test_the_dashboard_shows_a_seller_graduating_on_revenue_from_her_orders(new_page: NewPage) -> None:
    officer = _sign_in(new_page, ORGANISER, "/4m/dashboard/")
    graduated_before = int(officer.get_by_test_id("funnel-graduated").locator("strong").inner_text())
    expect(officer.get_by_test_id("graduates")).not_to_contain_text(COOPERATIVE)

    officer.goto("/4m/move/")
    officer.get_by_test_id("outcome-sellers").locator("a", has_text=COOPERATIVE).click()
    _ok(officer)
    officer.get_by_role("button", name="Cập nhật từ đơn hàng").click()
    expect(officer.locator(".messages")).to_contain_text("Đã cập nhật doanh thu từ đơn hàng")
    expect(officer.get_by_test_id("months")).to_contain_text("Từ đơn hàng trên Kết Nối")
    officer.get_by_role("button", name="Xét tốt nghiệp").click()
    expect(officer.locator(".messages")).to_contain_text("đã đạt mục tiêu")
    evidence = officer.get_by_test_id("evidence")
    expect(evidence.locator("tbody tr")).to_have_count(3)
    expect(evidence).to_contain_text("Từ đơn hàng trên Kết Nối")
    expect(evidence).not_to_contain_text("Nhập tay")

    officer.goto("/4m/dashboard/")
    _ok(officer)
    expect(officer.get_by_test_id("funnel-graduated").locator("strong")).to_have_text(
        str(graduated_before + 1)
    )
    card = officer.get_by_test_id("graduate").filter(has_text=COOPERATIVE)
    expect(card).to_be_visible()
    expect(card.get_by_test_id("from-orders")).to_be_visible()
    expect(officer.get_by_test_id("indicator-graduated")).to_contain_text(str(graduated_before + 1))
    with officer.expect_download() as download:
        officer.get_by_test_id("xlsx").click()
    assert download.value.suggested_filename.startswith("chi-so-4m-")
