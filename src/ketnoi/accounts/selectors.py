"""Reads about accounts that other apps and the pages need, already scoped."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.functional import Promise

from ketnoi.core.scopes import AreaScope, filter_by_scope
from ketnoi.places.models import Commune

from .consents import CONSENT_TEXTS
from .models import SCOPE_LEVEL, ConsentPurpose, ConsentRecord, Role, RoleAssignment, User

# Roles whose holders look after the people of an area.
AREA_OFFICER_ROLES: tuple[str, ...] = (Role.ADMINISTRATOR, Role.PROGRAMME_OFFICER, Role.COMMUNE_OFFICER)


def user_roles(user: Any) -> list[RoleAssignment]:
    """The roles ``user`` holds, with their areas loaded; none for a visitor."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        RoleAssignment.objects.filter(user=user)
        .select_related("province", "commune__province")
        .order_by("role", "province__name_folded", "commune__name_folded")
    )


def user_home_commune(user: Any) -> Commune | None:
    """The commune ``user`` lives in, with its province (one query), or ``None``."""
    commune_id = getattr(user, "home_commune_id", None)
    if commune_id is None:
        return None
    return Commune.objects.select_related("province").filter(pk=commune_id).first()


def user_has_role(user: Any, *roles: str) -> bool:
    """Whether ``user`` is active and holds any of ``roles`` (in any area)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return RoleAssignment.objects.filter(user=user, role__in=roles).exists()


def user_scopes(user: Any, *, roles: Iterable[str] | None = None) -> list[AreaScope]:
    """The areas ``user`` acts for through ``roles`` (default: every role that has an area).

    Roles that act only for oneself (seller, buyer…) give no scope. An
    administrator's scope is the whole country. No roles → an empty list,
    which covers nothing.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    wanted = [r for r in (roles if roles is not None else SCOPE_LEVEL) if r in SCOPE_LEVEL]
    if not wanted:
        return []
    rows = RoleAssignment.objects.filter(user=user, role__in=wanted).values_list("province_id", "commune_id")
    return sorted(
        {AreaScope(province_code=p, commune_code=c) for p, c in rows},
        key=lambda s: (s.province_code or 0, s.commune_code or 0),
    )


def people_in_area(user: Any) -> QuerySet[User]:
    """Active users whose home commune lies in the areas of ``user``'s officer roles.

    Nobody for a user without such a role. Commune and province are loaded
    with each row, so a page of people costs a fixed number of queries.
    """
    scopes = user_scopes(user, roles=AREA_OFFICER_ROLES)
    people = User.objects.filter(is_active=True, home_commune__isnull=False).select_related(
        "home_commune__province"
    )
    return filter_by_scope(people, scopes, commune_path="home_commune").order_by(
        "home_commune__province__name_folded", "home_commune__name_folded", "display_name", "phone"
    )


@dataclass(frozen=True)
class ConsentState:
    """Where a person stands on one purpose, with the text she is shown now."""

    purpose: str
    label: str | Promise
    text: str | Promise
    version: str
    given: bool
    given_version: str | None
    changed_at: datetime | None

    @property
    def needs_renewal(self) -> bool:
        """Given, but to words that have since changed."""
        return self.given and self.given_version != self.version


def consents_current(user: Any) -> list[ConsentState]:
    """For every purpose, in a fixed order, the user's current state (one query)."""
    latest: dict[str, ConsentRecord] = {}
    if getattr(user, "is_authenticated", False):
        for record in ConsentRecord.objects.filter(user=user).order_by("-at", "-pk"):
            latest.setdefault(record.purpose, record)
    states = []
    for purpose in ConsentPurpose:
        latest_record = latest.get(purpose.value)
        given = latest_record is not None and latest_record.action == ConsentRecord.Action.GIVEN
        states.append(
            ConsentState(
                purpose=purpose.value,
                label=purpose.label,
                text=CONSENT_TEXTS[purpose.value].text,
                version=CONSENT_TEXTS[purpose.value].version,
                given=given,
                given_version=latest_record.text_version if given and latest_record else None,
                changed_at=latest_record.at if latest_record else None,
            )
        )
    return states


def consent_current(user: Any, purpose: str) -> ConsentState:
    """The state of one purpose (``KeyError`` for an unknown purpose)."""
    return {state.purpose: state for state in consents_current(user)}[purpose]


def user_has_consented(user: Any, purpose: str) -> bool:
    """Whether ``user``'s latest act on ``purpose`` gives consent (any version)."""
    record = ConsentRecord.objects.filter(user=user, purpose=purpose).order_by("-at", "-pk").first()
    return record is not None and record.action == ConsentRecord.Action.GIVEN
