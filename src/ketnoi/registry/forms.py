"""Forms of the officer's pages. The rules live in ``services``; forms read what was typed.

The correction form never shows a CCCD in full: each member form carries the
member's id, and a blank CCCD box keeps the number already stored (decrypted
on the server only to hand it back to ``household_update``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ketnoi.core.money import parse_vnd
from ketnoi.core.phone import PhoneFormField
from ketnoi.poverty.facts import Device

from . import citizen_id
from .ethnicity import ethnic_groups
from .models import (
    AREA_CHOICES,
    EDUCATION_CHOICES,
    LATRINE_CHOICES,
    MATERIAL_CHOICES,
    MAX_FLOOR_AREA_M2,
    WATER_CHOICES,
    WORK_CHOICES,
    DuplicateFlag,
    Household,
    HouseholdStatus,
    Member,
    Relation,
    Sex,
)
from .services.households import MAX_MEMBERS, HouseholdInput, MemberInput

DEVICE_LABELS: dict[str, Any] = {
    Device.TELEVISION: _("Ti vi"),
    Device.RADIO: _("Đài, radio"),
    Device.COMPUTER: _("Máy vi tính"),
    Device.SMARTPHONE: _("Điện thoại thông minh"),
    Device.TABLET: _("Máy tính bảng"),
}
DEVICE_CHOICES = [(device.value, DEVICE_LABELS[device]) for device in Device]
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _yes_no(label: Any, help_text: Any = "") -> forms.BooleanField:
    return forms.BooleanField(label=label, help_text=help_text, required=False)


class QueueFilterForm(forms.Form):
    """The queue's filter: the households still waiting (default), or one status."""

    WAITING = ""
    status = forms.ChoiceField(
        label=_("Trạng thái"),
        required=False,
        choices=[(WAITING, _("Đang chờ xử lý (mọi trạng thái chưa xác minh)")), *HouseholdStatus.choices],
    )
    q = forms.CharField(
        label=_("Tìm theo mã hồ sơ hoặc tên chủ hộ"),
        required=False,
        max_length=60,
        help_text=_("Mã HO-… hoặc DK-… mà hộ đọc cho bạn, hoặc tên, gõ không dấu cũng được."),
    )


