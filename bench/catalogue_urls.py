"""The product's URLs plus ``/bench/bare/``: a bare Django view rendering one small template.

It is the baseline of bench/bench_catalogue.py: same server, same middleware,
no database, one template.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path


def bare_view(request: HttpRequest) -> HttpResponse:
    return render(
        request, "bench_bare.html", {"title": "Kết Nối", "items": ["thổ cẩm", "miến tỏi đen", "mật ong"]}
    )


def frame_view(request: HttpRequest) -> HttpResponse:
    """The site's frame alone (base.html with no content): what any page of the site costs at least."""
    return render(request, "base.html")


urlpatterns = [
    path("bench/bare/", bare_view),
    path("bench/frame/", frame_view),
    path("", include("ketnoi.urls")),
]
