"""The poverty standards, as versioned data.

Each standard is one JSON file beside this module (``VN-2022-2025.json``,
``VN-2027-2030.json``, ``GLOBAL-MPI.json``): its legal source, version,
validity, income lines per area, indicators with their weights and the
parameters of their deprivation rules, and the cut-off. A correction to the
law is an edit to a file here plus a new ``version``; every assessment
records the code and version it was made under, and ``digest`` (a hash of
the file) tells two edits apart even if someone forgot to bump the version.

Files are read and checked on first use and kept for the life of the
process; ``manage.py check`` loads them too, so a bad edit fails at deploy.

    standards.get("VN-2022-2025")       # by code
    standards.in_force(date(2027, 1, 1)) # the national standard in force that day
    standards.all()                      # every standard, national ones by date
"""

from __future__ import annotations

import builtins
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction
from functools import cache, reduce
from importlib import resources
from importlib.resources.abc import Traversable
from itertools import pairwise
from math import lcm
from types import MappingProxyType
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ..errors import PovertyInputError, StandardDataError
from ..facts import Area
from ..rules import (
    INDICATOR_CODES,
    MPI_INDICATOR_CODES,
    RULES,
    WorkingAge,
    parse_fraction,
    working_age,
)

__all__ = [
    "Dimension",
    "IncomeLine",
    "Indicator",
    "Standard",
    "all",
    "get",
    "in_force",
    "parse",
    "resolve",
    "today",
]

# Standards are Vietnamese law: "in force today" means today in Viet Nam,
# whatever time zone the server runs in.
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
AUTO = "auto"

Kind = Literal["national", "mpi"]


def text(labels: Mapping[str, str], language: str | None = None) -> str:
    """The label in ``language`` (default: the active one), else Vietnamese."""
    language = (language or get_language() or "vi")[:2]
    return labels.get(language) or labels["vi"]


@dataclass(frozen=True, slots=True)
class IncomeLine:
    """Monthly income per person, in đồng: the poor line and, where the standard has
    one, the upper bound of the middle living standard (``None`` when it has none)."""

    poor_vnd: int
    middle_upper_vnd: int | None = None


@dataclass(frozen=True, slots=True)
class Dimension:
    code: str
    label: Mapping[str, str]


@dataclass(frozen=True, slots=True, eq=False)
class Indicator:
    code: str
    dimension: str
    weight: Fraction
    rule: str
    parameters: Mapping[str, Any]
    label: Mapping[str, str]
    deprived_when: Mapping[str, str]
    note: str = ""

    @property
    def given(self) -> bool:
        """The household facts cannot tell this one; the caller must give it."""
        return RULES[self.rule].given


@dataclass(frozen=True, slots=True, eq=False)
class Standard:
    code: str
    version: str
    kind: Kind
    title: Mapping[str, str]
    source: str
    related: tuple[str, ...]
    valid_from: date | None
    valid_to: date | None
    income_lines: Mapping[str, IncomeLine]
    dimensions: tuple[Dimension, ...]
    indicators: tuple[Indicator, ...]
    k: Fraction
    min_deprivations: int | None
    vulnerable_k: Fraction | None
    severe_k: Fraction | None
    working_age: WorkingAge | None
    notes: tuple[str, ...]
    digest: str
    # Derived once, for classification in a few microseconds.
    codes: tuple[str, ...] = field(init=False)
    code_set: frozenset[str] = field(init=False)
    weights: Mapping[str, float] = field(init=False)
    denominator: int = field(init=False)
    scaled_weights: Mapping[str, int] = field(init=False)

    def __post_init__(self) -> None:
        codes = tuple(i.code for i in self.indicators)
        denominator = reduce(lcm, (i.weight.denominator for i in self.indicators), 1)
        for fraction in (self.k, self.vulnerable_k, self.severe_k):
            if fraction is not None:
                denominator = lcm(denominator, fraction.denominator)
        object.__setattr__(self, "codes", codes)
        object.__setattr__(self, "code_set", frozenset(codes))
        object.__setattr__(
            self, "weights", MappingProxyType({i.code: float(i.weight) for i in self.indicators})
        )
        object.__setattr__(self, "denominator", denominator)
        object.__setattr__(
            self,
            "scaled_weights",
            MappingProxyType({i.code: int(i.weight * denominator) for i in self.indicators}),
        )

    @property
    def is_national(self) -> bool:
        return self.kind == "national"

    @property
    def equal_weights(self) -> bool:
        return len({i.weight for i in self.indicators}) == 1

    def in_force_on(self, on: date) -> bool:
        """True when ``on`` is within the validity (a standard without dates always is)."""
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_to is None or on <= self.valid_to
        )

    def indicator(self, code: str) -> Indicator:
        for indicator in self.indicators:
            if indicator.code == code:
                return indicator
        raise KeyError(code)

    def scaled(self, fraction: Fraction) -> int:
        """``fraction`` × ``denominator``: cut-offs on the same integer scale as ``scaled_weights``."""
        return int(fraction * self.denominator)

    def __repr__(self) -> str:
        return f"<Standard {self.code} v{self.version}>"


