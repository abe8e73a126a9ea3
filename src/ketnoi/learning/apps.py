from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LearningConfig(AppConfig):
    name = "ketnoi.learning"
    verbose_name = _("Học kỹ năng")
    default_auto_field = "django.db.models.BigAutoField"
