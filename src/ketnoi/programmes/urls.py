"""Every page of the programmes app, under one namespace; each flow keeps its own module."""

from . import urls_batches, urls_cash, urls_grievances, urls_insight, urls_officer, urls_selfservice

app_name = "programmes"
urlpatterns = [
    *urls_officer.urlpatterns,
    *urls_batches.urlpatterns,
    *urls_cash.urlpatterns,
    *urls_selfservice.urlpatterns,
    *urls_grievances.urlpatterns,
    *urls_insight.urlpatterns,
]
