"""Eligibility rules: structured conditions over the registry and the marketplace, never code.

A programme's rules are JSON that nobody executes::

    {"all": [
        {"field": "classification", "op": "in", "value": ["poor", "near_poor"]},
        {"any": [{"field": "head_sex", "op": "eq", "value": "female"},
                 {"field": "head_ethnic_minority", "op": "eq", "value": true}]}
    ]}

Groups are ``{"all": [...]}``, ``{"any": [...]}`` and ``{"not": node}``; a
condition names a field of ``FIELDS``, an operator that field allows and a
value of the field's type. ``{}`` (no conditions) means every household of
the programme's area. Only *verified* households are ever considered: that is
not a condition an officer chooses (self-reported data is never treated as
verified).

``FIELDS`` is the one place a field is defined: its label, its type, the
operators it allows, the database expression that asks it of every household
at once (``rules_households``) and, separately, how ``household_facts``
reads it from a household's rows in Python, so the reasons shown to officers
(``rules_explain``) come from the same facts. Tests hold the two paths to
the same answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ketnoi.accounts.models import Role, User
from ketnoi.core.errors import DomainError
from ketnoi.market.models import Seller
from ketnoi.places.models import Commune, Province
from ketnoi.registry.labels import CLASSIFICATION_LABELS
from ketnoi.registry.models import AREA_CHOICES, Assessment, Household, HouseholdStatus, Member, Relation, Sex

MAX_DEPTH = 5  # groups inside groups
MAX_CONDITIONS = 50
MAX_VALUES = 500  # values in one "in" list (a province has fewer communes than this)
MAX_MEMBERS_VALUE = 100
CHILD_AGE = 16
KINH = "01"  # the majority group's official code; every other code is an ethnic minority

GROUPS = ("all", "any", "not")

OPS: dict[str, Promise] = {
    "eq": _("là"),
    "ne": _("không là"),
    "in": _("là một trong"),
    "not_in": _("không là một trong"),
    "gte": _("từ … trở lên"),
    "lte": _("đến … trở xuống"),
}
LIST_OPS = ("in", "not_in")

# Value types and the operators that make sense for each.
CHOICE, INTEGER, BOOLEAN, PROVINCE, COMMUNE = "choice", "integer", "boolean", "province", "commune"
PLACE_TYPES = (PROVINCE, COMMUNE)
OPS_BY_TYPE: dict[str, tuple[str, ...]] = {
    CHOICE: ("eq", "ne", "in", "not_in"),
    PROVINCE: ("eq", "ne", "in", "not_in"),
    COMMUNE: ("eq", "ne", "in", "not_in"),
    INTEGER: ("eq", "ne", "gte", "lte"),
    BOOLEAN: ("eq",),
}

YES, NO = _("có"), _("không")


def child_cutoff(today: date) -> date:
    """Members born after this day are under ``CHILD_AGE`` on ``today``."""
    try:
        return today.replace(year=today.year - CHILD_AGE)
    except ValueError:  # 29 February
        return today.replace(year=today.year - CHILD_AGE, day=28)


# --- Database expressions, one per field (annotations on Household) ------------


def _members() -> QuerySet[Member]:
    return Member.objects.filter(household=OuterRef("pk"))


def _latest_classification(today: date) -> Combinable:
    """The classification of the newest year's assessment, a recognised one first ("" if none)."""
    latest = (
        Assessment.objects.filter(household=OuterRef("pk"))
        .order_by("-year", "-recognised", "-assessed_on", "-id")
        .values("classification")[:1]
    )
    return Coalesce(Subquery(latest), Value(""))


def _head_sex(today: date) -> Combinable:
    return Coalesce(Subquery(_members().filter(relation=Relation.HEAD).values("sex")[:1]), Value(""))


def _head_ethnic_minority(today: date) -> Combinable:
    return Exists(_members().filter(relation=Relation.HEAD).exclude(ethnic_group=KINH))


def _members_count(today: date) -> Combinable:
    counted = _members().order_by().values("household").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _has_member_with_disability(today: date) -> Combinable:
    return Exists(_members().filter(has_disability=True))


