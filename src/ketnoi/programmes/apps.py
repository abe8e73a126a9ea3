from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgrammesConfig(AppConfig):
    name = "ketnoi.programmes"
    verbose_name = _("Chương trình hỗ trợ")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (voucher redemptions mark disbursements paid)
