"""Forms of the self-registration wizard and the status page: one question group each.

The forms read what was typed (dates, yes/no, choices) and ask what is
missing; the rules of the domain (a birth date in the future, a CCCD that
contradicts it, an unknown commune, a floor area of 0) are checked by
``services.registration``, whose ``ValidationError`` is keyed by these
forms' field names and lands next to the field.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ketnoi.accounts.consents import CONSENT_TEXTS
from ketnoi.accounts.models import ConsentPurpose
from ketnoi.core.forms import OneTimeCodeForm, phone_field
from ketnoi.core.phone import PhoneFormField, format_phone

from .ethnicity import ethnic_groups
from .facts import age_on
from .models import (
    AREA_CHOICES,
    EDUCATION_CHOICES,
    LATRINE_CHOICES,
    MATERIAL_CHOICES,
    WATER_CHOICES,
    WORK_CHOICES,
    Relation,
    Sex,
)
from .services.registration_answers import CHILD_AGE, SCHOOL_AGE_MAX, WORKING_AGE, birth_date_clean

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

YES, NO = "yes", "no"
YES_NO_CHOICES = [(YES, _("Có")), (NO, _("Không"))]
DEVICE_CHOICES = [
    ("smartphone", _("Điện thoại thông minh (có mạng)")),
    ("television", _("Ti vi")),
    ("radio", _("Đài, radio")),
    ("computer", _("Máy tính")),
    ("tablet", _("Máy tính bảng")),
]
FILLER_CHOICES = [
    ("self", _("Tôi là người trong hộ")),
    ("helper", _("Tôi điền giúp một hộ khác")),
]
# Typed the Vietnamese way (day first), with whatever separator the phone's keyboard offers.
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %m %Y", "%Y-%m-%d"]
ANSWER_YES_NO = _("Hãy chọn Có hoặc Không.")
PICK_ONE = _("Hãy chọn một ô.")


def _yes_no(value: str) -> bool:
    return value == YES


class YesNoField(forms.TypedChoiceField):
    """Two big radio buttons, Có / Không, read as ``True``/``False`` (``None`` when not answered)."""

    def __init__(self, *, label: StrOrPromise, required: bool = True, **kwargs: Any) -> None:
        super().__init__(
            label=label,
            choices=YES_NO_CHOICES,
            coerce=_yes_no,
            empty_value=None,
            required=required,
            widget=forms.RadioSelect,
            error_messages={"required": ANSWER_YES_NO, "invalid_choice": ANSWER_YES_NO},
            **kwargs,
        )

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, bool):
            return YES if value else NO
        return value


def _radio(label: StrOrPromise, choices: Any, *, required: bool = True, **kwargs: Any) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=choices,
        required=required,
        widget=forms.RadioSelect,
        error_messages={"required": PICK_ONE, "invalid_choice": PICK_ONE},
        **kwargs,
    )


# --- Step 1: who and which phone --------------------------------------------------------


class StartForm(forms.Form):
    phone = PhoneFormField(
        label=_("Số điện thoại của hộ"),
        help_text=_("Số di động để nhận tin nhắn về đơn, ví dụ 0912 345 678."),
        error_messages={"required": _("Hãy nhập số điện thoại.")},
    )
    filler = _radio(_("Ai đang điền đơn này?"), FILLER_CHOICES)
    helper_name = forms.CharField(
        label=_("Tên người điền giúp"),
        help_text=_("Chỉ ghi nếu bạn điền giúp một hộ khác."),
        required=False,
        max_length=1000,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("filler") == "helper" and not (cleaned.get("helper_name") or "").strip():
            self.add_error("helper_name", _("Hãy ghi tên của bạn, người điền giúp."))
        if cleaned.get("filler") == "self":
            cleaned["helper_name"] = ""
        return cleaned

    @staticmethod
    def initial_for(phone: str, helper_name: str) -> dict[str, Any]:
        return {
            "phone": format_phone(phone),
            "filler": "helper" if helper_name else "self",
            "helper_name": helper_name,
        }


# --- Step 2: where the household lives ------------------------------------------------


class PlaceForm(forms.Form):
    """The saving half of the step; the commune search above it is a GET form of its own."""

    commune = forms.CharField(required=False, max_length=12)
    address_line = forms.CharField(
        label=_("Thôn, bản hoặc tổ dân phố"),
        help_text=_("Ví dụ: Bản Pá Sóng. Có số nhà thì ghi thêm."),
        required=False,
        max_length=1000,
    )
    area = _radio(_("Nơi ở thuộc"), AREA_CHOICES)


# --- Step 3: the people, one at a time ---------------------------------------------------


class MemberForm(forms.Form):
    full_name = forms.CharField(
        label=_("Họ và tên"),
        max_length=1000,
        error_messages={"required": _("Hãy ghi họ và tên.")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    birth_date = forms.DateField(
        label=_("Ngày sinh"),
        help_text=_("Ví dụ 12/04/1985. Không nhớ ngày thì ghi ngày 01/01 của năm sinh."),
        input_formats=DATE_INPUT_FORMATS,
        error_messages={
            "required": _("Hãy ghi ngày sinh."),
            "invalid": _("Ngày sinh chưa đúng. Hãy ghi theo mẫu ngày/tháng/năm, ví dụ 12/04/1985."),
        },
        # A text box, not the date picker: scrolling a cheap phone's picker back 40 years is hard.
        widget=forms.DateInput(format="%d/%m/%Y", attrs={"autocomplete": "off"}),
    )
    sex = _radio(_("Giới tính"), Sex.choices)
    relation = _radio(_("Quan hệ với chủ hộ"), Relation.choices)
    ethnic_group = forms.ChoiceField(
        label=_("Dân tộc"),
        choices=[("", _("— Chọn dân tộc —")), *ethnic_groups()],
        error_messages={"required": _("Hãy chọn dân tộc."), "invalid_choice": _("Hãy chọn dân tộc.")},
    )
    citizen_id = forms.CharField(
        label=_("Số CCCD (nếu có)"),
        help_text=_("12 chữ số trên thẻ căn cước. Không có thì để trống."),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    has_health_insurance = YesNoField(label=_("Có thẻ bảo hiểm y tế còn hạn không?"))
    has_disability = YesNoField(label=_("Có khuyết tật không?"))
    education = _radio(
        _("Học xong đến lớp nào?"),
        EDUCATION_CHOICES,
        required=False,
        help_text=_("Trả lời cho người từ 6 tuổi."),
    )
    attending_school = YesNoField(
        label=_("Đang đi học không?"),
        required=False,
        help_text=_("Trả lời cho người dưới 25 tuổi."),
    )
    work = _radio(
        _("Việc làm chính"),
        WORK_CHOICES,
        required=False,
        help_text=_("Trả lời cho người từ 15 tuổi."),
    )
    able_to_work = YesNoField(
        label=_("Còn làm việc được không?"),
        required=False,
        help_text=_("Chọn Không nếu ốm nặng, khuyết tật nặng. Trả lời cho người từ 15 tuổi."),
    )
    stunted_or_underweight = YesNoField(
        label=_("Trẻ có bị suy dinh dưỡng (thấp còi, nhẹ cân) không?"),
        required=False,
        help_text=_("Trả lời cho trẻ dưới 16 tuổi. Trạm y tế hoặc cô giáo thường biết."),
    )

    # Questions asked only at some ages (the ages in the help texts above): (field, applies?)
    AGE_QUESTIONS = (
        ("education", lambda age: age >= 6),
        ("attending_school", lambda age: age < SCHOOL_AGE_MAX),
        ("work", lambda age: age >= WORKING_AGE),
        ("able_to_work", lambda age: age >= WORKING_AGE),
        ("stunted_or_underweight", lambda age: age < CHILD_AGE),
    )

    def clean_birth_date(self) -> date:
        # Said now rather than after the other answers are complete: the service's own rule.
        try:
            return birth_date_clean(self.cleaned_data["birth_date"])
        except ValidationError as error:
            raise ValidationError(error.messages) from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        birth_date: date | None = cleaned.get("birth_date")
        if birth_date is not None and birth_date <= timezone.localdate():
            age = age_on(birth_date, timezone.localdate())
            for name, applies in self.AGE_QUESTIONS:
                if applies(age) and cleaned.get(name) in (None, "") and name not in self.errors:
                    message = ANSWER_YES_NO if isinstance(self.fields[name], YesNoField) else PICK_ONE
                    self.add_error(name, message)
        return cleaned


class MemberPositionForm(forms.Form):
    position = forms.IntegerField(min_value=0, max_value=99)


# --- Step 4: the home ------------------------------------------------------------------------


class HomeForm(forms.Form):
    walls = _radio(_("Tường nhà làm bằng gì?"), MATERIAL_CHOICES)
    frame = _radio(_("Khung, cột nhà làm bằng gì?"), MATERIAL_CHOICES)
    roof = _radio(_("Mái nhà làm bằng gì?"), MATERIAL_CHOICES)
    floor_area_m2 = forms.CharField(
        label=_("Diện tích nhà ở, khoảng bao nhiêu mét vuông?"),
        help_text=_("Dài nhân rộng. Ví dụ nhà dài 8 m, rộng 5 m thì ghi 40."),
        max_length=20,
        error_messages={"required": _("Hãy ghi diện tích nhà, ví dụ 40.")},
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    water_source = _radio(_("Nước ăn uống lấy từ đâu?"), WATER_CHOICES)
    latrine = _radio(_("Nhà tiêu (nhà vệ sinh) loại nào?"), LATRINE_CHOICES)


# --- Step 5: phone, internet, devices, waste -------------------------------------------------


class ConnectForm(forms.Form):
    uses_telecom = YesNoField(
        label=_("Trong hộ có ai dùng điện thoại hoặc internet không?"),
        help_text=_("Gọi điện, nhắn tin, lên mạng đều tính."),
    )
    devices = forms.MultipleChoiceField(
        label=_("Hộ có những thứ nào sau đây?"),
        help_text=_("Chọn tất cả những thứ hộ có và dùng được. Không có thì bỏ trống."),
        choices=DEVICE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Hãy chọn trong các thiết bị có sẵn.")},
    )
    waste_collected_or_treated = YesNoField(
        label=_("Rác của nhà có được thu gom hoặc xử lý (chôn, đốt đúng chỗ, ủ phân) không?"),
    )


# --- Step 6: income --------------------------------------------------------------------------


class IncomeForm(forms.Form):
    income_month = forms.CharField(
        label=_("Trung bình một tháng, cả nhà có khoảng bao nhiêu tiền?"),
        help_text=_(
            "Cộng tất cả: bán lúa, ngô, chè, con vật nuôi, tiền công, tiền người nhà gửi về. "
            "Ghi bằng số, ví dụ 2.500.000. Chúng tôi nhân với 12 tháng."
        ),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    income_year = forms.CharField(
        label=_("Hoặc, nếu bạn biết: tổng cả 12 tháng qua"),
        help_text=_("Không biết thì để trống."),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    @staticmethod
    def initial_for(stored: dict[str, Any] | None) -> dict[str, Any]:
        from ketnoi.core.money import format_vnd

        values = stored or {}

        def show(amount: int | None) -> str:
            return "" if amount is None else format_vnd(amount, language="vi").replace("₫", "").strip()

        return {
            "income_month": show(values.get("income_month")),
            "income_year": show(values.get("income_year")),
        }


# --- Step 7: consent -----------------------------------------------------------------------------


class ConsentForm(forms.Form):
    """Boxes start unticked: only a box the person ticks herself counts as consent."""

    household_review = forms.BooleanField(label=_("Tôi đồng ý"), required=False)
    notifications = forms.BooleanField(label=_("Tôi đồng ý"), required=False)

    @staticmethod
    def texts() -> dict[str, Any]:
        return {
            ConsentPurpose.HOUSEHOLD_REVIEW: CONSENT_TEXTS[ConsentPurpose.HOUSEHOLD_REVIEW],
            ConsentPurpose.NOTIFICATIONS: CONSENT_TEXTS[ConsentPurpose.NOTIFICATIONS],
        }


# --- The status page ----------------------------------------------------------------------------


class StatusPhoneForm(forms.Form):
    phone = phone_field(
        label=_("Số điện thoại đã dùng khi gửi đơn"),
        help_text=_("Chúng tôi gửi một mã gồm 6 chữ số đến số này."),
    )


StatusCodeForm = OneTimeCodeForm
