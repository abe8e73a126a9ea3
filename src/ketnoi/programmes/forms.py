"""Forms of the programme officer's pages: a programme with its rule builder, and a cycle's actions.

The rule builder works without JavaScript: rows of field / operator / value,
one "all"/"any" choice over them, and a button that adds a row by sending
the form back. A row's value is typed (several values separated by commas);
for a field with fixed values the officer may type the code or the words
("Hộ nghèo", "có"). The rules module checks the result; this form only turns
rows into the rules' JSON.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ketnoi.core.forms import VndField
from ketnoi.core.text import fold
from ketnoi.places.models import Commune, Province

from . import rules as eligibility
from .models import EntitlementKind

MAX_ROWS = 20


class ProgrammeForm(forms.Form):
    """A programme's details; ``provinces`` are those the officer may choose."""

    code = forms.SlugField(
        label=_("Mã chương trình"),
        max_length=40,
        help_text=_("Chữ thường không dấu, số và dấu “-”, ví dụ covid-son-la-2026. Không đổi được về sau."),
    )
    name = forms.CharField(label=_("Tên chương trình"), max_length=200)
    sponsor = forms.CharField(label=_("Nhà tài trợ, đơn vị thực hiện"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Mô tả"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    province = forms.ModelChoiceField(
        label=_("Tỉnh/thành phố"),
        queryset=Province.objects.none(),
        required=False,
        empty_label=_("Cả nước"),
    )
    communes = forms.ModelMultipleChoiceField(
        label=_("Chỉ ở các xã/phường này (để trống: cả tỉnh)"),
        queryset=Commune.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Chọn tỉnh rồi bấm “Cập nhật” để hiện danh sách xã/phường của tỉnh."),
    )
    starts_on = forms.DateField(label=_("Bắt đầu"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Kết thúc"), widget=forms.DateInput(attrs={"type": "date"}))
    budget_vnd = VndField(label=_("Ngân sách (đồng)"), help_text=_("Ví dụ 500.000.000"))
    entitlement = forms.ChoiceField(
        label=_("Mức hưởng"), choices=EntitlementKind.choices, widget=forms.RadioSelect
    )
    amount_vnd = VndField(
        label=_("Số tiền (đồng)"),
        help_text=_("Cho mỗi hộ, cho mỗi nhân khẩu hoặc giá trị mỗi phiếu, theo mức hưởng đã chọn."),
    )
    voucher_valid_days = forms.IntegerField(
        label=_("Phiếu dùng được trong (ngày)"), min_value=1, max_value=365, initial=60
    )
    combinator = forms.ChoiceField(
        label=_("Hộ được hưởng khi đáp ứng"),
        choices=[("all", _("tất cả các điều kiện dưới đây")), ("any", _("ít nhất một điều kiện dưới đây"))],
        initial="all",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, provinces: Any, national: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        province_field = self.fields["province"]
        assert isinstance(province_field, forms.ModelChoiceField)
        province_field.queryset = provinces
        province_field.required = not national
        if not national:
            province_field.empty_label = None
        chosen = self._chosen_province(provinces)
        communes_field = self.fields["communes"]
        assert isinstance(communes_field, forms.ModelMultipleChoiceField)
        communes_field.queryset = (
            Commune.objects.filter(province_id=chosen).order_by("name_folded")
            if chosen
            else Commune.objects.none()
        )

    def _chosen_province(self, provinces: Any) -> int | None:
        raw: Any = self.data.get("province") if self.is_bound else self.initial.get("province")
        if isinstance(raw, Province):
            return int(raw.pk)
        if raw and str(raw).isdigit():
            return int(raw)
        if not self.is_bound:
            only = list(provinces[:2])
            if len(only) == 1:
                return int(only[0].pk)
        return None


class RuleRowForm(forms.Form):
    """One condition: a field, an operator and a value (several values: separate with commas)."""

    field = forms.ChoiceField(label=_("Trường"), required=False)
    op = forms.ChoiceField(label=_("Phép so sánh"), required=False, choices=list(eligibility.OPS.items()))
    value = forms.CharField(label=_("Giá trị"), required=False, max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["field"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("— chọn —")), *((f.name, f.label) for f in eligibility.FIELDS.values())]

    @property
    def chosen_field(self) -> eligibility.Field | None:
        name = self["field"].value()
        return eligibility.FIELDS.get(name) if isinstance(name, str) else None

    def value_options(self) -> list[str]:
        """The values the chosen field takes, in words, for the row's hint and datalist."""
        chosen = self.chosen_field
        if chosen is None:
            return []
        if chosen.type == eligibility.BOOLEAN:
            return [str(eligibility.YES), str(eligibility.NO)]
        if chosen.choices is not None:
            return [str(label) for _code, label in chosen.choices()]
        return []

    def value_hint(self) -> str:
        """What to type in the value box for the chosen field."""
        chosen = self.chosen_field
        if chosen is None:
            return ""
        if chosen.type == eligibility.COMMUNE:
            return str(_("Mã xã/phường, ví dụ 3847; nhiều mã cách nhau bằng dấu phẩy."))
        if chosen.type == eligibility.PROVINCE:
            return str(_("Mã tỉnh/thành phố, ví dụ 14."))
        if chosen.type == eligibility.INTEGER:
            return str(_("Một số, ví dụ 4."))
        return str(_("Chọn một trong: %(values)s")) % {"values": ", ".join(self.value_options())}

    def condition(self) -> dict[str, Any] | None:
        """The row as a rule condition (unchecked), or ``None`` for an empty row."""
        data = self.cleaned_data
        name, op, raw = data.get("field"), data.get("op"), (data.get("value") or "").strip()
        if not name:
            return None
        field = eligibility.FIELDS[name]
        if op in eligibility.LIST_OPS:
            values: Any = [_typed(field, part.strip()) for part in raw.split(",") if part.strip()]
        else:
            values = _typed(field, raw)
        return {"field": name, "op": op, "value": values}


def _typed(field: eligibility.Field, text: str) -> Any:
    """What a person typed as the field's value: a code, or its words ("Hộ nghèo", "có")."""
    if field.type == eligibility.BOOLEAN:
        folded = fold(text)
        if folded in ("co", "yes", "true", "1", fold(str(eligibility.YES))):
            return True
        if folded in ("khong", "no", "false", "0", fold(str(eligibility.NO))):
            return False
        return text
    if field.choices is not None:
        folded = fold(text)
        for code, label in field.choices():
            if folded in (fold(str(code)), fold(str(label))):
                return code
        return text
    return text  # numbers and place codes: the rules module reads digits


class BaseRuleRowFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def rules(self, combinator: str) -> dict[str, Any]:
        """The rows as rules: ``{combinator: [conditions]}``, or ``{}`` when every row is empty."""
        conditions = [c for form in self.forms if form.is_valid() and (c := form.condition()) is not None]
        return {combinator: conditions} if conditions else {}


RuleRowFormSet = forms.formset_factory(
    RuleRowForm, formset=BaseRuleRowFormSet, extra=0, max_num=MAX_ROWS, absolute_max=MAX_ROWS
)


def rule_rows_initial(rules: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The combinator and rows of a flat rule (``{"all"|"any": [conditions]}``) for the builder."""
    combinator = "any" if "any" in rules else "all"
    rows = []
    for condition in rules.get(combinator, []):
        if "field" not in condition:
            continue
        field = eligibility.FIELDS[condition["field"]]
        value = condition["value"]
        items = value if isinstance(value, list) else [value]
        words = [eligibility.value_text(field, item) if field.choices else str(item) for item in items]
        if field.type == eligibility.BOOLEAN:
            words = [str(eligibility.YES if item else eligibility.NO) for item in items]
        rows.append({"field": field.name, "op": condition["op"], "value": ", ".join(words)})
    return combinator, rows


class ReturnForm(forms.Form):
    note = forms.CharField(
        label=_("Lý do trả lại"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Người lập sẽ thấy lý do này và sửa danh sách."),
    )


class OpenCycleForm(forms.Form):
    name = forms.CharField(label=_("Tên đợt (không bắt buộc)"), max_length=200, required=False)


class EnrolmentFilterForm(forms.Form):
    q = forms.CharField(label=_("Tìm tên chủ hộ hoặc mã hồ sơ"), required=False, max_length=100)
    commune = forms.TypedChoiceField(label=_("Xã/phường"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, communes: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["commune"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("Tất cả")), *communes]
