"""Who may do what with a programme: roles, areas, and the maker–checker rule.

Programme officers and administrators run programmes; a programme officer
acts only for programmes whose area lies inside her province (a national
programme needs an administrator). Commune officers see and act on their
own communes' households, payments and complaints. Whoever prepared a
cycle or a batch cannot approve it.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from ketnoi.accounts.models import Role
from ketnoi.accounts.selectors import user_has_role, user_scopes
from ketnoi.core.errors import PermissionDenied
from ketnoi.core.scopes import AreaScope

from .models import Programme

# Roles that create programmes, prepare and approve cycles and batches.
PROGRAMME_ROLES: tuple[str, ...] = (Role.ADMINISTRATOR, Role.PROGRAMME_OFFICER)
# Roles that may see programmes and answer complaints for their areas.
PROGRAMME_VIEWER_ROLES: tuple[str, ...] = (Role.ADMINISTRATOR, Role.PROGRAMME_OFFICER, Role.COMMUNE_OFFICER)


def programme_scopes(user: Any) -> list[AreaScope]:
    """The areas ``user`` acts for in programmes."""
    return user_scopes(user, roles=PROGRAMME_VIEWER_ROLES)


def programme_covered(user: Any, programme: Programme) -> bool:
    """Whether ``user`` runs ``programme``: a programme role whose area contains the programme's area."""
    scopes = user_scopes(user, roles=PROGRAMME_ROLES)
    if any(scope.is_national for scope in scopes):
        return True
    if programme.province_id is None:
        return False
    return any(
        scope.commune_code is None and scope.province_code == programme.province_id for scope in scopes
    )


def programme_access_check(user: Any, programme: Programme) -> None:
    """Refuse (``PermissionDenied``) unless ``user`` may run ``programme``."""
    if not user_has_role(user, *PROGRAMME_ROLES) or not programme_covered(user, programme):
        raise PermissionDenied(
            _("Chương trình “%(name)s” không thuộc địa bàn của bạn."),
            code="programme_out_of_area",
            params={"name": programme.name},
        )


def maker_checker_check(*, prepared_by_id: int | None, approver: Any) -> None:
    """Refuse (``PermissionDenied``) when ``approver`` is the person who prepared the thing."""
    if prepared_by_id is not None and prepared_by_id == getattr(approver, "pk", None):
        raise PermissionDenied(
            _("Người lập không được tự duyệt. Hãy nhờ một cán bộ khác duyệt."),
            code="maker_checker",
        )
