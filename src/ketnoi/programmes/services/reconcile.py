"""Reconciling a bank batch with the bank's result file: check first, then apply.

Each line of the file (``payments.bank_files.results_read``) names a
payment by its disbursement id and says what happened: success (the
household was paid), failed (the money never left the bank: it goes back to
the fund) or returned (paid, then sent back: back to the fund too). A line
is applied only when everything on it agrees with the payment: the id is of
this batch, the amount is the payment's, the date lies between the day the
batch was sent and today, the status is understood, the id is not on two
lines that contradict each other, and the status follows from the payment's
state. Every other line is reported with its reason and changes nothing.

Applying is idempotent: a line already applied (a paid payment reported
paid again) counts as unchanged, and the ledger keys
(``disb-<id>-settle|fail|return``) make a replay move no money. The work is
done in bulk — one query loads the batch, unknown ids are looked up a few
hundred at a time, payments change thousands per transaction — so a
million-line file is reconciled in under a minute.
"""

from __future__ import annotations

import gc
import io
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any, NamedTuple

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ketnoi.core.audit import audit_record
from ketnoi.core.errors import DomainError
from ketnoi.payments import bank_files
from ketnoi.payments.bank_files import FAILED, RETURNED, SUCCESS, ResultLine

from ..access import programme_access_check
from ..models import Batch, Channel, Disbursement, DisbursementState
from .batches import batch_first_sent_at
from .settlement import (
    Outcome,
    batch_state_refresh,
    disbursements_mark_failed,
    disbursements_mark_paid,
    disbursements_mark_returned,
)

_LOOKUP_CHUNK = 900
# Two statuses for one payment that cannot both be true. Success then returned can.
_CONTRADICTORY = ({SUCCESS, FAILED}, {FAILED, RETURNED})

MESSAGES: dict[str, Any] = {
    "missing_id": _("Dòng không có mã chi trả."),
    "unknown_id": _("Mã chi trả %(id)s không có trong hệ thống."),
    "other_batch": _("Mã chi trả %(id)s thuộc lô khác (%(batch)s), không thuộc lô này."),
    "duplicate": _("Dòng lặp lại: mã %(id)s với cùng trạng thái đã có ở dòng %(first)s."),
    "contradictory_lines": _(
        "Mã %(id)s có các dòng trái ngược nhau trong tệp (dòng %(lines)s); không dòng nào được ghi."
    ),
    "unknown_status": _(
        "Trạng thái “%(status)s” không hiểu được; hãy dùng: thành công (success), "
        "không thành công (failed) hoặc trả lại (returned)."
    ),
    "bad_amount": _("Số tiền “%(amount)s” không đọc được: cần một số đồng nguyên."),
    "wrong_amount": _("Số tiền %(amount)s khác số tiền của khoản chi (%(expected)s)."),
    "bad_date": _("Ngày “%(date)s” không đọc được (cần dạng 31/12/2026)."),
    "date_before_sent": _("Ngày %(date)s trước ngày lô được chi (%(sent)s)."),
    "date_in_future": _("Ngày %(date)s ở tương lai."),
    "not_sent": _("Khoản chi %(id)s chưa được chuyển đi (đang “%(state)s”)."),
    "contradicts_state": _(
        "Khoản chi %(id)s đã ở trạng thái “%(state)s”; tệp báo “%(status)s” là trái ngược nên không ghi."
    ),
}
STATUS_LABELS: dict[str, Any] = {
    SUCCESS: _("thành công"),
    FAILED: _("không thành công"),
    RETURNED: _("trả lại"),
}
# Payment states as the database holds them (plain strings compare fastest, a million times).
_PENDING, _SENT, _PAID, _FAILED, _CANCELLED = (str(state) for state in DisbursementState)
DEFAULT_FAILURE = "Ngân hàng báo chuyển không thành công"
DEFAULT_RETURN = "Ngân hàng trả lại tiền"


class LineProblem(NamedTuple):
    """A line that was not applied: where, which payment, why (``code``, with ``params`` for the message)."""

    line: int
    disbursement_id: str
    code: str
    params: dict[str, Any]

    @property
    def message(self) -> str:
        return str(MESSAGES[self.code]) % {"id": self.disbursement_id, **self.params}


