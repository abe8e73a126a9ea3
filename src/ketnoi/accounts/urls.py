from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("language/", views.language_view, name="language"),
    path("profile/", views.profile_view, name="profile"),
    path("profile/consents/<slug:purpose>/", views.consent_view, name="consent"),
    path("area/people/", views.area_people_view, name="area_people"),
]
