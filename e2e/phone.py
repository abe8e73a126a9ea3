"""What the browser tests share: a cheap Android phone, and what every page owes her."""

from __future__ import annotations

from playwright.sync_api import Page, expect

WIDTH, HEIGHT = 360, 740
PHONE_CONTEXT: dict[str, object] = {
    "locale": "vi-VN",
    "viewport": {"width": WIDTH, "height": HEIGHT},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/130.0.0.0 Mobile Safari/537.36"
    ),
}


def fits_and_speaks_vietnamese(page: Page) -> None:
    """The page is in Vietnamese and does not make her scroll sideways on a 360 px screen."""
    page.wait_for_load_state("load")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll_width <= WIDTH, f"{page.url} is {scroll_width} px wide on a {WIDTH} px screen"
