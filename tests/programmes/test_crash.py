"""Exactly once, proven: SIGKILL a real worker at random moments of a batch; nobody is paid twice or skipped.

A real ``manage.py worker`` process sends a bank batch of a few hundred
payments, five per transaction, on a database file it shares with this
test (on PostgreSQL, a fresh database of the suite's server). The test
kills it with SIGKILL at randomised moments — most just after it has made
progress, some at any moment (start-up, resuming, between tasks) — and
starts a new one each time, until the batch is sent. Then each payment
must have exactly one send transfer, the fund and the clearing account
must have moved by exactly the batch's total, and the ledger's own checks
must be clean.

The random seed is printed (``-s``) and can be fixed with
``KETNOI_CRASH_SEED`` to replay a run.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
PAYMENTS = 800
CHUNK = 5  # crash_settings.PROGRAMMES_BATCH_CHUNK_SIZE
MIN_KILLS = 10
START_TIMEOUT = 60
FINISH_TIMEOUT = 60
# Most kills wait for one or two chunks more to commit, then land up to this long after:
# anywhere in the next chunk(s), whatever the machine's speed.
KILL_JITTER_S = 0.02


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}", pytrace=False)
    return done.stdout


def _base_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KETNOI_")}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.programmes.crash_settings",
        KETNOI_ENV="development",
        KETNOI_VAR_DIR=str(var_dir),
        KETNOI_DEBUG="false",
        KETNOI_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture
def worker_database(tmp_path: Path) -> Iterator[tuple[dict[str, str], Callable[[str], list[Any]]]]:
    """The environment of a worker on a fresh database, and a way to query that database."""
    env = _base_env(tmp_path)
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        # The project's own SQLite file (WAL, busy timeout) under a temporary KETNOI_VAR_DIR.
        path = tmp_path / "ketnoi.sqlite3"

        def query(sql: str) -> list[Any]:
            with sqlite3.connect(path, timeout=10) as conn:
                return conn.execute(sql).fetchall()

        yield env, query
        return

    import psycopg
    from psycopg.conninfo import make_conninfo

    name = f"ketnoi_crash_{uuid.uuid4().hex[:12]}"
    server = {key: db.get(key.upper()) or "" for key in ("host", "port", "user", "password")}

    def conninfo(dbname: str) -> str:
        return make_conninfo(dbname=dbname, **{key: str(value) for key, value in server.items() if value})

    with psycopg.connect(conninfo("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    env["KETNOI_DATABASE_URL"] = (
        f"postgres://{server['user']}:{server['password']}@{server['host']}:{server['port']}/{name}"
    )

    def pg_query(sql: str) -> list[Any]:
        with psycopg.connect(conninfo(name), autocommit=True) as conn:
            return conn.execute(sql).fetchall()  # type: ignore[arg-type]

    try:
        yield env, pg_query
    finally:
        with psycopg.connect(conninfo("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - our own manage.py with fixed arguments
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "worker",
                "--no-reload",
                "--no-startup-delay",
                "--interval",
                "0.05",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_killing_the_worker_at_random_moments_pays_everyone_exactly_once(worker_database, tmp_path):
    env, query = worker_database
    seed = int(os.environ.get("KETNOI_CRASH_SEED", str(random.randrange(1_000_000))))
    print(f"crash test seed: {seed} (KETNOI_CRASH_SEED={seed} replays it)")
    rng = random.Random(seed)

    # given a migrated database with a started bank batch of 400 payments
    began = time.monotonic()
    _manage(env, "migrate", "--noinput", "--verbosity", "0")
    _manage(
        env,
        "shell",
        "-v",
        "0",
        "--command",
        f"from tests.programmes.crash_seed import seed; seed({PAYMENTS})",
    )

    print(f"migrated and seeded in {time.monotonic() - began:.1f} s")

    def progress() -> tuple[str, int]:
        (state,) = query("SELECT state FROM programmes_batch")[0]
        (sent,) = query("SELECT COUNT(*) FROM programmes_disbursement WHERE state = 'sent'")[0]
        return state, sent

    # when the worker is killed again and again at random moments, and restarted each time
    log = tmp_path / "worker.log"
    kills = mid_batch_kills = 0
    deadline = time.monotonic() + START_TIMEOUT + FINISH_TIMEOUT
    while progress()[0] != "sent":
        assert time.monotonic() < deadline, f"the batch did not finish: {progress()}\n{log.read_text()}"
        worker = _start_worker(env, log)
        try:
            if kills >= MIN_KILLS:
                # enough: let this one finish the batch
                while progress()[0] != "sent" and time.monotonic() < deadline and worker.poll() is None:
                    time.sleep(0.1)
                continue
            if rng.random() < 0.25:
                time.sleep(rng.uniform(0.0, 0.3))  # start-up, resuming the batch, or its first chunks
            else:
                target = progress()[1] + CHUNK * rng.randint(1, 2)
                waited = time.monotonic()
                while progress()[1] < target and time.monotonic() - waited < START_TIMEOUT:
                    if worker.poll() is not None:
                        pytest.fail(
                            f"The worker stopped by itself:\n{log.read_text()[-5000:]}", pytrace=False
                        )
                    time.sleep(0.005)
                time.sleep(rng.uniform(0.0, KILL_JITTER_S))
            state, sent = progress()
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait()
            kills += 1
            print(f"kill {kills} at {time.monotonic() - began:.1f} s: {state}, {sent}/{PAYMENTS} sent")
            mid_batch_kills += state == "sending" and 0 < sent < PAYMENTS
        finally:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=30)

    # then the batch is sent: every payment once, no more, no fewer
    printed = _manage(
        env, "shell", "-v", "0", "--command", "from tests.programmes.crash_seed import verify; verify()"
    )
    report = json.loads(printed.strip().splitlines()[-1])
    assert kills >= MIN_KILLS, f"the batch finished after only {kills} kills; make it bigger"
    assert mid_batch_kills >= MIN_KILLS // 2, f"only {mid_batch_kills} kills landed mid-batch"
    assert report["batch_state"] == "sent"
    assert report["states"] == {"sent": PAYMENTS}
    assert report["transfers_per_payment"] == {"1": PAYMENTS}
    assert report["linked_transfers"] == report["send_transfers_total"] == PAYMENTS
    assert report["enrolments"] == report["enrolments_paid"] == PAYMENTS
    assert report["clearing_vnd"] == report["total_vnd"]
    assert report["fund_vnd"] == report["budget_vnd"] - report["total_vnd"]
    assert report["balance_mismatches"] == [] and report["unbalanced_transfers"] == []
