from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class PovertyConfig(AppConfig):
    """No models: the app is here for its management command and its start-up check."""

    name = "ketnoi.poverty"
    label = "poverty"
    verbose_name = _("Chuẩn nghèo")

    def ready(self) -> None:
        checks.register(check_standards)


def check_standards(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """Load every standard's JSON file, so that a bad edit fails ``manage.py check`` at deploy."""
    from . import standards
    from .errors import StandardDataError

    try:
        standards.all()
    except StandardDataError as error:
        return [checks.Error(str(error), id="poverty.E001")]
    return []
