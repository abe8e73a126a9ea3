"""The ``/api/v1`` API, assembled from each app's ``api.py`` router."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from ninja import NinjaAPI, Router
from ninja.renderers import JSONRenderer

from ketnoi.accounts.api import router as accounts_router
from ketnoi.places.api import router as places_router

from .docs import ServerRenderedDocs
from .errors import install_error_handlers


class Utf8JSONRenderer(JSONRenderer):
    """Vietnamese text as UTF-8, not ``\\u1ebf`` escapes: a third of the bytes on 3G."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    title="Kết Nối API",
    version="1",
    description=(
        "JSON API of Kết Nối for partners. Authenticate with `POST /api/v1/auth/token`, then send "
        "`Authorization: Bearer <token>`. Errors are `{detail, code, errors}` in the language of "
        "`Accept-Language` (vi by default, en)."
    ),
    urls_namespace="api-v1",
    docs=ServerRenderedDocs(),
    renderer=Utf8JSONRenderer(),
)
install_error_handlers(api)

api.add_router("", accounts_router)
api.add_router("/places", places_router)
api.add_router("", "ketnoi.registry.api.router")
api.add_router("/poverty", "ketnoi.poverty.api.router")
api.add_router("/products", "ketnoi.market.api.router")
api.add_router("/ledger", "ketnoi.ledger.api.router")
api.add_router("/shipping", "ketnoi.shipping.api.router")
api.add_router("/orders", "ketnoi.payments.api.router")
api.add_router("/learning", "ketnoi.learning.api.router")
api.add_router("", "ketnoi.mentoring.api.router")

# Last, so it only sees what no router above answered: an unknown address
# under /api/v1 gets a JSON 404 like every other API error.
_fallback = Router(auth=None)


@_fallback.api_operation(["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", include_in_schema=False)
def not_found(request: HttpRequest, rest: str) -> None:
    raise Http404(rest)


api.add_router("", _fallback)
