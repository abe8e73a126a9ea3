"""The household's own page (under ``/programmes/my/``): phone, code, then its programmes and payments."""

from django.urls import path

from .views import selfservice

urlpatterns = [
    path("my/", selfservice.my_view, name="my"),
    path("my/code/", selfservice.my_code_view, name="my_code"),
    path("my/leave/", selfservice.my_leave_view, name="my_leave"),
]