# --- Public look-ups -------------------------------------------------------------


def all() -> tuple[Standard, ...]:
    """Every standard: national ones by start date, then the others by code.

    (Named for ``standards.all()``; inside this module the builtin is ``builtins.all``.)
    """
    return tuple(_loaded().values())


def get(code: str) -> Standard:
    """The standard with this code, or ``PovertyInputError`` listing the known codes."""
    found = _loaded().get(code.strip()) if isinstance(code, str) else None
    if found is None:
        raise PovertyInputError(
            _("Không có chuẩn nghèo “%(code)s”. Hãy dùng một trong: %(known)s, hoặc “auto”."),
            code="unknown_standard",
            params={"code": code, "known": ", ".join(_loaded())},
        )
    return found


def in_force(on: date | None = None) -> Standard:
    """The national standard in force on ``on`` (default: today in Viet Nam)."""
    on = on or today()
    for standard in _loaded().values():
        if standard.is_national and standard.in_force_on(on):
            return standard
    periods = ", ".join(
        f"{s.code} ({_day(s.valid_from)}–{_day(s.valid_to)})" for s in _loaded().values() if s.is_national
    )
    raise PovertyInputError(
        _("Không có chuẩn nghèo quốc gia nào áp dụng cho ngày %(date)s. Các chuẩn hiện có: %(periods)s."),
        code="no_standard_in_force",
        params={"date": _day(on), "periods": periods},
    )


def resolve(standard: str | Standard, on: date | None = None) -> Standard:
    """A ``Standard`` from a code, ``"auto"`` or a ``Standard``.

    ``"auto"`` picks the national standard in force on ``on`` (default today).
    A named standard with ``on`` must be in force that day: assessing a
    household in 2028 under the 2022–2025 standard is refused, not silently
    done. Without ``on`` a named standard is used as it is (re-analysis).
    """
    if isinstance(standard, Standard):
        chosen = standard
    elif isinstance(standard, str) and standard.strip().lower() == AUTO:
        return in_force(on)
    else:
        chosen = get(standard)
    if on is not None and not chosen.in_force_on(on):
        raise PovertyInputError(
            _("Chuẩn %(code)s áp dụng từ %(start)s đến %(end)s, không áp dụng cho ngày %(date)s."),
            code="standard_not_in_force",
            params={
                "code": chosen.code,
                "start": _day(chosen.valid_from),
                "end": _day(chosen.valid_to),
                "date": _day(on),
            },
        )
    return chosen


def today() -> date:
    """Today's date in Viet Nam."""
    return datetime.now(VIETNAM).date()