def _has_child(today: date) -> Combinable:
    return Exists(_members().filter(birth_date__gt=child_cutoff(today)))


def _is_registered_worker(today: date) -> Combinable:
    return Exists(
        User.objects.filter(
            phone=OuterRef("contact_phone"), is_active=True, role_assignments__role=Role.WORKER
        )
    )


def _is_verified_seller(today: date) -> Combinable:
    return Exists(Seller.objects.filter(verified=True, leader__phone=OuterRef("contact_phone")))


def _has_payout_account(today: date) -> Combinable:
    return Case(When(payout_account="", then=Value(False)), default=Value(True), output_field=BooleanField())


def _column(path: str) -> Callable[[date], Combinable]:
    return lambda today: F(path)


# --- The registry of fields -----------------------------------------------------


@dataclass(frozen=True)
class Field:
    """A thing a rule may ask about a household."""

    name: str
    label: Promise
    type: str
    expression: Callable[[date], Combinable]  # asked of every household at once, in SQL
    choices: Callable[[], Sequence[tuple[Any, Any]]] | None = None  # for CHOICE fields
    minimum: int = 0  # for INTEGER fields
    maximum: int = 0

    @property
    def ops(self) -> tuple[str, ...]:
        return OPS_BY_TYPE[self.type]

    @property
    def alias(self) -> str:
        """The annotation's name on the queryset."""
        return f"rule_{self.name}"


def _classification_choices() -> list[tuple[str, Any]]:
    return list(CLASSIFICATION_LABELS.items())


FIELDS: dict[str, Field] = {
    field.name: field
    for field in (
        Field(
            "classification",
            _("Phân loại hộ (kết quả rà soát mới nhất)"),
            CHOICE,
            _latest_classification,
            choices=_classification_choices,
        ),
        Field("province", _("Tỉnh/thành phố"), PROVINCE, _column("commune__province_id")),
        Field("commune", _("Xã/phường"), COMMUNE, _column("commune_id")),
        Field("area", _("Khu vực"), CHOICE, _column("area"), choices=lambda: AREA_CHOICES),
        Field("head_sex", _("Giới tính chủ hộ"), CHOICE, _head_sex, choices=lambda: Sex.choices),
        Field("head_ethnic_minority", _("Chủ hộ là người dân tộc thiểu số"), BOOLEAN, _head_ethnic_minority),
        Field(
            "members_count",
            _("Số nhân khẩu"),
            INTEGER,
            _members_count,
            minimum=0,
            maximum=MAX_MEMBERS_VALUE,
        ),
        Field(
            "has_member_with_disability",
            _("Có thành viên khuyết tật"),
            BOOLEAN,
            _has_member_with_disability,
        ),
        Field("has_child_under_16", _("Có trẻ em dưới 16 tuổi"), BOOLEAN, _has_child),
        Field(
            "is_registered_worker",
            _("Có người là lao động đã đăng ký trên Kết Nối (cùng số điện thoại)"),
            BOOLEAN,
            _is_registered_worker,
        ),
        Field(
            "is_verified_seller",
            _("Có người là người bán đã được xác minh (cùng số điện thoại)"),
            BOOLEAN,
            _is_verified_seller,
        ),
        Field("has_payout_account", _("Có tài khoản ngân hàng nhận tiền"), BOOLEAN, _has_payout_account),
    )
}


# --- Validation ---------------------------------------------------------------


def _invalid(message: Promise, code: str, /, **params: Any) -> DomainError:
    return DomainError(message, code=code, params=params, status=422)


@dataclass
class _Walk:
    conditions: int = 0
    provinces: set[int] | None = None
    communes: set[int] | None = None


