"""Fixtures for the accounts tests: people in two areas, and SMS delivered at once."""

from __future__ import annotations

import pytest

from ketnoi.accounts.models import Role
from ketnoi.core.notify import MemorySender

from .factories import UserFactory, user_with_role


@pytest.fixture
def sms_outbox(settings):
    """What was sent, with background tasks run in-process (Django's immediate backend).

    Messages go out after commit: wrap the action in
    ``django_capture_on_commit_callbacks(execute=True)``.
    """
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    return MemorySender.sent


@pytest.fixture
def administrator(db):
    return user_with_role(Role.ADMINISTRATOR, display_name="Nguyễn Thu Hà")


@pytest.fixture
def officer_a(commune_a):
    return user_with_role(Role.COMMUNE_OFFICER, commune=commune_a, display_name="Cầm Thị Hương")


@pytest.fixture
def person_a(commune_a):
    return UserFactory(display_name="Lò Thị Xuân", home_commune=commune_a)


@pytest.fixture
def person_b(commune_b):
    return UserFactory(display_name="Giàng Thị Mỷ", home_commune=commune_b)
