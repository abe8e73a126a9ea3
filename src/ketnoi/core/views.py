from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ketnoi.core.journeys import journeys_for


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """What the platform is, and for each kind of user, her first job."""
    return render(request, "core/home.html", {"journeys": journeys_for(request.user)})


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For a load balancer: the process answers and the database is reachable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
