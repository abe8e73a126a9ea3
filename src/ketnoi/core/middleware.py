"""Request-wide input hygiene."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, QueryDict


def _nfc_querydict(data: QueryDict) -> QueryDict:
    if all(unicodedata.is_normalized("NFC", v) for _, values in data.lists() for v in values):
        return data
    fresh = QueryDict(mutable=True, encoding=data.encoding)
    for key, values in data.lists():
        fresh.setlist(unicodedata.normalize("NFC", key), [unicodedata.normalize("NFC", v) for v in values])
    fresh._mutable = False
    return fresh


class NfcInputMiddleware:
    """Every form and query value reaches the views in NFC.

    Whitespace is left alone here (a password may have spaces); form fields
    strip it. JSON bodies are normalised by the API's schemas.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Django types GET/POST as immutable QueryDicts; ours is immutable too.
        request.GET = _nfc_querydict(request.GET)  # type: ignore[assignment]
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            request.POST = _nfc_querydict(request.POST)  # type: ignore[assignment]
        return self.get_response(request)
