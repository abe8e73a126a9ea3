"""The trainer's pages, included by ``learning.urls`` under ``trainer/`` (names ``learning:trainer_*``)."""

from django.urls import path

from . import views_trainer

urlpatterns = [
    path("", views_trainer.trainer_home_view, name="trainer_home"),
    path("groups/new/", views_trainer.group_create_view, name="trainer_group_create"),
    path("groups/<int:group_id>/", views_trainer.group_view, name="trainer_group"),
    path("groups/<int:group_id>/edit/", views_trainer.group_edit_view, name="trainer_group_edit"),
    path(
        "groups/<int:group_id>/learners/", views_trainer.group_learners_add_view, name="trainer_learners_add"
    ),
    path(
        "groups/<int:group_id>/learners/<int:learner_id>/remove/",
        views_trainer.group_learner_remove_view,
        name="trainer_learner_remove",
    ),
    path("export.<str:fmt>", views_trainer.progress_export_view, name="trainer_export"),
]
