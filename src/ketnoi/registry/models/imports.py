"""A household roll uploaded by an officer: checked in a dry run, then committed whole."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ketnoi.core.models import BaseModel
from ketnoi.places.models import Commune


class ImportBatch(BaseModel):
    class State(models.TextChoices):
        CHECKED = "checked", _("Đã kiểm tra (chưa lưu)")
        COMMITTED = "committed", _("Đã lưu")
        DISCARDED = "discarded", _("Đã huỷ")

    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to="imports/%Y/%m/")
    filename = models.CharField(_("tên tệp"), max_length=200)
    state = models.CharField(_("trạng thái"), max_length=10, choices=State.choices, default=State.CHECKED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_ok = models.PositiveIntegerField(default=0)
    rows_bad = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=list, blank=True)  # [{"line": n, "reason": "..."}]
    committed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("lần nhập danh sách hộ")
        verbose_name_plural = _("các lần nhập danh sách hộ")