@dataclass
class ResultReport:
    """What a result file says, and (``applied``) what importing it changed."""

    filename: str
    applied: bool = False
    lines_total: int = 0
    paid: int = 0  # payments the file marks received
    failed: int = 0  # payments that never reached the household
    returned: int = 0  # paid, then sent back by the bank
    unchanged: int = 0  # lines already applied by an earlier import
    problems: list[LineProblem] = field(default_factory=list)

    @property
    def good(self) -> int:
        return self.paid + self.failed + self.returned + self.unchanged

    def problem_counts(self) -> dict[str, int]:
        """How many lines were refused for each reason (by ``MESSAGES`` code)."""
        return dict(Counter(problem.code for problem in self.problems))


@dataclass
class _Plan:
    pay: list[Outcome] = field(default_factory=list)
    fail: list[Outcome] = field(default_factory=list)
    give_back: list[Outcome] = field(default_factory=list)


def _read(batch: Batch, data: bytes | IO[bytes], filename: str) -> list[ResultLine]:
    if batch.channel != Channel.BANK:
        raise DomainError(
            _("Chỉ lô chi trả qua ngân hàng mới nhận tệp kết quả của ngân hàng."),
            code="result_not_bank",
            status=409,
        )
    if batch.state not in (Batch.State.SENT, Batch.State.RECONCILED, Batch.State.PARTLY_FAILED):
        raise DomainError(
            _("Lô chưa chi xong nên chưa đối soát được."), code="result_batch_not_sent", status=409
        )
    file = io.BytesIO(data) if isinstance(data, bytes) else data
    return bank_files.results_read(file, filename).lines


def _check(batch: Batch, lines: Sequence[ResultLine], report: ResultReport) -> _Plan:
    """Sort each line into the plan or the report's problems; reads only, one query for the batch.

    Written for a million lines: one pass, plain dictionaries, and the
    book-keeping for repeated ids only for the ids that are repeated.
    """
    known: dict[str, tuple[int, int, str]] = {
        did: (pk, amount, state)
        for did, pk, amount, state in Disbursement.objects.filter(batch=batch)
        .values_list("disbursement_id", "pk", "amount_vnd", "state")
        .iterator(chunk_size=20_000)
    }
    first_sent = batch_first_sent_at(batch)
    sent_day = timezone.localdate(first_sent) if first_sent is not None else date.min
    today = timezone.localdate()

    counts = Counter(line.disbursement_id for line in lines)
    repeated: dict[str, list[ResultLine]] = {}
    for line in lines:
        if counts[line.disbursement_id] > 1:
            repeated.setdefault(line.disbursement_id, []).append(line)
    contradictory = {
        did: ", ".join(str(line.line) for line in same)
        for did, same in repeated.items()
        if any(pair <= {line.status for line in same} for pair in _CONTRADICTORY)
    }

    plan = _Plan()
    problems = report.problems
    elsewhere: list[ResultLine] = []
    first_line: dict[tuple[str, str | None], int] = {}  # for repeated ids only
    states: dict[str, str] = {}  # for repeated ids: the state earlier lines of the file leave

    def refuse(line: ResultLine, code: str, **params: Any) -> None:
        problems.append(LineProblem(line.line, line.disbursement_id, code, params))

    for line in lines:
        did = line.disbursement_id
        payment = known.get(did)
        if payment is None:
            if did:
                elsewhere.append(line)
            else:
                refuse(line, "missing_id")
            continue
        pk, amount, state = payment
        again = did in repeated
        if again:
            if did in contradictory:
                refuse(line, "contradictory_lines", lines=contradictory[did])
                continue
            seen = first_line.setdefault((did, line.status), line.line)
            if seen != line.line:
                refuse(line, "duplicate", first=seen)
                continue
            state = states.get(did, state)
        if line.status is None:
            refuse(line, "unknown_status", status=line.status_text)
        elif line.amount_vnd != amount:
            if line.amount_vnd is None:
                refuse(line, "bad_amount", amount=line.amount_text)
            else:
                refuse(line, "wrong_amount", amount=_vnd(line.amount_vnd), expected=_vnd(amount))
        elif line.date is None:
            refuse(line, "bad_date", date=line.date_text)
        elif line.date < sent_day:
            refuse(line, "date_before_sent", date=_day(line.date), sent=_day(sent_day))
        elif line.date > today:
            refuse(line, "date_in_future", date=_day(line.date))
        else:
            new_state = _follow(plan, report, line, pk, state)
            if new_state is None:
                refuse(
                    line,
                    "not_sent" if state in (_PENDING, _CANCELLED) else "contradicts_state",
                    state=DisbursementState(state).label,
                    status=STATUS_LABELS[line.status],
                )
            elif again:
                states[did] = new_state
    _elsewhere(batch, elsewhere, problems)
    problems.sort(key=lambda problem: problem.line)
    return plan


