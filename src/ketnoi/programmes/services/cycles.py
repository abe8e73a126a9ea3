"""Cycles: open one, enrol (a frozen snapshot of who qualifies), submit, approve or return, close.

draft → enrolled → submitted → approved → closed; a submitted cycle can be
returned to enrolled with a note. The officer who prepared the list (the
last one to enrol it) cannot approve it (``access.maker_checker_check``).
Each step locks the cycle's row, checks the actor covers the programme and
writes one audit entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from ketnoi.core.audit import audit_record
from ketnoi.core.errors import DomainError
from ketnoi.core.money import MAX_VND, format_vnd
from ketnoi.core.text import nfc
from ketnoi.ledger.models import Account
from ketnoi.registry.models import Household

from .. import rules as eligibility
from ..access import maker_checker_check, programme_access_check
from ..models import Batch, Cycle, Disbursement, DisbursementState, Enrolment, Programme
from .programmes import entitlement_amount

NAME_MAX = 200
NOTE_MAX = 500
BULK_SIZE = 2000
FACTS_CHUNK = 5000  # households read per round (well under SQLite's limit on query parameters)
# Cycles still being prepared: a programme has at most one at a time.
PREPARING = (Cycle.State.DRAFT, Cycle.State.ENROLLED, Cycle.State.SUBMITTED)


def _conflict(message: Any, code: str, **params: Any) -> DomainError:
    return DomainError(message, code=code, params=params, status=409)


def _locked(cycle: Cycle) -> Cycle:
    return Cycle.objects.select_for_update().select_related("programme").get(pk=cycle.pk)


def _state_check(cycle: Cycle, allowed: Iterable[str], message: Any) -> None:
    if cycle.state not in allowed:
        raise _conflict(message, "cycle_state", state=cycle.get_state_display())


def fund_balance(programme: Programme) -> int:
    """The money in ``programme``'s fund now (0 before it is opened)."""
    balance = (
        Account.objects.filter(code=programme.fund_account_code).values_list("balance_vnd", flat=True).first()
    )
    return balance or 0


def _fund_check(cycle: Cycle, planned_total: int) -> None:
    balance = fund_balance(cycle.programme)
    if planned_total > balance:
        raise _conflict(
            _(
                "Tổng dự kiến %(total)s lớn hơn số tiền còn trong quỹ chương trình (%(balance)s). "
                "Hãy bổ sung ngân sách hoặc thu hẹp điều kiện."
            ),
            "cycle_over_fund",
            total=format_vnd(planned_total),
            balance=format_vnd(balance),
        )


@transaction.atomic
def cycle_open(programme: Programme, *, actor: Any, name: str = "") -> Cycle:
    """Open the programme's next cycle (number = last + 1), as a draft.

    Refused unless the programme is active, and while another cycle is
    still being prepared (draft, enrolled or submitted).
    """
    locked = Programme.objects.select_for_update().get(pk=programme.pk)
    programme_access_check(actor, locked)
    if locked.state != Programme.State.ACTIVE:
        raise _conflict(_("Chỉ mở được đợt chi trả khi chương trình đang thực hiện."), "programme_not_active")
    busy = (
        Cycle.objects.filter(programme=locked, state__in=PREPARING).values_list("number", flat=True).first()
    )
    if busy is not None:
        raise _conflict(
            _("Đợt %(number)s vẫn đang chuẩn bị: hãy duyệt hoặc đóng đợt đó trước khi mở đợt mới."),
            "cycle_in_preparation",
            number=busy,
        )
    number = (Cycle.objects.filter(programme=locked).aggregate(n=Max("number"))["n"] or 0) + 1
    clean_name = nfc(name) if isinstance(name, str) else ""
    if len(clean_name) > NAME_MAX:
        raise DomainError(
            _("Tên đợt dài quá (tối đa %(max)s ký tự)."),
            code="too_long",
            params={"max": NAME_MAX},
            status=422,
        )
    cycle = Cycle.objects.create(programme=locked, number=number, name=clean_name or f"Đợt {number}")
    audit_record(actor=actor, action="cycle_opened", target=cycle, changes={"number": (None, number)})
    return cycle


