"""Forms of the trainer's pages. They read what was typed; the rules live in ``services_trainer``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from ketnoi.places.models import Commune

from .models import Course
from .services_trainer import MAX_PHONES_AT_ONCE, NAME_MAX


class CommuneChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}, {obj.province.name}"


class CourseChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.title)


class GroupForm(forms.Form):
    """Name and courses; for a new group also the commune (from a list, or by code for an administrator)."""

    name = forms.CharField(
        label=_("Tên lớp"),
        max_length=NAME_MAX,
        help_text=_("Ví dụ: Lớp bán hàng bản Nà Sản, tháng 5."),
        error_messages={
            "required": _("Hãy đặt tên cho lớp học."),
            "max_length": _("Tên lớp dài quá: tối đa %(limit_value)d ký tự."),
        },
    )

    def __init__(
        self,
        *args: Any,
        courses: QuerySet[Course],
        communes: QuerySet[Commune] | None,
        with_commune: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if with_commune:
            if communes is not None:
                self.fields["commune"] = CommuneChoiceField(
                    label=_("Xã/phường"),
                    queryset=communes,
                    empty_label=None,
                    error_messages={"invalid_choice": _("Hãy chọn một xã/phường trong tỉnh bạn phụ trách.")},
                )
            else:
                self.fields["commune"] = forms.ModelChoiceField(
                    label=_("Mã xã/phường"),
                    help_text=_("Mã số chính thức của xã/phường, ví dụ 14173."),
                    queryset=Commune.objects.select_related("province"),
                    widget=forms.TextInput(attrs={"inputmode": "numeric"}),
                    error_messages={
                        "invalid_choice": _("Không có xã/phường mã này."),
                        "required": _("Hãy nhập mã xã/phường."),
                    },
                )
        self.fields["courses"] = CourseChoiceField(
            label=_("Khoá học của lớp"),
            queryset=courses,
            required=False,
            widget=forms.CheckboxSelectMultiple,
            error_messages={"invalid_choice": _("Khoá học này không có hoặc chưa công bố.")},
        )


class LearnersAddForm(forms.Form):
    phones = forms.CharField(
        label=_("Số điện thoại người học"),
        widget=forms.Textarea(attrs={"rows": 4, "inputmode": "tel", "autocomplete": "off"}),
        max_length=MAX_PHONES_AT_ONCE * 20,
        error_messages={"required": _("Hãy nhập ít nhất một số điện thoại.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phones"].help_text = _(
            "Mỗi dòng một số, tối đa %(max)s số. Người học cần có tài khoản Kết Nối trước."
        ) % {"max": MAX_PHONES_AT_ONCE}
