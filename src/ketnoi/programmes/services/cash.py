"""Cash at a post office: the beneficiary's one-time code, the office's list, the clerk's confirmation.

When a post-office payment is sent (``batches.batch_send``), the household
gets an SMS with the amount, the office (the commune's post office) and a
6-digit code; only a keyed hash of the code is kept (``collect_code_hash``).
At the counter the clerk finds the payment (its disbursement id, or the
phone), reads out the name and amount, and types the code the beneficiary
gives her: right, and the payment is paid (``disbursement_mark_paid``: post
clearing → beneficiaries-external); wrong, and the try is counted; after
``MAX_CODE_ATTEMPTS`` the code is locked until an officer re-issues it.
Money never claimed goes back to the fund (``cash_unclaimed_return``).

Who: a post clerk whose commune is the payment's, or an officer of that
area (commune officer, the province's programme officer, an administrator).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import batched
from typing import Any, NoReturn

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from ketnoi.accounts.models import Role
from ketnoi.accounts.selectors import user_scopes
from ketnoi.core.audit import audit_record
from ketnoi.core.errors import DomainError, NotFound, PermissionDenied
from ketnoi.core.money import format_vnd
from ketnoi.core.notify import message_send
from ketnoi.core.phone import mask_phone
from ketnoi.core.scopes import scopes_cover
from ketnoi.places.models import Commune

from ..access import programme_access_check
from ..models import Batch, Channel, Disbursement, DisbursementState
from .settlement import Outcome, batch_state_refresh, disbursement_mark_paid, disbursements_mark_failed

CODE_DIGITS = 6
MAX_CODE_ATTEMPTS = 5
# Who may pay out cash at the counter, and who may re-issue a locked code.
CASH_ROLES: tuple[str, ...] = (
    Role.POST_CLERK,
    Role.COMMUNE_OFFICER,
    Role.PROGRAMME_OFFICER,
    Role.ADMINISTRATOR,
)
OFFICER_ROLES: tuple[str, ...] = (Role.COMMUNE_OFFICER, Role.PROGRAMME_OFFICER, Role.ADMINISTRATOR)
UNCLAIMED_REASON = "Không đến nhận tiền mặt trong thời hạn chi trả"
_ROWS_PER_QUERY = 900  # ids per ``IN (…)``: under SQLite's old parameter limit

_SMS_CODE = _(
    "Kết Nối: hộ bạn được nhận %(amount)s tiền mặt của chương trình %(programme)s tại %(office)s. "
    "Mang CCCD, báo mã chi trả %(id)s và mã nhận tiền %(code)s cho nhân viên bưu điện. "
    "Không đưa mã nhận tiền cho ai khác."
)


# --- Codes -----------------------------------------------------------------------------------


def _code_new() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def _code_hash(disbursement_id: str, code: str) -> str:
    """Keyed with the site's secret: the table alone does not give the 10⁶ codes back."""
    return salted_hmac("ketnoi.programmes.cash", f"{disbursement_id}|{code}", algorithm="sha256").hexdigest()


def post_office_name(commune_name: str) -> str:
    """ "Xã Mường Bú" → "Bưu điện xã Mường Bú": where the household collects its cash."""
    name = commune_name[:1].lower() + commune_name[1:]
    return str(_("Bưu điện %(commune)s")) % {"commune": name}


def _sms(
    *, phone: str, amount: int, programme: str, commune_name: str, disbursement_id: str, code: str
) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        text = str(_SMS_CODE) % {
            "amount": format_vnd(amount),
            "programme": programme,
            "office": post_office_name(commune_name),
            "id": disbursement_id,
            "code": code,
        }
    message_send(to=phone, text=text)


def cash_codes_issue(disbursements: Iterable[Disbursement]) -> int:
    """Give each of these sent post-office payments a new code, and SMS it to the household.

    Called by ``batch_send`` inside its chunk's transaction, after the
    payments are marked sent (their rows are read again, not trusted from
    memory). Only the code's keyed hash is stored and the tries are reset;
    the SMS leaves after commit (a rolled-back chunk sends nothing). A
    household without a phone gets no SMS; an officer re-issues its code at
    the counter (``cash_code_reissue``). Refused (``DomainError``) when any
    payment is not a sent post-office payment. A few queries per 900
    payments; returns how many got a code.
    """
    pks = [d.pk for d in disbursements]
    rows: list[tuple[Any, ...]] = []
    for part in batched(pks, _ROWS_PER_QUERY, strict=False):
        rows += Disbursement.objects.filter(
            pk__in=part, channel=Channel.POST_OFFICE, state=DisbursementState.SENT
        ).values_list(
            "pk",
            "disbursement_id",
            "amount_vnd",
            "enrolment__phone",
            "commune__name",
            "batch__cycle__programme__name",
        )
    if len(rows) != len(set(pks)):
        raise DomainError(
            _("Chỉ cấp mã nhận tiền cho khoản chi tiền mặt đã chuyển đến bưu điện."),
            code="cash_not_post_office",
            status=409,
        )
    updated: list[Disbursement] = []
    for pk, disbursement_id, amount, phone, commune_name, programme in rows:
        code = _code_new()
        updated.append(
            Disbursement(pk=pk, collect_code_hash=_code_hash(disbursement_id, code), collect_attempts=0)
        )
        if phone:
            _sms(
                phone=phone,
                amount=amount,
                programme=programme,
                commune_name=commune_name,
                disbursement_id=disbursement_id,
                code=code,
            )
    Disbursement.objects.bulk_update(updated, ["collect_code_hash", "collect_attempts"], batch_size=500)
    return len(updated)


