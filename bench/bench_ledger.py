"""Ledger transfers per second under 8 concurrent writer threads, on SQLite and PostgreSQL.

Each database runs in a child process of its own (Django's settings are per
process):

- SQLite: a temporary file database with the project's settings (WAL,
  ``BEGIN IMMEDIATE``, ``busy_timeout=5000``), migrated from scratch.
- PostgreSQL, when ``KETNOI_DATABASE_URL`` points at one: a scratch database
  made next to it the way the test runner makes one (``test_<name>``, so the
  user needs CREATEDB), migrated, and dropped at the end. Otherwise the
  report says that PostgreSQL was not measured and why.

Two workloads of ``KETNOI_BENCH_LEDGER_TRANSFERS`` transfers (default 4,000)
spread over 8 threads released together:

- ``shared``: a buyer's payment as the marketplace posts it — buyers-external
  → one of 100 sellers' receivables + the platform's fee account. Every
  transfer locks ``buyers-external`` and ``fees``, the hot rows.
- ``disjoint``: each thread moves money between two accounts of its own (no
  row is shared, so PostgreSQL may run them side by side).

Baseline, measured in the same run with rounds interleaved: the same number
of plain single-row INSERTs from the same 8 threads, each in its own
transaction (``transaction.atomic``) — what any durable write costs on that
database. The ratio is ledger time / baseline time: how many plain one-row
commits one transfer costs. After the runs the ledger is checked
(``balances_check``, ``transfers_check``) so a fast wrong ledger cannot pass.
Peak Python memory (tracemalloc) of a 400-transfer run, and the child's
maximum RSS.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import benchlib
from benchlib import best_of, max_rss_bytes, peak_bytes, report

THREADS = 8
TRANSFERS = int(os.environ.get("KETNOI_BENCH_LEDGER_TRANSFERS", "4000"))
ROUNDS = int(os.environ.get("KETNOI_BENCH_LEDGER_ROUNDS", "3"))
MEMORY_TRANSFERS = 400
SELLERS = 100
RESULT_MARK = "BENCH-LEDGER-RESULT "


# --- Child: one database ----------------------------------------------------


def _setup_django(backend: str, var_dir: str) -> Callable[[], None]:
    """Configure Django on a fresh database; returns what drops it afterwards."""
    url = os.environ.get("KETNOI_DATABASE_URL", "") if backend == "postgresql" else ""
    for key in [k for k in os.environ if k.startswith("KETNOI_") and not k.startswith("KETNOI_BENCH_")]:
        del os.environ[key]
    os.environ.update(
        DJANGO_SETTINGS_MODULE="ketnoi.settings.base",
        KETNOI_VAR_DIR=var_dir,
        KETNOI_DEBUG="false",
        KETNOI_LOG_LEVEL="WARNING",
        KETNOI_NOTIFY_ADAPTER="ketnoi.core.notify.MemorySender",
    )
    if url:
        os.environ["KETNOI_DATABASE_URL"] = url
    Path(var_dir, "static").mkdir(exist_ok=True)
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    if backend == "postgresql":
        if connection.vendor != "postgresql":
            raise SystemExit(f"KETNOI_DATABASE_URL is not a PostgreSQL database ({connection.vendor})")
        original = connection.settings_dict["NAME"]
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        return lambda: connection.creation.destroy_test_db(original, verbosity=0)
    call_command("migrate", verbosity=0)
    return lambda: None


def _in_threads(count: int, work: Callable[[int], None]) -> None:
    """``work(i)`` in ``count`` threads released together; re-raises the first failure."""
    from django.db import connections

    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            work(i)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def _measure(backend: str) -> dict[str, Any]:
    from django.db import connection, transaction

    from ketnoi.ledger.models import Account, Transfer
    from ketnoi.ledger.services import account_open, balances_check, transfer_post, transfers_check

    account_open(code="buyers-external", name="Người mua", kind=Account.Kind.EXTERNAL, may_go_negative=True)
    account_open(code="fees", name="Phí", kind=Account.Kind.FEES)
    for n in range(SELLERS):
        account_open(code=f"seller-{n}-sales", name=f"HTX {n}", kind=Account.Kind.SELLER_RECEIVABLE)
    for t in range(THREADS):
        account_open(code=f"wallet-{t}-a", name=f"Ví {t}a", kind=Account.Kind.BENEFICIARY_WALLET)
        account_open(code=f"wallet-{t}-b", name=f"Ví {t}b", kind=Account.Kind.BENEFICIARY_WALLET)
        # Start money on each "a" wallet for every disjoint round, so none is refused.
        transfer_post(
            idempotency_key=f"seed-{t}",
            postings=[("buyers-external", -(10**12)), (f"wallet-{t}-a", 10**12)],
        )
    key_column = "bigserial PRIMARY KEY" if connection.vendor == "postgresql" else "integer PRIMARY KEY"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE bench_row (id {key_column}, thread integer, n integer)")

    per_thread = TRANSFERS // THREADS
    total = per_thread * THREADS
    serial = iter(range(10**9))

    def shared(count: int) -> Callable[[], None]:
        def run() -> None:
            batch = next(serial)

            def work(t: int) -> None:
                for i in range(count):
                    amount = 100_000 + i
                    transfer_post(
                        idempotency_key=f"pay-{batch}-{t}-{i}",
                        postings=[
                            ("buyers-external", -amount),
                            (f"seller-{(t * count + i) % SELLERS}-sales", amount - amount // 20),
                            ("fees", amount // 20),
                        ],
                        memo=f"Đơn KN{batch}-{t}-{i}",
                    )

            _in_threads(THREADS, work)

        return run

    def disjoint(count: int) -> Callable[[], None]:
        def run() -> None:
            batch = next(serial)

            def work(t: int) -> None:
                for i in range(count):
                    transfer_post(
                        idempotency_key=f"move-{batch}-{t}-{i}",
                        postings=[(f"wallet-{t}-a", -1_000), (f"wallet-{t}-b", 1_000)],
                    )

            _in_threads(THREADS, work)

        return run

    def inserts(count: int) -> Callable[[], None]:
        def run() -> None:
            def work(t: int) -> None:
                for i in range(count):
                    with transaction.atomic(), connection.cursor() as cursor:
                        cursor.execute("INSERT INTO bench_row (thread, n) VALUES (%s, %s)", [t, i])

            _in_threads(THREADS, work)

        return run

    t_shared, t_disjoint, t_insert = best_of(
        ROUNDS, shared(per_thread), disjoint(per_thread), inserts(per_thread)
    )
    peak = peak_bytes(shared(MEMORY_TRANSFERS // THREADS))

    mismatches, unbalanced = balances_check(), transfers_check()
    transfers = Transfer.objects.count()
    expected = THREADS + 2 * ROUNDS * total + (MEMORY_TRANSFERS // THREADS) * THREADS
    if mismatches or unbalanced or transfers != expected:
        raise SystemExit(f"ledger inconsistent: {mismatches[:3]} {unbalanced[:3]} {transfers} != {expected}")
    version = getattr(connection, "pg_version", None) or sqlite3.sqlite_version
    return {
        f"{backend}_version": str(version),
        f"{backend}_transfers_per_run": total,
        f"{backend}_shared_transfers_per_s": total / t_shared,
        f"{backend}_disjoint_transfers_per_s": total / t_disjoint,
        f"{backend}_baseline_single_row_inserts_per_s": total / t_insert,
        f"{backend}_shared_vs_insert_ratio": t_shared / t_insert,
        f"{backend}_disjoint_vs_insert_ratio": t_disjoint / t_insert,
        f"{backend}_peak_tracemalloc_bytes_{MEMORY_TRANSFERS}_transfers": peak,
        f"{backend}_max_rss_bytes": max_rss_bytes(),
    }


def child(backend: str) -> None:
    var_dir = tempfile.mkdtemp(prefix="ketnoi-bench-ledger-")
    drop: Callable[[], None] = lambda: None  # noqa: E731
    try:
        drop = _setup_django(backend, var_dir)
        figures = _measure(backend)
        print(RESULT_MARK + json.dumps(figures), flush=True)
    finally:
        try:
            drop()
        finally:
            shutil.rmtree(var_dir, ignore_errors=True)


# --- Parent: both databases, one report ---------------------------------------


def _run_child(backend: str) -> tuple[dict[str, Any] | None, str]:
    """The child's figures, or ``None`` and the reason it gave none."""
    completed = subprocess.run(
        [sys.executable, __file__, "--child", backend],
        capture_output=True,
        text=True,
        cwd=benchlib.ROOT,
        check=False,
    )
    for line in completed.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK) :]), ""
    lines = (completed.stderr or completed.stdout).strip().splitlines()
    return None, lines[-1] if lines else f"exit status {completed.returncode}"


