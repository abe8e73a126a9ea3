"""On a cheap Android phone (360 × 740) the pages fit, read well and are easy to tap."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from .conftest import RESULTS

WIDTH, HEIGHT = 360, 740
ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Mobile Safari/537.36"
)
# A fingertip needs about 9 mm: 48 CSS px (Material, WCAG 2.5.5 AAA is 44).
# The one exception, as in WCAG 2.5.8, is a link inside a sentence, whose
# height is set by the line of text around it.
MIN_TARGET_PX = 48
MIN_FONT_PX = 16  # below this Android and iOS zoom into a field when it gets focus

PAGES = [("home", "/"), ("login", "/accounts/login/")]

# Every control a person can tap, with its size as she sees it. A control
# kept off-screen until it has focus (the "skip to content" link) is measured
# with focus.
_TARGETS_JS = """
() => {
  const controls = document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], '
    + '[tabindex]:not([tabindex="-1"])');
  const found = [];
  for (const el of controls) {
    const style = getComputedStyle(el);
    if (el.closest('[hidden]') || style.display === 'none' || style.visibility === 'hidden') continue;
    let box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (box.right <= 0 || box.left >= window.innerWidth) {
      el.focus(); box = el.getBoundingClientRect(); el.blur();
    }
    const block = el.parentElement
      && el.parentElement.closest('p, li, td, dd, label, figcaption, blockquote');
    const inSentence = el.tagName === 'A' && style.display === 'inline' && block !== null
      && block.textContent.trim().length > el.textContent.trim().length;
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim();
    found.push({
      what: `${el.tagName.toLowerCase()} "${text.slice(0, 50)}"`,
      height: Math.round(box.height * 10) / 10,
      inSentence,
    });
  }
  return found;
}
"""

_FIELDS_JS = """
() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => !['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type))
  .map(el => {
    const labelled = Array.from(el.labels || []).some(l => l.textContent.trim() !== '')
      || (el.getAttribute('aria-label') || '').trim() !== ''
      || (el.getAttribute('aria-labelledby') || '').split(/\\s+/).some(
           id => id && document.getElementById(id) && document.getElementById(id).textContent.trim() !== '');
    return {name: el.name || el.id || el.type, labelled, fontSize: parseFloat(getComputedStyle(el).fontSize)};
  })
"""


@pytest.fixture
def context_options() -> dict[str, object]:
    return {
        "locale": "vi-VN",
        "viewport": {"width": WIDTH, "height": HEIGHT},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
        "user_agent": ANDROID_CHROME,
    }


@pytest.mark.parametrize(("name", "path"), PAGES, ids=[name for name, _ in PAGES])
def test_page_fits_a_small_phone_and_is_easy_to_tap(page: Page, name: str, path: str) -> None:
    # Given a person on a 360 px wide Android phone
    # When she opens the page
    page.goto(path)
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=RESULTS / f"mobile-{name}.png", full_page=True)

    # Then nothing makes her scroll sideways
    scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll_width <= WIDTH, f"the page is {scroll_width} px wide on a {WIDTH} px screen"

    # And the text is large enough to read without zooming
    body_font = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert body_font >= MIN_FONT_PX

    # And every link and button is big enough for a fingertip
    targets = page.evaluate(_TARGETS_JS)
    assert targets, "no link or button found"
    too_small = [t for t in targets if t["height"] < MIN_TARGET_PX and not t["inSentence"]]
    assert not too_small, f"targets under {MIN_TARGET_PX} px high: {too_small}"

    # And every field says what it is for, in text large enough not to zoom
    fields = page.evaluate(_FIELDS_JS)
    unlabelled = [f["name"] for f in fields if not f["labelled"]]
    assert not unlabelled, f"fields without a label: {unlabelled}"
    small = [f for f in fields if f["fontSize"] < MIN_FONT_PX]
    assert not small, f"fields with text under {MIN_FONT_PX} px: {small}"


def test_login_page_has_the_fields_a_person_needs(page: Page) -> None:
    # Given a person on a phone opening the sign-in page
    page.goto("/accounts/login/")

    # Then there is a phone field that brings up the number keypad, and a password field
    phone = page.locator("input[autocomplete=tel], input[type=tel]")
    assert phone.count() == 1
    assert phone.get_attribute("inputmode") == "tel" or phone.get_attribute("type") == "tel"
    assert page.locator("input[type=password]").count() == 1