def rules_validate(rules: Any) -> dict[str, Any]:
    """The rules checked and normalised: a root group (``{"all": [...]}``) or ``{}`` for no conditions.

    Raises ``DomainError`` (422) naming the first problem: not a rule, an
    unknown field, an operator the field does not allow, a value of the wrong
    type, an empty group, groups nested deeper than ``MAX_DEPTH``, more than
    ``MAX_CONDITIONS`` conditions, or a province/commune code that does not
    exist (at most two queries, for those codes).
    """
    if rules in (None, {}, ""):
        return {}
    if not isinstance(rules, dict):
        raise _invalid(_("Điều kiện hưởng phải là một nhóm điều kiện."), "rule_not_group")
    if "field" in rules:  # a single condition: a group of one
        rules = {"all": [rules]}
    walk = _Walk(provinces=set(), communes=set())
    normalised = _node(rules, depth=1, walk=walk)
    _places_check(walk)
    return normalised


def _node(node: Any, *, depth: int, walk: _Walk) -> dict[str, Any]:
    if not isinstance(node, dict):
        raise _invalid(_("Mỗi điều kiện phải có trường, phép so sánh và giá trị."), "rule_not_condition")
    if "field" in node or "op" in node:
        return _condition(node, walk=walk)
    keys = [key for key in node if key in GROUPS]
    if len(keys) != 1 or len(node) != 1:
        raise _invalid(
            _("Nhóm điều kiện phải là một trong “all” (tất cả), “any” (một trong) hoặc “not” (không)."),
            "rule_bad_group",
        )
    if depth > MAX_DEPTH:
        raise _invalid(
            _("Các nhóm điều kiện lồng nhau quá sâu (tối đa %(max)s tầng)."), "rule_too_deep", max=MAX_DEPTH
        )
    kind = keys[0]
    if kind == "not":
        return {"not": _node(node["not"], depth=depth + 1, walk=walk)}
    children = node[kind]
    if not isinstance(children, list) or not children:
        raise _invalid(
            _("Một nhóm điều kiện đang trống: hãy thêm điều kiện hoặc bỏ nhóm đó."), "rule_empty_group"
        )
    return {kind: [_node(child, depth=depth + 1, walk=walk) for child in children]}


def _condition(node: dict[str, Any], *, walk: _Walk) -> dict[str, Any]:
    walk.conditions += 1
    number = walk.conditions
    if number > MAX_CONDITIONS:
        raise _invalid(
            _("Có quá nhiều điều kiện (tối đa %(max)s)."), "rule_too_many_conditions", max=MAX_CONDITIONS
        )
    extra = set(node) - {"field", "op", "value"}
    if extra:
        raise _invalid(
            _("Điều kiện %(n)s có mục lạ: %(keys)s."),
            "rule_bad_condition",
            n=number,
            keys=", ".join(sorted(extra)),
        )
    name = node.get("field")
    field = FIELDS.get(name) if isinstance(name, str) else None
    if field is None:
        raise _invalid(
            _("Điều kiện %(n)s: trường “%(field)s” không tồn tại. Các trường dùng được: %(fields)s."),
            "rule_unknown_field",
            n=number,
            field=name,
            fields=", ".join(FIELDS),
        )
    op = node.get("op")
    if op not in field.ops:
        raise _invalid(
            _("Điều kiện %(n)s: phép so sánh “%(op)s” không dùng được cho “%(label)s” (chỉ dùng: %(ops)s)."),
            "rule_op_not_allowed",
            n=number,
            op=op,
            label=field.label,
            ops=", ".join(field.ops),
        )
    if "value" not in node:
        raise _invalid(_("Điều kiện %(n)s chưa có giá trị."), "rule_no_value", n=number)
    raw = node["value"]
    if op in LIST_OPS:
        items = raw if isinstance(raw, list) else [raw]
        if not items:
            raise _invalid(_("Điều kiện %(n)s: hãy chọn ít nhất một giá trị."), "rule_no_value", n=number)
        if len(items) > MAX_VALUES:
            raise _invalid(
                _("Điều kiện %(n)s có quá nhiều giá trị (tối đa %(max)s)."),
                "rule_too_many_values",
                n=number,
                max=MAX_VALUES,
            )
        values: list[Any] = []
        for item in items:
            value = _value(field, item, number=number)
            if value not in values:
                values.append(value)
        _remember_places(field, values, walk)
        return {"field": field.name, "op": op, "value": values}
    value = _value(field, raw, number=number)
    _remember_places(field, [value], walk)
    return {"field": field.name, "op": op, "value": value}


