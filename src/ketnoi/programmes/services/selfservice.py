"""A household looks at its own programmes, entitlements and payments with its phone and a code.

The phone is proved by a one-time code (``registry.services.otp``, purpose
``"programmes"``). A number that belongs to no household gets the same
answer (the code is made and counted but not sent): the page says nothing
about who is registered. Households are found by their current contact
phone only, never by an old phone frozen in an enrolment (numbers get
reassigned to other people).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Prefetch
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from ketnoi.core.audit import audit_record
from ketnoi.core.phone import mask_phone, normalize_phone
from ketnoi.payments.models import Voucher
from ketnoi.payments.vouchers import voucher_code, voucher_qr_svg, vouchers_for_disbursements
from ketnoi.registry.models import Household, Member
from ketnoi.registry.services.otp import otp_issue, otp_verify

from ..models import Channel, Cycle, Disbursement, DisbursementState, Enrolment, Programme
from .cash import post_office_name

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

OTP_PURPOSE = "programmes"
SESSION_MINUTES = 30
# A payment's state in the household's words (a sent payment waits for different things per channel).
STATE_WORDS: dict[str, StrOrPromise] = {
    DisbursementState.PENDING: _("Đang chuẩn bị chi"),
    DisbursementState.PAID: _("Đã nhận"),
    DisbursementState.FAILED: _("Chưa chi được"),
}
SENT_WORDS: dict[str, StrOrPromise] = {
    Channel.BANK: _("Đã chuyển khoản, chờ ngân hàng báo đã vào tài khoản"),
    Channel.POST_OFFICE: _("Tiền đã chuyển đến bưu điện, chờ bạn đến nhận"),
    Channel.VOUCHER: _("Phiếu đã phát, chưa dùng"),
}


def selfservice_code_send(*, phone: str) -> str:
    """Send a code to ``phone`` (E.164 returned) if a household has it; otherwise answer the same.

    ``ValidationError`` for a number that is not a Vietnamese mobile;
    ``DomainError`` (429) when codes are asked for too often, for any number.
    """
    number = normalize_phone(phone)
    known = Household.objects.filter(contact_phone=number).exists()
    otp_issue(phone=number, purpose=OTP_PURPOSE, deliver=known)
    return number


def selfservice_code_check(*, phone: str, code: str, ip_address: str | None = None) -> None:
    """Check the code sent to ``phone`` (``DomainError``: wrong, expired, locked); audited when right."""
    otp_verify(phone=phone, purpose=OTP_PURPOSE, code=code)
    audit_record(
        actor=None,
        action="programmes_selfservice_opened",
        changes={"phone": (None, mask_phone(phone))},
        ip_address=ip_address,
    )


# --- What the household sees -------------------------------------------------------------------


@dataclass(frozen=True)
class VoucherView:
    voucher: Voucher
    code: str  # grouped; "" unless the voucher can still be used
    svg: SafeString | None


@dataclass(frozen=True)
class PaymentView:
    disbursement: Disbursement
    when: datetime | None  # paid, else sent
    where: str  # the post office for cash; "" otherwise
    voucher: VoucherView | None

    @property
    def state_words(self) -> str:
        state, channel = self.disbursement.state, self.disbursement.channel
        if state == DisbursementState.SENT:
            return str(SENT_WORDS[channel])
        return str(STATE_WORDS.get(state, DisbursementState(state).label))


@dataclass(frozen=True)
class EntitlementView:
    enrolment: Enrolment
    cycle: Cycle
    payments: list[PaymentView]

    @property
    def waiting(self) -> bool:
        """Enrolled, but no payment made yet (the cycle is still being approved or paid)."""
        return not self.payments


@dataclass(frozen=True)
class ProgrammeView:
    programme: Programme
    entitlements: list[EntitlementView] = field(default_factory=list)


@dataclass(frozen=True)
class HouseholdView:
    household: Household
    head_name: str
    programmes: list[ProgrammeView]


def selfservice_overview(*, phone: str) -> list[HouseholdView]:
    """The households whose contact phone is ``phone``, each with its programmes, entitlements and payments.

    Cycles still in draft are left out (nothing decided yet). Vouchers show
    their code and QR only while they can still be used. Five queries
    whatever the number of households, cycles and payments.
    """
    households = list(
        Household.objects.filter(contact_phone=phone)
        .select_related("commune")
        .prefetch_related(
            Prefetch("members", queryset=Member.objects.filter(relation="head"), to_attr="heads")
        )
        .order_by("reference")
    )
    if not households:
        return []
    enrolments = list(
        Enrolment.objects.filter(household__in=households)
        .exclude(cycle__state=Cycle.State.DRAFT)
        .select_related("cycle__programme", "commune")
        .order_by("-cycle__created_at", "-cycle_id")
    )
    disbursements = list(
        Disbursement.objects.filter(enrolment__in=enrolments)
        .exclude(state=DisbursementState.CANCELLED)
        .order_by("-pk")
    )
    vouchers = vouchers_for_disbursements(
        [d.disbursement_id for d in disbursements if d.channel == Channel.VOUCHER]
    )
    payments: dict[int, list[PaymentView]] = {}
    for enrolment in enrolments:
        payments[enrolment.pk] = []
    communes = {e.pk: e.commune.name for e in enrolments}
    for disbursement in disbursements:
        payments[disbursement.enrolment_id].append(
            PaymentView(
                disbursement=disbursement,
                when=disbursement.paid_at or disbursement.sent_at,
                where=post_office_name(communes[disbursement.enrolment_id])
                if disbursement.channel == Channel.POST_OFFICE
                else "",
                voucher=_voucher_view(vouchers.get(disbursement.disbursement_id)),
            )
        )
    views: list[HouseholdView] = []
    for household in households:
        by_programme: dict[int, ProgrammeView] = {}
        for enrolment in enrolments:
            if enrolment.household_id != household.pk:
                continue
            programme = enrolment.cycle.programme
            view = by_programme.setdefault(programme.pk, ProgrammeView(programme=programme))
            view.entitlements.append(
                EntitlementView(enrolment=enrolment, cycle=enrolment.cycle, payments=payments[enrolment.pk])
            )
        heads = getattr(household, "heads", [])
        views.append(
            HouseholdView(
                household=household,
                head_name=heads[0].full_name if heads else "",
                programmes=list(by_programme.values()),
            )
        )
    return views


def _voucher_view(voucher: Voucher | None) -> VoucherView | None:
    if voucher is None:
        return None
    if voucher.state != Voucher.State.ISSUED:
        return VoucherView(voucher=voucher, code="", svg=None)
    code = voucher_code(voucher)
    return VoucherView(voucher=voucher, code=code, svg=voucher_qr_svg(code))
