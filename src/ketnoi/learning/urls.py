"""Learning pages, mounted at ``/learning/`` (namespace ``learning``)."""

from django.urls import URLPattern, URLResolver, include, path

from . import views, views_offline

app_name = "learning"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.course_list_view, name="courses"),
    path("mine/", views.my_learning_view, name="mine"),
    path("sw.js", views_offline.service_worker_view, name="sw"),  # here, so that its scope is /learning/
    path("offline/", views_offline.offline_view, name="offline"),
    path("answers/sync", views.answers_sync_view, name="answers_sync"),
    path("activities/<int:activity_id>/answer", views.answer_view, name="answer"),
    path("certificates/<str:number>/", views.certificate_verify_view, name="certificate_verify"),
    path("certificates/<str:number>/print/", views.certificate_print_view, name="certificate_print"),
    path("courses/<slug:slug>/", views.course_view, name="course"),
    path("courses/<slug:slug>/<slug:lesson_slug>/", views.lesson_view, name="lesson"),
]
urlpatterns += [path("trainer/", include("ketnoi.learning.urls_trainer"))]  # the trainer's pages
