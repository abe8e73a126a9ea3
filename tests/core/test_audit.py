from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser

from ketnoi.core.audit import audit_record, changes_between, snapshot
from ketnoi.core.models import AuditEntry
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_entry_says_who_did_what_to_which_object_old_to_new(commune_a):
    # given an actor and a target
    actor = UserFactory(display_name="Cầm Thị Hương")
    target = UserFactory(display_name="Lò Thị Xuân")

    # when a change is recorded
    entry = audit_record(
        actor=actor,
        action="profile_updated",
        target=target,
        changes={
            "display_name": ("Xuân", "Lò Thị Xuân"),
            "home_commune": (None, commune_a),
            "at": (None, datetime(2026, 1, 1, tzinfo=UTC)),
            "amount": (Decimal("1.5"), 2),
        },
        reason="r" * 600,
        ip_address="203.0.113.7",
    )

    # then the stored entry holds every part, in JSON-friendly form
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert entry.actor == actor
    assert entry.actor_label == "Cầm Thị Hương"
    assert entry.object_id == str(target.pk)
    assert entry.object_repr == "Lò Thị Xuân"
    assert entry.changes == {
        "display_name": ["Xuân", "Lò Thị Xuân"],
        "home_commune": [None, commune_a.pk],
        "at": [None, "2026-01-01T00:00:00+00:00"],
        "amount": ["1.5", 2],
    }
    assert len(entry.reason) == 500
    assert entry.ip_address == "203.0.113.7"


def test_visitor_or_system_is_recorded_without_an_actor():
    entry = audit_record(actor=AnonymousUser(), action="login_failed")

    assert entry.actor is None
    assert entry.actor_label == ""
    assert entry.object_type is None


def test_entries_cannot_be_changed_or_deleted():
    # given an entry
    entry = audit_record(actor=None, action="something")

    # then no way of changing or deleting it works
    entry.action = "something else"
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="x")
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(TypeError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "something"


def test_snapshot_and_changes_between_give_only_what_changed():
    user = UserFactory(display_name="Mai", language="vi")
    before = snapshot(user, ["display_name", "language"])
    user.language = "en"

    assert changes_between(before, snapshot(user, ["display_name", "language"])) == {"language": ("vi", "en")}
