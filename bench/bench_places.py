"""Commune search as people type, and the weight of the home page.

Against a throwaway SQLite database (all 3,321 communes, loaded by the
migrations): ``commune_search`` for 200 commune names typed with diacritics
and the same 200 typed without, each against a primary-key look-up of the
same communes; and the home page rendered through Django's test client, as a
fraction of the 50 KB page budget (HTML alone, and with its CSS and JS).
"""

from __future__ import annotations

import gzip
import os
import random
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import benchlib  # noqa: F401 - puts src/ on the path
from benchlib import best_of, peak_bytes, report

QUERIES = 200
ROUNDS = 3
BUDGET_BYTES = 50 * 1024


def _setup_django(var_dir: str) -> None:
    for key in [k for k in os.environ if k.startswith("KETNOI_")]:
        del os.environ[key]  # a KETNOI_DATABASE_URL would send us to another database
    os.environ.update(
        DJANGO_SETTINGS_MODULE="ketnoi.settings.base",
        KETNOI_VAR_DIR=var_dir,
        KETNOI_DEBUG="false",
        KETNOI_LOG_LEVEL="WARNING",
    )
    Path(var_dir, "static").mkdir()  # WhiteNoise warns about a missing STATIC_ROOT
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _search() -> tuple[Callable[[str], list[object]], str]:
    try:
        from ketnoi.places.selectors import commune_search
    except ImportError:
        from ketnoi.core.text import fold
        from ketnoi.places.models import Commune

        def fallback(query: str) -> list[object]:
            return list(Commune.objects.filter(name_folded__contains=fold(query))[:20])

        return fallback, "fallback: Commune.objects.filter(name_folded__contains=fold(q))[:20]"
    return (lambda query: list(commune_search(query))), "ketnoi.places.selectors.commune_search"


def _page_weight() -> dict[str, float | int]:
    from django.contrib.staticfiles import finders
    from django.test import Client

    response = Client().get("/", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200, response.status_code
    body = response.content
    html = gzip.decompress(body) if response.get("Content-Encoding") == "gzip" else body
    assets = 0
    for url in re.findall(rb'(?:src|href)="/static/([^"?]+)"', html):
        found = finders.find(url.decode())
        if found:
            assets += len(gzip.compress(Path(found).read_bytes()))
    return {
        "home_html_bytes": len(html),
        "home_html_gzip_bytes": len(body),
        "home_html_gzip_budget_fraction": len(body) / BUDGET_BYTES,
        "home_with_css_js_gzip_bytes": len(body) + assets,
        "home_with_css_js_gzip_budget_fraction": (len(body) + assets) / BUDGET_BYTES,
    }


def main() -> None:
    var_dir = tempfile.mkdtemp(prefix="ketnoi-bench-")
    try:
        _setup_django(var_dir)
        from ketnoi.core.text import fold
        from ketnoi.places.models import Commune

        search, implementation = _search()
        rng = random.Random(2026)
        communes = rng.sample(list(Commune.objects.values_list("code", "short_name")), QUERIES)
        codes = [code for code, _ in communes]
        with_marks = [name for _, name in communes]
        without_marks = [fold(name) for name in with_marks]
        found = sum(code in {c.code for c in search(name)} for code, name in communes)  # type: ignore[attr-defined]

        def baseline() -> None:
            for code in codes:
                Commune.objects.get(code=code)

        def typed_with_marks() -> None:
            for query in with_marks:
                search(query)

        def typed_without_marks() -> None:
            for query in without_marks:
                search(query)

        t_pk, t_marks, t_bare = best_of(ROUNDS, baseline, typed_with_marks, typed_without_marks)
        figures: dict[str, float | int] = {
            "queries": QUERIES,
            "search_with_diacritics_vs_pk_ratio": t_marks / t_pk,
            "search_without_diacritics_vs_pk_ratio": t_bare / t_pk,
            "search_with_diacritics_us_per_query": t_marks / QUERIES * 1e6,
            "search_without_diacritics_us_per_query": t_bare / QUERIES * 1e6,
            "pk_lookup_us_per_query": t_pk / QUERIES * 1e6,
            "queries_finding_their_commune_in_top_20": found,
            "search_peak_tracemalloc_bytes": peak_bytes(typed_without_marks),
            **_page_weight(),
        }
        report(
            "places",
            figures,
            notes=[
                f"search: {implementation}",
                f"SQLite in a temporary folder; best of {ROUNDS} interleaved rounds",
            ],
        )
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
