import re

import pytest

pytestmark = pytest.mark.django_db

PATHS = {
    "/api/v1/auth/token": {"post", "delete"},
    "/api/v1/me": {"get"},
    "/api/v1/accounts/people": {"get"},
    "/api/v1/places/provinces": {"get"},
    "/api/v1/places/communes": {"get"},
    "/api/v1/places/communes/{code}": {"get"},
    "/api/v1/places/plus-codes/{code}": {"get"},
    "/api/v1/households": {"get"},
    "/api/v1/households/{household_id}": {"get"},
    "/api/v1/poverty/assess": {"post"},
    "/api/v1/poverty/standards": {"get"},
    "/api/v1/poverty/standards/{code}": {"get"},
    "/api/v1/products": {"get"},
    "/api/v1/products/categories": {"get"},
    "/api/v1/products/{slug}": {"get"},
    "/api/v1/ledger/transfers": {"post"},
    "/api/v1/ledger/accounts": {"get"},
    "/api/v1/ledger/accounts/{code}": {"get"},
    "/api/v1/shipping/events": {"post"},
    "/api/v1/orders/{order_id}/payment": {"get"},
    "/api/v1/learning/courses": {"get"},
    "/api/v1/indicators": {"get"},
}


def test_the_openapi_schema_lists_every_path_and_method(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Kết Nối API"
    assert {path: set(item) for path, item in schema["paths"].items()} == PATHS


def test_protected_operations_declare_the_bearer_scheme_and_public_ones_do_not(client):
    schema = client.get("/api/v1/openapi.json").json()

    assert schema["components"]["securitySchemes"]["TokenBearer"] == {"type": "http", "scheme": "bearer"}
    assert schema["paths"]["/api/v1/me"]["get"]["security"] == [{"TokenBearer": []}]
    assert "security" not in schema["paths"]["/api/v1/auth/token"]["post"]
    assert "security" not in schema["paths"]["/api/v1/places/communes"]["get"]


def test_the_schema_tells_clients_the_maximum_lengths(client):
    token_in = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["TokenIn"]

    assert token_in["properties"]["phone"]["maxLength"] == 32
    assert token_in["properties"]["password"]["maxLength"] == 128


def test_the_docs_page_lists_every_operation(client):
    response = client.get("/api/v1/docs")

    html = response.content.decode()
    assert response.status_code == 200
    for path, methods in PATHS.items():
        for method in methods:
            assert f"{method.upper()} {path}" in html
    assert "Lấy mã truy cập" in html  # summaries, in the reader's language
    assert 'href="/api/v1/openapi.json"' in html


def test_the_docs_page_loads_nothing_from_outside_and_fits_the_csp(client):
    response = client.get("/api/v1/docs")

    html = response.content.decode()
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    # No resource from another host, no inline script or style.
    assert not re.search(r"""(?:src|href|action)\s*=\s*["']?(?:https?:)?//""", html)
    assert "<style" not in html
    assert " style=" not in html
    for script in re.findall(r"<script\b[^>]*>", html):
        assert re.search(r'src="/static/', script) or "nonce=" in script


def test_the_docs_page_speaks_english_when_asked(client):
    response = client.get("/api/v1/docs", headers={"Accept-Language": "en"})

    assert response.status_code == 200
    assert response["Content-Language"] == "en"
