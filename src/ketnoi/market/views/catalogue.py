"""Public catalogue pages: the product list with search and filters, a product, a seller.

Each page costs a fixed number of queries whatever the data size, and never
shows a seller's private fields (the selectors do not even load them).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from ketnoi.accounts.permissions import forbidden
from ketnoi.core.errors import NotFound, PermissionDenied

from ..forms_catalogue import CatalogueFilterForm, SellerVerifyForm
from ..models import Product, Seller
from ..selectors import (
    catalogue_version,
    categories,
    officer_covers_seller,
    photo_url,
    photo_view,
    product_for_page,
    product_reviews,
    product_search,
    product_story,
    provinces_with_products,
    seller_for_page,
    seller_products_public,
)
from ..services.catalogue import seller_verify

PAGE_SIZE = 24
# The list's HTML is cached per catalogue version (bumped by every change a
# card shows) and at most this long, which bounds staleness where each
# process has its own cache.
CATALOGUE_CACHE_SECONDS = 60
LIST_PARAMS = ("q", "category", "province", "ocop", "page")


def _cards(products: list[Product]) -> list[Product]:
    """Give each product of a page its card photo's URL (no query: annotated by the selector)."""
    for product in products:
        product.card_photo = photo_url(getattr(product, "photo_small", None))  # type: ignore[attr-defined]
    return products


def _page_links(request: HttpRequest, page: Any) -> dict[str, str]:
    # Only the list's own parameters: the links are part of the cached HTML.
    params = {key: request.GET[key] for key in LIST_PARAMS if request.GET.get(key)}
    links = {}
    for key, number in (
        ("previous", page.previous_page_number() if page.has_previous() else None),
        ("next", page.next_page_number() if page.has_next() else None),
    ):
        if number is not None:
            links[key] = "?" + urlencode({**params, "page": number})
    return links


def _list_cache_key(request: HttpRequest, version: int) -> str:
    params = "\x1f".join(request.GET.get(key, "")[:100] for key in LIST_PARAMS)
    digest = hashlib.blake2b(params.encode(), digest_size=16).hexdigest()
    return f"market:catalogue:list:{version}:{get_language()}:{digest}"


def _page_cache_key(request: HttpRequest, version: int) -> str:
    # The frame shows the full path (the language switch returns to it).
    digest = hashlib.blake2b(request.get_full_path()[:1000].encode(), digest_size=16).hexdigest()
    return f"market:catalogue:page:{version}:{get_language()}:{digest}"


def _list_body(request: HttpRequest) -> str:
    form = CatalogueFilterForm(
        request.GET or None, categories=categories(), provinces=provinces_with_products()
    )
    filters = form.filters()
    paginator = Paginator(product_search(**filters), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "products": _cards(list(page.object_list)),
        "links": _page_links(request, page),
    }
    return render_to_string("market/catalogue/_list_body.html", context)


# A rendered page shows its visitor's CSRF token (the language switch, htmx
# headers). A page kept for the next visitor holds this mark in its place.
_CSRF_MARK = "\x00csrf\x00"
_CSRF_IN_PAGE = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{32,128})"')


def _shared_page(request: HttpRequest) -> bool:
    """Whether the whole page may be shared: a visitor with no session (so not signed in, no cart)
    and no message waiting. Anyone else gets the frame rendered for her around the cached list."""
    return (
        settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
    )


@require_GET
def product_list_view(request: HttpRequest) -> HttpResponse:
    """``/products/``: search (with or without diacritics), browse by category, province and OCOP stars.

    The list is the same for everyone, so its HTML is cached under the
    catalogue's version (``catalogue_changed`` retires it): a repeat costs
    a cache read and no query. For visitors not signed in the whole page is
    the same too, but for the CSRF token, which is put back fresh each time.
    """
    version = catalogue_version()
    shared = _shared_page(request)
    page_key = _page_cache_key(request, version)
    if shared:
        page = cache.get(page_key)
        if page is not None:
            return HttpResponse(page.replace(_CSRF_MARK, get_token(request)))
    list_key = _list_cache_key(request, version)
    body = cache.get(list_key)
    if body is None:
        body = _list_body(request)
        cache.set(list_key, body, CATALOGUE_CACHE_SECONDS)
    # The body was rendered by a template with autoescaping on.
    context = {"body": SafeString(body), "query": request.GET.get("q", "")[:100].strip()}
    response = render(request, "market/catalogue/product_list.html", context)
    if shared:
        html = response.content.decode()
        found = _CSRF_IN_PAGE.search(html)
        if found:
            html = html.replace(found.group(1), _CSRF_MARK)
        cache.set(page_key, html, CATALOGUE_CACHE_SECONDS)
    return response


def _cart_add_url(product: Product) -> str | None:
    # The orders part provides this URL; until it exists the page shows no cart form.
    try:
        return reverse("market:cart_add", kwargs={"product_id": product.pk})
    except NoReverseMatch:
        return None


@require_GET
def product_detail_view(request: HttpRequest, slug: str) -> HttpResponse:
    """``/products/<slug>/``: photos, story, price, seller with badge and village, reviews, add to cart."""
    try:
        product = product_for_page(slug)
    except NotFound as error:
        raise Http404(str(error)) from None
    photos = [photo_view(photo) for photo in product.photos.all()]
    context = {
        "product": product,
        "seller": product.seller,
        "photos": photos,
        "story": product_story(product),
        "reviews": product_reviews(product),
        "cart_add_url": _cart_add_url(product),
    }
    return render(request, "market/catalogue/product_detail.html", context)


@require_GET
def seller_detail_view(request: HttpRequest, slug: str) -> HttpResponse:
    """``/sellers/<slug>/``: the group's story, place, badge and products."""
    try:
        seller = seller_for_page(slug)
    except NotFound as error:
        raise Http404(str(error)) from None
    paginator = Paginator(seller_products_public(seller), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "seller": seller,
        "page": page,
        "products": _cards(list(page.object_list)),
        "links": _page_links(request, page),
        "can_verify": request.user.is_authenticated and officer_covers_seller(request.user, seller),
        "verify_form": SellerVerifyForm(),
    }
    return render(request, "market/catalogue/seller_detail.html", context)


@login_required
@require_POST
def seller_verify_view(request: HttpRequest, slug: str) -> HttpResponse:
    """An officer covering the seller's commune grants or withdraws the programme's badge."""
    seller = Seller.objects.filter(slug=slug).first()
    if seller is None:
        raise Http404(str(_("Không tìm thấy người bán này.")))
    form = SellerVerifyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Hãy chọn xác minh hoặc bỏ xác minh."))
        return redirect("market:seller_detail", slug=seller.slug)
    try:
        seller_verify(
            request.user, seller, verified=form.cleaned_data["verified"], reason=form.cleaned_data["reason"]
        )
    except PermissionDenied as error:
        return forbidden(request, str(error))
    if form.cleaned_data["verified"]:
        messages.success(request, _("Đã gắn dấu “Chương trình đã xác minh” cho người bán này."))
    else:
        messages.success(request, _("Đã bỏ dấu xác minh của người bán này."))
    return redirect("market:seller_detail", slug=seller.slug)


def catalogue_search_url(query: str) -> str:
    """The catalogue address that searches for ``query`` (for links from other pages)."""
    return reverse("market:product_list") + "?" + urlencode({"q": query})
