import unicodedata

import pytest
from django.http import HttpResponse

from ketnoi.core.middleware import NfcInputMiddleware

NAME = "Lò Thị Hoà"
NFD = unicodedata.normalize("NFD", NAME)


def seen_by_view(request):
    """Run ``request`` through the middleware; what the view received."""
    seen = {}

    def view(req):
        seen["GET"], seen["POST"] = req.GET, req.POST
        return HttpResponse("ok")

    NfcInputMiddleware(view)(request)
    return seen


def test_nfd_form_value_reaches_the_view_in_nfc(rf):
    assert NFD != NAME

    seen = seen_by_view(rf.post("/", {"name": NFD, "tags": [NFD, "hoa"]}))

    assert seen["POST"]["name"] == NAME
    assert seen["POST"].getlist("tags") == [NAME, "hoa"]
    assert not seen["POST"]._mutable


def test_nfd_query_value_and_key_reach_the_view_in_nfc(rf):
    seen = seen_by_view(rf.get("/", {unicodedata.normalize("NFD", "tìm"): NFD}))

    assert seen["GET"]["tìm"] == NAME


def test_spaces_are_left_alone(rf):
    # a password may begin or end with a space
    seen = seen_by_view(rf.post("/", {"password": " mật khẩu "}))

    assert seen["POST"]["password"] == " mật khẩu "


@pytest.mark.django_db
def test_nfd_name_posted_to_a_real_page_is_stored_in_nfc(client):
    from django.urls import reverse

    from tests.accounts.factories import UserFactory

    user = UserFactory()
    client.force_login(user)

    client.post(reverse("accounts:profile"), {"display_name": NFD, "language": "vi"})

    user.refresh_from_db()
    assert user.display_name == NAME
