"""Builders for the self-registration tests: answers as a person gives them, drafts at a step."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from ketnoi.registry.models import Registration
from ketnoi.registry.services import registration as service

PHONE = "0912 345 678"
PHONE_E164 = "+84912345678"
OTHER_PHONE = "0987 654 321"
HEAD_CCCD = "014085123456"  # Sơn La, male, born 1985: the head below
WIFE_CCCD = "014188123457"  # Sơn La, female, born 1988


def head(**changes: Any) -> dict[str, Any]:
    """The head of the household, as the member form cleans him."""
    return {
        "full_name": "Lò Văn Pâng",
        "birth_date": date(1985, 4, 12),
        "sex": "male",
        "relation": "head",
        "ethnic_group": "03",
        "citizen_id": HEAD_CCCD,
        "has_health_insurance": True,
        "has_disability": False,
        "education": "lower_secondary",
        "attending_school": False,
        "work": "self_employed",
        "able_to_work": True,
        "stunted_or_underweight": None,
        **changes,
    }


def child(**changes: Any) -> dict[str, Any]:
    return head(
        **{
            "full_name": "Lò Thị Mai",
            "birth_date": date(2016, 1, 20),
            "sex": "female",
            "relation": "child",
            "citizen_id": "",
            "education": "primary",
            "attending_school": True,
            "work": "",
            "able_to_work": None,
            "stunted_or_underweight": False,
            **changes,
        }
    )


PLACE = {"address_line": "Bản Pá Sóng", "area": "rural"}
HOME = {
    "walls": "durable",
    "frame": "durable",
    "roof": "non_durable",
    "floor_area_m2": "35,5",
    "water_source": "protected_spring",
    "latrine": "unhygienic",
}
CONNECT = {"uses_telecom": True, "devices": ["smartphone"], "waste_collected_or_treated": False}
INCOME = {"income_month": "2.500.000", "income_year": ""}


def draft(commune, *, phone: str = PHONE, until: str = "review", consent: bool = True) -> Registration:
    """A draft filled through the services up to (not including) ``until``."""
    registration = service.registration_start(phone=phone)
    steps = service.STEPS
    fill = {
        "place": lambda: service.registration_step_save(
            registration=registration, step="place", cleaned_data={**PLACE, "commune": commune.code}
        ),
        "people": lambda: (
            service.registration_member_save(registration=registration, cleaned_data=head()),
            service.registration_member_save(registration=registration, cleaned_data=child()),
            service.registration_step_save(registration=registration, step="people", cleaned_data={}),
        ),
        "home": lambda: service.registration_step_save(
            registration=registration, step="home", cleaned_data=HOME
        ),
        "connect": lambda: service.registration_step_save(
            registration=registration, step="connect", cleaned_data=CONNECT
        ),
        "income": lambda: service.registration_step_save(
            registration=registration, step="income", cleaned_data=INCOME
        ),
        "consent": lambda: (
            consent
            and service.registration_consents_save(
                registration=registration, choices={"household_review": True, "notifications": False}
            )
        ),
    }
    for step in steps[1 : steps.index(until)]:
        fill[step]()
    registration.refresh_from_db()
    return registration


def last_code(outbox: list[Any], phone: str = PHONE_E164) -> str:
    """The six digits of the last code texted to ``phone``."""
    texts = [m.text for m in outbox if m.to == phone]
    assert texts, f"no message to {phone}"
    found = re.search(r"\b(\d{6})\b", texts[-1])
    assert found, texts[-1]
    return found.group(1)
