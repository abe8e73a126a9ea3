"""What happens to a payment after it was sent: received, failed or returned, one at a time or in bulk.

The bank's result file, the post office clerk and the voucher redemption
all end here. Received: clearing → ``beneficiaries-external`` (key
``disb-<id>-settle``; a voucher's redemption transfer stands in for it).
Failed: the send transfer reversed (key ``disb-<id>-fail``), the money back
in the fund and the household free to go into a later batch. Returned after
being paid: ``beneficiaries-external`` → fund (key ``disb-<id>-return``).
Every step is idempotent by its key, so a file imported twice changes
nothing. ``batch_state_refresh`` then closes the batch as reconciled or
partly failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import batched
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ketnoi.core.audit import audit_record
from ketnoi.core.errors import DomainError
from ketnoi.ledger.services import TransferRequest, transfers_post_many

from ..models import Batch, Disbursement, DisbursementState
from .batches import (
    BENEFICIARIES_EXTERNAL,
    SETTLE_CHUNK_SIZE,
    beneficiaries_open,
    clearing_account_code,
    fail_key,
    return_key,
    set_per_row,
    settle_key,
)

_PENDING, _SENT, _PAID, _FAILED = (
    DisbursementState.PENDING,
    DisbursementState.SENT,
    DisbursementState.PAID,
    DisbursementState.FAILED,
)


def rows_of(
    batch: Batch, outcomes: Sequence[Outcome], *, state: str, fields: Sequence[str]
) -> list[tuple[Any, ...]]:
    """``fields`` of the payments of ``batch`` named in ``outcomes`` (sorted by id) that are in ``state``,
    locked for this transaction.

    Read by id range, not by a list of thousands of ids: the outcomes of a
    chunk are neighbours, and the few rows in between are dropped here.
    """
    wanted = {o.disbursement_pk for o in outcomes}
    rows = (
        Disbursement.objects.select_for_update()
        .filter(batch=batch, state=state, pk__gte=min(wanted), pk__lte=max(wanted))
        .order_by("id")
        .values_list("id", *fields)
    )
    return [row for row in rows if row[0] in wanted]


def _locked_for_change(disbursement: Disbursement) -> Disbursement:
    return (
        Disbursement.objects.select_for_update()
        .select_related("batch__cycle__programme")
        .get(pk=disbursement.pk)
    )


def _refused(disbursement: Disbursement, message: Any) -> DomainError:
    return DomainError(
        message,
        code="disbursement_wrong_state",
        params={"id": disbursement.disbursement_id, "state": disbursement.get_state_display()},
        status=409,
    )


def disbursement_mark_paid(
    disbursement: Disbursement,
    *,
    actor: Any,
    settle_transfer_id: int | None = None,
    bank_reference: str = "",
) -> Disbursement:
    """The household received a sent payment: it becomes paid (idempotent: paid stays paid).

    Posts clearing → ``beneficiaries-external`` (key ``disb-<id>-settle``)
    unless the caller already settled it and passes ``settle_transfer_id``
    (a voucher redeemed at a seller). Refused unless sent (409).
    """
    with transaction.atomic():
        locked = _locked_for_change(disbursement)
        if locked.state == _PAID:
            return locked
        if locked.state != _SENT:
            raise _refused(
                locked, _("Khoản chi %(id)s đang ở trạng thái “%(state)s”, không ghi nhận đã nhận được.")
            )
        if settle_transfer_id is None:
            beneficiaries_open()
            settle_transfer_id = _post_settlements(
                locked.batch,
                [(locked.pk, locked.disbursement_id, locked.amount_vnd, locked.channel)],
                actor=actor,
            )[locked.pk]
        locked.state = _PAID
        locked.paid_at = timezone.now()
        locked.settle_transfer_id = settle_transfer_id
        locked.bank_reference = bank_reference[:40]
        if getattr(actor, "is_authenticated", False):
            locked.confirmed_by = actor
        locked.save(
            update_fields=["state", "paid_at", "settle_transfer_id", "bank_reference", "confirmed_by"]
        )
        audit_record(
            actor=actor, action="disbursement_paid", target=locked, changes={"state": (_SENT, _PAID)}
        )
        batch_state_refresh(locked.batch)
    disbursement.refresh_from_db()
    return locked


def disbursement_mark_failed(disbursement: Disbursement, *, actor: Any, reason: str) -> Disbursement:
    """A sent payment did not reach the household: it becomes failed and its money goes back to the fund.

    Reverses the send transfer (key ``disb-<id>-fail``); the household can
    then be paid in a later batch of the cycle. Idempotent (failed stays
    failed); refused for a payment not sent, or already received (409).
    """
    with transaction.atomic():
        locked = _locked_for_change(disbursement)
        if locked.state == _FAILED:
            return locked
        if locked.state != _SENT:
            raise _refused(
                locked, _("Khoản chi %(id)s đang ở trạng thái “%(state)s”, không ghi là không chi được.")
            )
        _post_failures(
            locked.batch, [(locked.pk, locked.disbursement_id, locked.send_transfer_id)], actor=actor
        )
        locked.state = _FAILED
        locked.failure_reason = reason[:300]
        locked.save(update_fields=["state", "failure_reason"])
        audit_record(
            actor=actor,
            action="disbursement_failed",
            target=locked,
            changes={"state": (_SENT, _FAILED)},
            reason=reason,
        )
        batch_state_refresh(locked.batch)
    disbursement.refresh_from_db()
    return locked


def _post_settlements(
    batch: Batch, rows: Sequence[tuple[int, str, int, str]], *, actor: Any
) -> dict[int, int]:
    """Clearing → beneficiaries for each ``(pk, disbursement id, amount, channel)``; transfer id by pk."""
    requests = [
        TransferRequest(
            idempotency_key=settle_key(did),
            postings=((clearing_account_code(channel), -amount), (BENEFICIARIES_EXTERNAL, amount)),
            memo=f"Đã nhận {did}",
        )
        for _pk, did, amount, channel in rows
    ]
    ids = transfers_post_many(
        requests, actor=actor, audit_target=batch, audit_action="batch_payments_received"
    )
    return {pk: ids[settle_key(did)] for pk, did, _amount, _channel in rows}


def _post_failures(batch: Batch, rows: Sequence[tuple[int, str, int | None]], *, actor: Any) -> None:
    """Reverse the send transfer of each ``(pk, disbursement id, send transfer id)``."""
    requests = []
    for _pk, did, send_transfer_id in rows:
        if send_transfer_id is None:  # pragma: no cover - a sent payment always has its transfer
            raise RuntimeError(f"Payment {did} is sent but has no send transfer.")
        requests.append(
            TransferRequest(
                idempotency_key=fail_key(did), reverses_id=send_transfer_id, memo=f"Không chi được {did}"
            )
        )
    transfers_post_many(requests, actor=actor, audit_target=batch, audit_action="batch_payments_failed")


def _post_returns(batch: Batch, rows: Sequence[tuple[int, str, int]], *, actor: Any) -> None:
    """Beneficiaries → the programme's fund for each ``(pk, disbursement id, amount)`` paid then returned."""
    fund = batch.cycle.programme.fund_account_code
    requests = [
        TransferRequest(
            idempotency_key=return_key(did),
            postings=((BENEFICIARIES_EXTERNAL, -amount), (fund, amount)),
            memo=f"Ngân hàng trả lại {did}",
        )
        for _pk, did, amount in rows
    ]
    transfers_post_many(requests, actor=actor, audit_target=batch, audit_action="batch_payments_returned")


