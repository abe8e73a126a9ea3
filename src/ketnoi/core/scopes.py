"""Area scopes: which part of the country a user's role covers.

A scope names a province, or one commune inside it, by official code (the
codes of ``vietnam-provinces``). An empty scope list covers nothing; a
scope with neither code covers the whole country (administrators, national
programmes). Querysets are filtered through the path to their commune, so
this module needs no import of the ``places`` app.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Model, Q, QuerySet


@dataclass(frozen=True, slots=True)
class AreaScope:
    province_code: int | None = None
    commune_code: int | None = None

    @property
    def is_national(self) -> bool:
        return self.province_code is None and self.commune_code is None

    def covers(self, *, province_code: int | None, commune_code: int | None) -> bool:
        """Whether a place (a commune in a province) lies inside this scope."""
        if self.is_national:
            return True
        if self.commune_code is not None:
            return commune_code is not None and commune_code == self.commune_code
        return province_code is not None and province_code == self.province_code


def scopes_cover(scopes: Iterable[AreaScope], *, province_code: int | None, commune_code: int | None) -> bool:
    return any(s.covers(province_code=province_code, commune_code=commune_code) for s in scopes)


def scope_q(scopes: Iterable[AreaScope], *, commune_path: str = "commune") -> Q:
    """A ``Q`` that keeps rows whose commune lies in any of ``scopes``.

    ``commune_path`` is the lookup path from the model to its commune, e.g.
    ``"address__commune"``. No scopes → a ``Q`` that matches nothing.
    """
    condition = Q(pk__in=[])
    for scope in scopes:
        if scope.is_national:
            return Q()
        if scope.commune_code is not None:
            condition |= Q(**{f"{commune_path}_id": scope.commune_code})
        else:
            condition |= Q(**{f"{commune_path}__province_id": scope.province_code})
    return condition


def filter_by_scope[M: Model](
    queryset: QuerySet[M], scopes: Iterable[AreaScope], *, commune_path: str = "commune"
) -> QuerySet[M]:
    """``queryset`` narrowed to the rows inside the user's areas."""
    return queryset.filter(scope_q(scopes, commune_path=commune_path))