# --- Who may act at the counter ----------------------------------------------------------------


def cash_covers(user: Any, commune: Commune, *, roles: Sequence[str] = CASH_ROLES) -> bool:
    """Whether ``user`` acts for ``commune`` through one of ``roles``."""
    return scopes_cover(
        user_scopes(user, roles=roles), province_code=commune.province_id, commune_code=commune.pk
    )


def _area_check(user: Any, disbursement: Disbursement, *, roles: Sequence[str] = CASH_ROLES) -> None:
    if not cash_covers(user, disbursement.commune, roles=roles):
        raise PermissionDenied(
            _("Khoản chi %(id)s thuộc %(commune)s, ngoài địa bàn của bạn."),
            code="cash_out_of_area",
            params={"id": disbursement.disbursement_id, "commune": disbursement.commune.name},
        )


def cash_disbursement_get(*, user: Any, disbursement_id: str) -> Disbursement:
    """The post-office payment ``disbursement_id`` for the counter, if ``user`` covers its commune.

    ``NotFound`` for an unknown id, ``PermissionDenied`` for another area's,
    ``DomainError`` for a payment that is not cash at a post office.
    Loaded with its commune, enrolment and programme (one query).
    """
    wanted = "".join((disbursement_id or "").split()).upper()
    disbursement = (
        Disbursement.objects.select_related("commune__province", "enrolment", "batch__cycle__programme")
        .filter(disbursement_id=wanted)
        .first()
        if wanted
        else None
    )
    if disbursement is None:
        raise NotFound(
            _(
                "Không có khoản chi nào mã “%(id)s”. "
                "Hãy xem lại mã trong tin nhắn hoặc tìm theo số điện thoại."
            ),
            code="cash_unknown",
            params={"id": wanted},
        )
    _area_check(user, disbursement)
    if disbursement.channel != Channel.POST_OFFICE:
        raise DomainError(
            _("Khoản chi %(id)s được trả qua kênh khác, không nhận tiền mặt ở bưu điện."),
            code="cash_not_post_office",
            params={"id": disbursement.disbursement_id},
            status=409,
        )
    return disbursement


def cash_find_by_phone(*, user: Any, phone: str) -> list[Disbursement]:
    """Post-office payments waiting at the counters ``user`` covers for households with ``phone`` (E.164)."""
    scopes = user_scopes(user, roles=CASH_ROLES)
    if not scopes:
        return []
    found = (
        Disbursement.objects.filter(
            channel=Channel.POST_OFFICE, state=DisbursementState.SENT, enrolment__phone=phone
        )
        .select_related("commune__province", "enrolment", "batch__cycle__programme")
        .order_by("disbursement_id")[:20]
    )
    return [
        d
        for d in found
        if scopes_cover(scopes, province_code=d.commune.province_id, commune_code=d.commune_id)
    ]


# --- The clerk confirms ------------------------------------------------------------------------


def _payable_check(disbursement: Disbursement) -> None:
    state = disbursement.state
    if state == DisbursementState.PAID:
        paid_on = (
            timezone.localtime(disbursement.paid_at).strftime("%d/%m/%Y %H:%M")
            if disbursement.paid_at
            else ""
        )
        raise DomainError(
            _("Khoản chi %(id)s đã được nhận lúc %(when)s; không chi lần nữa."),
            code="cash_already_paid",
            params={"id": disbursement.disbursement_id, "when": paid_on},
            status=409,
        )
    if state == DisbursementState.PENDING:
        raise DomainError(
            _("Khoản chi %(id)s chưa được chuyển đến bưu điện; chưa chi được."),
            code="cash_not_sent",
            params={"id": disbursement.disbursement_id},
            status=409,
        )
    if state != DisbursementState.SENT:
        raise DomainError(
            _("Khoản chi %(id)s không còn chi được (%(state)s)."),
            code="cash_closed",
            params={"id": disbursement.disbursement_id, "state": DisbursementState(state).label},
            status=409,
        )