class HouseholdForm(forms.Form):
    """The household's facts, and why the officer changes them."""

    address_line = forms.CharField(
        label=_("Thôn/bản, tổ, số nhà"), max_length=200, required=False, widget=forms.TextInput()
    )
    area = forms.ChoiceField(label=_("Khu vực"), choices=AREA_CHOICES, widget=forms.RadioSelect)
    contact_phone = PhoneFormField(
        label=_("Số điện thoại liên hệ"),
        required=False,
        help_text=_("Số di động để báo cho hộ, ví dụ 0912 345 678. Có thể để trống."),
    )
    income_12m_vnd = forms.CharField(
        label=_("Tổng thu nhập của cả hộ trong 12 tháng qua (đồng)"),
        max_length=30,
        help_text=_("Tính cả tiền và hiện vật quy ra tiền, ví dụ 36.000.000."),
        error_messages={"required": _("Hãy nhập thu nhập của hộ (có thể là 0).")},
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    walls = forms.ChoiceField(label=_("Tường nhà"), choices=MATERIAL_CHOICES, widget=forms.RadioSelect)
    frame = forms.ChoiceField(label=_("Khung, cột nhà"), choices=MATERIAL_CHOICES, widget=forms.RadioSelect)
    roof = forms.ChoiceField(label=_("Mái nhà"), choices=MATERIAL_CHOICES, widget=forms.RadioSelect)
    floor_area_m2 = forms.CharField(
        label=_("Diện tích nhà ở (m²)"),
        max_length=10,
        help_text=_("Ví dụ 35 hoặc 35,5."),
        error_messages={"required": _("Hãy nhập diện tích nhà ở.")},
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    water_source = forms.ChoiceField(label=_("Nguồn nước sinh hoạt chính"), choices=WATER_CHOICES)
    latrine = forms.ChoiceField(label=_("Nhà tiêu"), choices=LATRINE_CHOICES)
    uses_telecom = _yes_no(_("Có người trong hộ dùng điện thoại hoặc internet"))
    devices = forms.MultipleChoiceField(
        label=_("Thiết bị tiếp cận thông tin hộ đang có"),
        choices=DEVICE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    waste_collected_or_treated = _yes_no(_("Rác thải sinh hoạt được thu gom hoặc xử lý"))
    reason = forms.CharField(
        label=_("Lý do sửa"),
        max_length=500,
        help_text=_("Ví dụ: đến hộ ngày 12/3, đo lại diện tích nhà. Lý do được lưu vào nhật ký."),
        error_messages={"required": _("Hãy ghi lý do sửa.")},
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_income_12m_vnd(self) -> int:
        return parse_vnd(self.cleaned_data["income_12m_vnd"])

    def clean_floor_area_m2(self) -> Decimal:
        raw = self.cleaned_data["floor_area_m2"].replace(" ", "").replace(",", ".")
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise ValidationError(_("Diện tích nhà phải là một số, ví dụ 35 hoặc 35,5.")) from None
        if not value.is_finite() or not 1 <= value <= MAX_FLOOR_AREA_M2:
            raise ValidationError(
                _("Diện tích nhà phải từ 1 đến %(max)s m²."), params={"max": MAX_FLOOR_AREA_M2}
            )
        return value.quantize(Decimal("0.1"))


class MemberForm(forms.Form):
    member_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    full_name = forms.CharField(
        label=_("Họ và tên"), max_length=120, error_messages={"required": _("Hãy nhập họ và tên.")}
    )
    birth_date = forms.DateField(
        label=_("Ngày sinh"),
        input_formats=DATE_INPUT_FORMATS,
        widget=DateInput(),
        error_messages={
            "required": _("Hãy nhập ngày sinh."),
            "invalid": _("Ngày sinh chưa đúng, ví dụ 12/04/1985."),
        },
    )
    sex = forms.ChoiceField(label=_("Giới tính"), choices=Sex.choices, widget=forms.RadioSelect)
    relation = forms.ChoiceField(label=_("Quan hệ với chủ hộ"), choices=Relation.choices)
    ethnic_group = forms.ChoiceField(label=_("Dân tộc"), choices=ethnic_groups())
    citizen_id = forms.CharField(
        label=_("Số CCCD (12 số)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    clear_citizen_id = _yes_no(_("Xoá số CCCD đã ghi"))
    education = forms.ChoiceField(label=_("Học vấn cao nhất"), choices=EDUCATION_CHOICES)
    attending_school = _yes_no(_("Đang đi học đúng cấp"))
    work = forms.ChoiceField(label=_("Việc làm"), choices=WORK_CHOICES)
    able_to_work = _yes_no(_("Còn khả năng lao động"))
    has_health_insurance = _yes_no(_("Có thẻ bảo hiểm y tế"))
    has_disability = _yes_no(_("Khuyết tật"))
    stunted_or_underweight = _yes_no(_("Trẻ suy dinh dưỡng (thấp còi, nhẹ cân)"))

    def clean_citizen_id(self) -> str:
        return "".join(self.cleaned_data["citizen_id"].split())


class BaseMemberFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        if any(self.errors):
            return
        if not any(f.cleaned_data and not f.cleaned_data.get("DELETE") for f in self.forms):
            raise ValidationError(_("Hộ phải có ít nhất một thành viên."))


MemberFormSet = forms.formset_factory(
    MemberForm,
    formset=BaseMemberFormSet,
    extra=1,
    can_delete=True,
    max_num=MAX_MEMBERS,
    validate_max=True,
)


def member_initial(member: Member) -> dict[str, Any]:
    """A member's current data for the correction form (the CCCD only masked, as a hint)."""
    return {
        "member_id": member.pk,
        "full_name": member.full_name,
        "birth_date": member.birth_date,
        "sex": member.sex,
        "relation": member.relation,
        "ethnic_group": member.ethnic_group,
        "citizen_id": "",
        "citizen_id_masked": member.citizen_id_masked,
        "education": member.education,
        "attending_school": member.attending_school,
        "work": member.work,
        "able_to_work": member.able_to_work,
        "has_health_insurance": member.has_health_insurance,
        "has_disability": member.has_disability,
        "stunted_or_underweight": member.stunted_or_underweight,
    }


def household_initial(household: Household) -> dict[str, Any]:
    return {
        "address_line": household.address_line,
        "area": household.area,
        "contact_phone": household.contact_phone,
        "income_12m_vnd": str(household.income_12m_vnd),
        "walls": household.walls,
        "frame": household.frame,
        "roof": household.roof,
        "floor_area_m2": str(household.floor_area_m2).replace(".", ","),
        "water_source": household.water_source,
        "latrine": household.latrine,
        "uses_telecom": household.uses_telecom,
        "devices": list(household.devices),
        "waste_collected_or_treated": household.waste_collected_or_treated,
    }


def household_input_from_forms(
    *, household: Household, members: list[Member], form: HouseholdForm, formset: forms.BaseFormSet[Any]
) -> HouseholdInput:
    """What the officer typed, as the service's input. Call after both forms are valid.

    A member whose CCCD box was left blank keeps the number stored for her
    (found by her id among ``members`` only, so a forged id keeps nothing).
    """
    stored = {m.pk: m for m in members}
    member_inputs = []
    for member_form in formset.forms:
        data = member_form.cleaned_data
        if not data or data.get("DELETE"):
            continue
        number = data["citizen_id"]
        existing = stored.get(data.get("member_id") or 0)
        if not number and not data["clear_citizen_id"] and existing and existing.citizen_id_encrypted:
            number = citizen_id.decrypt(existing.citizen_id_encrypted)
        member_inputs.append(
            MemberInput(
                full_name=data["full_name"],
                birth_date=data["birth_date"],
                sex=data["sex"],
                relation=data["relation"],
                ethnic_group=data["ethnic_group"],
                education=data["education"],
                has_health_insurance=data["has_health_insurance"],
                work=data["work"],
                citizen_id=number,
                has_disability=data["has_disability"],
                able_to_work=data["able_to_work"],
                attending_school=data["attending_school"],
                stunted_or_underweight=data["stunted_or_underweight"],
            )
        )
    facts = form.cleaned_data
    return HouseholdInput(
        commune_code=household.commune_id,
        area=facts["area"],
        income_12m_vnd=facts["income_12m_vnd"],
        walls=facts["walls"],
        frame=facts["frame"],
        roof=facts["roof"],
        floor_area_m2=facts["floor_area_m2"],
        water_source=facts["water_source"],
        latrine=facts["latrine"],
        uses_telecom=facts["uses_telecom"],
        waste_collected_or_treated=facts["waste_collected_or_treated"],
        devices=list(facts["devices"]),
        address_line=facts["address_line"],
        contact_phone=facts["contact_phone"] or "",
        members=member_inputs,
    )


class FieldVisitForm(forms.Form):
    visited_on = forms.DateField(
        label=_("Ngày đến hộ"),
        input_formats=DATE_INPUT_FORMATS,
        widget=DateInput(),
        error_messages={
            "required": _("Hãy chọn ngày đến hộ."),
            "invalid": _("Ngày chưa đúng, ví dụ 12/03/2026."),
        },
    )
    notes = forms.CharField(
        label=_("Ghi chú"),
        max_length=2000,
        required=False,
        help_text=_("Điều đã thấy, đã hỏi ở hộ."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today: date = timezone.localdate()
        self.fields["visited_on"].widget.attrs["max"] = today.isoformat()
        self.fields["visited_on"].initial = today


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Hộ cần sửa hoặc bổ sung điều gì?"),
        max_length=500,
        help_text=_("Viết ngắn, dễ hiểu: nội dung này được gửi cho hộ bằng tin nhắn."),
        error_messages={"required": _("Hãy ghi rõ hộ cần sửa hoặc bổ sung điều gì.")},
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DuplicateDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Quyết định của bạn"),
        choices=[
            (DuplicateFlag.Decision.DIFFERENT, _("Hai người khác nhau")),
            (DuplicateFlag.Decision.SAME_PERSON, _("Cùng một người")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Hãy chọn: hai người khác nhau, hay cùng một người.")},
    )
    note = forms.CharField(
        label=_("Ghi chú"),
        max_length=500,
        required=False,
        help_text=_("Ví dụ: đã gọi điện cho cán bộ xã kia, hai người khác năm sinh."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
