"""The registry's pages; each flow keeps its own URL module."""

from django.urls import include, path

app_name = "registry"

urlpatterns = [
    path("register/", include("ketnoi.registry.urls_register")),
    path("households/", include("ketnoi.registry.urls_officer")),
    path("reviews/", include("ketnoi.registry.urls_review")),
    path("dashboard/", include("ketnoi.registry.urls_insight")),
]
