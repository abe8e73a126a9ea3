"""The programmes dashboard and its spreadsheet (under ``/programmes/dashboard/``)."""

from django.urls import path

from .views import insight

urlpatterns = [
    path("dashboard/", insight.dashboard_view, name="dashboard"),
    path("dashboard/figures.xlsx", insight.dashboard_xlsx_view, name="dashboard_xlsx"),
]
