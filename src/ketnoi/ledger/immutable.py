"""Transfers and postings are written once: the ORM refuses to change or delete them.

A mistake in the ledger is corrected by a reversing transfer, never by
editing history (as ``core.models.AuditEntry`` is append-only). Raw SQL can
still write (a test does, to tamper with a cache on purpose); ``ledger_check``
finds what it changed.
"""

from __future__ import annotations

from typing import Any

from django.db import models


def _refusal(model: type[models.Model]) -> str:
    return f"{model.__name__} rows are immutable: post a reversing transfer instead."


class ImmutableQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError(_refusal(self.model))

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError(_refusal(self.model))


def refuse_change(instance: models.Model, *, deleting: bool = False) -> None:
    """Raise unless ``instance`` is a new row being saved for the first time."""
    if deleting or not instance._state.adding:
        raise TypeError(_refusal(type(instance)))
