"""Forms of the batch pages: prepare a batch, filter its payments, upload the bank's result."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ketnoi.payments.bank_files import MAX_RESULT_BYTES

from .models import Channel, DisbursementState
from .selectors_batches import Unbatched


class PrepareForm(forms.Form):
    channel = forms.ChoiceField(label=_("Kênh chi trả"), widget=forms.RadioSelect)
    communes = forms.TypedMultipleChoiceField(
        label=_("Xã/phường"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Để trống để lập lô cho mọi xã/phường của đợt."),
    )

    def __init__(self, *args: Any, waiting: Unbatched, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        counts: dict[str, int] = {
            Channel.BANK: waiting.bank,
            Channel.POST_OFFICE: waiting.post_office,
            Channel.VOUCHER: waiting.voucher,
        }
        choices = [
            (value, _("%(channel)s — %(count)s hộ đang chờ") % {"channel": label, "count": counts[value]})
            for value, label in Channel.choices
            if counts[value]
        ]
        self.fields["channel"].choices = choices  # type: ignore[attr-defined]
        if len(choices) == 1:
            self.fields["channel"].initial = choices[0][0]
        self.fields["communes"].choices = waiting.communes  # type: ignore[attr-defined]


class PaymentFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("Trạng thái"),
        required=False,
        choices=[("", _("Tất cả")), *DisbursementState.choices],
    )


class ResultForm(forms.Form):
    file = forms.FileField(
        label=_("Tệp kết quả của ngân hàng (.csv hoặc .xlsx)"),
        help_text=_(
            "Mỗi dòng một khoản: mã chi trả, số tiền, trạng thái, ngày, mã giao dịch, lý do. "
            "Tối đa %(max)s MB."
        )
        % {"max": MAX_RESULT_BYTES // (1024 * 1024)},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ".csv,.xlsx"
