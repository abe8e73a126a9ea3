"""Forms of the 4M pages. They read and tidy input; the rules live in ``services``.

Choices are big checkboxes and radio buttons (``fieldset.big``): easier on a
small screen than a multi-select, and readable aloud.
"""

from __future__ import annotations

import datetime as _dt
from datetime import timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ketnoi.core.forms import VndField
from ketnoi.market.models import Category
from ketnoi.places.models import Province

from .models import Event, Need, Partner
from .services.events import MAX_SLOTS, MAX_TABLES
from .services.needs import LANGUAGES, MAX_CAPACITY, MIN_CAPACITY

CHECKBOXES = forms.CheckboxSelectMultiple


class DateInput(forms.DateInput):
    input_type = "date"


class TimeInput(forms.TextInput):
    input_type = "time"


def _language_choices() -> list[tuple[str, str]]:
    return list(LANGUAGES.items())


# --- Needs and offers -----------------------------------------------------------------------------


class NeedsForm(forms.Form):
    needs = forms.MultipleChoiceField(
        label=_("Hợp tác xã cần hỗ trợ việc gì?"),
        choices=Need.choices,
        widget=CHECKBOXES,
        error_messages={"required": _("Hãy chọn ít nhất một việc cần hỗ trợ.")},
    )
    categories = forms.ModelMultipleChoiceField(
        label=_("Nhóm hàng của hợp tác xã"),
        queryset=Category.objects.all(),
        widget=CHECKBOXES,
        required=False,
        help_text=_("Bỏ trống thì lấy theo các sản phẩm đang bán."),
    )
    monthly_capacity = forms.CharField(
        label=_("Mỗi tháng làm được bao nhiêu?"),
        max_length=120,
        required=False,
        help_text=_("Ví dụ: 200 tấm vải, 500 kg chè."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Ngôn ngữ chị em nói được"), choices=_language_choices, widget=CHECKBOXES, required=False
    )
    notes = forms.CharField(
        label=_("Ghi chú thêm (chỉ cán bộ chương trình thấy)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PartnerForm(forms.Form):
    kind = forms.ChoiceField(label=_("Bạn là"), choices=Partner.Kind.choices, widget=forms.RadioSelect)
    organisation = forms.CharField(label=_("Tên tổ chức hoặc tên của bạn"), max_length=200)
    about = forms.CharField(
        label=_("Giới thiệu ngắn"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    offers = forms.MultipleChoiceField(
        label=_("Bạn hỗ trợ được việc gì?"),
        choices=Need.choices,
        widget=CHECKBOXES,
        error_messages={"required": _("Hãy chọn ít nhất một việc bạn hỗ trợ được.")},
    )
    categories = forms.ModelMultipleChoiceField(
        label=_("Nhóm hàng bạn làm việc cùng"),
        queryset=Category.objects.all(),
        widget=CHECKBOXES,
        required=False,
        help_text=_("Bỏ trống nếu bạn nhận mọi nhóm hàng."),
    )
    provinces = forms.ModelMultipleChoiceField(
        label=_("Tỉnh bạn phục vụ"),
        queryset=Province.objects.all(),
        widget=CHECKBOXES,
        error_messages={"required": _("Hãy chọn ít nhất một tỉnh bạn phục vụ.")},
    )
    languages = forms.MultipleChoiceField(
        label=_("Ngôn ngữ bạn nói được"), choices=_language_choices, widget=CHECKBOXES, required=False
    )
    capacity = forms.IntegerField(
        label=_("Cùng lúc nhận được bao nhiêu hợp tác xã?"),
        min_value=MIN_CAPACITY,
        max_value=MAX_CAPACITY,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    active = forms.BooleanField(label=_("Đang nhận hợp tác xã mới"), required=False, initial=True)


# --- Meet -----------------------------------------------------------------------------------------


class EventForm(forms.Form):
    name = forms.CharField(label=_("Tên sự kiện"), max_length=200)
    kind = forms.ChoiceField(label=_("Hình thức"), choices=Event.Kind.choices, widget=forms.RadioSelect)
    province = forms.ModelChoiceField(label=_("Tỉnh"), queryset=Province.objects.none())
    venue = forms.CharField(label=_("Địa điểm"), max_length=200, required=False)
    starts_on = forms.DateField(label=_("Ngày diễn ra"), widget=DateInput)
    tables = forms.IntegerField(label=_("Số bàn gặp"), min_value=1, max_value=MAX_TABLES, initial=10)
    first_slot = forms.CharField(label=_("Cuộc gặp đầu tiên lúc"), initial="08:00", widget=TimeInput)
    minutes = forms.IntegerField(label=_("Mỗi cuộc gặp (phút)"), min_value=5, max_value=240, initial=20)
    pause = forms.IntegerField(label=_("Nghỉ giữa hai cuộc (phút)"), min_value=0, max_value=120, initial=5)
    count = forms.IntegerField(label=_("Số khung giờ"), min_value=1, max_value=MAX_SLOTS, initial=12)

    def __init__(self, *args: Any, provinces: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["province"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = provinces
        self.fields["starts_on"].initial = timezone.localdate() + timedelta(days=14)


def slot_choices(event: Event) -> list[tuple[str, str]]:
    return [(str(i), f"{span['start']}–{span['end']}") for i, span in enumerate(event.slots or [])]


class RegistrationForm(forms.Form):
    """Register one of her cooperatives or her partner profile, with the slots she is there."""

    attendee = forms.ChoiceField(label=_("Đăng ký cho"), widget=forms.RadioSelect)
    available_slots = forms.MultipleChoiceField(
        label=_("Khung giờ có mặt"),
        widget=CHECKBOXES,
        required=False,
        help_text=_("Bỏ trống nếu có mặt cả ngày."),
    )
    note = forms.CharField(label=_("Ghi chú cho người tổ chức"), max_length=500, required=False)

    def __init__(self, *args: Any, event: Event, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        attendee = self.fields["attendee"]
        assert isinstance(attendee, forms.ChoiceField)
        attendee.choices = choices
        if len(choices) == 1:
            attendee.initial = choices[0][0]
        slots = self.fields["available_slots"]
        assert isinstance(slots, forms.MultipleChoiceField)
        slots.choices = slot_choices(event)


class SlotsForm(forms.Form):
    available_slots = forms.MultipleChoiceField(
        label=_("Khung giờ có mặt"),
        widget=CHECKBOXES,
        required=False,
        help_text=_("Bỏ trống nếu có mặt cả ngày."),
    )

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        slots = self.fields["available_slots"]
        assert isinstance(slots, forms.MultipleChoiceField)
        slots.choices = slot_choices(event)


class RequestForm(forms.Form):
    sender = forms.IntegerField(widget=forms.HiddenInput)
    receiver = forms.IntegerField(widget=forms.HiddenInput)
    message = forms.CharField(label=_("Lời nhắn (không bắt buộc)"), max_length=500, required=False)


# --- Match ----------------------------------------------------------------------------------------


class RoundForm(forms.Form):
    name = forms.CharField(label=_("Tên đợt kết nối"), max_length=200)
    province = forms.ModelChoiceField(
        label=_("Tỉnh"), queryset=Province.objects.none(), required=False, empty_label=_("Cả nước")
    )

    def __init__(self, *args: Any, provinces: Any, national: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["province"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = provinces
        field.required = not national
        if not national:
            field.empty_label = None


# --- Mentor and Move ------------------------------------------------------------------------------

PLAN_MILESTONE_ROWS = 3


class IsoDateInput(forms.DateInput):
    """``<input type=date>`` with its value written as the browser expects (``2026-05-31``)."""

    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class MonthInput(forms.TextInput):
    """``<input type=month>``: phones show a month picker; others type ``2026-05``."""

    input_type = "month"


class MonthField(forms.Field):
    """A month typed as ``2026-05`` or ``05/2026``: the first day of that month."""

    widget = MonthInput

    def to_python(self, value: Any) -> _dt.date | None:
        text = str(value or "").strip()
        if not text:
            return None
        for pattern in ("%Y-%m", "%m/%Y", "%m-%Y", "%Y/%m"):
            try:
                return _dt.datetime.strptime(text, pattern).date().replace(day=1)  # noqa: DTZ007 - a month, no time
            except ValueError:
                continue
        raise ValidationError(_("Hãy chọn tháng, ví dụ 2026-05."), code="invalid_month")

    def prepare_value(self, value: Any) -> Any:
        return f"{value:%Y-%m}" if isinstance(value, _dt.date) else value


class AmountField(VndField):
    """Revenue in đồng; a negative figure gets its own plain message."""

    def clean(self, value: Any) -> int | None:
        if str(value or "").strip().startswith("-"):
            raise ValidationError(
                _("Doanh thu không thể âm. Tháng không bán được gì thì ghi 0."), code="revenue_negative"
            )
        return super().clean(value)


class PlanForm(forms.Form):
    goals = forms.CharField(
        label=_("Mục tiêu của kế hoạch"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Ví dụ: lên sàn thương mại điện tử trong 3 tháng; làm bao bì mới; đạt OCOP 3 sao."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for row in range(1, PLAN_MILESTONE_ROWS + 1):
            self.fields[f"milestone_{row}"] = forms.CharField(
                label=_("Mốc %(number)s") % {"number": row}, max_length=200, required=False
            )
            self.fields[f"due_{row}"] = forms.DateField(
                label=_("Hạn của mốc %(number)s") % {"number": row}, required=False, widget=IsoDateInput()
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for row in range(1, PLAN_MILESTONE_ROWS + 1):
            if data.get(f"milestone_{row}") and not data.get(f"due_{row}"):
                self.add_error(f"due_{row}", _("Hãy chọn ngày hạn cho mốc này."))
        return data

    def milestones(self) -> list[tuple[str, _dt.date]]:
        data = self.cleaned_data
        return [
            (data[f"milestone_{row}"], data[f"due_{row}"])
            for row in range(1, PLAN_MILESTONE_ROWS + 1)
            if data.get(f"milestone_{row}")
        ]


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("Mốc mới"), max_length=200)
    due_on = forms.DateField(label=_("Hạn"), widget=IsoDateInput())


class SessionScheduleForm(forms.Form):
    day = forms.DateField(label=_("Ngày"), widget=IsoDateInput())
    time = forms.TimeField(
        label=_("Giờ"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        input_formats=["%H:%M"],
    )

    def starts_at(self) -> _dt.datetime:
        return timezone.make_aware(_dt.datetime.combine(self.cleaned_data["day"], self.cleaned_data["time"]))


class SessionRecordForm(forms.Form):
    held = forms.TypedChoiceField(
        label=_("Buổi tư vấn có diễn ra không?"),
        choices=[("1", _("Có, đã gặp")), ("0", _("Không, phải hoãn"))],
        coerce=lambda value: value == "1",
        initial="1",
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(
        label=_("Ghi chép"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Hai bên đã bàn những gì; nếu buổi bị hoãn, vì sao."),
    )
    next_steps = forms.CharField(
        label=_("Việc tiếp theo đã thống nhất"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RevenueMonthForm(forms.Form):
    month = MonthField(label=_("Tháng"))
    revenue_vnd = AmountField(
        label=_("Doanh thu (đồng)"),
        required=False,
        help_text=_(
            "Ví dụ 12.500.000. Tháng không bán được thì ghi 0. Để trống nếu chỉ ghi số người hưởng lợi "
            "cho một tháng đã có doanh thu."
        ),
    )
    new_buyers = forms.IntegerField(
        label=_("Người mua mới"), min_value=0, max_value=100_000, initial=0, required=False
    )
    new_channels = forms.CharField(
        label=_("Kênh bán mới"),
        max_length=600,
        required=False,
        help_text=_("Cách nhau bằng dấu phẩy, ví dụ: Shopee, siêu thị Sơn La."),
    )
    members_benefiting = forms.IntegerField(
        label=_("Thành viên hưởng lợi"), min_value=0, max_value=100_000, initial=0, required=False
    )
    women_benefiting = forms.IntegerField(
        label=_("Trong đó phụ nữ"), min_value=0, max_value=100_000, initial=0, required=False
    )
    confirm_unusual = forms.BooleanField(label=_("Tôi đã kiểm tra, số này đúng"), required=False)

    def channels(self) -> list[str]:
        return [part.strip() for part in self.cleaned_data.get("new_channels", "").split(",") if part.strip()]


class BaselineForm(forms.Form):
    source = forms.ChoiceField(
        label=_("Lấy mức gốc từ đâu?"),
        choices=[
            ("orders", _("Trung bình doanh thu từ đơn hàng trên Kết Nối")),
            ("entered", _("Nhập theo sổ sách")),
        ],
        initial="orders",
        widget=forms.RadioSelect,
    )
    months = forms.IntegerField(label=_("Số tháng để tính trung bình"), min_value=1, max_value=12, initial=3)
    until = MonthField(label=_("Đến hết tháng"), required=False, help_text=_("Để trống: tháng trước."))
    revenue_vnd = AmountField(label=_("Doanh thu mỗi tháng trước chương trình (đồng)"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("source") == "entered" and not data.get("revenue_vnd"):
            self.add_error("revenue_vnd", _("Hãy ghi doanh thu mỗi tháng trước chương trình."))
        return data


class DashboardFilterForm(forms.Form):
    """The dashboard's filters (GET); an unknown choice is simply not offered."""

    programme = forms.ChoiceField(label=_("Chương trình"), required=False)
    province = forms.TypedChoiceField(label=_("Tỉnh/thành phố"), required=False, coerce=int, empty_value=None)

    def __init__(
        self, data: Any, *, programmes: list[Any], provinces: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        programme_field = self.fields["programme"]
        assert isinstance(programme_field, forms.ChoiceField)
        programme_field.choices = [("", _("Mọi chương trình")), *((p.code, p.name) for p in programmes)]
        province_field = self.fields["province"]
        assert isinstance(province_field, forms.ChoiceField)
        province_field.choices = [("", _("Mọi tỉnh trong địa bàn")), *((str(c), n) for c, n in provinces)]
