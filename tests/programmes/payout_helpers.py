"""Builders for the cash, voucher and self-service tests: a batch sent to households, the SMS they got.

    sent = batch_sent(commune_a, channel="post_office", households=2)
    sent.batch, sent.households, sent.preparer, sent.approver
    code_for(sms, phone)                         # the code in the last SMS that phone received

SMS leave after commit through a background task: tests that read them
run tasks in process (``sms`` fixture) and send inside
``django_capture_on_commit_callbacks(execute=True)`` (done here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ketnoi.core.notify import Message
from ketnoi.programmes.models import Batch, Programme
from ketnoi.programmes.services.batches import batch_approve, batch_prepare, batch_send, batch_start
from ketnoi.registry.models import Household

from .factories import cycle_approved, programme_make, programme_officer, verified_household

AMOUNT = 500_000
IMMEDIATE_TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@dataclass
class Sent:
    programme: Programme
    batch: Batch
    households: list[Household]
    preparer: object
    approver: object


def batch_sent(
    commune,
    *,
    channel: str,
    households: int = 2,
    capture=None,
    phones: list[str] | None = None,
    voucher_valid_days: int = 60,
) -> Sent:
    """A programme of ``commune``'s province pays ``households`` poor households through ``channel``.

    Voucher channel → a voucher programme. ``capture`` is pytest-django's
    ``django_capture_on_commit_callbacks``: given, the SMS are delivered.
    ``phones`` sets the households' phones (``""`` for none).
    """
    preparer = programme_officer(commune.province)
    approver = programme_officer(commune.province)
    programme = programme_make(
        preparer,
        province=commune.province,
        amount_vnd=AMOUNT,
        entitlement="voucher" if channel == "voucher" else "per_household",
        voucher_valid_days=voucher_valid_days,
    )
    people = [
        verified_household(
            commune, phone=None if phones is None else phones[i], head_name=f"Lò Thị Xuân {i + 1}"
        )
        for i in range(households)
    ]
    cycle = cycle_approved(programme, preparer=preparer, approver=approver)
    batch = batch_prepare(cycle, channel=channel, actor=preparer)
    batch_approve(batch, actor=approver)
    batch_start(batch, actor=approver)
    lease = Batch.objects.get(pk=batch.pk).lease_until
    if capture is not None:
        with capture(execute=True):
            batch = batch_send(batch.pk, lease=lease)
    else:
        batch = batch_send(batch.pk, lease=lease)
    return Sent(programme=programme, batch=batch, households=people, preparer=preparer, approver=approver)


def texts_to(sms: list[Message], phone: str) -> list[str]:
    return [message.text for message in sms if message.to == phone]


def code_for(sms: list[Message], phone: str, *, pattern: str = r"mã nhận tiền (\d{6})") -> str:
    """The code in the last SMS ``phone`` received that matches ``pattern``."""
    for text in reversed(texts_to(sms, phone)):
        found = re.search(pattern, text)
        if found:
            return found.group(1)
    raise AssertionError(f"No SMS to {phone} matching {pattern!r}")
