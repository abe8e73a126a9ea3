from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from ketnoi.api.urls import api
from ketnoi.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/", include("ketnoi.accounts.urls")),
    path("places/", include("ketnoi.places.urls")),
    path("registry/", include("ketnoi.registry.urls")),
    path("payments/", include("ketnoi.payments.urls")),
    path("shipping/", include("ketnoi.shipping.urls")),
    path("programmes/", include("ketnoi.programmes.urls")),
    path("learning/", include("ketnoi.learning.urls")),
    path("4m/", include("ketnoi.mentoring.urls")),
    path("", include("ketnoi.market.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    urlpatterns += [path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]
