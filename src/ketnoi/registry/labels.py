"""Words for an assessment: its classification, its standard and its reasons.

The standard's own data (``ketnoi.poverty.standards``) holds the title and,
for each indicator, when a household is deprived in it, in Vietnamese and
English; this module only picks the text for the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ketnoi.poverty import PovertyInputError, standards

CLASSIFICATION_LABELS: dict[str, str | Promise] = {
    "poor": _("Hộ nghèo"),
    "near_poor": _("Hộ cận nghèo"),
    "middle": _("Hộ có mức sống trung bình"),
    "not_poor": _("Không thuộc hộ nghèo, cận nghèo"),
    "vulnerable": _("Dễ rơi vào nghèo (MPI)"),
}


@dataclass(frozen=True)
class Reason:
    """One indicator a household is deprived in: its name and what that means."""

    code: str
    label: str
    deprived_when: str


def classification_label(code: str) -> str:
    return str(CLASSIFICATION_LABELS.get(code, code))


def standard_label(code: str) -> str:
    try:
        return standards.text(standards.get(code).title)
    except PovertyInputError:
        return code


def deprivation_reasons(standard_code: str, deprived: list[str] | tuple[str, ...]) -> list[Reason]:
    """The reasons behind a classification, in the order the assessment lists them."""
    try:
        standard = standards.get(standard_code)
    except PovertyInputError:
        return [Reason(code=code, label=code, deprived_when="") for code in deprived]
    reasons = []
    for code in deprived:
        try:
            indicator = standard.indicator(code)
        except KeyError:
            reasons.append(Reason(code=code, label=code, deprived_when=""))
            continue
        reasons.append(
            Reason(
                code=code,
                label=standards.text(indicator.label),
                deprived_when=standards.text(indicator.deprived_when),
            )
        )
    return reasons
