"""Carriers as data: tracking-code formats, local codes, secrets and signatures."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError

from ketnoi.shipping.carriers import (
    DEVELOPMENT_SECRETS,
    LocalCarrier,
    carrier_adapter,
    carrier_info,
    carrier_secrets,
    local_tracking_code,
    s10_check_digit,
    signature_for,
    signature_valid,
    tracking_code_clean,
)


def test_the_s10_check_digit_follows_the_upu_standard():
    # the UPU's own example: RR 47312482 9 GB
    assert s10_check_digit("47312482") == 9
    assert s10_check_digit("12345678") == 5


def test_a_vnpost_code_is_read_as_typed_on_a_phone():
    vnpost = carrier_info("vnpost")

    assert tracking_code_clean(vnpost, " rr 473-124-829 vn ") == "RR473124829VN"
    for wrong in ("RR473124828VN", "RR47312482VN", "473124829", ""):
        with pytest.raises(ValidationError):
            tracking_code_clean(vnpost, wrong)


def test_local_codes_fit_each_carriers_format():
    for code in ("vnpost", "viettelpost"):
        info = carrier_info(code)
        for number in (1, 12345, 10**8 + 7):
            assert tracking_code_clean(info, local_tracking_code(info, number)) == local_tracking_code(
                info, number
            )
    assert local_tracking_code(carrier_info("vnpost"), 1234) == "EK000012349VN"


def test_the_default_adapter_is_the_local_one(settings):
    settings.CARRIER_ADAPTERS = {}

    assert isinstance(carrier_adapter("vnpost"), LocalCarrier)
    with pytest.raises(ValidationError):
        carrier_adapter("ghn")


def test_secrets_come_from_settings_as_text_or_mapping(settings):
    settings.CARRIER_SECRETS = "vnpost:abc, viettelpost:d:e"
    assert carrier_secrets() == {"vnpost": "abc", "viettelpost": "d:e"}

    settings.CARRIER_SECRETS = {"vnpost": "xyz"}
    assert carrier_secrets() == {"vnpost": "xyz"}

    settings.CARRIER_SECRETS = "vnpost"
    with pytest.raises(ImproperlyConfigured):
        carrier_secrets()


def test_without_settings_development_has_a_public_secret_and_production_none(settings, monkeypatch):
    del settings.CARRIER_SECRETS
    monkeypatch.delenv("KETNOI_CARRIER_SECRETS", raising=False)

    settings.PRODUCTION = False
    assert carrier_secrets() == DEVELOPMENT_SECRETS
    settings.PRODUCTION = True
    assert carrier_secrets() == {}


def test_a_signature_is_checked_over_the_exact_bytes():
    body = '{"status": "delivered", "location": "Bắc Hà"}'.encode()
    header = signature_for("s3cret", body)

    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert signature_valid("s3cret", body, header)
    assert signature_valid("s3cret", body, header.upper().replace("SHA256=", "sha256="))
    assert not signature_valid("s3cret", body + b"\n", header)
    assert not signature_valid("other", body, header)
    assert not signature_valid("", body, signature_for("", body))
    assert not signature_valid("s3cret", body, header[7:])  # the prefix is required