class Outcome(NamedTuple):
    """One payment's result, for the bulk services: its row id and what the bank said."""

    disbursement_pk: int
    bank_reference: str = ""
    reason: str = ""


def _by_pk(outcome: Outcome) -> int:
    return outcome.disbursement_pk


def disbursements_mark_paid(
    batch: Batch, outcomes: Sequence[Outcome], *, actor: Any, chunk_size: int = SETTLE_CHUNK_SIZE
) -> int:
    """``disbursement_mark_paid`` for many payments of ``batch``, a chunk per transaction; how many changed.

    Payments no longer sent (already paid, failed meanwhile) are skipped,
    not refused: a file imported twice changes nothing the second time.
    """
    beneficiaries_open()
    changed = 0
    for part in batched(sorted(outcomes, key=_by_pk), chunk_size, strict=False):
        by_pk = {o.disbursement_pk: o for o in part}
        with transaction.atomic():
            rows = rows_of(batch, part, state=_SENT, fields=("disbursement_id", "amount_vnd", "channel"))
            if not rows:
                continue
            transfer_ids = _post_settlements(batch, rows, actor=actor)
            changed += set_per_row(
                columns=("settle_transfer_id", "bank_reference"),
                values={pk: (transfer_ids[pk], by_pk[pk].bank_reference[:40]) for pk, *_rest in rows},
                common={
                    "state": str(_PAID),
                    "paid_at": connection.ops.adapt_datetimefield_value(timezone.now()),
                },
                only_state=_SENT,
            )
    return changed


