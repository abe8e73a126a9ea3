"""URLs of the registry's officer pages (mounted by registry/urls.py at ``households/``)."""

from django.urls import path

from .views import officer

urlpatterns = [
    path("", officer.queue_view, name="household_queue"),
    path("<int:household_id>/", officer.household_view, name="household_detail"),
    path("<int:household_id>/correct/", officer.correct_view, name="household_correct"),
    path("<int:household_id>/visit/", officer.visit_view, name="household_visit"),
    path("<int:household_id>/review/", officer.review_start_view, name="household_review_start"),
    path("<int:household_id>/verify/", officer.verify_view, name="household_verify"),
    path("<int:household_id>/return/", officer.return_view, name="household_return"),
    path("<int:household_id>/duplicates/<int:flag_id>/", officer.duplicate_view, name="household_duplicate"),
]
