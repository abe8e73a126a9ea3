"""URLs of the registry's review pages (mounted by registry/urls.py under /registry/reviews/)."""

from django.urls import path

from .views import review as views

urlpatterns = [
    path("", views.rounds_view, name="review_rounds"),
    path("open/", views.round_open_view, name="review_open"),
    path("<int:pk>/", views.round_view, name="review_round"),
    path("<int:pk>/objections/", views.objections_view, name="review_objections"),
    path(
        "<int:pk>/objections/<int:objection_id>/resolve/",
        views.objection_resolve_view,
        name="review_objection_resolve",
    ),
    path(
        "<int:pk>/<slug:step>/",
        views.round_step_view,
        name="review_step",
    ),
    # The posted result: anyone may read it (while published or recognised) and object to it.
    path("public/<int:commune>/<int:year>/", views.public_view, name="review_public"),
    path("public/<int:commune>/<int:year>/result.pdf", views.public_pdf_view, name="review_public_pdf"),
    path(
        "public/<int:commune>/<int:year>/objection/",
        views.public_objection_view,
        name="review_public_objection",
    ),
]
