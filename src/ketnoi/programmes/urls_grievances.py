"""Complaint pages under /programmes/complaints/: filing and following one (no account needed),
and the officers' queue and case pages."""

from django.urls import path

from .views import grievances as views

urlpatterns = [
    # Anyone
    path("complaints/new/", views.complaint_new_view, name="complaint_new"),
    path("complaints/phone/", views.complaint_phone_view, name="complaint_phone"),
    path("complaints/phone/code/", views.complaint_phone_code_view, name="complaint_phone_code"),
    path("complaints/form/", views.complaint_form_view, name="complaint_form"),
    path("complaints/done/", views.complaint_done_view, name="complaint_done"),
    path("complaints/status/", views.complaint_status_view, name="complaint_status"),
    path("complaints/status/leave/", views.complaint_leave_view, name="complaint_leave"),
    path(
        "complaints/status/<str:reference>/",
        views.complaint_status_detail_view,
        name="complaint_status_detail",
    ),
    path("complaints/status/<str:reference>/appeal/", views.complaint_appeal_view, name="complaint_appeal"),
    # Officers
    path("complaints/queue/", views.complaint_queue_view, name="complaint_queue"),
    path("complaints/file/", views.complaint_file_view, name="complaint_file"),
    path("complaints/case/<str:reference>/", views.complaint_case_view, name="complaint_case"),
    path("complaints/case/<str:reference>/start/", views.complaint_start_view, name="complaint_start"),
    path("complaints/case/<str:reference>/note/", views.complaint_note_view, name="complaint_note"),
    path("complaints/case/<str:reference>/assign/", views.complaint_assign_view, name="complaint_assign"),
    path("complaints/case/<str:reference>/resolve/", views.complaint_resolve_view, name="complaint_resolve"),
    path("complaints/case/<str:reference>/close/", views.complaint_close_view, name="complaint_close"),
]
