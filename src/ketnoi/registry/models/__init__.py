"""The registry's tables, one module per concept."""

from .households import (
    AREA_CHOICES,
    EDUCATION_CHOICES,
    LATRINE_CHOICES,
    MATERIAL_CHOICES,
    MAX_FLOOR_AREA_M2,
    WATER_CHOICES,
    WORK_CHOICES,
    Assessment,
    DuplicateFlag,
    FieldVisit,
    Household,
    HouseholdSource,
    HouseholdStatus,
    Member,
    Relation,
    Sex,
)
from .imports import ImportBatch
from .registration import OneTimeCode, Registration, RegistrationConsent
from .review import Objection, ReviewEntry, ReviewRound, RoundState, RoundStep

__all__ = [
    "AREA_CHOICES",
    "EDUCATION_CHOICES",
    "LATRINE_CHOICES",
    "MATERIAL_CHOICES",
    "MAX_FLOOR_AREA_M2",
    "WATER_CHOICES",
    "WORK_CHOICES",
    "Assessment",
    "DuplicateFlag",
    "FieldVisit",
    "Household",
    "HouseholdSource",
    "HouseholdStatus",
    "ImportBatch",
    "Member",
    "Objection",
    "OneTimeCode",
    "Registration",
    "RegistrationConsent",
    "Relation",
    "ReviewEntry",
    "ReviewRound",
    "RoundState",
    "RoundStep",
    "Sex",
]