def _value(field: Field, raw: Any, *, number: int) -> Any:
    """``raw`` as a value of ``field``'s type (digit strings and "true"/"false" accepted)."""
    if field.type == BOOLEAN:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
            return raw.strip().lower() == "true"
        raise _wrong_type(field, raw, number, _("có hoặc không (true/false)"))
    if field.type in (INTEGER, PROVINCE, COMMUNE):
        value: int | None = None
        if isinstance(raw, int) and not isinstance(raw, bool):
            value = raw
        elif isinstance(raw, str) and raw.strip().isdigit():
            value = int(raw.strip())
        if value is None:
            raise _wrong_type(field, raw, number, _("một số nguyên"))
        if field.type == INTEGER and not field.minimum <= value <= field.maximum:
            raise _invalid(
                _("Điều kiện %(n)s: “%(label)s” phải từ %(min)s đến %(max)s."),
                "rule_value_range",
                n=number,
                label=field.label,
                min=field.minimum,
                max=field.maximum,
            )
        return value
    assert field.choices is not None
    allowed = [code for code, _label in field.choices()]
    if not isinstance(raw, str) or raw.strip() not in allowed:
        raise _wrong_type(field, raw, number, ", ".join(allowed))
    return raw.strip()


def _wrong_type(field: Field, raw: Any, number: int, expected: Any) -> DomainError:
    return _invalid(
        _("Điều kiện %(n)s: giá trị “%(value)s” không hợp với “%(label)s” (cần: %(expected)s)."),
        "rule_bad_value",
        n=number,
        value=raw,
        label=field.label,
        expected=expected,
    )


def _remember_places(field: Field, values: list[Any], walk: _Walk) -> None:
    if field.type == PROVINCE and walk.provinces is not None:
        walk.provinces.update(values)
    elif field.type == COMMUNE and walk.communes is not None:
        walk.communes.update(values)


def _places_check(walk: _Walk) -> None:
    if walk.provinces:
        known = set(Province.objects.filter(pk__in=walk.provinces).values_list("pk", flat=True))
        unknown = sorted(walk.provinces - known)
        if unknown:
            raise _invalid(
                _("Không có tỉnh/thành phố mã %(codes)s."), "rule_unknown_province", codes=_codes(unknown)
            )
    if walk.communes:
        known = set(Commune.objects.filter(pk__in=walk.communes).values_list("pk", flat=True))
        unknown = sorted(walk.communes - known)
        if unknown:
            raise _invalid(
                _("Không có xã/phường mã %(codes)s."), "rule_unknown_commune", codes=_codes(unknown)
            )


def _codes(codes: Iterable[int]) -> str:
    return ", ".join(str(code) for code in codes)


# --- Walking validated rules ------------------------------------------------------