def _locked_error(disbursement: Disbursement) -> DomainError:
    return DomainError(
        _(
            "Đã nhập sai mã nhận tiền %(max)s lần nên khoản %(id)s bị khoá. "
            "Cán bộ xã hoặc cán bộ chương trình cần cấp mã mới cho người nhận."
        ),
        code="cash_code_locked",
        params={"max": MAX_CODE_ATTEMPTS, "id": disbursement.disbursement_id},
        status=429,
    )


def cash_confirm(*, disbursement_id: str, code: str, clerk: Any) -> Disbursement:
    """The beneficiary gave ``code`` at the counter: pay her, once.

    ``clerk`` is a post clerk of the payment's commune or an officer of its
    area (``PermissionDenied`` otherwise). The payment must be sent and not
    locked. A wrong code adds a try (written even though an error is raised:
    do not wrap this in a transaction that rolls back on it) and says how
    many are left; the fifth locks the code until ``cash_code_reissue``. The
    right code marks the payment paid through ``disbursement_mark_paid``
    (ledger: post clearing → beneficiaries-external, key
    ``disb-<id>-settle``; audit entry), under a row lock, in one transaction.
    """
    disbursement = cash_disbursement_get(user=clerk, disbursement_id=disbursement_id)
    _payable_check(disbursement)
    if disbursement.collect_attempts >= MAX_CODE_ATTEMPTS:
        raise _locked_error(disbursement)
    if not disbursement.collect_code_hash:
        raise DomainError(
            _("Khoản chi %(id)s chưa có mã nhận tiền. Cán bộ cần cấp mã cho người nhận."),
            code="cash_no_code",
            params={"id": disbursement.disbursement_id},
            status=409,
        )
    typed = "".join((code or "").split())
    if not (typed.isascii() and typed.isdigit() and len(typed) == CODE_DIGITS):
        raise DomainError(
            _("Mã nhận tiền gồm %(digits)s chữ số, trong tin nhắn gửi người nhận."),
            code="cash_code_format",
            params={"digits": CODE_DIGITS},
            status=422,
        )
    if not hmac.compare_digest(
        disbursement.collect_code_hash, _code_hash(disbursement.disbursement_id, typed)
    ):
        _wrong_try(disbursement, clerk=clerk)
    with transaction.atomic():
        locked = Disbursement.objects.select_for_update().get(pk=disbursement.pk)
        _payable_check(locked)
        if locked.collect_attempts >= MAX_CODE_ATTEMPTS:
            raise _locked_error(locked)
        disbursement_mark_paid(locked, actor=clerk)
    disbursement.refresh_from_db()
    return disbursement


def _wrong_try(disbursement: Disbursement, *, clerk: Any) -> NoReturn:
    """Count a wrong code and refuse, saying how many tries are left (or that it is now locked)."""
    Disbursement.objects.filter(pk=disbursement.pk, collect_attempts__lt=MAX_CODE_ATTEMPTS).update(
        collect_attempts=F("collect_attempts") + 1
    )
    attempts = Disbursement.objects.values_list("collect_attempts", flat=True).get(pk=disbursement.pk)
    left = MAX_CODE_ATTEMPTS - attempts
    if left <= 0:
        audit_record(
            actor=clerk,
            action="cash_code_locked",
            target=disbursement,
            changes={"collect_attempts": (attempts - 1, attempts)},
        )
        raise _locked_error(disbursement)
    raise DomainError(
        _("Mã nhận tiền không đúng. Còn %(left)s lần thử; hỏi lại người nhận mã trong tin nhắn."),
        code="cash_code_wrong",
        params={"left": left},
        status=422,
    )


def cash_code_reissue(disbursement: Disbursement, *, actor: Any) -> Disbursement:
    """A new code for a sent post-office payment (locked, lost, or no phone), sent by SMS; tries reset.

    ``actor`` is an officer of the payment's area (a post clerk cannot). The
    old code stops working. Audited.
    """
    with transaction.atomic():
        locked = (
            Disbursement.objects.select_for_update()
            .select_related("commune", "enrolment", "batch__cycle__programme")
            .get(pk=disbursement.pk)
        )
        _area_check(actor, locked, roles=OFFICER_ROLES)
        if locked.channel != Channel.POST_OFFICE:
            raise DomainError(
                _("Khoản chi %(id)s được trả qua kênh khác, không nhận tiền mặt ở bưu điện."),
                code="cash_not_post_office",
                params={"id": locked.disbursement_id},
                status=409,
            )
        _payable_check(locked)
        code = _code_new()
        previous_attempts = locked.collect_attempts
        Disbursement.objects.filter(pk=locked.pk).update(
            collect_code_hash=_code_hash(locked.disbursement_id, code), collect_attempts=0
        )
        audit_record(
            actor=actor,
            action="cash_code_reissued",
            target=locked,
            changes={"collect_attempts": (previous_attempts, 0)},
        )
        if locked.enrolment.phone:
            _sms(
                phone=locked.enrolment.phone,
                amount=locked.amount_vnd,
                programme=locked.batch.cycle.programme.name,
                commune_name=locked.commune.name,
                disbursement_id=locked.disbursement_id,
                code=code,
            )
    locked.refresh_from_db()
    return locked


