"""URLs of self-registration and its status page (mounted at /registry/register/)."""

from django.urls import path

from .views import register as views

urlpatterns = [
    path("", views.register_intro_view, name="register"),
    path("new/", views.register_new_view, name="register_new"),
    path("done/", views.register_done_view, name="register_done"),
    path("status/", views.register_status_view, name="register_status"),
    path("status/code/", views.register_status_code_view, name="register_status_code"),
    path("status/leave/", views.register_status_leave_view, name="register_status_leave"),
    path(
        "status/continue/<str:reference>/",
        views.register_status_continue_view,
        name="register_status_continue",
    ),
    # Last: the steps' names ("start", "place", …) never clash with the words above.
    path("<slug:step>/", views.register_step_view, name="register_step"),
]
