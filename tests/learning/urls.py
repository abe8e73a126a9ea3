"""The site's URLs, plus the learning pages and API where the site does not mount them yet.

The lead mounts ``ketnoi.learning.urls`` at ``/learning/`` and the API router at
``/api/v1/learning``; until then these tests mount them here, at the same
addresses, so they test the same views either way.
"""

from django.urls import Resolver404, include, path, resolve
from ninja import NinjaAPI

from ketnoi.api.urls import Utf8JSONRenderer
from ketnoi.learning.api import router
from ketnoi.urls import urlpatterns as site_patterns


def _site_answers(url: str, name: str) -> bool:
    try:
        return resolve(url, urlconf="ketnoi.urls").url_name == name
    except Resolver404:
        return False


urlpatterns = list(site_patterns)
if not _site_answers("/learning/", "courses"):
    urlpatterns.insert(0, path("learning/", include("ketnoi.learning.urls")))
if not _site_answers("/api/v1/learning/courses", "courses_list"):
    _api = NinjaAPI(urls_namespace="learning-api-test", renderer=Utf8JSONRenderer())
    _api.add_router("/learning", router)
    urlpatterns.insert(0, path("api/v1/", _api.urls))
