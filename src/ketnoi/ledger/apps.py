from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "ketnoi.ledger"
    label = "ledger"
    verbose_name = _("Sổ cái")

    def ready(self) -> None:
        from .immutable import make_immutable

        for name in ("Transfer", "Posting"):
            make_immutable(self.get_model(name))