class _Snapshot:
    """Turns one household's facts into its frozen enrolment row, keeping the running totals.

    Reasons depend only on the values of the fields the rules ask about, so
    they are worded (in Vietnamese, the language of record) and prepared for
    the database once per distinct set of values, not once per household.
    """

    def __init__(self, *, cycle: Cycle, programme: Programme, rules: dict[str, Any]) -> None:
        self.cycle, self.programme, self.rules = cycle, programme, rules
        self.fields = [field.name for field in eligibility.rules_fields(rules)]
        self.places = [
            f"{name}_name" for name in self.fields if eligibility.FIELDS[name].type in eligibility.PLACE_TYPES
        ]
        self.reasons: dict[tuple[Any, ...], Any] = {}
        self.total = self.count = 0
        self.created_at = connection.ops.adapt_datetimefield_value(timezone.now())

    def row(self, household_id: int, facts: dict[str, Any]) -> tuple[Any, ...]:
        """The values of one enrolment row, in the order of ``ENROLMENT_COLUMNS``."""
        key = tuple(facts[name] for name in self.fields) + tuple(facts[name] for name in self.places)
        reasons = self.reasons.get(key)
        if reasons is None:
            with translation.override("vi"):
                words = eligibility.rules_explain(self.rules, facts)
            reasons = self.reasons[key] = _REASONS_FIELD.get_db_prep_save(words, connection)
        amount = entitlement_amount(
            entitlement=self.programme.entitlement,
            amount_vnd=self.programme.amount_vnd,
            members_count=facts["members_count"],
        )
        self.total += amount
        self.count += 1
        return (
            self.cycle.pk,
            household_id,
            facts["commune"],
            facts["head_name"][:120],
            facts["phone"],
            facts["members_count"],
            facts["classification"],
            reasons,
            amount,
            facts["payout_bank_bin"],
            facts["payout_account"],
            facts["payout_account_name"],
            self.created_at,
        )


ENROLMENT_COLUMNS = (
    "cycle_id",
    "household_id",
    "commune_id",
    "head_name",
    "phone",
    "members_count",
    "classification",
    "reasons",
    "amount_vnd",
    "payout_bank_bin",
    "payout_account",
    "payout_account_name",
    "created_at",
)
_REASONS_FIELD = Enrolment._meta.get_field("reasons")


