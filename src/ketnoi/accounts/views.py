# Placeholder views, replaced in the accounts work.
from django.http import HttpResponse


def login_view(request):
    return HttpResponse("login")


logout_view = language_view = profile_view = area_people_view = login_view
