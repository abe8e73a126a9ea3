"""Disbursement batches (under ``/programmes/batches/``): a cycle's batches, one batch, its files."""

from django.urls import path

from .views import batches

urlpatterns = [
    path("batches/cycle/<str:code>/<int:number>/", batches.batch_list_view, name="batch_list"),
    path("batches/<int:batch_id>/", batches.batch_detail_view, name="batch_detail"),
    path("batches/<int:batch_id>/approve/", batches.batch_approve_view, name="batch_approve"),
    path("batches/<int:batch_id>/start/", batches.batch_start_view, name="batch_start"),
    path("batches/<int:batch_id>/file.<str:fmt>", batches.batch_file_view, name="batch_file"),
    path("batches/<int:batch_id>/result/", batches.batch_result_view, name="batch_result"),
]
