"""Forms of the complaint pages. They check shape and length; the service checks the rest."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ketnoi.core.forms import OneTimeCodeForm, phone_field
from ketnoi.core.phone import MAX_INPUT_LENGTH

from .models import Grievance, Programme
from .selectors_grievances import FLAG_AT_RISK, FLAG_BREACHED, STATE_ACTIVE, STATE_ALL
from .services.grievances import DESCRIPTION_MAX, NAME_MAX

TOO_LONG = _("Dài quá: tối đa %(limit_value)s ký tự, bạn đã viết %(show_value)s ký tự.")


def _text(label: Any, *, required_message: Any, help_text: Any = "", rows: int = 6) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        max_length=DESCRIPTION_MAX,
        error_messages={"required": required_message, "max_length": TOO_LONG},
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class ComplaintForm(forms.Form):
    """What happened, where, and (optionally) under which programme.

    ``commune`` is the code chosen in the commune picker above the form.
    """

    commune = forms.CharField(required=False, max_length=12)
    category = forms.ChoiceField(
        label=_("Bạn muốn phản ánh việc gì?"),
        choices=Grievance.Category.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Hãy chọn một loại phản ánh."),
            "invalid_choice": _("Hãy chọn loại phản ánh trong danh sách."),
        },
    )
    description = _text(
        _("Kể lại sự việc"),
        help_text=_("Chuyện gì đã xảy ra, ở đâu, khi nào. Viết bằng lời của bạn, không cần trang trọng."),
        required_message=_("Hãy viết vài dòng: chuyện gì đã xảy ra, ở đâu, khi nào."),
    )
    programme = forms.ModelChoiceField(
        label=_("Chương trình hỗ trợ (nếu biết)"),
        queryset=Programme.objects.filter(state=Programme.State.ACTIVE).order_by("name"),
        to_field_name="code",
        required=False,
        empty_label=_("Không rõ, hoặc không thuộc chương trình nào"),
        error_messages={"invalid_choice": _("Hãy chọn chương trình trong danh sách.")},
    )
    complainant_name = forms.CharField(
        label=_("Tên của bạn (không bắt buộc)"),
        required=False,
        max_length=NAME_MAX,
        error_messages={"max_length": TOO_LONG},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def clean_commune(self) -> str:
        code = str(self.cleaned_data.get("commune") or "").strip()
        if not code:
            raise forms.ValidationError(
                _("Hãy chọn xã/phường nơi xảy ra việc (tìm theo tên rồi chọn trong danh sách).")
            )
        return code


class OfficerComplaintForm(ComplaintForm):
    """An officer writes down a complaint told to her, on the person's behalf."""

    complainant_name = forms.CharField(
        label=_("Tên người phản ánh (không bắt buộc)"),
        required=False,
        max_length=NAME_MAX,
        error_messages={"max_length": TOO_LONG},
    )
    complainant_phone = forms.CharField(
        label=_("Số điện thoại người phản ánh (không bắt buộc)"),
        help_text=_("Để báo kết quả qua tin nhắn."),
        required=False,
        max_length=MAX_INPUT_LENGTH,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    household = forms.CharField(
        label=_("Mã hộ HO-… (không bắt buộc)"),
        required=False,
        max_length=20,
    )


class PhoneForm(forms.Form):
    phone = phone_field(
        label=_("Số điện thoại di động của bạn"),
        help_text=_("Chúng tôi gửi một mã gồm 6 chữ số đến số này, và báo kết quả qua số này."),
    )


CodeForm = OneTimeCodeForm


class StatusForm(forms.Form):
    reference = forms.CharField(
        label=_("Mã phản ánh"),
        help_text=_("Ví dụ: PA-2026-123456."),
        max_length=30,
        error_messages={"required": _("Hãy nhập mã phản ánh.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    tracking_code = forms.CharField(
        label=_("Mã theo dõi"),
        help_text=_("Mã gồm 10 chữ và số bạn đã chép lại khi gửi phản ánh."),
        max_length=30,
        error_messages={"required": _("Hãy nhập mã theo dõi.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


class AppealForm(forms.Form):
    text = _text(
        _("Vì sao bạn chưa đồng ý với kết quả?"),
        required_message=_("Hãy viết vì sao bạn chưa đồng ý với kết quả."),
        rows=5,
    )
    tracking_code = forms.CharField(
        label=_("Mã theo dõi"),
        help_text=_("Nhập lại mã theo dõi để chắc chắn đó là bạn."),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


class NoteForm(forms.Form):
    text = _text(_("Ghi chú"), required_message=_("Hãy viết nội dung ghi chú."), rows=3)
    public = forms.BooleanField(
        label=_("Cho người phản ánh xem ghi chú này"),
        required=False,
    )


class ResolveForm(forms.Form):
    resolution = _text(
        _("Kết quả giải quyết"),
        help_text=_("Người phản ánh sẽ đọc phần này: viết rõ, dễ hiểu, nói việc đã làm và việc sẽ làm."),
        required_message=_("Hãy ghi kết quả giải quyết để người phản ánh đọc được."),
        rows=5,
    )


class AssignForm(forms.Form):
    assignee = forms.TypedChoiceField(
        label=_("Giao cho"),
        coerce=int,
        error_messages={
            "required": _("Hãy chọn cán bộ."),
            "invalid_choice": _("Hãy chọn cán bộ trong danh sách."),
        },
    )
    note = forms.CharField(label=_("Lời nhắn (không bắt buộc)"), required=False, max_length=500)

    def __init__(self, *args: Any, officers: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", _("— Chọn cán bộ —"))] + [  # type: ignore[attr-defined]
            (officer.pk, str(officer)) for officer in officers
        ]


class QueueFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("Trạng thái"),
        required=False,
        choices=[
            (STATE_ACTIVE, _("Chưa xong (mới, đang giải quyết, khiếu nại lại)")),
            *Grievance.State.choices,
            (STATE_ALL, _("Tất cả")),
        ],
    )
    category = forms.ChoiceField(
        label=_("Loại"), required=False, choices=[("", _("Mọi loại")), *Grievance.Category.choices]
    )
    flag = forms.ChoiceField(
        label=_("Hạn"),
        required=False,
        choices=[("", _("Mọi hạn")), (FLAG_AT_RISK, _("Sắp đến hạn")), (FLAG_BREACHED, _("Quá hạn"))],
    )
    mine = forms.BooleanField(label=_("Chỉ phản ánh giao cho tôi"), required=False)
