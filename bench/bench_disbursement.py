"""Paying a million households: prepare, post and export a bank batch; reconcile the bank's result file.

Against a throwaway SQLite file database (base settings: WAL, ``BEGIN
IMMEDIATE``), migrated from scratch. Not timed, the world: N verified
households with a bank account spread over Sơn La's communes and their
enrolments in an approved cycle of an active programme whose fund holds
exactly N payments, all inserted with plain ``executemany`` (the fastest
portable way); two programme officers.

(a) Timed one after the other, as an officer and the task would run them:
``batch_prepare`` (one ``INSERT … SELECT``), ``batch_approve``,
``batch_start`` + ``batch_send`` (the background task's work, run here:
chunks of ``transfers_post_many``), ``batch_export`` (the bank's CSV).
Payments per second per phase, and the total against the 120 s target.

(b) ``bank_result_apply`` on an N-line result file (98 % success, 2 %
failed; the file is built untimed) against the 60 s target.

Baseline, in the same run on the same database: a bare ``executemany``
INSERT of N one-column rows in one transaction (the floor of writing N rows
here); each phase is also given as a ratio to it. Each phase's CPU time
(this process: SQLite runs in it) is given next to its wall time: on a
shared machine the wall time includes waiting for a core. After each part the ledger
is checked (``balances_check``, ``transfers_check``) and every payment's
state counted, so a fast wrong run cannot pass. Peak RSS after each phase.

``--n`` scales the run down (``--n 100000`` for a quick look).
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import benchlib  # noqa: F401 - puts src/ on the path
from benchlib import max_rss_bytes, report

AMOUNT = 500_000
TARGET_PAY_S = 120.0
TARGET_RECONCILE_S = 60.0
INSERT_CHUNK = 50_000
FAILED_EVERY = 50  # one line in 50 says "failed"


def _setup_django(var_dir: str) -> None:
    for key in [k for k in os.environ if k.startswith("KETNOI_") and not k.startswith("KETNOI_BENCH_")]:
        del os.environ[key]  # a KETNOI_DATABASE_URL would send us to another database
    os.environ.update(
        DJANGO_SETTINGS_MODULE="ketnoi.settings.base",
        KETNOI_VAR_DIR=var_dir,
        KETNOI_DEBUG="false",
        KETNOI_LOG_LEVEL="WARNING",
        KETNOI_NOTIFY_ADAPTER="ketnoi.core.notify.MemorySender",
    )
    Path(var_dir, "static").mkdir()
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _insert(model: Any, values: dict[str, Any], rows: Iterator[dict[str, Any]]) -> None:
    """``executemany`` INSERT into ``model``'s table: ``values`` the same on every row, ``rows`` the rest.

    Values go through each field's ``get_db_prep_save``, so dates, decimals
    and JSON are stored as the ORM would store them.
    """
    from django.db import connection, transaction

    quote = connection.ops.quote_name
    first = next(rows)
    names = [*values, *first]
    fields = [model._meta.get_field(name) for name in names]
    fixed = [
        field.get_db_prep_save(value, connection)
        for field, value in zip(fields, values.values(), strict=False)
    ]
    varying = fields[len(values) :]
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES ({', '.join('%s' for _ in fields)})"
    )
    all_rows = itertools.chain([first], rows)
    with transaction.atomic(), connection.cursor() as cursor:
        while chunk := list(itertools.islice(all_rows, INSERT_CHUNK)):
            cursor.executemany(
                sql,
                [(*fixed, *(f.get_db_prep_save(row[f.name], connection) for f in varying)) for row in chunk],
            )


def _world(n: int) -> tuple[Any, Any, Any]:
    """Two programme officers of Sơn La and an approved cycle of ``n`` banked households; untimed."""
    from decimal import Decimal

    from django.db.models import Max
    from django.utils import timezone

    from ketnoi.accounts.models import Role, RoleAssignment, User
    from ketnoi.places.models import Commune, Province
    from ketnoi.programmes.models import Cycle, Enrolment
    from ketnoi.programmes.services.cycles import cycle_open
    from ketnoi.programmes.services.programmes import programme_activate, programme_create
    from ketnoi.registry.models import Household

    province = Province.objects.get(codename="son_la")
    officers = []
    for phone in ("0900000011", "0900000012"):
        user = User.objects.create_user(phone, None, display_name="Cán bộ chương trình")
        RoleAssignment.objects.create(user=user, role=Role.PROGRAMME_OFFICER, province=province)
        officers.append(user)
    preparer, approver = officers
    today = timezone.localdate()
    programme = programme_create(
        actor=preparer,
        code="bench-ho-tro",
        name="Hỗ trợ khẩn cấp (đo hiệu năng)",
        province=province,
        starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=180),
        budget_vnd=n * AMOUNT,
        rules={"all": [{"field": "classification", "op": "in", "value": ["poor", "near_poor"]}]},
        entitlement="per_household",
        amount_vnd=AMOUNT,
    )
    programme = programme_activate(programme, actor=preparer)
    cycle = cycle_open(programme, actor=preparer)

    communes = list(Commune.objects.filter(province=province).order_by("pk").values_list("pk", flat=True))
    now = timezone.now()
    first_id = (Household.objects.aggregate(top=Max("id"))["top"] or 0) + 1
    ids = range(first_id, first_id + n)
    _insert(
        Household,
        {
            "created_at": now,
            "updated_at": now,
            "address_line": "Bản Mường",
            "area": "rural",
            "status": "verified",
            "source": "import",
            "income_12m_vnd": 18_000_000,
            "walls": "non_durable",
            "frame": "non_durable",
            "roof": "non_durable",
            "floor_area_m2": Decimal("24.0"),
            "water_source": "unprotected_well",
            "latrine": "unhygienic",
            "uses_telecom": True,
            "devices": [],
            "waste_collected_or_treated": False,
            "verified_at": now,
            "payout_bank_bin": "970405",
            "payout_account_name": "LO THI XUAN",
        },
        (
            {
                "id": pk,
                "reference": f"HO-B{pk:09d}",
                "commune": communes[pk % len(communes)],
                "contact_phone": f"+849{pk:08d}",
                "payout_account": f"7100{pk:09d}",
            }
            for pk in ids
        ),
    )
    _insert(
        Enrolment,
        {
            "cycle": cycle.pk,
            "head_name": "Lò Thị Xuân",
            "members_count": 4,
            "classification": "poor",
            "reasons": ["classification"],
            "amount_vnd": AMOUNT,
            "payout_bank_bin": "970405",
            "payout_account_name": "LO THI XUAN",
            "created_at": now,
        },
        (
            {
                "household": pk,
                "commune": communes[pk % len(communes)],
                "phone": f"+849{pk:08d}",
                "payout_account": f"7100{pk:09d}",
            }
            for pk in ids
        ),
    )
    Cycle.objects.filter(pk=cycle.pk).update(
        state=Cycle.State.APPROVED,
        enrolled_at=now,
        submitted_at=now,
        approved_at=now,
        prepared_by=preparer,
        approved_by=approver,
        enrolled_count=n,
        planned_total_vnd=n * AMOUNT,
    )
    return preparer, approver, Cycle.objects.select_related("programme").get(pk=cycle.pk)


def _baseline(n: int) -> float:
    """Seconds to INSERT ``n`` one-column rows with one ``executemany`` in one transaction."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_row (v integer)")
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany("INSERT INTO bench_row (v) VALUES (%s)", [(i,) for i in range(n)])
    took = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_row")
    return took


