"""Small helpers shared by the accounts tests."""

from __future__ import annotations

from ketnoi.accounts.middleware import SEEN_AT, SIGNED_IN_AT
from ketnoi.accounts.models import User
from ketnoi.core.phone import format_phone


def national(user: User) -> str:
    """The phone as she would type it: ``0912 345 678``."""
    return format_phone(user.phone)


def sign_in(client, user: User, *, signed_in_ago: float = 0, seen_ago: float = 0) -> str:
    """Sign ``user`` in on ``client`` with session timestamps in the past; the session key."""
    from django.utils import timezone

    client.force_login(user)
    now = timezone.now().timestamp()
    session = client.session
    session[SIGNED_IN_AT] = int(now - signed_in_ago)
    session[SEEN_AT] = int(now - seen_ago)
    session.save()
    return session.session_key
