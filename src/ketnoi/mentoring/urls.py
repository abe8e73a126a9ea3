"""Every page of the 4M cycle, under one namespace; each step keeps its own module."""

from . import urls_match, urls_meet, urls_mentor, urls_move

app_name = "mentoring"
urlpatterns = [
    *urls_meet.urlpatterns,
    *urls_match.urlpatterns,
    *urls_mentor.urlpatterns,
    *urls_move.urlpatterns,
]