def _day(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "…"


# --- Loading and checking the files ----------------------------------------------------


@cache
def _loaded() -> Mapping[str, Standard]:
    return load_directory(resources.files(__name__))


def load_directory(directory: Traversable) -> Mapping[str, Standard]:
    """Every ``*.json`` standard in ``directory``, checked, keyed by code."""
    found: list[Standard] = []
    for entry in sorted(directory.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            raw = entry.read_bytes()
            try:
                data = json.loads(raw)
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                raise StandardDataError(f"{entry.name}: not valid JSON: {error}") from None
            standard = parse(data, name=entry.name, digest=hashlib.sha256(raw).hexdigest()[:16])
            if f"{standard.code}.json" != entry.name:
                raise StandardDataError(f"{entry.name}: code {standard.code!r} must match the file name")
            found.append(standard)
    national = sorted((s for s in found if s.is_national), key=lambda s: s.valid_from or date.min)
    for earlier, later in pairwise(national):
        if earlier.valid_to is None or (later.valid_from and later.valid_from <= earlier.valid_to):
            raise StandardDataError(
                f"{earlier.code} and {later.code} are both in force on some day: "
                "national standards must not overlap"
            )
    others = sorted((s for s in found if not s.is_national), key=lambda s: s.code)
    return MappingProxyType({s.code: s for s in [*national, *others]})


class _Reader:
    """Typed access to the JSON with the path of each field in error messages."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, where: str, problem: str) -> StandardDataError:
        return StandardDataError(f"{self.name}: {where}: {problem}")

    def field(self, obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
        if key not in obj:
            raise self.fail(f"{where}{key}", "missing")
        value = obj[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _tuple(kind)):
            raise self.fail(f"{where}{key}", f"expected {_kind_name(kind)}, got {value!r}")
        return value

    def optional(self, obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
        return self.field(obj, key, kind, where) if obj.get(key) is not None else None

    def labels(self, obj: Mapping[str, Any], key: str, where: str) -> Mapping[str, str]:
        value = self.field(obj, key, dict, where)
        if not isinstance(value.get("vi"), str) or not builtins.all(
            isinstance(v, str) for v in value.values()
        ):
            raise self.fail(f"{where}{key}", 'expected {"vi": "…", "en": "…"} with a Vietnamese text')
        return MappingProxyType(dict(value))

    def fraction(self, obj: Mapping[str, Any], key: str, where: str) -> Fraction:
        try:
            value = parse_fraction(self.field(obj, key, (str, int, float), where))
        except ValueError as error:
            raise self.fail(f"{where}{key}", str(error)) from None
        if not 0 < value <= 1:
            raise self.fail(f"{where}{key}", f"must be in (0, 1], got {value}")
        return value

    def day(self, obj: Mapping[str, Any], key: str) -> date | None:
        value = self.optional(obj, key, str, "")
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise self.fail(key, f"expected a date YYYY-MM-DD, got {value!r}") from None


def _tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {dict: "an object", list: "a list", str: "a text", int: "a whole number", float: "a number"}
    return " or ".join(names.get(k, k.__name__) for k in _tuple(kind))


def parse(data: Any, *, name: str = "<data>", digest: str = "") -> Standard:
    """Check one standard's JSON data and build the ``Standard``.

    ``StandardDataError`` names the file and the field that is wrong.
    """
    r = _Reader(name)
    if not isinstance(data, dict):
        raise r.fail("top level", "expected an object")
    code = r.field(data, "code", str, "")
    kind = r.field(data, "kind", str, "")
    if kind not in ("national", "mpi"):
        raise r.fail("kind", f'expected "national" or "mpi", got {kind!r}')
    version = r.field(data, "version", str, "")
    if not version or len(version) > 20:
        raise r.fail("version", "expected 1 to 20 characters (it is stored with every assessment)")
    valid_from, valid_to = r.day(data, "valid_from"), r.day(data, "valid_to")
    if kind == "national" and (valid_from is None or valid_to is None):
        raise r.fail("valid_from/valid_to", "a national standard needs both dates")
    if valid_from and valid_to and valid_to < valid_from:
        raise r.fail("valid_to", "is before valid_from")

    standard_working_age = None
    if data.get("working_age") is not None:
        try:
            standard_working_age = working_age(data["working_age"])
        except ValueError as error:
            raise r.fail("working_age", str(error)) from None

    dimensions = tuple(
        Dimension(
            code=r.field(d, "code", str, f"dimensions[{n}]."), label=r.labels(d, "label", f"dimensions[{n}].")
        )
        for n, d in enumerate(_objects(r, data, "dimensions"))
    )
    dimension_codes = {d.code for d in dimensions}
    allowed_codes = INDICATOR_CODES if kind == "national" else MPI_INDICATOR_CODES
    indicators: list[Indicator] = []
    for n, raw in enumerate(_objects(r, data, "indicators")):
        where = f"indicators[{n}]."
        indicator_code = r.field(raw, "code", str, where)
        if indicator_code not in allowed_codes:
            raise r.fail(f"{where}code", f"{indicator_code!r} is not one of {list(allowed_codes)}")
        if any(i.code == indicator_code for i in indicators):
            raise r.fail(f"{where}code", f"{indicator_code!r} appears twice")
        dimension = r.field(raw, "dimension", str, where)
        if dimension not in dimension_codes:
            raise r.fail(f"{where}dimension", f"{dimension!r} is not among the dimensions")
        rule_name = r.field(raw, "rule", str, where)
        if rule_name not in RULES:
            raise r.fail(f"{where}rule", f"unknown rule {rule_name!r}; known: {sorted(RULES)}")
        indicators.append(
            Indicator(
                code=indicator_code,
                dimension=dimension,
                weight=r.fraction(raw, "weight", where),
                rule=rule_name,
                parameters=_parameters(r, raw, rule_name, where, standard_working_age),
                label=r.labels(raw, "label", where),
                deprived_when=r.labels(raw, "deprived_when", where),
                note=r.optional(raw, "note", str, where) or "",
            )
        )
    if sum((i.weight for i in indicators), Fraction(0)) != 1:
        raise r.fail("indicators[].weight", "the weights must add up to exactly 1")

    cutoff = r.field(data, "cutoff", dict, "")
    k = r.fraction(cutoff, "k", "cutoff.")
    min_deprivations = r.optional(cutoff, "min_deprivations", int, "cutoff.")
    vulnerable_k = r.fraction(cutoff, "vulnerable_k", "cutoff.") if "vulnerable_k" in cutoff else None
    severe_k = r.fraction(cutoff, "severe_k", "cutoff.") if "severe_k" in cutoff else None
    if kind == "national":
        if min_deprivations is None or not 1 <= min_deprivations <= len(indicators):
            raise r.fail(
                "cutoff.min_deprivations", "a national standard needs a count from 1 to the indicators"
            )
        if len({i.weight for i in indicators}) != 1 or min_deprivations * indicators[0].weight != k:
            raise r.fail(
                "cutoff.k", "a national standard has equal weights and k = min_deprivations × weight"
            )
    if vulnerable_k is not None and vulnerable_k >= k:
        raise r.fail("cutoff.vulnerable_k", "must be below k")
    if severe_k is not None and severe_k < k:
        raise r.fail("cutoff.severe_k", "must be at least k")

    return Standard(
        code=code,
        version=version,
        kind=kind,
        title=r.labels(data, "title", ""),
        source=r.field(data, "source", str, ""),
        related=tuple(r.optional(data, "related", list, "") or ()),
        valid_from=valid_from,
        valid_to=valid_to,
        income_lines=_income_lines(r, data, kind),
        dimensions=dimensions,
        indicators=tuple(indicators),
        k=k,
        min_deprivations=min_deprivations,
        vulnerable_k=vulnerable_k,
        severe_k=severe_k,
        working_age=standard_working_age,
        notes=tuple(r.optional(data, "notes", list, "") or ()),
        digest=digest,
    )


def _objects(r: _Reader, data: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    items = r.field(data, key, list, "")
    if not items or not builtins.all(isinstance(item, dict) for item in items):
        raise r.fail(key, "expected a non-empty list of objects")
    return items


def _parameters(
    r: _Reader, raw: Mapping[str, Any], rule_name: str, where: str, shared_working_age: WorkingAge | None
) -> Mapping[str, Any]:
    given = dict(r.optional(raw, "parameters", dict, where) or {})
    expected = RULES[rule_name].parameters
    if "working_age" in expected and "working_age" not in given:
        if shared_working_age is None:
            raise r.fail(f"{where}parameters.working_age", "missing here and at the standard's top level")
        given["working_age"] = shared_working_age
    unknown = sorted(set(given) - set(expected))
    missing = sorted(set(expected) - set(given))
    if unknown or missing:
        raise r.fail(
            f"{where}parameters",
            f"rule {rule_name!r} takes {sorted(expected)}; unknown {unknown}, missing {missing}",
        )
    parsed: dict[str, Any] = {}
    for key, parser in expected.items():
        value = given[key]
        try:
            parsed[key] = value if isinstance(value, WorkingAge) else parser(value)
        except ValueError as error:
            raise r.fail(f"{where}parameters.{key}", str(error)) from None
    return MappingProxyType(parsed)


def _income_lines(r: _Reader, data: Mapping[str, Any], kind: str) -> Mapping[str, IncomeLine]:
    raw = r.field(data, "income_lines", dict, "")
    lines: dict[str, IncomeLine] = {}
    for area, values in raw.items():
        where = f"income_lines.{area}."
        if area not in {a.value for a in Area}:
            raise r.fail(f"income_lines.{area}", f"unknown area; expected {[a.value for a in Area]}")
        if not isinstance(values, dict):
            raise r.fail(f"income_lines.{area}", "expected an object")
        poor = r.field(values, "poor_vnd", int, where)
        upper = r.optional(values, "middle_upper_vnd", int, where)
        if poor <= 0 or (upper is not None and upper <= poor):
            raise r.fail(where.rstrip("."), "expected 0 < poor_vnd < middle_upper_vnd")
        lines[area] = IncomeLine(poor_vnd=poor, middle_upper_vnd=upper)
    if kind == "national" and set(lines) != {a.value for a in Area}:
        raise r.fail("income_lines", "a national standard needs a line for each area (rural, urban)")
    return MappingProxyType(lines)