def disbursements_mark_failed(
    batch: Batch, outcomes: Sequence[Outcome], *, actor: Any, chunk_size: int = SETTLE_CHUNK_SIZE
) -> int:
    """``disbursement_mark_failed`` for many sent payments of ``batch``; how many changed (others skipped)."""
    changed = 0
    for part in batched(sorted(outcomes, key=_by_pk), chunk_size, strict=False):
        by_pk = {o.disbursement_pk: o for o in part}
        with transaction.atomic():
            rows = rows_of(batch, part, state=_SENT, fields=("disbursement_id", "send_transfer_id"))
            if not rows:
                continue
            _post_failures(batch, rows, actor=actor)
            changed += set_per_row(
                columns=("failure_reason",),
                values={pk: (by_pk[pk].reason[:300],) for pk, *_rest in rows},
                common={"state": str(_FAILED)},
                only_state=_SENT,
            )
    return changed


def disbursements_mark_returned(
    batch: Batch, outcomes: Sequence[Outcome], *, actor: Any, chunk_size: int = SETTLE_CHUNK_SIZE
) -> int:
    """Paid payments whose money the bank sent back: failed, the money back in the fund; how many changed.

    Posts beneficiaries → fund (key ``disb-<id>-return``); the household can
    be paid again in a later batch. Payments not paid are skipped.
    """
    beneficiaries_open()
    changed = 0
    for part in batched(sorted(outcomes, key=_by_pk), chunk_size, strict=False):
        by_pk = {o.disbursement_pk: o for o in part}
        with transaction.atomic():
            rows = rows_of(batch, part, state=_PAID, fields=("disbursement_id", "amount_vnd"))
            if not rows:
                continue
            _post_returns(batch, rows, actor=actor)
            changed += set_per_row(
                columns=("failure_reason",),
                values={pk: (by_pk[pk].reason[:300],) for pk, *_rest in rows},
                common={"state": str(_FAILED)},
                only_state=_PAID,
            )
    return changed


def batch_state_refresh(batch: Batch) -> Batch:
    """Close a sent batch once no payment is left in flight: reconciled when all were received,
    partly failed when some were not. A payment returned later turns a reconciled batch partly failed."""
    closable = (Batch.State.SENT, Batch.State.RECONCILED, Batch.State.PARTLY_FAILED)
    with transaction.atomic():
        locked = Batch.objects.select_for_update().get(pk=batch.pk)
        if locked.state not in closable:
            return locked
        counts = dict(
            Disbursement.objects.filter(batch=locked)
            .values_list("state")
            .annotate(n=Count("id"))
            .values_list("state", "n")
        )
        if counts.get(_PENDING) or counts.get(_SENT):
            new_state = Batch.State.SENT
        elif counts.get(_FAILED):
            new_state = Batch.State.PARTLY_FAILED
        else:
            new_state = Batch.State.RECONCILED
        if new_state != locked.state:
            old_state = locked.state
            locked.state = new_state
            locked.reconciled_at = timezone.now() if new_state != Batch.State.SENT else None
            locked.save(update_fields=["state", "reconciled_at", "updated_at"])
            audit_record(
                actor=None,
                action="batch_state_changed",
                target=locked,
                changes={"state": (old_state, new_state)},
            )
    batch.state, batch.reconciled_at = locked.state, locked.reconciled_at
    return locked
