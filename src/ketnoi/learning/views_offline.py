"""The offline half of learning: the service worker, served under ``/learning/`` so that its scope is
``/learning/``, and the page it shows when a page she did not download is opened without a connection.

The worker keeps three caches (names shared with ``static/learning/offline.js``):

- ``ketnoi-learn-shell-<version>``: what every learning page needs (stylesheets, scripts, icons, the
  offline page), fetched again whenever ``version`` changes and the old copy dropped;
- ``ketnoi-learn-pages``: the course and lesson pages she opened or downloaded (network first, the
  copy when the network fails or is too slow), kept across versions so a download stays downloaded;
- ``ketnoi-learn-files``: pictures of courses (content-addressed under ``MEDIA_URL/learning/``) and
  static files (cache first).

``version`` is a hash of the worker's own template, the shell's URLs and the bytes of the shell's
static files, so any change to them makes browsers install the new worker.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import get_template, render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

SW_TEMPLATE = "learning/sw.js"
OFFLINE_TEMPLATE = "learning/offline.html"
CACHE_PREFIX = "ketnoi-learn-"
PAGES_CACHE = f"{CACHE_PREFIX}pages"
FILES_CACHE = f"{CACHE_PREFIX}files"
SHELL_CACHE_PREFIX = f"{CACHE_PREFIX}shell-"
# Static files every learning page loads, kept by the worker from its installation on.
SHELL_STATIC = (
    "ketnoi/site.css",
    "ketnoi/site.js",
    "learning/learning.css",
    "learning/learning.js",
    "learning/offline.js",
    "learning/manifest.webmanifest",
    "learning/icons/icon-192.png",
)
# How long a lesson page may take on a slow connection before her saved copy is shown instead.
NETWORK_TIMEOUT_MS = 4000


def _template_source(name: str) -> str:
    return str(getattr(get_template(name).template, "source", ""))  # type: ignore[attr-defined]


def _shell_urls() -> list[str]:
    return [reverse("learning:offline"), *(static(name) for name in SHELL_STATIC)]


def _version_compute() -> str:
    digest = hashlib.sha256()
    for name in (SW_TEMPLATE, OFFLINE_TEMPLATE):
        digest.update(_template_source(name).encode())
    for url in _shell_urls():
        digest.update(url.encode())
    for name in SHELL_STATIC:
        path = finders.find(name)
        if path:
            with open(path, "rb") as file:
                digest.update(file.read())
    return digest.hexdigest()[:16]


_version_cached = lru_cache(maxsize=1)(_version_compute)


def worker_version() -> str:
    """The worker's version; recomputed on every request while ``DEBUG`` (files change under us)."""
    return _version_compute() if settings.DEBUG else _version_cached()


def worker_config() -> dict[str, object]:
    """What ``sw.js`` is built from: the caches, the shell's URLs and which requests it handles."""
    version = worker_version()
    return {
        "version": version,
        "scope": reverse("learning:courses"),
        "shell_cache": f"{SHELL_CACHE_PREFIX}{version}",
        "shell_prefix": SHELL_CACHE_PREFIX,
        "pages_cache": PAGES_CACHE,
        "files_cache": FILES_CACHE,
        "shell": _shell_urls(),
        "offline_url": reverse("learning:offline"),
        "static_url": settings.STATIC_URL,
        "media_url": f"{settings.MEDIA_URL}learning/",
        "timeout_ms": NETWORK_TIMEOUT_MS,
    }


@require_GET
def service_worker_view(request: HttpRequest) -> HttpResponse:
    """``/learning/sw.js``: the service worker, never cached by the browser so an update is seen at once."""
    config = worker_config()
    body = render_to_string(SW_TEMPLATE, {"config": json.dumps(config, separators=(",", ":"))})
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    patch_cache_control(response, no_cache=True)
    return response


@require_GET
def offline_view(request: HttpRequest) -> HttpResponse:
    """What the worker shows for a page she did not download, when there is no connection."""
    return render(request, OFFLINE_TEMPLATE)
