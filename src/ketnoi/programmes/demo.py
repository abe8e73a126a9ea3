"""Demo programmes in Xã Mường Bú (Sơn La), made step by step through the services an officer uses.

- "Hỗ trợ khẩn cấp COVID-19": 1.500.000 ₫ for each poor and near-poor
  household of Mường Bú. Cycle 1 was prepared by officer 0900000010 and
  approved by 0900000011; households with a bank account were paid by bank
  transfer (the bank's result file says two transfers failed: an account
  closed, a name that does not match), the others in cash at the post office
  (clerk 0900000012 paid all but one, whose cash was not collected and went
  back to the fund). The cycle is closed. A household complained it was
  not paid (answered); another complaint, about the amount, is still open.
- "Phiếu mua hàng cho hộ nghèo": a 500.000 ₫ e-voucher for each poor
  household, taken by the verified sellers of the marketplace. Cycle 1 is
  approved and paying: the vouchers were sent, one was used at the Mường Bú
  weaving cooperative. Cycle 2 is enrolled and waits for the second
  officer's approval.

The demo's households are the registry demo's (its verified, assessed
households of Mường Bú). A random generator with a fixed seed gives some of
them a bank account, so the same world is made every time. Idempotent: a
programme whose code exists is left as it is.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TextIO

from django.utils import timezone

from ketnoi.accounts.models import User
from ketnoi.core.audit import audit_record
from ketnoi.core.phone import normalize_phone
from ketnoi.market.models import Seller
from ketnoi.payments import bank_files
from ketnoi.payments.models import Voucher
from ketnoi.payments.vouchers import voucher_code, voucher_redeem
from ketnoi.places.models import Commune
from ketnoi.registry.demo import demo_households
from ketnoi.registry.models import Household, HouseholdStatus, Member

from .models import (
    Batch,
    Channel,
    Cycle,
    Disbursement,
    DisbursementState,
    EntitlementKind,
    Grievance,
    Programme,
)
from .services.batches import batch_approve, batch_prepare, batch_send, batch_start
from .services.cash import cash_unclaimed_return
from .services.cycles import cycle_approve, cycle_close, cycle_enrol, cycle_open, cycle_submit
from .services.grievances import grievance_file, grievance_resolve
from .services.programmes import programme_activate, programme_create
from .services.reconcile import bank_result_apply
from .services.settlement import disbursement_mark_paid

PREPARER_PHONE = "0900000010"  # programme officer, Sơn La: prepares
APPROVER_PHONE = "0900000011"  # programme officer, Sơn La: approves what the other prepared
CLERK_PHONE = "0900000012"  # post office clerk, Mường Bú
COMMUNE_OFFICER_PHONE = "0900000002"  # commune officer, Mường Bú

COVID_CODE = "covid-19-muong-bu"
VOUCHER_CODE = "phieu-mua-hang-muong-bu"
POOR_OR_NEAR_POOR = {"all": [{"field": "classification", "op": "in", "value": ["poor", "near_poor"]}]}
POOR = {"all": [{"field": "classification", "op": "eq", "value": "poor"}]}

SEED = 2026_05
BANK_ACCOUNT_SHARE = 0.55  # of the demo's verified households in Mường Bú
DEMO_BANKS = ("970405", "970418", "970415", "970422")  # Agribank, BIDV, VietinBank, MB
BANK_FAILURES = ("Tài khoản đã đóng", "Tên chủ tài khoản không khớp")


@dataclass(frozen=True)
class _People:
    preparer: User
    approver: User
    clerk: User
    commune_officer: User | None


def _user(phone: str) -> User | None:
    return User.objects.filter(phone=normalize_phone(phone)).first()


def _people() -> _People | None:
    preparer, approver, clerk = _user(PREPARER_PHONE), _user(APPROVER_PHONE), _user(CLERK_PHONE)
    if preparer is None or approver is None or clerk is None:
        return None
    return _People(preparer, approver, clerk, _user(COMMUNE_OFFICER_PHONE))


def _muong_bu() -> Commune | None:
    return (
        Commune.objects.select_related("province")
        .filter(province__codename="son_la", short_name="Mường Bú")
        .first()
    )


def _give_bank_accounts(commune: Commune, rng: random.Random) -> int:
    """Give some verified demo households of ``commune`` a payout bank account; how many got one.

    Demo data only: the registry has no page to record a payout account yet,
    so the fields are set here directly (each change in the audit trail).
    Households that already have an account are left alone.
    """
    households = list(
        demo_households()
        .filter(commune=commune, status=HouseholdStatus.VERIFIED, payout_account="")
        .order_by("contact_phone")
    )
    heads = dict(
        Member.objects.filter(household__in=households, relation="head").values_list(
            "household_id", "full_name"
        )
    )
    chosen = [h for h in households if rng.random() < BANK_ACCOUNT_SHARE and h.pk in heads]
    for household in chosen:
        household.payout_bank_bin = rng.choice(DEMO_BANKS)
        household.payout_account = f"{rng.randrange(10**11, 10**12)}"
        household.payout_account_name = bank_files.bank_account_name(heads[household.pk])
    Household.objects.bulk_update(chosen, ["payout_bank_bin", "payout_account", "payout_account_name"])
    for household in chosen:
        audit_record(
            actor=None,
            action="household_payout_account_set",
            target=household,
            changes={"payout_account": ("", f"…{household.payout_account[-4:]}")},
            reason="demo",
        )
    return len(chosen)


def _programme(people: _People, commune: Commune, **details: Any) -> Programme:
    today = timezone.localdate()
    programme = programme_create(
        actor=people.preparer,
        province=commune.province,
        communes=[commune],
        starts_on=today - timedelta(days=45),
        ends_on=today + timedelta(days=320),
        **details,
    )
    return programme_activate(programme, actor=people.preparer)


def _cycle_approved(programme: Programme, people: _People, name: str) -> Cycle:
    """A cycle listed and submitted by the preparer, approved by the other officer."""
    cycle = cycle_open(programme, actor=people.preparer, name=name)
    cycle = cycle_enrol(cycle, actor=people.preparer)
    cycle = cycle_submit(cycle, actor=people.preparer)
    return cycle_approve(cycle, actor=people.approver)


def _batch_sent(cycle: Cycle, people: _People, channel: str) -> Batch:
    """Prepared by one officer, approved and started by the other, sent here and now.

    ``batch_start`` also queues the background task; finding the batch sent,
    that task has nothing left to do.
    """
    batch = batch_prepare(cycle, channel=channel, actor=people.preparer)
    batch_approve(batch, actor=people.approver)
    batch = batch_start(batch, actor=people.approver)
    return batch_send(batch.pk, lease=batch.lease_until)


def _bank_results(batch: Batch, people: _People) -> None:
    """The bank's result file: every transfer went through but two."""
    today = timezone.localdate().strftime("%d/%m/%Y")
    payments = list(
        batch.disbursements.order_by("disbursement_id").values_list("disbursement_id", "amount_vnd")
    )
    failed = {did: reason for (did, _amount), reason in zip(payments[1::7], BANK_FAILURES, strict=False)}
    lines = [
        (
            did,
            amount,
            bank_files.FAILED if did in failed else bank_files.SUCCESS,
            today,
            "" if did in failed else f"FT{26000000 + index:08d}",
            failed.get(did, ""),
        )
        for index, (did, amount) in enumerate(payments)
    ]
    bank_result_apply(batch, bank_files.results_csv(lines), "ket-qua-chuyen-khoan.csv", actor=people.preparer)