def _enrolments_insert(rows: list[tuple[Any, ...]]) -> None:
    """Insert enrolment rows with one prepared statement (``bulk_create`` spends most of its time
    preparing each value; these are prepared already)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (names are constants, values parameters)
        quote(Enrolment._meta.db_table),
        ", ".join(quote(column) for column in ENROLMENT_COLUMNS),
        ", ".join(["%s"] * len(ENROLMENT_COLUMNS)),
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BULK_SIZE):
            cursor.executemany(sql, rows[start : start + BULK_SIZE])


def _chunk_households(chunk: list[int]) -> QuerySet[Household]:
    """The households of ``chunk`` (ids in ascending order): by id range when they lie close
    together (no long parameter list), else by id."""
    low, high = chunk[0], chunk[-1]
    if high - low < 4 * len(chunk):
        return Household.objects.filter(pk__gte=low, pk__lte=high)
    return Household.objects.filter(pk__in=chunk)


@transaction.atomic
def cycle_enrol(cycle: Cycle, *, actor: Any) -> Cycle:
    """Take the snapshot: every verified household of the area that meets the rules now, with
    its head, phone, members, classification, reasons, amount and payout account, frozen.

    Enrolling a draft or enrolled cycle again replaces its list. Refused
    when nobody qualifies (422) or the planned total exceeds the fund's
    balance (409). ``actor`` becomes the cycle's preparer. Households are
    read ``FACTS_CHUNK`` at a time (five queries each) and inserted in bulk,
    so memory stays bounded on a large roll.
    """
    locked = _locked(cycle)
    programme = locked.programme
    programme_access_check(actor, programme)
    _state_check(
        locked,
        (Cycle.State.DRAFT, Cycle.State.ENROLLED),
        _("Đợt đang ở trạng thái “%(state)s”: chỉ lập lại danh sách được khi đợt chưa trình duyệt."),
    )
    if programme.state != Programme.State.ACTIVE:
        raise _conflict(_("Chương trình không còn thực hiện."), "programme_not_active")
    rules = eligibility.rules_validate(programme.rules)
    households = eligibility.rules_households(
        rules,
        province_id=programme.province_id,
        commune_ids=list(programme.communes.values_list("pk", flat=True)),
    )
    ids = list(households.order_by("pk").values_list("pk", flat=True))
    if not ids:
        raise DomainError(
            _("Không có hộ nào đã xác minh trong địa bàn đáp ứng điều kiện của chương trình."),
            code="cycle_nobody_eligible",
            status=422,
        )
    before = (locked.state, locked.enrolled_count, locked.planned_total_vnd)
    Enrolment.objects.filter(cycle=locked).delete()
    snapshot = _Snapshot(cycle=locked, programme=programme, rules=rules)
    for start in range(0, len(ids), FACTS_CHUNK):
        chunk = ids[start : start + FACTS_CHUNK]
        facts = eligibility.household_facts(_chunk_households(chunk))
        _enrolments_insert([snapshot.row(pk, facts[pk]) for pk in chunk if pk in facts])
    if snapshot.total > MAX_VND:
        raise DomainError(_("Tổng dự kiến quá lớn."), code="amount_absurd", status=422)
    _fund_check(locked, snapshot.total)  # refused: the transaction takes the new rows back
    locked.state = Cycle.State.ENROLLED
    locked.rules_snapshot = rules
    locked.enrolled_at = timezone.now()
    locked.prepared_by = actor
    locked.planned_total_vnd = snapshot.total
    locked.enrolled_count = snapshot.count
    locked.returned_note = ""
    locked.save()
    audit_record(
        actor=actor,
        action="cycle_enrolled",
        target=locked,
        changes={
            "state": (before[0], locked.state),
            "enrolled_count": (before[1], locked.enrolled_count),
            "planned_total_vnd": (before[2], snapshot.total),
        },
    )
    return locked


@transaction.atomic
def cycle_submit(cycle: Cycle, *, actor: Any) -> Cycle:
    """Send the enrolled list for approval by another officer."""
    locked = _locked(cycle)
    programme_access_check(actor, locked.programme)
    _state_check(
        locked, (Cycle.State.ENROLLED,), _("Chỉ trình duyệt được đợt đã lập danh sách (đang: “%(state)s”).")
    )
    locked.state = Cycle.State.SUBMITTED
    locked.submitted_at = timezone.now()
    locked.save(update_fields=["state", "submitted_at", "updated_at"])
    audit_record(
        actor=actor,
        action="cycle_submitted",
        target=locked,
        changes={"state": (Cycle.State.ENROLLED, Cycle.State.SUBMITTED)},
    )
    return locked


@transaction.atomic
def cycle_approve(cycle: Cycle, *, actor: Any) -> Cycle:
    """Approve a submitted cycle. The approver covers the programme and did not prepare the list
    (403 otherwise); the fund must still hold the planned total (409)."""
    locked = _locked(cycle)
    programme_access_check(actor, locked.programme)
    _state_check(
        locked, (Cycle.State.SUBMITTED,), _("Chỉ duyệt được đợt đang chờ duyệt (đang: “%(state)s”).")
    )
    maker_checker_check(prepared_by_id=locked.prepared_by_id, approver=actor)
    _fund_check(locked, locked.planned_total_vnd)
    locked.state = Cycle.State.APPROVED
    locked.approved_by = actor
    locked.approved_at = timezone.now()
    locked.save(update_fields=["state", "approved_by", "approved_at", "updated_at"])
    audit_record(
        actor=actor,
        action="cycle_approved",
        target=locked,
        changes={
            "state": (Cycle.State.SUBMITTED, Cycle.State.APPROVED),
            "planned_total_vnd": (None, locked.planned_total_vnd),
        },
    )
    return locked


@transaction.atomic
def cycle_return(cycle: Cycle, *, actor: Any, note: str) -> Cycle:
    """Send a submitted cycle back to its preparer (enrolled), saying why (``note``, required)."""
    clean_note = nfc(note) if isinstance(note, str) else ""
    if not clean_note:
        raise DomainError(
            _("Hãy ghi lý do trả lại để người lập biết cần sửa gì."), code="note_required", status=422
        )
    if len(clean_note) > NOTE_MAX:
        raise DomainError(
            _("Lý do dài quá (tối đa %(max)s ký tự)."), code="too_long", params={"max": NOTE_MAX}, status=422
        )
    locked = _locked(cycle)
    programme_access_check(actor, locked.programme)
    _state_check(
        locked, (Cycle.State.SUBMITTED,), _("Chỉ trả lại được đợt đang chờ duyệt (đang: “%(state)s”).")
    )
    locked.state = Cycle.State.ENROLLED
    locked.returned_note = clean_note
    locked.submitted_at = None
    locked.save(update_fields=["state", "returned_note", "submitted_at", "updated_at"])
    audit_record(
        actor=actor,
        action="cycle_returned",
        target=locked,
        changes={"state": (Cycle.State.SUBMITTED, Cycle.State.ENROLLED)},
        reason=clean_note,
    )
    return locked


@transaction.atomic
def cycle_close(cycle: Cycle, *, actor: Any) -> Cycle:
    """Close a cycle (an unapproved one is thereby dropped). Refused while a batch of it is
    not finished or a payment is still pending or sent (409)."""
    locked = _locked(cycle)
    programme_access_check(actor, locked.programme)
    _state_check(
        locked,
        (Cycle.State.DRAFT, Cycle.State.ENROLLED, Cycle.State.SUBMITTED, Cycle.State.APPROVED),
        _("Đợt đã đóng rồi."),
    )
    unfinished = (
        Batch.objects.filter(
            cycle=locked, state__in=(Batch.State.DRAFT, Batch.State.APPROVED, Batch.State.SENDING)
        ).exists()
        or Disbursement.objects.filter(
            batch__cycle=locked, state__in=(DisbursementState.PENDING, DisbursementState.SENT)
        ).exists()
    )
    if unfinished:
        raise _conflict(
            _("Đợt còn lô hoặc khoản chi chưa xong: hãy chi xong hoặc huỷ chúng trước khi đóng đợt."),
            "cycle_payments_open",
        )
    before = locked.state
    locked.state = Cycle.State.CLOSED
    locked.save(update_fields=["state", "updated_at"])
    audit_record(
        actor=actor, action="cycle_closed", target=locked, changes={"state": (before, Cycle.State.CLOSED)}
    )
    return locked