def _timed(figures: dict[str, Any], name: str, n: int, run: Callable[[], Any]) -> Any:
    start, cpu = time.perf_counter(), time.process_time()
    result = run()
    took = time.perf_counter() - start
    figures[f"{name}_s"] = took
    figures[f"{name}_cpu_s"] = time.process_time() - cpu
    figures[f"{name}_payments_per_s"] = n / took if took else float("inf")
    figures[f"{name}_max_rss_bytes"] = max_rss_bytes()
    print(f"  {name}: {took:.2f} s (CPU {figures[f'{name}_cpu_s']:.2f} s)", flush=True)
    return result


def _ledger_check(expected_states: dict[str, int], batch: Any) -> None:
    from django.db.models import Count

    from ketnoi.ledger.services import balances_check, transfers_check

    states = dict(batch.disbursements.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    mismatches, unbalanced = balances_check(), transfers_check()
    if mismatches or unbalanced or states != expected_states:
        raise SystemExit(f"inconsistent: {mismatches[:3]} {unbalanced[:3]} {states} != {expected_states}")


def measure(n: int) -> tuple[dict[str, Any], list[str]]:
    from django.db import connection
    from django.utils import timezone

    from ketnoi.ledger.services import account_balance
    from ketnoi.payments.bank_files import results_csv
    from ketnoi.programmes.models import Batch
    from ketnoi.programmes.services.batches import (
        batch_approve,
        batch_export,
        batch_prepare,
        batch_send,
        batch_start,
        chunk_size_default,
    )
    from ketnoi.programmes.services.reconcile import bank_result_apply

    figures: dict[str, Any] = {"payments": n}
    start = time.perf_counter()
    preparer, approver, cycle = _world(n)
    figures["setup_s"] = time.perf_counter() - start
    print(f"  setup (untimed work): {figures['setup_s']:.1f} s", flush=True)

    baseline = _baseline(n)
    figures["baseline_executemany_insert_s"] = baseline
    figures["baseline_rows_per_s"] = n / baseline

    # (a) prepare, approve, send, export
    batch = _timed(figures, "prepare", n, lambda: batch_prepare(cycle, channel="bank", actor=preparer))
    batch = _timed(figures, "approve", n, lambda: batch_approve(batch, actor=approver))

    def send() -> Any:
        started = batch_start(batch, actor=approver)
        return batch_send(started.pk, chunk_size=chunk_size_default(), lease=started.lease_until)

    batch = _timed(figures, "send", n, send)
    if batch.state != Batch.State.SENT:
        raise SystemExit(f"batch not sent: {batch.state}")
    _name, content = _timed(figures, "export_csv", n, lambda: batch_export(batch, fmt="csv"))
    figures["export_csv_bytes"] = len(content)
    figures["export_csv_lines"] = content.count(b"\n") - 1
    del content
    pay = sum(figures[f"{phase}_s"] for phase in ("prepare", "approve", "send", "export_csv"))
    figures["pay_total_s"] = pay
    figures["pay_total_cpu_s"] = sum(
        figures[f"{phase}_cpu_s"] for phase in ("prepare", "approve", "send", "export_csv")
    )
    figures["pay_target_s"] = TARGET_PAY_S
    figures["pay_target_met"] = pay <= TARGET_PAY_S
    figures["pay_vs_baseline_ratio"] = pay / baseline
    _ledger_check({"sent": n}, batch)
    if account_balance(cycle.programme.fund_account_code) != 0:
        raise SystemExit("the fund should be empty once every payment is sent")

    # (b) the bank's result file
    today = timezone.localdate().strftime("%d/%m/%Y")
    ids = (
        batch.disbursements.order_by("id")
        .values_list("disbursement_id", flat=True)
        .iterator(chunk_size=50_000)
    )
    data = results_csv(
        (did, AMOUNT, "failed", today, "", "Sai số tài khoản")
        if i % FAILED_EVERY == 0
        else (did, AMOUNT, "success", today, f"FT{i:010d}", "")
        for i, did in enumerate(ids)
    )
    figures["result_file_bytes"] = len(data)
    result = _timed(
        figures, "reconcile", n, lambda: bank_result_apply(batch, data, "ket-qua.csv", actor=approver)
    )
    failed = (n + FAILED_EVERY - 1) // FAILED_EVERY
    if (result.paid, result.failed, len(result.problems)) != (n - failed, failed, 0):
        raise SystemExit(
            f"reconcile: paid {result.paid}, failed {result.failed}, problems {result.problems[:3]}"
        )
    figures["reconcile_target_s"] = TARGET_RECONCILE_S
    figures["reconcile_target_met"] = figures["reconcile_s"] <= TARGET_RECONCILE_S
    figures["reconcile_vs_baseline_ratio"] = figures["reconcile_s"] / baseline
    _ledger_check({"paid": n - failed, "failed": failed}, batch)
    figures["database_bytes"] = Path(connection.settings_dict["NAME"]).stat().st_size

    notes = [
        "SQLite file database, project settings (WAL, synchronous=NORMAL, BEGIN IMMEDIATE), fresh per run",
        f"setup not timed: {n} verified households with bank accounts over Sơn La's communes and their "
        "enrolments (executemany), an approved cycle, a fund holding exactly n payments",
        f"send: batch_start + batch_send in this process, chunks of {chunk_size_default()} payments "
        "(one transaction and one transfers_post_many each)",
        f"reconcile: bank_result_apply on an n-line CSV result file, 1 line in {FAILED_EVERY} failed",
        "baseline: executemany INSERT of n one-column rows in one transaction, same database, same run",
        "<phase>_cpu_s: this process's CPU time (user + system) in the phase; on a shared machine the wall "
        "time also counts waiting for a core, the CPU time does not (SQLite works in this process)",
        f"targets: prepare + approve + send + export <= {TARGET_PAY_S:.0f} s, "
        f"reconcile <= {TARGET_RECONCILE_S:.0f} s",
    ]
    return figures, notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="payments in the batch (default 1,000,000)")
    args = parser.parse_args()
    var_dir = tempfile.mkdtemp(prefix="ketnoi-bench-disb-")
    try:
        _setup_django(var_dir)
        started = time.perf_counter()
        figures, notes = measure(args.n)
        figures["bench_wall_s"] = time.perf_counter() - started
        report("disbursement" if args.n == 1_000_000 else f"disbursement_{args.n}", figures, notes)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