def _cash_collected(batch: Batch, people: _People) -> None:
    """All but one household came to the post office; the last one's cash goes back to the fund.

    At the counter the clerk types the household's code (``cash_confirm``);
    the demo has nobody to read the SMS, so it records the payment as the
    confirmation does once the code matches.
    """
    payments = list(batch.disbursements.filter(state=DisbursementState.SENT).order_by("disbursement_id"))
    for disbursement in payments[:-1]:
        disbursement_mark_paid(disbursement, actor=people.clerk)
    if payments[-1:]:
        cash_unclaimed_return(batch, actor=people.preparer)


def _complaints(programme: Programme, commune: Commune, people: _People) -> None:
    """A household not paid by the bank complains (answered); another disputes the amount (open)."""
    officer = people.commune_officer or people.preparer
    failed = (
        Disbursement.objects.filter(batch__cycle__programme=programme, state=DisbursementState.FAILED)
        .select_related("household", "enrolment")
        .order_by("disbursement_id")
        .first()
    )
    if failed is not None:
        grievance, _code = grievance_file(
            category=Grievance.Category.NOT_PAID,
            description="Tôi chưa nhận được tiền hỗ trợ COVID-19 qua tài khoản ngân hàng.",
            commune=commune,
            source=Grievance.Source.OFFICER,
            programme=programme,
            household=failed.household,
            complainant_name=failed.enrolment.head_name,
            actor=officer,
        )
        grievance_resolve(
            grievance,
            actor=officer,
            resolution=(
                f"Ngân hàng báo “{failed.failure_reason}”. Tiền đã về lại quỹ chương trình; xã đã hướng "
                "dẫn hộ cập nhật số tài khoản để được chi trong đợt sau."
            ),
        )
    paid = (
        Disbursement.objects.filter(batch__cycle__programme=programme, state=DisbursementState.PAID)
        .select_related("household", "enrolment")
        .order_by("disbursement_id")
        .first()
    )
    if paid is not None:
        grievance_file(
            category=Grievance.Category.WRONG_AMOUNT,
            description=(
                "Nhà tôi có 6 người nhưng chỉ nhận 1.500.000 đồng; nhà bên cạnh 3 người cũng nhận như vậy."
            ),
            commune=commune,
            source=Grievance.Source.OFFICER,
            programme=programme,
            household=paid.household,
            complainant_name=paid.enrolment.head_name,
            actor=officer,
        )


