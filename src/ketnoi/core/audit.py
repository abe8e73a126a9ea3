"""The one way to write the audit trail."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import AuditEntry


def audit_record(
    *,
    actor: Any | None,
    action: str,
    target: models.Model | None = None,
    changes: Mapping[str, tuple[Any, Any]] | None = None,
    reason: str = "",
    ip_address: str | None = None,
) -> AuditEntry:
    """Append one entry: ``actor`` did ``action`` to ``target``.

    ``changes`` maps a field name to ``(old, new)``. Call it inside the same
    transaction as the change it describes, so both land or neither does.
    """
    actor_obj = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor=actor_obj,
        actor_label=str(actor_obj)[:200] if actor_obj else "",
        action=action,
        object_type=ContentType.objects.get_for_model(target) if target is not None else None,
        object_id=str(target.pk) if target is not None else "",
        object_repr=str(target)[:200] if target is not None else "",
        changes={name: [_jsonable(old), _jsonable(new)] for name, (old, new) in (changes or {}).items()},
        reason=reason[:500],
        ip_address=ip_address,
    )


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of ``fields``, to diff against after a change."""
    return {name: getattr(instance, name) for name in fields}


def changes_between(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The ``(old, new)`` pairs of keys whose values differ between two snapshots."""
    return {key: (old.get(key), new.get(key)) for key in new if old.get(key) != new.get(key)}


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)
