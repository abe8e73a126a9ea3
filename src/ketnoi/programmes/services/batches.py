"""Disbursement batches: prepare, approve, send (exactly once), export the bank file.

A batch pays some of an approved cycle's enrolled households through one
channel. ``batch_prepare`` creates one ``Disbursement`` per household not
yet paid in the cycle (in one ``INSERT … SELECT``); another officer
approves it (``batch_approve``, maker–checker, within the fund's balance);
``batch_start`` hands it to the background task, which runs ``batch_send``.

Exactly once. ``batch_send`` works in chunks; each chunk is ONE transaction
that renews the batch's lease, posts each payment's ledger transfer (key
``disb-<disbursement id>-send``: programme fund → the channel's clearing
account), marks those payments sent and issues the channel's codes (cash
codes, vouchers). A worker killed at any moment loses at most the chunk in
progress, which rolls back whole; ``batches_resume`` re-enqueues a batch
whose lease ran out, and the next worker carries on from the first payment
still pending. The lease is a compare-and-set token: a worker whose lease
was taken over finds its renewal refused and stops, so two workers never
send the same batch at once. Idempotency keys make a replayed transfer
return the first one rather than move money again.

What happens to each payment after it was sent (received, failed, returned)
is in ``settlement``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ketnoi.core.audit import audit_record
from ketnoi.core.errors import DomainError, NotFound
from ketnoi.core.money import format_vnd
from ketnoi.ledger.models import Account
from ketnoi.ledger.services import TransferRequest, account_balance, account_open, transfers_post_many
from ketnoi.payments import bank_files

from ..access import maker_checker_check, programme_access_check
from ..models import Batch, Channel, Cycle, Disbursement, DisbursementState, Enrolment, EntitlementKind
from ..models.disbursements import LIVE_STATES

logger = logging.getLogger(__name__)

# Ledger accounts the money passes through on its way to a household.
CLEARING_ACCOUNTS: dict[str, tuple[str, str]] = {
    Channel.BANK: ("payout-bank-clearing", "Chi trả qua ngân hàng (đang chuyển)"),
    Channel.POST_OFFICE: ("payout-post-clearing", "Chi trả tiền mặt qua bưu điện (đang chuyển)"),
    Channel.VOUCHER: ("vouchers-outstanding", "Phiếu mua hàng đã phát, chưa dùng"),
}
BENEFICIARIES_EXTERNAL = "beneficiaries-external"
BENEFICIARIES_EXTERNAL_NAME = "Người thụ hưởng (tiền đã ra khỏi hệ thống)"

DEFAULT_CHUNK_SIZE = 2000
# Payments settled or failed per transaction by the bulk services.
SETTLE_CHUNK_SIZE = 5000
_PENDING, _SENT, _PAID, _FAILED = (
    DisbursementState.PENDING,
    DisbursementState.SENT,
    DisbursementState.PAID,
    DisbursementState.FAILED,
)


# --- Small helpers -----------------------------------------------------------------------


def lease_seconds() -> int:
    """How long a sending worker holds a batch without renewing (``PROGRAMMES_BATCH_LEASE_SECONDS``)."""
    return int(getattr(settings, "PROGRAMMES_BATCH_LEASE_SECONDS", 60))


def chunk_size_default() -> int:
    """Payments per sending transaction (``PROGRAMMES_BATCH_CHUNK_SIZE``, 2000 unless set)."""
    return int(getattr(settings, "PROGRAMMES_BATCH_CHUNK_SIZE", DEFAULT_CHUNK_SIZE))


def clearing_account_code(channel: str) -> str:
    """The ledger account holding money sent through ``channel`` until it is received or comes back."""
    return CLEARING_ACCOUNTS[channel][0]


def send_key(disbursement_id: str) -> str:
    return f"disb-{disbursement_id}-send"


def settle_key(disbursement_id: str) -> str:
    return f"disb-{disbursement_id}-settle"


def fail_key(disbursement_id: str) -> str:
    return f"disb-{disbursement_id}-fail"


def return_key(disbursement_id: str) -> str:
    return f"disb-{disbursement_id}-return"


def enrolment_channel(enrolment: Enrolment, *, voucher_programme: bool) -> str:
    """How ``enrolment`` is paid: vouchers for a voucher programme, else the bank when it has an account."""
    if voucher_programme:
        return Channel.VOUCHER
    return Channel.BANK if enrolment.payout_account else Channel.POST_OFFICE


def _open_clearing(channel: str) -> None:
    code, name = CLEARING_ACCOUNTS[channel]
    account_open(code=code, name=name, kind=Account.Kind.PROVIDER_CLEARING)


def beneficiaries_open() -> None:
    account_open(
        code=BENEFICIARIES_EXTERNAL,
        name=BENEFICIARIES_EXTERNAL_NAME,
        kind=Account.Kind.EXTERNAL,
        may_go_negative=True,
    )


def _table(model: type[Any]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def set_per_row(
    *, columns: Sequence[str], values: dict[int, tuple[Any, ...]], common: dict[str, Any], only_state: str
) -> int:
    """``UPDATE`` disbursements: ``columns`` per id from ``values``, ``common`` for all; rows changed.

    Only rows still in ``only_state`` change (a compare-and-set: a row that
    moved on meanwhile is left alone). One prepared statement run for every
    row (``executemany``): a million rows in seconds, where ``bulk_update``
    would spend longer building its ``CASE`` than running it. Datetimes in
    ``common`` must already be adapted (``connection.ops.adapt_datetimefield_value``).
    """
    if not values:
        return 0
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(name)} = %s" for name in (*columns, *common))
    tail = (*common.values(), str(only_state))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {_table(Disbursement)} SET {sets} WHERE id = %s AND state = %s",  # noqa: S608 - names from _meta, values as parameters
            [(*row, *tail[:-1], pk, tail[-1]) for pk, row in values.items()],
        )
        return int(cursor.rowcount)


# --- Prepare -------------------------------------------------------------------------------


def batch_prepare(
    cycle: Cycle, *, channel: str, actor: Any, commune_ids: Iterable[int] | None = None
) -> Batch:
    """A new draft batch paying, through ``channel``, every household of ``cycle`` not yet paid in it.

    Only households whose way of payment is ``channel`` (see
    ``enrolment_channel``), optionally only in ``commune_ids``, and with no
    live payment in the cycle (pending, sent or paid). Refused: a cycle not
    approved, an officer outside the programme's area, a channel the
    programme does not pay through, nobody left to pay. One statement
    inserts every payment, so a million are prepared in seconds.
    """
    programme = cycle.programme
    programme_access_check(actor, programme)
    if channel not in Channel.values:
        raise DomainError(
            _("Kênh chi trả “%(channel)s” không có."),
            code="invalid_channel",
            params={"channel": channel},
            status=422,
        )
    voucher_programme = programme.entitlement == EntitlementKind.VOUCHER
    if voucher_programme != (channel == Channel.VOUCHER):
        raise DomainError(
            _("Chương trình này trả bằng phiếu mua hàng điện tử.")
            if voucher_programme
            else _("Chương trình này trả bằng tiền (ngân hàng hoặc bưu điện), không phát phiếu mua hàng."),
            code="channel_not_for_programme",
            status=422,
        )
    communes = sorted({int(c) for c in commune_ids}) if commune_ids is not None else None
    if communes is not None and not communes:
        raise DomainError(_("Hãy chọn ít nhất một xã/phường."), code="no_commune", status=422)

    with transaction.atomic():
        # The cycle row locked: two officers preparing at once are served one after the other.
        locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
        if locked.state != Cycle.State.APPROVED:
            raise DomainError(
                _("Đợt chi trả chưa được duyệt nên chưa lập lô chi trả được."),
                code="cycle_not_approved",
                status=409,
            )
        number = (locked.batches.aggregate(top=Max("number"))["top"] or 0) + 1
        batch = Batch.objects.create(cycle=locked, number=number, channel=channel, prepared_by=actor)
        _disbursements_insert(
            batch, channel=channel, voucher_programme=voucher_programme, commune_ids=communes
        )
        totals = Disbursement.objects.filter(batch=batch).aggregate(
            count=Count("id"), total=Sum("amount_vnd")
        )
        if not totals["count"]:
            raise DomainError(
                _("Không còn hộ nào được chi trả qua kênh này trong đợt (hoặc ở các xã đã chọn)."),
                code="batch_empty",
                status=422,
            )
        batch.payments_count = totals["count"]
        batch.total_vnd = totals["total"]
        batch.save(update_fields=["payments_count", "total_vnd", "updated_at"])
        audit_record(
            actor=actor,
            action="batch_prepared",
            target=batch,
            changes={
                "channel": (None, channel),
                "payments_count": (None, batch.payments_count),
                "total_vnd": (None, batch.total_vnd),
                **({"communes": (None, communes)} if communes is not None else {}),
            },
        )
    return batch


def _disbursements_insert(
    batch: Batch, *, channel: str, voucher_programme: bool, commune_ids: list[int] | None
) -> None:
    """Insert the batch's payments with one ``INSERT … SELECT``, numbered by commune then enrolment."""
    quote = connection.ops.quote_name
    enrolments = _table(Enrolment)
    disbursements = _table(Disbursement)
    where = ["e.cycle_id = %s", "e.amount_vnd > 0"]
    where_params: list[Any] = [batch.cycle_id]
    if not voucher_programme:
        where.append("e.payout_account <> ''" if channel == Channel.BANK else "e.payout_account = ''")
    if commune_ids is not None:
        where.append(f"e.commune_id IN ({', '.join('%s' for _ in commune_ids)})")
        where_params += commune_ids
    live_marks = ", ".join("%s" for _ in LIVE_STATES)
    where.append(
        f"NOT EXISTS (SELECT 1 FROM {disbursements} d WHERE d.enrolment_id = e.id "  # noqa: S608 - names from _meta
        f"AND d.state IN ({live_marks}))"
    )
    where_params += [str(state) for state in LIVE_STATES]
    # The running number, zero-padded to six digits (more when a batch is bigger).
    if connection.vendor == "postgresql":
        padded = (
            "CASE WHEN s.seq < 1000000 THEN lpad(CAST(s.seq AS text), 6, '0') ELSE CAST(s.seq AS text) END"
        )
    else:
        padded = "printf('%%06d', s.seq)"
    columns = [
        "disbursement_id",
        "batch_id",
        "enrolment_id",
        "household_id",
        "commune_id",
        "channel",
        "amount_vnd",
        "state",
        "failure_reason",
        "bank_reference",
        "collect_code_hash",
        "collect_attempts",
    ]
    sql = (
        f"INSERT INTO {disbursements} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608 - names from _meta
        f"SELECT %s || {padded}, %s, s.id, s.household_id, s.commune_id, %s, s.amount_vnd, %s, '', '', '', 0 "
        "FROM (SELECT e.id, e.household_id, e.commune_id, e.amount_vnd, "
        "ROW_NUMBER() OVER (ORDER BY e.commune_id, e.id) AS seq "
        f"FROM {enrolments} e WHERE {' AND '.join(where)}) s ORDER BY s.seq"
    )
    params = [f"KN{batch.pk}D", batch.pk, channel, str(_PENDING), *where_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# --- Approve and start ---------------------------------------------------------------------


def fund_available_vnd(batch: Batch) -> int:
    """What the programme's fund can still pay for ``batch``: its balance less what other approved
    batches have yet to send."""
    programme = batch.cycle.programme
    try:
        balance = account_balance(programme.fund_account_code)
    except NotFound:
        balance = 0
    promised = (
        Disbursement.objects.filter(
            batch__cycle__programme=programme,
            batch__state__in=[Batch.State.APPROVED, Batch.State.SENDING],
            state=_PENDING,
        )
        .exclude(batch_id=batch.pk)
        .aggregate(total=Sum("amount_vnd"))["total"]
        or 0
    )
    return balance - promised


def batch_approve(batch: Batch, *, actor: Any) -> Batch:
    """Approve a draft batch: by a second officer of the programme's area, within the fund's balance.

    Refused: the preparer approving her own batch (maker–checker), an
    officer outside the area, a batch not in draft, a cycle no longer
    approved, a total above what the fund holds after the other approved
    batches (409). Nothing changes when refused.
    """
    programme = batch.cycle.programme
    programme_access_check(actor, programme)
    maker_checker_check(prepared_by_id=batch.prepared_by_id, approver=actor)
    with transaction.atomic():
        locked = Batch.objects.select_for_update().select_related("cycle__programme").get(pk=batch.pk)
        if locked.state != Batch.State.DRAFT:
            raise _wrong_state(locked, _("Lô này đã được duyệt rồi hoặc không còn chờ duyệt."))
        if locked.cycle.state != Cycle.State.APPROVED:
            raise DomainError(
                _("Đợt chi trả không còn ở trạng thái đã duyệt; không duyệt lô được."),
                code="cycle_not_approved",
                status=409,
            )
        available = fund_available_vnd(locked)
        if locked.total_vnd > available:
            raise DomainError(
                _(
                    "Quỹ chương trình không đủ: lô cần %(needed)s, quỹ còn %(available)s "
                    "(sau khi trừ các lô đã duyệt mà chưa chi)."
                ),
                code="fund_insufficient",
                params={"needed": format_vnd(locked.total_vnd), "available": format_vnd(max(available, 0))},
                status=409,
            )
        locked.state = Batch.State.APPROVED
        locked.approved_by = actor
        locked.approved_at = timezone.now()
        locked.save(update_fields=["state", "approved_by", "approved_at", "updated_at"])
        audit_record(
            actor=actor,
            action="batch_approved",
            target=locked,
            changes={
                "state": (Batch.State.DRAFT, Batch.State.APPROVED),
                "total_vnd": (None, locked.total_vnd),
            },
        )
    return locked


def batch_start(batch: Batch, *, actor: Any, chunk_size: int | None = None) -> Batch:
    """Start paying an approved batch: it becomes "sending" and the background task is queued.

    The task is queued when the transaction commits, holding the lease set
    here; should the queueing be lost, ``batches_resume`` queues it again
    once the lease has run out.
    """
    programme_access_check(actor, batch.cycle.programme)
    with transaction.atomic():
        locked = Batch.objects.select_for_update().get(pk=batch.pk)
        if locked.state != Batch.State.APPROVED:
            raise _wrong_state(locked, _("Chỉ lô đã duyệt mới bắt đầu chi được."))
        _open_clearing(locked.channel)
        lease = timezone.now() + timedelta(seconds=lease_seconds())
        locked.state = Batch.State.SENDING
        locked.lease_until = lease
        locked.save(update_fields=["state", "lease_until", "updated_at"])
        audit_record(
            actor=actor,
            action="batch_started",
            target=locked,
            changes={"state": (Batch.State.APPROVED, Batch.State.SENDING)},
        )
        transaction.on_commit(lambda: _enqueue(locked.pk, lease, chunk_size))
    return locked


def _enqueue(batch_id: int, lease: datetime, chunk_size: int | None) -> None:
    from ..tasks import batch_send_task

    batch_send_task.enqueue(batch_id, lease.isoformat(), chunk_size)


def _wrong_state(batch: Batch, message: Any) -> DomainError:
    return DomainError(message, code="batch_wrong_state", params={"state": batch.state}, status=409)


# --- Send (the background task's work) -------------------------------------------------------


def _next_lease(now: datetime, held: datetime | None) -> datetime:
    """A lease ending ``lease_seconds`` from ``now``, always later than the one ``held`` (a new token)."""
    lease = now + timedelta(seconds=lease_seconds())
    if held is not None and lease <= held:
        lease = held + timedelta(microseconds=1)
    return lease


def _lease_take(batch_id: int, *, token: datetime | None) -> datetime | None:
    """Take the sending lease: when it is ``token`` (handed over with the task), free, or expired.

    A compare-and-set in one ``UPDATE``: of two workers racing for the same
    batch, one changes the row and the other changes nothing and stops.
    """
    now = timezone.now()
    lease = _next_lease(now, token)
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    if token is not None:
        free |= Q(lease_until=token)
    with transaction.atomic():
        taken = Batch.objects.filter(free, pk=batch_id, state=Batch.State.SENDING).update(lease_until=lease)
    return lease if taken else None


def _lease_renew(batch_id: int, held: datetime) -> datetime | None:
    """Extend the lease this worker holds; ``None`` when another worker took the batch over."""
    lease = _next_lease(timezone.now(), held)
    renewed = Batch.objects.filter(pk=batch_id, state=Batch.State.SENDING, lease_until=held).update(
        lease_until=lease
    )
    return lease if renewed else None


def batch_send(
    batch_id: int, *, chunk_size: int = DEFAULT_CHUNK_SIZE, lease: datetime | None = None
) -> Batch:
    """Send every pending payment of a "sending" batch, chunk by chunk; the batch when done or left.

    Resumable and exactly once: each chunk of ``chunk_size`` payments is one
    transaction (lease renewed, transfers posted, payments marked sent,
    codes issued), so a worker killed anywhere leaves each payment either
    untouched or fully sent, and running this again carries on. Returns at
    once when another worker holds a live lease (``lease`` is the token the
    task was queued with), and stops when its lease is taken over.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    held = _lease_take(batch_id, token=lease)
    if held is None:
        return Batch.objects.get(pk=batch_id)
    batch = Batch.objects.select_related("cycle__programme").get(pk=batch_id)
    while True:
        with transaction.atomic():
            held = _lease_renew(batch_id, held)
            if held is None:
                logger.warning("Batch %s was taken over by another worker; this one stops.", batch_id)
                break
            rows = list(
                Disbursement.objects.filter(batch_id=batch_id, state=_PENDING)
                .order_by("id")
                .values_list("id", "disbursement_id", "amount_vnd")[:chunk_size]
            )
            if not rows:
                _batch_sent(batch, held)
                break
            _chunk_send(batch, rows)
    batch.refresh_from_db()
    return batch


def _chunk_send(batch: Batch, rows: list[tuple[int, str, int]]) -> None:
    """Post the chunk's transfers, mark its payments sent, issue the channel's codes.

    Runs inside the caller's transaction: all of it lands, or none.
    """
    programme = batch.cycle.programme
    fund = programme.fund_account_code
    clearing = clearing_account_code(batch.channel)
    requests = [
        TransferRequest(
            idempotency_key=send_key(did),
            postings=((fund, -amount), (clearing, amount)),
            memo=f"Chi trả {did}",
        )
        for _pk, did, amount in rows
    ]
    ids = transfers_post_many(requests, audit_target=batch, audit_action="batch_payments_sent")
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    changed = set_per_row(
        columns=("send_transfer_id",),
        values={pk: (ids[send_key(did)],) for pk, did, _amount in rows},
        common={"state": str(_SENT), "sent_at": now},
        only_state=_PENDING,
    )
    if changed != len(rows):  # pragma: no cover - the lease makes this worker the only writer
        raise RuntimeError(f"Batch {batch.pk}: {len(rows) - changed} payments changed while being sent.")
    if batch.channel == Channel.BANK:
        return  # the bank file is exported after sending
    sent = list(Disbursement.objects.filter(pk__in=[pk for pk, _did, _amount in rows]).order_by("id"))
    if batch.channel == Channel.POST_OFFICE:
        from .cash import cash_codes_issue

        cash_codes_issue(sent)
    else:
        from .vouchers import vouchers_issue_for

        vouchers_issue_for(sent, programme=programme)


def _batch_sent(batch: Batch, held: datetime) -> None:
    now = timezone.now()
    done = Batch.objects.filter(pk=batch.pk, state=Batch.State.SENDING, lease_until=held).update(
        state=Batch.State.SENT, sent_at=now, lease_until=None, updated_at=now
    )
    if done:
        audit_record(
            actor=None,
            action="batch_sent",
            target=batch,
            changes={"state": (Batch.State.SENDING, Batch.State.SENT)},
        )


def batches_resume(*, now: datetime | None = None) -> list[int]:
    """Queue again every batch still "sending" whose lease ran out (its worker died); their ids.

    Each gets a fresh lease by compare-and-set, so two workers resuming at
    once queue a batch once. Run by ``manage.py worker`` at start and every
    half lease.
    """
    now = now or timezone.now()
    stale = list(
        Batch.objects.filter(state=Batch.State.SENDING)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .order_by("pk")
        .values_list("pk", "lease_until")
    )
    resumed: list[int] = []
    for pk, old in stale:
        lease = _next_lease(now, old)
        with transaction.atomic():
            rows = Batch.objects.filter(pk=pk, state=Batch.State.SENDING)
            rows = rows.filter(lease_until__isnull=True) if old is None else rows.filter(lease_until=old)
            if rows.update(lease_until=lease):
                transaction.on_commit(lambda pk=pk, lease=lease: _enqueue(pk, lease, None))  # type: ignore[misc]
                resumed.append(pk)
    if resumed:
        logger.warning("Resumed sending batches %s after their worker stopped.", resumed)
    return resumed


# --- The bank's file --------------------------------------------------------------------------


def batch_first_sent_at(batch: Batch) -> datetime | None:
    """When the batch's first payment left the fund (a result line dated before that is wrong)."""
    first: datetime | None = Disbursement.objects.filter(batch=batch).aggregate(first=Min("sent_at"))["first"]
    return first


def _export_check(batch: Batch) -> None:
    if batch.channel != Channel.BANK:
        raise DomainError(
            _("Chỉ lô chi trả qua ngân hàng mới có tệp chuyển khoản."), code="export_not_bank", status=409
        )
    if batch.state not in (Batch.State.SENT, Batch.State.RECONCILED, Batch.State.PARTLY_FAILED):
        raise DomainError(
            _("Lô chưa chi xong; tệp chuyển khoản có khi mọi khoản đã được chuyển đi."),
            code="export_not_sent",
            status=409,
        )


def _export_lines(batch: Batch) -> Iterator[bank_files.TransferLine]:
    rows = (
        Disbursement.objects.filter(batch=batch, state=_SENT)
        .order_by("id")
        .values_list(
            "disbursement_id",
            "enrolment__payout_bank_bin",
            "enrolment__payout_account",
            "enrolment__payout_account_name",
            "enrolment__head_name",
            "amount_vnd",
        )
        .iterator(chunk_size=10_000)
    )
    for did, bank_bin, account, account_name, head_name, amount in rows:
        yield bank_files.transfer_line(
            disbursement_id=did,
            bank_bin=bank_bin,
            account=account,
            account_name=account_name or head_name,
            amount_vnd=amount,
        )


def batch_export_filename(batch: Batch, fmt: str) -> str:
    return f"chuyen-khoan-{batch.cycle.programme.code}-dot{batch.cycle.number}-lo{batch.number}.{fmt}"


def batch_export_stream(batch: Batch) -> tuple[str, Iterator[bytes]]:
    """The bank file as CSV, in pieces (a page can stream a million lines without holding them)."""
    _export_check(batch)
    return batch_export_filename(batch, "csv"), bank_files.transfers_csv(_export_lines(batch))


def batch_export(batch: Batch, *, fmt: str = "csv") -> tuple[str, bytes]:
    """The bank's bulk-transfer file for the batch's sent payments: ``(file name, content)``.

    One line per payment still awaiting the bank's result. CSV for any size;
    XLSX refused above what a sheet holds (``bank_files.XLSX_MAX_LINES``).
    """
    _export_check(batch)
    if fmt == "csv":
        return batch_export_filename(batch, "csv"), b"".join(bank_files.transfers_csv(_export_lines(batch)))
    if fmt == "xlsx":
        count = Disbursement.objects.filter(batch=batch, state=_SENT).count()
        if count > bank_files.XLSX_MAX_LINES:
            raise DomainError(
                _("Lô có %(count)s khoản, quá số dòng một trang Excel chứa được (%(max)s). Hãy tải tệp CSV."),
                code="export_too_big_for_xlsx",
                params={"count": count, "max": bank_files.XLSX_MAX_LINES},
                status=422,
            )
        return batch_export_filename(batch, "xlsx"), bank_files.transfers_xlsx(_export_lines(batch))
    raise DomainError(
        _("Định dạng tệp “%(fmt)s” không có; chọn CSV hoặc XLSX."),
        code="export_format",
        params={"fmt": fmt},
        status=422,
    )
