"""Pages and htmx partials for places: the commune picker."""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from .selectors import MAX_QUERY_LENGTH, commune_search, province_list

PICKER_LIMIT = 20
# The name the chosen commune is submitted under, given by the form that embeds the picker.
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@require_GET
def commune_search_view(request: HttpRequest) -> HttpResponse:
    """Communes matching ``q`` (and ``province``): a page, or for htmx just the list.

    A form embeds the picker with ``hx-get`` to this address and
    ``name=<its field>``; each result is a radio button with the commune's
    code as value.
    """
    query = request.GET.get("q", "")[:MAX_QUERY_LENGTH]
    province_code = _int_or_none(request.GET.get("province"))
    field_name = request.GET.get("name", "commune")
    if not _FIELD_NAME.match(field_name):
        field_name = "commune"
    context = {
        "query": query,
        "province_code": province_code,
        "field_name": field_name,
        "communes": commune_search(query, province_code=province_code, limit=PICKER_LIMIT),
    }
    if getattr(request, "htmx", False):
        response = render(request, "places/commune_search.html#results", context)
    else:
        response = render(request, "places/commune_search.html", {**context, "provinces": province_list()})
    patch_vary_headers(response, ("HX-Request",))
    return response


def _int_or_none(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None
