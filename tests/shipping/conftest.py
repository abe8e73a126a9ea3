"""Fixtures for the shipping tests: the carriers' secrets, SMS delivered at once."""

from __future__ import annotations

import pytest

from ketnoi.core.notify import MemorySender

from .builders import SECRET


@pytest.fixture(autouse=True)
def _carrier_secrets(settings):
    settings.CARRIER_SECRETS = {"vnpost": SECRET}


@pytest.fixture
def sms(settings):
    """Messages delivered in-process once the transaction commits."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    return MemorySender.sent
