"""Transfers and postings are written once: the ORM refuses to change or delete them.

A mistake in the ledger is corrected by a reversing transfer, never by
editing history. ``core.models.AuditEntry`` declares the same guard on its
model; the ledger's models are frozen while the marketplace is being built,
so ``LedgerConfig.ready`` installs it from here instead (``make_immutable``).
Raw SQL can still write (a test does, to tamper with a cache on purpose);
``ledger_check`` finds what it changed.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.fields.related_descriptors import ReverseManyToOneDescriptor
from django.db.models.signals import pre_delete, pre_save


class ImmutableQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError(_refusal(self.model))

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError(_refusal(self.model))


def make_immutable(model: type[models.Model]) -> None:
    """Make ``model``'s querysets refuse ``update()``/``delete()``, and refuse
    ``save()`` of an existing row and ``delete()`` of an instance.

    Its default manager (``objects``) and the related managers that list its
    rows (``transfer.postings``, ``account.postings``) build an
    ``ImmutableQuerySet``. The manager classes stay Django's own, so that
    mypy's Django plugin, which reads the models at run time, still knows
    their types. Call once, from ``AppConfig.ready``.
    """
    opts = model._meta
    for manager in opts.local_managers:
        manager._queryset_class = ImmutableQuerySet  # type: ignore[attr-defined]
    # The managers handed out are copies made from local_managers: make them again.
    opts._expire_cache()  # type: ignore[attr-defined]
    for field in opts.concrete_fields:
        if field.many_to_one and field.remote_field is not None and not field.remote_field.hidden:
            descriptor = getattr(field.related_model, field.remote_field.get_accessor_name() or "", None)
            if isinstance(descriptor, ReverseManyToOneDescriptor):
                descriptor.related_manager_cls._queryset_class = ImmutableQuerySet  # type: ignore[attr-defined]
    label = opts.label_lower
    pre_save.connect(_refuse_change, sender=model, dispatch_uid=f"{label}-immutable-save")
    pre_delete.connect(_refuse_delete, sender=model, dispatch_uid=f"{label}-immutable-delete")


def _refusal(model: type[models.Model]) -> str:
    return f"{model.__name__} rows are immutable: post a reversing transfer instead."


def _refuse_change(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if not instance._state.adding:
        raise TypeError(_refusal(sender))


def _refuse_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    raise TypeError(_refusal(sender))
