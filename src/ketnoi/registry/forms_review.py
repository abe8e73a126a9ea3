"""Forms of the annual review's pages. The rules live in ``services.review``; forms read what was typed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from ketnoi.places.models import Commune

from .services.review import (
    MAX_OBJECTION_DAYS,
    MIN_OBJECTION_DAYS,
    NOTE_MAX,
    OBJECTION_NAME_MAX,
    OBJECTION_TEXT_MAX,
    OBJECTION_TEXT_MIN,
    RESOLUTION_MAX,
)

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"]
DEFAULT_OBJECTION_DAYS = 5


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class CommuneChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}, {obj.province.name}"


class RoundOpenForm(forms.Form):
    """The commune from a list (commune and province officers) or by its code (national officers)."""

    year = forms.TypedChoiceField(label=_("Năm rà soát"), coerce=int)

    def __init__(self, *args: Any, communes: QuerySet[Commune] | None, this_year: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(this_year, this_year), (this_year - 1, this_year - 1)]  # type: ignore[attr-defined]
        if communes is not None:
            self.fields["commune"] = CommuneChoiceField(
                label=_("Xã/phường"),
                queryset=communes,
                empty_label=None,
                error_messages={"invalid_choice": _("Hãy chọn một xã/phường trong địa bàn của bạn.")},
            )
        else:
            self.fields["commune"] = forms.ModelChoiceField(
                label=_("Mã xã/phường"),
                help_text=_("Mã số chính thức của xã/phường, ví dụ 14173."),
                queryset=Commune.objects.select_related("province"),
                to_field_name="pk",
                widget=forms.TextInput(attrs={"inputmode": "numeric"}),
                error_messages={"invalid_choice": _("Không có xã/phường mã này.")},
            )
        self.order_fields(["commune", "year"])


class AgreeForm(forms.Form):
    meeting_date = forms.DateField(
        label=_("Ngày họp thôn"),
        input_formats=DATE_INPUT_FORMATS,
        widget=DateInput(),
        error_messages={
            "required": _("Hãy chọn ngày họp thôn."),
            "invalid": _("Ngày không đúng, ví dụ 25/11/2025."),
        },
    )
    note = forms.CharField(
        label=_("Ghi chú (không bắt buộc)"),
        help_text=_("Ví dụ: thôn nào họp, bao nhiêu người dự, biên bản số mấy."),
        required=False,
        max_length=NOTE_MAX,
        error_messages={"max_length": _("Ghi chú dài quá: tối đa %(limit_value)d ký tự.")},
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PublishForm(forms.Form):
    days = forms.IntegerField(
        label=_("Số ngày làm việc nhận ý kiến"),
        help_text=_("Không tính thứ Bảy, Chủ nhật. Ít nhất 3 ngày."),
        min_value=MIN_OBJECTION_DAYS,
        max_value=MAX_OBJECTION_DAYS,
        initial=DEFAULT_OBJECTION_DAYS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        label=_("Cách giải quyết"),
        help_text=_("Ghi rõ xã đã kiểm tra gì và trả lời người gửi thế nào."),
        max_length=RESOLUTION_MAX,
        error_messages={
            "required": _("Hãy ghi cách giải quyết ý kiến."),
            "max_length": _("Nội dung dài quá: tối đa %(limit_value)d ký tự."),
        },
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ObjectionForm(forms.Form):
    """Anyone's objection to a posted list. Lengths are limited here and again in the service."""

    from_name = forms.CharField(
        label=_("Họ tên người gửi"),
        max_length=OBJECTION_NAME_MAX,
        error_messages={
            "required": _("Hãy ghi tên người gửi."),
            "max_length": _("Tên dài quá: tối đa %(limit_value)d ký tự."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    number = forms.IntegerField(
        label=_("Số thứ tự của hộ trong danh sách (nếu ý kiến về một hộ)"),
        required=False,
        min_value=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    text = forms.CharField(
        label=_("Ý kiến của bạn"),
        help_text=_("Hộ nào, kết quả nào chưa đúng, và vì sao."),
        min_length=OBJECTION_TEXT_MIN,
        max_length=OBJECTION_TEXT_MAX,
        error_messages={
            "required": _("Hãy ghi nội dung ý kiến."),
            "min_length": _(
                "Nội dung ngắn quá: hãy ghi rõ hộ nào và vì sao (ít nhất %(limit_value)d ký tự)."
            ),
            "max_length": _("Nội dung dài quá: tối đa %(limit_value)d ký tự."),
        },
        widget=forms.Textarea(attrs={"rows": 4}),
    )