def rules_conditions(rules: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every condition of (validated) ``rules``, depth first."""
    found: list[dict[str, Any]] = []

    def visit(node: Mapping[str, Any]) -> None:
        if "field" in node:
            found.append(dict(node))
        elif "not" in node:
            visit(node["not"])
        else:
            for child in node.get("all", node.get("any", [])):
                visit(child)

    if rules:
        visit(rules)
    return found


def rules_fields(rules: Mapping[str, Any]) -> list[Field]:
    """The fields (validated) ``rules`` ask about, each once."""
    names = dict.fromkeys(c["field"] for c in rules_conditions(rules))
    return [FIELDS[name] for name in names]


# --- The SQL path -----------------------------------------------------------------


def condition_q(condition: Mapping[str, Any]) -> Q:
    """A ``Q`` over a queryset annotated with the condition's field (``Field.alias``)."""
    field = FIELDS[condition["field"]]
    op, value, alias = condition["op"], condition["value"], field.alias
    if op == "eq":
        return Q(**{alias: value})
    if op == "ne":
        return ~Q(**{alias: value})
    if op == "in":
        return Q(**{f"{alias}__in": value})
    if op == "not_in":
        return ~Q(**{f"{alias}__in": value})
    if op == "gte":
        return Q(**{f"{alias}__gte": value})
    return Q(**{f"{alias}__lte": value})


def rules_q(rules: Mapping[str, Any]) -> Q:
    """The whole of (validated) ``rules`` as one ``Q`` (annotate with ``rules_annotations`` first)."""
    if not rules:
        return Q()
    if "field" in rules:
        return condition_q(rules)
    if "not" in rules:
        return ~rules_q(rules["not"])
    children = [rules_q(child) for child in rules.get("all", rules.get("any", []))]
    combined = children[0]
    for child in children[1:]:
        combined = (combined & child) if "all" in rules else (combined | child)
    return combined


def rules_annotations(fields: Iterable[Field], *, today: date | None = None) -> dict[str, Combinable]:
    """The annotations that ``rules_q`` needs for ``fields``."""
    today = today or timezone.localdate()
    return {field.alias: field.expression(today) for field in fields}


def area_households(*, province_id: int | None, commune_ids: Iterable[int] = ()) -> QuerySet[Household]:
    """Verified households of a programme's area: some communes, a province, or (no province) the country."""
    households = Household.objects.filter(status=HouseholdStatus.VERIFIED)
    communes = list(commune_ids)
    if communes:
        return households.filter(commune_id__in=communes)
    if province_id is not None:
        return households.filter(commune__province_id=province_id)
    return households


def rules_households(
    rules: Mapping[str, Any],
    *,
    province_id: int | None,
    commune_ids: Iterable[int] = (),
    today: date | None = None,
) -> QuerySet[Household]:
    """Verified households of the area that meet (validated) ``rules``, as one query.

    The queryset carries an annotation for each field the rules use.
    """
    households = area_households(province_id=province_id, commune_ids=commune_ids)
    annotations = rules_annotations(rules_fields(rules), today=today)
    return households.annotate(**annotations).filter(rules_q(rules))


# --- The facts path ---------------------------------------------------------------


def household_facts(queryset: QuerySet[Household], *, today: date | None = None) -> dict[int, dict[str, Any]]:
    """The facts of each household of ``queryset``: id → ``{field name: value, …}``.

    Read from the rows in Python (five queries, whatever the number of
    households), independently of the SQL expressions. Besides every field of
    ``FIELDS`` the facts hold what an enrolment freezes and a page shows:
    ``reference``, ``head_name``, ``phone``, ``commune_name``, ``province_name``
    and the ``payout_*`` fields.
    """
    today = today or timezone.localdate()
    # A sliced queryset (a sample) keeps its order and limit inside the subquery.
    ids = (queryset if queryset.query.is_sliced else queryset.order_by()).values("pk")
    facts: dict[int, dict[str, Any]] = {}
    rows = Household.objects.filter(pk__in=ids).values(
        "pk",
        "reference",
        "commune_id",
        "commune__name",
        "commune__province_id",
        "commune__province__name",
        "area",
        "contact_phone",
        "payout_bank_bin",
        "payout_account",
        "payout_account_name",
    )
    for row in rows:
        facts[row["pk"]] = {
            "reference": row["reference"],
            "commune": row["commune_id"],
            "commune_name": row["commune__name"],
            "province": row["commune__province_id"],
            "province_name": row["commune__province__name"],
            "area": row["area"],
            "phone": row["contact_phone"],
            "payout_bank_bin": row["payout_bank_bin"],
            "payout_account": row["payout_account"],
            "payout_account_name": row["payout_account_name"],
            "has_payout_account": row["payout_account"] != "",
            "classification": "",
            "head_name": "",
            "head_sex": "",
            "head_ethnic_minority": False,
            "members_count": 0,
            "has_member_with_disability": False,
            "has_child_under_16": False,
        }
    cutoff = child_cutoff(today)
    members = Member.objects.filter(household__in=ids).values_list(
        "household_id", "relation", "full_name", "sex", "ethnic_group", "birth_date", "has_disability"
    )
    for household_id, relation, full_name, sex, ethnic_group, birth_date, disabled in members:
        one = facts.get(household_id)
        if one is None:
            continue
        one["members_count"] += 1
        if relation == Relation.HEAD:
            one["head_name"], one["head_sex"] = full_name, sex
            one["head_ethnic_minority"] = ethnic_group != KINH
        one["has_member_with_disability"] |= disabled
        one["has_child_under_16"] |= birth_date > cutoff
    newest: dict[int, tuple[Any, ...]] = {}
    assessments = Assessment.objects.filter(household__in=ids).values_list(
        "household_id", "year", "recognised", "assessed_on", "id", "classification"
    )
    for household_id, year, recognised, assessed_on, pk, classification in assessments:
        key = (year, recognised, assessed_on, pk)
        if household_id in facts and (household_id not in newest or key > newest[household_id][0]):
            newest[household_id] = (key, classification)
    for household_id, (_key, classification) in newest.items():
        facts[household_id]["classification"] = classification
    phones = Household.objects.filter(pk__in=ids).exclude(contact_phone="").values("contact_phone")
    workers = set(
        User.objects.filter(phone__in=phones, is_active=True, role_assignments__role=Role.WORKER).values_list(
            "phone", flat=True
        )
    )
    sellers = set(
        Seller.objects.filter(verified=True, leader__phone__in=phones).values_list("leader__phone", flat=True)
    )
    for one in facts.values():
        one["is_registered_worker"] = one["phone"] in workers
        one["is_verified_seller"] = one["phone"] in sellers
    return facts


def condition_holds(condition: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    """Whether a household with ``facts`` meets one (validated) condition."""
    actual, op, value = facts[condition["field"]], condition["op"], condition["value"]
    if op == "eq":
        return bool(actual == value)
    if op == "ne":
        return bool(actual != value)
    if op == "in":
        return actual in value
    if op == "not_in":
        return actual not in value
    if op == "gte":
        return bool(actual >= value)
    return bool(actual <= value)


def rules_match(rules: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    """Whether a household with ``facts`` meets (validated) ``rules`` — the Python twin of ``rules_q``."""
    if not rules:
        return True
    if "field" in rules:
        return condition_holds(rules, facts)
    if "not" in rules:
        return not rules_match(rules["not"], facts)
    if "all" in rules:
        return all(rules_match(child, facts) for child in rules["all"])
    return any(rules_match(child, facts) for child in rules["any"])


# --- Words --------------------------------------------------------------------------


def value_text(field: Field, value: Any, facts: Mapping[str, Any] | None = None) -> str:
    """One value of ``field`` as a person reads it (places by name when ``facts`` carry it)."""
    if isinstance(value, list):
        return ", ".join(value_text(field, item, facts) for item in value)
    if field.type == BOOLEAN:
        return str(YES if value else NO)
    if field.choices is not None:
        return str(dict(field.choices()).get(value, value) or _("chưa có"))
    if facts is not None and field.type in (PROVINCE, COMMUNE) and facts.get(field.name) == value:
        return str(facts[f"{field.name}_name"])
    return str(value)


def condition_text(
    condition: Mapping[str, Any], place_names: Mapping[tuple[str, int], str] | None = None
) -> str:
    """A condition in words: "Giới tính chủ hộ là Nữ", "Số nhân khẩu từ 4 trở lên"."""
    field = FIELDS[condition["field"]]
    op, value = condition["op"], condition["value"]
    if field.type in (PROVINCE, COMMUNE) and place_names:
        items = value if isinstance(value, list) else [value]
        shown = ", ".join(place_names.get((field.type, item), str(item)) for item in items)
    else:
        shown = value_text(field, value)
    if op == "gte":
        return str(_("%(label)s từ %(value)s trở lên")) % {"label": field.label, "value": shown}
    if op == "lte":
        return str(_("%(label)s đến %(value)s trở xuống")) % {"label": field.label, "value": shown}
    return f"{field.label} {OPS[op]}: {shown}" if op in LIST_OPS else f"{field.label} {OPS[op]} {shown}"


def rules_place_names(rules: Mapping[str, Any]) -> dict[tuple[str, int], str]:
    """Names of the provinces and communes (validated) ``rules`` name (at most two queries)."""
    wanted: dict[str, set[int]] = {PROVINCE: set(), COMMUNE: set()}
    for condition in rules_conditions(rules):
        field = FIELDS[condition["field"]]
        if field.type in wanted:
            value = condition["value"]
            wanted[field.type].update(value if isinstance(value, list) else [value])
    names: dict[tuple[str, int], str] = {}
    if wanted[PROVINCE]:
        for pk, name in Province.objects.filter(pk__in=wanted[PROVINCE]).values_list("pk", "name"):
            names[(PROVINCE, pk)] = name
    if wanted[COMMUNE]:
        for pk, name in Commune.objects.filter(pk__in=wanted[COMMUNE]).values_list("pk", "name"):
            names[(COMMUNE, pk)] = name
    return names


def rules_describe(
    rules: Mapping[str, Any], place_names: Mapping[tuple[str, int], str] | None = None
) -> list[str]:
    """(Validated) ``rules`` as lines of text, groups indented by "— "."""
    if not rules:
        return [str(_("Mọi hộ đã xác minh trong địa bàn của chương trình"))]
    lines: list[str] = []

    def visit(node: Mapping[str, Any], depth: int) -> None:
        indent = "— " * depth
        if "field" in node:
            lines.append(indent + condition_text(node, place_names))
        elif "not" in node:
            lines.append(indent + str(_("Không thuộc trường hợp sau:")))
            visit(node["not"], depth + 1)
        else:
            kind = "all" if "all" in node else "any"
            if depth or kind == "any":
                lines.append(
                    indent + str(_("Đáp ứng tất cả:") if kind == "all" else _("Đáp ứng ít nhất một trong:"))
                )
            for child in node[kind]:
                visit(child, depth + 1 if (depth or kind == "any") else depth)

    visit(rules, 0)
    return lines


def rules_explain(rules: Mapping[str, Any], facts: Mapping[str, Any]) -> list[str]:
    """Why a household with ``facts`` meets (validated) ``rules``: one line per condition that holds.

    In an "any" group only the conditions that hold are given; a "not" group
    is given as the case the household is not in.
    """
    if not rules:
        return [str(_("Hộ đã được xác minh, trong địa bàn của chương trình"))]
    reasons: list[str] = []

    def visit(node: Mapping[str, Any]) -> None:
        if "field" in node:
            if condition_holds(node, facts):
                reasons.append(_reason(node, facts))
        elif "not" in node:
            if not rules_match(node["not"], facts):
                reasons.append(str(_("Không thuộc trường hợp: %(case)s")) % {"case": _inline(node["not"])})
        else:
            for child in node.get("all", node.get("any", [])):
                visit(child)

    visit(rules)
    return reasons


def _reason(condition: Mapping[str, Any], facts: Mapping[str, Any]) -> str:
    field = FIELDS[condition["field"]]
    actual = value_text(field, facts[field.name], facts)
    if field.type == BOOLEAN:
        return f"{field.label}: {actual}"
    op, wanted = condition["op"], value_text(field, condition["value"])
    if op in ("eq", "in"):
        return f"{field.label}: {actual}"
    if op == "gte":
        bound = str(_("từ %(value)s trở lên")) % {"value": wanted}
    elif op == "lte":
        bound = str(_("đến %(value)s trở xuống")) % {"value": wanted}
    else:  # ne, not_in
        bound = f"{OPS[op]} {wanted}"
    return f"{field.label}: {actual} ({bound})"


def _inline(node: Mapping[str, Any]) -> str:
    if "field" in node:
        return condition_text(node)
    if "not" in node:
        return str(_("không phải (%(case)s)")) % {"case": _inline(node["not"])}
    joiner = str(_(" và ")) if "all" in node else str(_(" hoặc "))
    return "(" + joiner.join(_inline(child) for child in node.get("all", node.get("any", []))) + ")"
