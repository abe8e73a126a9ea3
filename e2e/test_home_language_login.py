"""A person reads the home page in Vietnamese or English, signs in and signs out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import DEMO_PASSWORD, SELLER_NAME, SELLER_PHONE

HOME_H1_VI = "Kết Nối: bán hàng, tìm việc, nhận hỗ trợ — ngay trên điện thoại"
HOME_H1_EN = "Kết Nối: sell, find work, get support — right on your phone"

# What a person reads on the controls, in either language.
LOGIN_LINK = re.compile(r"^\s*(Đăng nhập|Log in|Sign in)\s*$", re.IGNORECASE)
LOGOUT_BUTTON = re.compile(r"^\s*(Đăng xuất|Log out|Sign out)\s*$", re.IGNORECASE)
PHONE_LABEL = re.compile(r"số điện thoại|phone", re.IGNORECASE)
PASSWORD_LABEL = re.compile(r"mật khẩu|password", re.IGNORECASE)


def test_home_page_is_in_vietnamese_and_switches_to_english(page: Page) -> None:
    # Given a person opening the home page
    page.goto("/")

    # Then it is in Vietnamese, and offers English
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("h1")).to_have_text(HOME_H1_VI)
    english = page.get_by_role("button", name="English", exact=True)
    expect(english).to_be_visible()

    # When she taps "English"
    english.click()

    # Then the page is in English, and the button now offers Vietnamese
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Tiếng Việt", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="English", exact=True)).to_have_count(0)
    expect(page.locator("h1")).to_have_text(HOME_H1_EN)

    # And it stays in English on the next page she opens
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")


@pytest.mark.parametrize("language", ["vi", "en"])
def test_seller_signs_in_sees_her_name_and_signs_out(page: Page, language: str) -> None:
    # Given the seller on the home page, in the language she chose
    page.goto("/")
    if language == "en":
        page.get_by_role("button", name="English", exact=True).click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    header = page.locator("header")

    # When she goes to sign in with her phone number and password
    header.get_by_role("link", name=LOGIN_LINK).click()
    page.get_by_label(PHONE_LABEL).fill(SELLER_PHONE)
    page.get_by_label(PASSWORD_LABEL).fill(DEMO_PASSWORD)
    page.locator("main form").filter(has=page.locator("input[type=password]")).locator(
        "button[type=submit], input[type=submit]"
    ).click()

    # Then the header shows her name, and no sign-in link
    expect(page.get_by_test_id("user-name")).to_have_text(SELLER_NAME)
    expect(header.get_by_role("link", name=LOGIN_LINK)).to_have_count(0)

    # When she signs out
    header.get_by_role("button", name=LOGOUT_BUTTON).click()

    # Then her name is gone and the sign-in link is back
    expect(page.get_by_test_id("user-name")).to_have_count(0)
    expect(header.get_by_role("link", name=LOGIN_LINK)).to_be_visible()

    # And the pages she could see signed in are closed to her again
    page.goto("/accounts/profile/")
    expect(page.get_by_test_id("user-name")).to_have_count(0)
    expect(page.locator("input[type=password]")).to_be_visible()
