"""Meet: events, registration, meeting requests and the printed schedules."""

from django.urls import path

from .views import meet

urlpatterns = [
    path("meet/", meet.event_list_view, name="event_list"),
    path("meet/new/", meet.event_new_view, name="event_new"),
    path("meet/<int:event_id>/", meet.event_detail_view, name="event_detail"),
    path("meet/<int:event_id>/state/", meet.event_state_view, name="event_state"),
    path("meet/<int:event_id>/register/", meet.event_register_view, name="event_register"),
    path(
        "meet/<int:event_id>/registrations/<int:registration_id>/slots/",
        meet.registration_slots_view,
        name="registration_slots",
    ),
    path(
        "meet/<int:event_id>/registrations/<int:registration_id>/decide/",
        meet.registration_decide_view,
        name="registration_decide",
    ),
    path("meet/<int:event_id>/attendees/<int:registration_id>/", meet.attendee_view, name="attendee"),
    path("meet/<int:event_id>/requests/", meet.request_send_view, name="request_send"),
    path(
        "meet/<int:event_id>/requests/<int:request_id>/answer/",
        meet.request_answer_view,
        name="request_answer",
    ),
    path(
        "meet/<int:event_id>/requests/<int:request_id>/cancel/",
        meet.request_cancel_view,
        name="request_cancel",
    ),
    path("meet/<int:event_id>/schedule/", meet.event_schedule_view, name="event_schedule"),
    path("meet/<int:event_id>/schedule/all/", meet.schedule_all_view, name="schedule_all"),
    path("meet/<int:event_id>/schedule/tables/", meet.schedule_tables_view, name="schedule_tables"),
    path(
        "meet/<int:event_id>/schedule/<int:registration_id>/",
        meet.schedule_attendee_view,
        name="schedule_attendee",
    ),
]
