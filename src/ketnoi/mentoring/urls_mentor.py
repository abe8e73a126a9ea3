"""Mentor: plans of accepted matches, their milestones and sessions, completing a match."""

from django.urls import path

from .views import mentor

urlpatterns = [
    path("mentor/", mentor.plan_list_view, name="mentor_plans"),
    path("mentor/matches/<int:match_id>/plan/", mentor.plan_create_view, name="mentor_plan_create"),
    path("mentor/matches/<int:match_id>/complete/", mentor.match_complete_view, name="mentor_match_complete"),
    path("mentor/plans/<int:plan_id>/", mentor.plan_detail_view, name="mentor_plan"),
    path("mentor/plans/<int:plan_id>/milestones/", mentor.milestone_add_view, name="mentor_milestone_add"),
    path("mentor/plans/<int:plan_id>/sessions/", mentor.session_schedule_view, name="mentor_session_new"),
    path("mentor/milestones/<int:milestone_id>/done/", mentor.milestone_done_view, name="mentor_done"),
    path("mentor/sessions/<int:session_id>/", mentor.session_record_view, name="mentor_session_record"),
]