def cash_unclaimed_return(batch: Batch, *, actor: Any) -> int:
    """After the payout window: every post-office payment of ``batch`` still unclaimed fails.

    Through ``disbursements_mark_failed``: each send transfer is reversed
    (the money goes back to the programme's fund, once; the household can be
    paid in a later batch). ``actor`` runs the programme. Returns how many
    failed; running it again fails none.
    """
    programme_access_check(actor, batch.cycle.programme)
    if batch.channel != Channel.POST_OFFICE:
        raise DomainError(
            _("Lô này không chi tiền mặt qua bưu điện."), code="cash_not_post_office", status=409
        )
    unclaimed = Disbursement.objects.filter(batch=batch, state=DisbursementState.SENT).order_by("pk")
    outcomes = [
        Outcome(disbursement_pk=pk, reason=UNCLAIMED_REASON) for pk in unclaimed.values_list("pk", flat=True)
    ]
    failed = disbursements_mark_failed(batch, outcomes, actor=actor)
    batch_state_refresh(batch)  # partly failed now, unless nobody was left waiting
    return failed


# --- The office's printable list ---------------------------------------------------------------


@dataclass(frozen=True)
class OfficeRow:
    disbursement_id: str
    head_name: str
    phone_masked: str
    amount_vnd: int
    state: str
    state_label: str
    paid_at: Any


@dataclass(frozen=True)
class OfficeList:
    batch: Batch
    commune: Commune
    office: str
    rows: list[OfficeRow]

    @property
    def total_vnd(self) -> int:
        return sum(row.amount_vnd for row in self.rows)


@dataclass(frozen=True)
class OfficeSummary:
    commune_code: int
    commune_name: str
    office: str
    count: int
    total_vnd: int
    paid: int


def post_office_lists(batch: Batch, *, user: Any) -> list[OfficeSummary]:
    """The post offices (one per commune) with payments in ``batch`` that ``user`` covers; one query."""
    scopes = user_scopes(user, roles=CASH_ROLES)
    rows = (
        Disbursement.objects.filter(batch=batch, channel=Channel.POST_OFFICE)
        .exclude(state=DisbursementState.CANCELLED)
        .values("commune_id", "commune__name", "commune__province_id")
        .annotate(
            count=Count("id"),
            total=Sum("amount_vnd"),
            paid=Count("id", filter=Q(state=DisbursementState.PAID)),
        )
        .order_by("commune__name", "commune_id")
    )
    return [
        OfficeSummary(
            commune_code=row["commune_id"],
            commune_name=row["commune__name"],
            office=post_office_name(row["commune__name"]),
            count=row["count"],
            total_vnd=row["total"] or 0,
            paid=row["paid"],
        )
        for row in rows
        if scopes_cover(scopes, province_code=row["commune__province_id"], commune_code=row["commune_id"])
    ]


def post_office_list(batch: Batch, commune: Commune) -> OfficeList:
    """Every post-office payment of ``batch`` in ``commune``, in disbursement-id order, for printing.

    Phones are masked (the list lies on a counter). The caller checks who
    may see it (``cash_covers``). One query.
    """
    payments = (
        Disbursement.objects.filter(batch=batch, commune=commune, channel=Channel.POST_OFFICE)
        .exclude(state=DisbursementState.CANCELLED)
        .order_by("disbursement_id")
        .values_list(
            "disbursement_id", "enrolment__head_name", "enrolment__phone", "amount_vnd", "state", "paid_at"
        )
    )
    rows = [
        OfficeRow(
            disbursement_id=disbursement_id,
            head_name=head_name,
            phone_masked=mask_phone(phone),
            amount_vnd=amount,
            state=state,
            state_label=str(DisbursementState(state).label),
            paid_at=paid_at,
        )
        for disbursement_id, head_name, phone, amount, state, paid_at in payments
    ]
    return OfficeList(batch=batch, commune=commune, office=post_office_name(commune.name), rows=rows)
