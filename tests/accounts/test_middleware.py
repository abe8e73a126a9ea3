from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.urls import reverse

from ketnoi.accounts.middleware import SEEN_AT, SIGNED_IN_AT
from ketnoi.core.models import AuditEntry

from .factories import PASSWORD, UserFactory
from .helpers import national, sign_in

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
PROFILE = reverse("accounts:profile")
EXPIRED = "Phiên làm việc đã hết hạn, hãy đăng nhập lại."
IDLE = timedelta(minutes=30).total_seconds()
LIFETIME = timedelta(hours=12).total_seconds()


def stored(key):
    """The session data as stored in the database."""
    return Session.objects.get(session_key=key).get_decoded()


def test_login_stamps_the_session(client):
    user = UserFactory()

    client.post(LOGIN, {"phone": national(user), "password": PASSWORD})

    data = stored(client.session.session_key)
    assert data[SIGNED_IN_AT] == data[SEEN_AT]


def test_an_active_session_goes_on_without_writing_on_every_request(client):
    # given a session seen 10 seconds ago
    key = sign_in(client, UserFactory(), signed_in_ago=600, seen_ago=10)
    before = stored(key)

    # when she opens a page
    response = client.get(PROFILE)

    # then she is still in, and "last seen" was not rewritten (less than a minute)
    assert response.status_code == 200
    assert stored(key) == before


def test_last_seen_is_written_after_a_minute(client):
    key = sign_in(client, UserFactory(), signed_in_ago=600, seen_ago=120)
    before = stored(key)[SEEN_AT]

    client.get(PROFILE)

    assert stored(key)[SEEN_AT] >= before + 120


def test_idle_session_ends_and_she_is_asked_to_sign_in_again(client):
    # given a session untouched for longer than the idle timeout
    user = UserFactory()
    key = sign_in(client, user, signed_in_ago=IDLE + 60, seen_ago=IDLE + 1)

    # when she comes back to a page
    response = client.get(PROFILE, follow=True)

    # then the session row is gone and the sign-in page tells her why
    assert not Session.objects.filter(session_key=key).exists()
    assert response.redirect_chain[0] == (f"{LOGIN}?next={PROFILE}", 302)
    assert EXPIRED in response.content.decode()
    assert SESSION_KEY not in client.session
    entry = AuditEntry.objects.get(action="logout", object_id=str(user.pk))
    assert entry.reason == "session_idle"


def test_session_ends_at_its_absolute_lifetime_even_when_busy(client):
    # given a session used a moment ago but signed in longer ago than allowed
    key = sign_in(client, UserFactory(), signed_in_ago=LIFETIME + 1, seen_ago=5)

    response = client.get(PROFILE)

    assert response.status_code == 302
    assert response.url.startswith(LOGIN)
    assert not Session.objects.filter(session_key=key).exists()


def test_expired_session_on_a_public_page_also_goes_to_sign_in(client):
    key = sign_in(client, UserFactory(), signed_in_ago=LIFETIME + 1)

    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()


def test_expired_session_on_a_form_post_changes_nothing(client):
    user = UserFactory(display_name="Mai")
    sign_in(client, user, signed_in_ago=IDLE + 60, seen_ago=IDLE + 1)

    response = client.post(PROFILE, {"display_name": "Tên mới", "language": "vi"})

    assert response.status_code == 302
    assert response.url == LOGIN
    user.refresh_from_db()
    assert user.display_name == "Mai"


def test_expired_session_on_an_htmx_request_tells_htmx_to_go_to_sign_in(client):
    sign_in(client, UserFactory(), seen_ago=IDLE + 1)

    response = client.post(
        reverse("accounts:consent", args=["location"]), {"action": "give"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == LOGIN


def test_expired_session_on_a_json_request_goes_on_as_a_visitor(client):
    key = sign_in(client, UserFactory(), seen_ago=IDLE + 1)

    response = client.get(reverse("healthz"), headers={"Accept": "application/json"})

    assert response.status_code == 200
    assert not Session.objects.filter(session_key=key).exists()


def test_session_signed_in_elsewhere_is_stamped_not_ended(client):
    # given a session opened without the sign-in page (the admin, force_login)
    user = UserFactory()
    client.force_login(user)

    response = client.get(PROFILE)

    assert response.status_code == 200
    assert SIGNED_IN_AT in stored(client.session.session_key)


def test_tampered_timestamps_end_the_session(client):
    key = sign_in(client, UserFactory())
    session = client.session
    session[SEEN_AT] = "not a time"
    session.save()

    response = client.get(PROFILE)

    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()


def test_visitors_are_not_touched(client):
    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert not Session.objects.exists()
