from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MentoringConfig(AppConfig):
    name = "ketnoi.mentoring"
    verbose_name = _("Kết nối 4M: gặp gỡ, kết nối, cố vấn, phát triển")
    default_auto_field = "django.db.models.BigAutoField"
