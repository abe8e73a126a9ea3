"""URLs of the registry's insight pages (mounted by registry/urls.py at ``dashboard/``):
the officers' dashboard, importing a household roll and exporting households."""

from django.urls import path

from .views import insight

urlpatterns = [
    path("", insight.dashboard_view, name="dashboard"),
    path("figures.xlsx", insight.dashboard_xlsx_view, name="dashboard_xlsx"),
    path("import/", insight.import_view, name="import"),
    path("import/template.xlsx", insight.import_template_view, name="import_template"),
    path("import/<int:batch_id>/", insight.import_batch_view, name="import_batch"),
    path("import/<int:batch_id>/commit/", insight.import_commit_view, name="import_commit"),
    path("import/<int:batch_id>/discard/", insight.import_discard_view, name="import_discard"),
    path("households.<str:format>", insight.export_view, name="households_export"),
]