def _seed_covid(people: _People, commune: Commune, rng: random.Random, stdout: TextIO) -> None:
    accounts = _give_bank_accounts(commune, rng)
    programme = _programme(
        people,
        commune,
        code=COVID_CODE,
        name="Hỗ trợ khẩn cấp COVID-19",
        description="Hỗ trợ một lần cho hộ nghèo và cận nghèo bị ảnh hưởng bởi dịch COVID-19.",
        sponsor="UBND tỉnh Sơn La",
        budget_vnd=300_000_000,
        rules=POOR_OR_NEAR_POOR,
        entitlement=EntitlementKind.PER_HOUSEHOLD,
        amount_vnd=1_500_000,
    )
    cycle = _cycle_approved(programme, people, "Đợt 1")
    bank = _batch_sent(cycle, people, Channel.BANK)
    _bank_results(bank, people)
    post = _batch_sent(cycle, people, Channel.POST_OFFICE)
    _cash_collected(post, people)
    cycle_close(cycle, actor=people.preparer)
    _complaints(programme, commune, people)
    stdout.write(
        f"Programmes demo: {programme.name}: {cycle.enrolled_count} households in cycle 1 "
        f"({bank.payments_count} by bank, {post.payments_count} at the post office); "
        f"{accounts} households given a bank account.\n"
    )


def _voucher_redeemed(cycle: Cycle, commune: Commune) -> bool:
    """The first voucher of the cycle is used at a verified seller of the commune (the weaving
    cooperative in the demo world)."""
    seller = (
        Seller.objects.filter(verified=True, is_active=True, commune=commune)
        .select_related("leader")
        .order_by("pk")
        .first()
    )
    ids = (
        Disbursement.objects.filter(batch__cycle=cycle).order_by("disbursement_id").values("disbursement_id")
    )
    voucher = (
        Voucher.objects.filter(disbursement_id__in=ids, state=Voucher.State.ISSUED).order_by("pk").first()
    )
    if seller is None or voucher is None:
        return False
    voucher_redeem(code=voucher_code(voucher), seller=seller, actor=seller.leader)
    return True


def _seed_vouchers(people: _People, commune: Commune, stdout: TextIO) -> None:
    programme = _programme(
        people,
        commune,
        code=VOUCHER_CODE,
        name="Phiếu mua hàng cho hộ nghèo",
        description=(
            "Phiếu mua hàng điện tử dùng ở các hợp tác xã, hộ kinh doanh đã được xác minh trên Kết Nối."
        ),
        sponsor="Hội Liên hiệp Phụ nữ tỉnh Sơn La",
        budget_vnd=150_000_000,
        rules=POOR,
        entitlement=EntitlementKind.VOUCHER,
        amount_vnd=500_000,
        voucher_valid_days=90,
    )
    first = _cycle_approved(programme, people, "Đợt 1")
    batch = _batch_sent(first, people, Channel.VOUCHER)
    redeemed = _voucher_redeemed(first, commune)
    second = cycle_open(programme, actor=people.preparer, name="Đợt 2")
    second = cycle_submit(cycle_enrol(second, actor=people.preparer), actor=people.preparer)
    stdout.write(
        f"Programmes demo: {programme.name}: {batch.payments_count} vouchers sent in cycle 1"
        f"{' (one used)' if redeemed else ''}; cycle 2 ({second.enrolled_count} households) "
        "waits for approval.\n"
    )


def seed(stdout: TextIO) -> None:
    people = _people()
    commune = _muong_bu()
    if people is None or commune is None:
        stdout.write("Programmes demo: the demo officers or Xã Mường Bú are missing; skipped.\n")
        return
    existing = set(
        Programme.objects.filter(code__in=[COVID_CODE, VOUCHER_CODE]).values_list("code", flat=True)
    )
    rng = random.Random(SEED)  # noqa: S311 - invented data, reproducible on purpose
    if COVID_CODE in existing:
        stdout.write("Programmes demo: the COVID-19 programme is already there.\n")
    else:
        _seed_covid(people, commune, rng, stdout)
    if VOUCHER_CODE in existing:
        stdout.write("Programmes demo: the voucher programme is already there.\n")
    else:
        _seed_vouchers(people, commune, stdout)
