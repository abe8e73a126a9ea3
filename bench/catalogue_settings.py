"""Settings for bench/bench_catalogue.py: the product's settings plus a bare baseline page.

Only the URLconf and a template folder change; the middleware, database and
templates are the product's, so ``/products/`` is measured as it runs.
"""

from pathlib import Path

from ketnoi.settings.base import *  # noqa: F403
from ketnoi.settings.base import TEMPLATES

ROOT_URLCONF = "catalogue_urls"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], Path(__file__).resolve().parent / "templates"]