def main() -> None:
    started = time.perf_counter()
    figures: dict[str, Any] = {"threads": THREADS}
    notes = [
        f"{THREADS} writer threads released together, best of {ROUNDS} interleaved rounds",
        "shared: buyers-external -> seller-N-sales + fees (every transfer locks the two hot accounts); "
        "disjoint: each thread between two accounts of its own",
        "baseline: the same number of single-row INSERTs, one transaction each, from the same threads",
        "ratio = ledger time / baseline time (plain one-row commits per transfer)",
        "SQLite: temporary file database, project settings (WAL, BEGIN IMMEDIATE, busy_timeout 5000 ms)",
    ]
    sqlite, why = _run_child("sqlite")
    if sqlite is None:
        raise SystemExit(f"the SQLite run failed: {why}")
    figures.update(sqlite)

    url = os.environ.get("KETNOI_DATABASE_URL", "")
    if not url:
        notes.append(
            "PostgreSQL not measured: KETNOI_DATABASE_URL is not set (point it at a PostgreSQL server "
            "whose user may CREATE DATABASE; the bench works in a scratch test_<name> database)"
        )
    elif not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        notes.append("PostgreSQL not measured: KETNOI_DATABASE_URL does not point at PostgreSQL")
    else:
        postgresql, why = _run_child("postgresql")
        if postgresql is None:
            notes.append(f"PostgreSQL not measured: the run failed: {why}")
        else:
            figures.update(postgresql)
            notes.append(
                "PostgreSQL: scratch database test_<name> next to KETNOI_DATABASE_URL, dropped after"
            )
    figures["bench_wall_s"] = time.perf_counter() - started
    report("ledger", figures, notes)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
