"""Classify one household under a standard.

National standards (Decree 07/2021, Decree 351/2025):

- income ≤ poor line and deprived in ≥ ``min_deprivations`` (3) → ``poor``
- income ≤ poor line and fewer → ``near_poor``
- poor line < income ≤ middle upper bound → ``middle`` (2022–2025 only)
- otherwise → ``not_poor``

The global MPI: weighted score c ≥ k (1/3) → ``poor``; vulnerable cut-off
(1/5) ≤ c < k → ``vulnerable``; else ``not_poor``; ``severe`` when c ≥ 1/2.
Area and income do not enter the MPI.

Scores are compared exactly: weights and cut-offs are fractions, scaled to
integers over their common denominator, so 1/6 + 3 × 1/18 is exactly 1/3.

``deprivations`` must name every indicator of the standard and nothing
else: a missing code would silently count as "not deprived" and an unknown
one is usually a typo or the wrong standard, so both raise
``PovertyInputError`` (a ``DomainError`` and a ``ValueError``) naming them.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import SupportsIndex

from django.utils.translation import gettext_lazy as _

from . import standards as _standards
from .errors import PovertyInputError
from .facts import Area, HouseholdFacts
from .rules import MAX_AGE, RULES
from .standards import Standard


class Classification(StrEnum):
    POOR = "poor"
    NEAR_POOR = "near_poor"
    MIDDLE = "middle"
    NOT_POOR = "not_poor"
    VULNERABLE = "vulnerable"  # global MPI only


NATIONAL_CLASSES = (
    Classification.POOR,
    Classification.NEAR_POOR,
    Classification.MIDDLE,
    Classification.NOT_POOR,
)
MPI_CLASSES = (Classification.POOR, Classification.VULNERABLE, Classification.NOT_POOR)


@dataclass(frozen=True, slots=True)
class PovertyAssessment:
    """What a household was classified as, why, and under which standard and version."""

    classification: Classification
    deprivation_count: int
    deprived: tuple[str, ...]  # indicator codes, in the standard's order
    standard: str
    standard_version: str
    income_line_vnd: int | None  # the poor line applied (None for the MPI)
    score: float  # weighted deprivation score c, from 0 to 1
    severe: bool = False  # MPI: c ≥ the severe cut-off; always False for national standards


def classify(
    standard: str | Standard,
    area: Area | str | None,
    income_per_capita_vnd: int | None,
    deprivations: Mapping[str, bool],
    *,
    on: date | None = None,
) -> PovertyAssessment:
    """Classify one household from its area, monthly income per person and deprivations.

    ``standard`` is a code, a ``Standard`` or ``"auto"`` (the national standard
    in force on ``on``, default today in Viet Nam). Raises ``PovertyInputError``
    for an unknown standard, a date no standard covers, an unknown or missing
    indicator code, a value that is not true/false, a negative income or an
    area other than rural/urban.
    """
    chosen = _standards.resolve(standard, on)
    deprived, scaled_score = _deprived(chosen, deprivations)
    count = len(deprived)
    score = scaled_score / chosen.denominator
    # The MPI does not use income, but a negative one is refused all the same.
    needs_income = chosen.is_national or income_per_capita_vnd is not None
    income = _income(income_per_capita_vnd) if needs_income else 0
    if not chosen.is_national:
        return _classify_mpi(chosen, deprived, scaled_score, score)

    line = chosen.income_lines.get(area) if isinstance(area, str) else None
    if line is None:
        raise PovertyInputError(
            _("Khu vực “%(area)s” không đúng: chỉ nhận “rural” (nông thôn) hoặc “urban” (thành thị)."),
            code="invalid_area",
            params={"area": area},
        )
    assert chosen.min_deprivations is not None  # the loader requires it for national standards
    if income <= line.poor_vnd:
        poor = count >= chosen.min_deprivations
        classification = Classification.POOR if poor else Classification.NEAR_POOR
    elif line.middle_upper_vnd is not None and income <= line.middle_upper_vnd:
        classification = Classification.MIDDLE
    else:
        classification = Classification.NOT_POOR
    return PovertyAssessment(
        classification=classification,
        deprivation_count=count,
        deprived=deprived,
        standard=chosen.code,
        standard_version=chosen.version,
        income_line_vnd=line.poor_vnd,
        score=score,
    )


def _classify_mpi(
    chosen: Standard, deprived: tuple[str, ...], scaled: int, score: float
) -> PovertyAssessment:
    if scaled >= chosen.scaled(chosen.k):
        classification = Classification.POOR
    elif chosen.vulnerable_k is not None and scaled >= chosen.scaled(chosen.vulnerable_k):
        classification = Classification.VULNERABLE
    else:
        classification = Classification.NOT_POOR
    return PovertyAssessment(
        classification=classification,
        deprivation_count=len(deprived),
        deprived=deprived,
        standard=chosen.code,
        standard_version=chosen.version,
        income_line_vnd=None,
        score=score,
        severe=chosen.severe_k is not None and scaled >= chosen.scaled(chosen.severe_k),
    )


def _deprived(chosen: Standard, deprivations: Mapping[str, bool]) -> tuple[tuple[str, ...], int]:
    if not isinstance(deprivations, Mapping):
        raise PovertyInputError(
            _("Các chỉ số thiếu hụt phải là một bảng mã chỉ số → đúng/sai."), code="invalid_deprivations"
        )
    if deprivations.keys() != chosen.code_set:
        _raise_code_mismatch(chosen, deprivations)
    deprived = []
    scaled = 0
    weights = chosen.scaled_weights
    for code in chosen.codes:
        value = deprivations[code]
        if value not in (0, 1) or isinstance(value, str):
            raise PovertyInputError(
                _("Chỉ số “%(code)s” phải là đúng hoặc sai (true/false, 1/0), không phải “%(value)s”."),
                code="invalid_deprivation_value",
                params={"code": code, "value": value},
            )
        if value:
            deprived.append(code)
            scaled += weights[code]
    return tuple(deprived), scaled


def _raise_code_mismatch(chosen: Standard, deprivations: Mapping[str, object]) -> None:
    unknown = [str(code) for code in deprivations if code not in chosen.code_set]
    missing = [code for code in chosen.codes if code not in deprivations]
    if unknown:
        raise PovertyInputError(
            _("Chuẩn %(standard)s không có chỉ số: %(codes)s. Các chỉ số của chuẩn này: %(known)s."),
            code="unknown_indicator",
            params={"standard": chosen.code, "codes": ", ".join(unknown), "known": ", ".join(chosen.codes)},
        )
    raise PovertyInputError(
        _("Thiếu chỉ số mà chuẩn %(standard)s cần: %(codes)s."),
        code="missing_indicator",
        params={"standard": chosen.code, "codes": ", ".join(missing)},
    )


def _income(value: object) -> int:
    if type(value) is int and value >= 0:  # the usual case, without the slower protocol check
        return value
    if isinstance(value, bool) or not isinstance(value, SupportsIndex):
        raise PovertyInputError(
            _("Thu nhập bình quân phải là một số nguyên đồng, không phải “%(value)s”."),
            code="invalid_income",
            params={"value": value},
        )
    income = operator.index(value)
    if income < 0:
        raise PovertyInputError(
            _("Thu nhập bình quân không thể âm (%(value)s đồng)."),
            code="negative_income",
            params={"value": income},
        )
    return income


# --- From household facts ---------------------------------------------------------


def derive_deprivations(
    standard: str | Standard,
    facts: HouseholdFacts,
    *,
    given: Mapping[str, bool] | None = None,
    on: date | None = None,
) -> dict[str, bool]:
    """Each indicator's deprivation, in the standard's order, from the household's facts.

    Indicators whose rule is ``given`` (the global MPI's child mortality,
    cooking fuel, …) cannot be read from the facts: pass them in ``given``.
    ``given`` may name only those; a missing one raises ``PovertyInputError``.
    """
    chosen = _standards.resolve(standard, on)
    _check_facts(facts)
    given = given or {}
    needed = [i.code for i in chosen.indicators if i.given]
    extra = sorted(set(given) - set(needed))
    if extra:
        raise PovertyInputError(
            _("Chỉ số %(codes)s được tính từ thông tin của hộ, không nhận giá trị cho sẵn."),
            code="derivable_indicator_given",
            params={"codes": ", ".join(extra)},
        )
    absent = [code for code in needed if code not in given]
    if absent:
        raise PovertyInputError(
            _("Chuẩn %(standard)s cần giá trị cho sẵn của các chỉ số: %(codes)s."),
            code="missing_indicator",
            params={"standard": chosen.code, "codes": ", ".join(absent)},
        )
    result: dict[str, bool] = {}
    for indicator in chosen.indicators:
        derive = RULES[indicator.rule].derive
        result[indicator.code] = (
            bool(given[indicator.code]) if derive is None else derive(facts, indicator.parameters)
        )
    return result


def assess(
    standard: str | Standard,
    facts: HouseholdFacts,
    on: date | None = None,
    *,
    given: Mapping[str, bool] | None = None,
) -> PovertyAssessment:
    """Derive the deprivations from ``facts`` and classify, with the household's
    monthly income per person (``facts.income_per_capita_month_vnd``)."""
    chosen = _standards.resolve(standard, on)
    deprivations = derive_deprivations(chosen, facts, given=given)
    return classify(chosen, facts.area, facts.income_per_capita_month_vnd, deprivations)


def _check_facts(facts: HouseholdFacts) -> None:
    problem = None
    if not facts.members:
        problem = _("Hộ phải có ít nhất một thành viên.")
    elif any(type(m.age) is not int or not 0 <= m.age <= MAX_AGE for m in facts.members):
        problem = _("Tuổi của thành viên phải là số nguyên từ 0 đến %(max)s.")
    elif not math.isfinite(facts.floor_area_m2) or facts.floor_area_m2 < 0:
        problem = _("Diện tích nhà ở phải là một số không âm.")
    elif facts.income_12m_vnd < 0:
        problem = _("Thu nhập của hộ không thể âm.")
    if problem is not None:
        raise PovertyInputError(problem, code="invalid_facts", params={"max": MAX_AGE})
