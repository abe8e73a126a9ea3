"""Run inside ``manage.py shell`` by ``test_crash``: seed a batch and start it, or report on the outcome.

    manage.py shell -c "from tests.programmes.crash_seed import seed; seed(500)"
    manage.py shell -c "from tests.programmes.crash_seed import verify; verify()"

``seed`` builds an active programme through its services, one approved
cycle whose frozen list is written in bulk (hundreds of households would
take long through the registry one by one; ``cycle_enrol`` is tested
elsewhere), then prepares, approves and starts a bank batch: the task is
queued for the worker the test runs. ``verify`` prints, as JSON, what the
test asserts on.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ketnoi.accounts.models import Role, RoleAssignment, User
from ketnoi.ledger.models import Transfer
from ketnoi.ledger.services import account_balance, balances_check, transfers_check
from ketnoi.places.models import Commune
from ketnoi.programmes.models import Batch, Cycle, Disbursement, Enrolment
from ketnoi.programmes.services.batches import batch_approve, batch_prepare, batch_start, send_key
from ketnoi.programmes.services.programmes import programme_activate, programme_create
from ketnoi.registry.models import Household, HouseholdStatus
from tests.registry.factories import make_household

AMOUNT = 300_000
CODE = "crash-test"


def _officer(phone: str, name: str, commune: Commune) -> User:
    user = User.objects.create_user(phone, "mat-khau-an-toan-2026", display_name=name)
    RoleAssignment.objects.create(user=user, role=Role.PROGRAMME_OFFICER, province=commune.province)
    return user


def seed(payments: int) -> None:
    commune = Commune.objects.select_related("province").get(name="Xã Mường Bú", province__codename="son_la")
    preparer = _officer("+84900000901", "Cán bộ lập", commune)
    approver = _officer("+84900000902", "Cán bộ duyệt", commune)
    today = timezone.localdate()
    programme = programme_create(
        actor=preparer,
        code=CODE,
        name="Hỗ trợ khẩn cấp (thử tắt máy)",
        province=commune.province,
        communes=[],
        starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=30),
        budget_vnd=payments * AMOUNT * 2,
        rules={"all": [{"field": "classification", "op": "in", "value": ["poor", "near_poor"]}]},
        entitlement="per_household",
        amount_vnd=AMOUNT,
        voucher_valid_days=60,
    )
    programme = programme_activate(programme, actor=preparer)

    template = make_household(commune)
    with transaction.atomic():
        households = []
        for n in range(payments):
            clone = Household.objects.get(pk=template.pk)
            clone.pk = None
            clone.reference = f"HO-CRASH{n:05d}"
            clone.status = HouseholdStatus.VERIFIED
            clone.contact_phone = f"+8498{n:07d}"
            clone.payout_bank_bin = "970405"
            clone.payout_account = f"71002{n:08d}"
            clone.payout_account_name = "LO THI XUAN"
            households.append(clone)
        Household.objects.bulk_create(households)
        now = timezone.now()
        cycle = Cycle.objects.create(
            programme=programme,
            number=1,
            name="Đợt 1",
            state=Cycle.State.APPROVED,
            enrolled_at=now,
            prepared_by=preparer,
            submitted_at=now,
            approved_by=approver,
            approved_at=now,
            planned_total_vnd=payments * AMOUNT,
            enrolled_count=payments,
        )
        Enrolment.objects.bulk_create(
            Enrolment(
                cycle=cycle,
                household=household,
                commune=commune,
                head_name="Lò Thị Xuân",
                phone=household.contact_phone,
                members_count=3,
                classification="poor",
                reasons=["classification"],
                amount_vnd=AMOUNT,
                payout_bank_bin=household.payout_bank_bin,
                payout_account=household.payout_account,
                payout_account_name=household.payout_account_name,
            )
            for household in Household.objects.filter(reference__startswith="HO-CRASH")
        )
    batch = batch_prepare(cycle, channel="bank", actor=preparer)
    batch_approve(batch, actor=approver)
    batch_start(batch, actor=approver)


def verify() -> None:
    batch = Batch.objects.select_related("cycle__programme").get(cycle__programme__code=CODE)
    rows = list(batch.disbursements.values_list("disbursement_id", "state", "send_transfer_id", "amount_vnd"))
    keys = [send_key(did) for did, _state, _transfer, _amount in rows]
    transfers = Counter(
        Transfer.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", flat=True)
    )
    print(
        json.dumps(
            {
                "batch_state": batch.state,
                "payments": len(rows),
                "states": dict(Counter(state for _did, state, _t, _a in rows)),
                "transfers_per_payment": dict(Counter(transfers[key] for key in keys)),
                "linked_transfers": len({t for _d, _s, t, _a in rows if t is not None}),
                "send_transfers_total": Transfer.objects.filter(idempotency_key__endswith="-send").count(),
                "total_vnd": sum(amount for _d, _s, _t, amount in rows),
                "budget_vnd": batch.cycle.programme.budget_vnd,
                "fund_vnd": account_balance(batch.cycle.programme.fund_account_code),
                "clearing_vnd": account_balance("payout-bank-clearing"),
                "enrolments": Enrolment.objects.filter(cycle=batch.cycle).count(),
                "enrolments_paid": Disbursement.objects.filter(batch__cycle=batch.cycle)
                .values("enrolment")
                .distinct()
                .count(),
                "balance_mismatches": [m.code for m in balances_check()],
                "unbalanced_transfers": transfers_check(),
            }
        )
    )
