"""Production start-up: secrets are required, and Django's deploy check is clean."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KETNOI_")}
    clean.update(DJANGO_SETTINGS_MODULE="ketnoi.settings.base", **env)
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py, fixed arguments
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_production_without_a_secret_stops_with_a_clear_message(tmp_path):
    result = _manage("check", KETNOI_ENV="production", KETNOI_VAR_DIR=str(tmp_path))

    assert result.returncode != 0
    assert "KETNOI_SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_with_a_short_secret_refuses_to_start(tmp_path):
    result = _manage(
        "check", KETNOI_ENV="production", KETNOI_SECRET_KEY="short", KETNOI_VAR_DIR=str(tmp_path)
    )

    assert result.returncode != 0
    assert "too short" in result.stderr


def test_production_deploy_check_reports_no_warnings(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        KETNOI_ENV="production",
        KETNOI_SECRET_KEY=secrets.token_urlsafe(64),
        KETNOI_ALLOWED_HOSTS="ketnoi.example.vn",
        KETNOI_FIELD_KEY=secrets.token_urlsafe(32),
        KETNOI_LEARNING_SIGNING_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        KETNOI_VAR_DIR=str(tmp_path),
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_every_page_carries_the_security_headers(client, db):
    response = client.get("/")

    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "object-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
