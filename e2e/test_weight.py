"""A page stays light on 3G: at most 50 KB on the wire before images, all from our own server."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Request

BUDGET_BYTES = 50 * 1024
# Images are budgeted apart (they load lazily and a person can skip them).
NOT_COUNTED = {"image", "media"}

PAGES = [("home", "/"), ("login", "/accounts/login/")]


@pytest.mark.parametrize(("name", "path"), PAGES, ids=[name for name, _ in PAGES])
def test_page_transfers_under_50_kb_before_images_from_our_own_server(
    page: Page, server: str, name: str, path: str
) -> None:
    # Given a first visit: nothing cached
    asked: list[str] = []
    finished: list[Request] = []
    page.on("request", lambda request: asked.append(request.url))
    page.on("requestfinished", lambda request: finished.append(request))

    # When a person opens the page and it settles
    page.goto(path, wait_until="networkidle")

    # Then every request went to our server and nowhere else
    ours = urlsplit(server).netloc
    network = {"http", "https", "ws", "wss"}
    elsewhere = [url for url in asked if urlsplit(url).scheme in network and urlsplit(url).netloc != ours]
    assert not elsewhere, f"requests to other hosts: {elsewhere}"

    # And what crossed the wire before images (headers and encoded bodies) fits the budget
    counted = []
    for request in finished:
        if request.resource_type in NOT_COUNTED:
            continue
        sizes = request.sizes()
        counted.append((sizes["responseHeadersSize"] + sizes["responseBodySize"], request.url))
    total = sum(size for size, _ in counted)
    assert counted, "no response was seen"
    assert total <= BUDGET_BYTES, f"{name}: {total} bytes > {BUDGET_BYTES}: {sorted(counted, reverse=True)}"