def _follow(plan: _Plan, report: ResultReport, line: ResultLine, pk: int, state: str) -> str | None:
    """Where ``line`` takes a payment in ``state``: into the plan, or unchanged; ``None`` when it cannot."""
    status = line.status
    if status == SUCCESS:
        if state == _SENT:
            plan.pay.append(Outcome(pk, line.bank_reference))
            report.paid += 1
            return _PAID
        if state == _PAID:
            report.unchanged += 1
            return _PAID
    elif status == FAILED:
        if state == _SENT:
            plan.fail.append(Outcome(pk, reason=line.reason or DEFAULT_FAILURE))
            report.failed += 1
            return _FAILED
        if state == _FAILED:
            report.unchanged += 1
            return _FAILED
    elif status == RETURNED:
        if state == _PAID:
            plan.give_back.append(Outcome(pk, reason=line.reason or DEFAULT_RETURN))
            report.returned += 1
            return _FAILED
        if state == _SENT:  # returned before anyone saw it paid: the same as failed
            plan.fail.append(Outcome(pk, reason=line.reason or DEFAULT_RETURN))
            report.failed += 1
            return _FAILED
        if state == _FAILED:
            report.unchanged += 1
            return _FAILED
    return None


def _elsewhere(batch: Batch, lines: list[ResultLine], problems: list[LineProblem]) -> None:
    """Report ids not of this batch: another batch's (which one), or unknown; a few hundred per query."""
    ids = sorted({line.disbursement_id for line in lines})
    where: dict[str, str] = {}
    for start in range(0, len(ids), _LOOKUP_CHUNK):
        for did, code, cycle, number in Disbursement.objects.filter(
            disbursement_id__in=ids[start : start + _LOOKUP_CHUNK]
        ).values_list(
            "disbursement_id", "batch__cycle__programme__code", "batch__cycle__number", "batch__number"
        ):
            where[did] = f"{code} #{cycle} / {number}"
    for line in lines:
        other = where.get(line.disbursement_id)
        if other is None:
            problems.append(LineProblem(line.line, line.disbursement_id, "unknown_id", {}))
        else:
            problems.append(LineProblem(line.line, line.disbursement_id, "other_batch", {"batch": other}))


def _vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


def _day(day: date) -> str:
    return day.strftime("%d/%m/%Y")


@contextmanager
def _many_objects() -> Iterator[None]:
    """Pause Python's cycle collector while a million small objects are alive.

    The lines, the batch's payments and the plan all live until the import
    ends, so each collection would walk them again for nothing: that
    doubled the time of a million-line file. Put back as it was afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def bank_result_check(batch: Batch, data: bytes | IO[bytes], filename: str) -> ResultReport:
    """What importing the bank's result file would do, line by line; changes nothing (a dry run).

    ``DomainError`` when the file cannot be read as a result file, or the
    batch is not a sent bank batch.
    """
    with _many_objects():
        lines = _read(batch, data, filename)
        report = ResultReport(filename=filename, lines_total=len(lines))
        _check(batch, lines, report)
    return report


def bank_result_apply(batch: Batch, data: bytes | IO[bytes], filename: str, *, actor: Any) -> ResultReport:
    """Import the bank's result file: apply the good lines in bulk, report the others; idempotent.

    Payments become paid (clearing → beneficiaries), failed (the send
    reversed) or, returned after payment, failed with the money back in the
    fund. The counts in the report are what changed now; a line whose
    payment moved meanwhile (another import) is skipped, not applied twice.
    Refused for an officer outside the programme's area.
    """
    programme_access_check(actor, batch.cycle.programme)
    with _many_objects():
        lines = _read(batch, data, filename)
        report = ResultReport(filename=filename, lines_total=len(lines), applied=True)
        plan = _check(batch, lines, report)
        del lines
        # Payments first: a payment paid and returned in the same file is paid, then given back.
        report.paid = disbursements_mark_paid(batch, plan.pay, actor=actor)
        report.failed = disbursements_mark_failed(batch, plan.fail, actor=actor)
        report.returned = disbursements_mark_returned(batch, plan.give_back, actor=actor)
    with transaction.atomic():
        batch_state_refresh(batch)
        audit_record(
            actor=actor,
            action="batch_result_imported",
            target=batch,
            changes={
                "paid": (None, report.paid),
                "failed": (None, report.failed),
                "returned": (None, report.returned),
                "refused_lines": (None, len(report.problems)),
            },
            reason=filename[:200],
        )
    return report
