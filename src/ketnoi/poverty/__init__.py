"""Poverty standards as versioned data, one household's classification, and
Alkire–Foster aggregates over millions of rows.

Pure Python plus a columnar engine (Polars): no Django models. Other apps and
partners rely on these names:

    from ketnoi.poverty import classify, assess, derive_deprivations, alkire_foster, standards

- ``standards``: ``get(code)``, ``in_force(on)``, ``all()``; the data lives in
  ``standards/*.json``.
- ``classify(standard, area, income_per_capita_vnd, deprivations, *, on=None)``
  and ``assess(standard, facts, on=None)`` → ``PovertyAssessment``.
- ``alkire_foster(table, weights, k, weight_column=None, by=None)``.
- ``classify_table`` / ``aggregate_by``: the same rules over a whole roll.
"""

from __future__ import annotations

from . import standards
from .classify import Classification, PovertyAssessment, assess, classify, derive_deprivations
from .engine import aggregate_by, classify_table
from .errors import PovertyInputError, StandardDataError
from .measures import AlkireFosterResult, alkire_foster
from .rules import INDICATOR_CODES, MPI_INDICATOR_CODES
from .standards import Indicator, Standard

__all__ = [
    "INDICATOR_CODES",
    "MPI_INDICATOR_CODES",
    "AlkireFosterResult",
    "Classification",
    "Indicator",
    "PovertyAssessment",
    "PovertyInputError",
    "Standard",
    "StandardDataError",
    "aggregate_by",
    "alkire_foster",
    "assess",
    "classify",
    "classify_table",
    "derive_deprivations",
    "standards",
]
