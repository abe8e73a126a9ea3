import unicodedata

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.urls import reverse

from ketnoi.accounts import services
from ketnoi.accounts.models import ConsentPurpose, ConsentRecord, LoginFailure, Role
from ketnoi.core.models import AuditEntry

from .factories import PASSWORD, UserFactory, user_with_role
from .helpers import national, sign_in

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
LOGOUT = reverse("accounts:logout")
LANGUAGE = reverse("accounts:language")
PROFILE = reverse("accounts:profile")
PEOPLE = reverse("accounts:area_people")
PAGE_BUDGET = 50 * 1024


def text(response) -> str:
    return response.content.decode()


def signed_in_user(client):
    return client.session.get(SESSION_KEY)


def follow_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- Sign in ----------------------------------------------------------------------


def test_login_page_explains_itself(client):
    response = client.get(LOGIN)

    assert response.status_code == 200
    assert "data-help" in text(response)
    assert 'autocomplete="current-password"' in text(response)
    assert 'inputmode="tel"' in text(response)
    assert len(response.content) < PAGE_BUDGET


def test_login_with_phone_and_password_signs_in_and_sets_her_language(client):
    # given a user who reads English
    user = UserFactory(language="en")

    # when she signs in with her number as she types it
    response = client.post(LOGIN, {"phone": national(user), "password": PASSWORD})

    # then she is signed in, sent home, and the pages follow her language
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert signed_in_user(client) == str(user.pk)
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert AuditEntry.objects.filter(action="login", object_id=str(user.pk)).exists()


def test_login_goes_to_a_safe_next_page(client):
    user = UserFactory()

    response = client.post(f"{LOGIN}?next={PROFILE}", {"phone": national(user), "password": PASSWORD})

    assert response.url == PROFILE


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_login_ignores_a_next_page_on_another_site(client, next_url):
    user = UserFactory()

    response = client.post(LOGIN, {"phone": national(user), "password": PASSWORD, "next": next_url})

    assert response.status_code == 302
    assert response.url == reverse("home")


def test_wrong_password_shows_a_clear_message_and_does_not_sign_in(client):
    user = UserFactory()

    response = client.post(LOGIN, {"phone": national(user), "password": "sai-mat-khau"})

    assert response.status_code == 200
    assert "Số điện thoại hoặc mật khẩu không đúng." in text(response)
    assert signed_in_user(client) is None


def test_invalid_phone_is_explained_and_not_counted(client):
    response = client.post(LOGIN, {"phone": "09-abc", "password": PASSWORD})

    assert response.status_code == 200
    assert "không phải là số điện thoại" in text(response)
    assert not LoginFailure.objects.exists()


def test_empty_form_asks_for_both_fields(client):
    response = client.post(LOGIN, {"phone": "", "password": ""})

    assert response.status_code == 200
    assert "Hãy nhập số điện thoại." in text(response)
    assert "Hãy nhập mật khẩu." in text(response)


def test_locked_out_account_is_not_signed_in_even_with_the_right_password(client, settings):
    # given an account locked after three wrong passwords
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 3
    user = UserFactory()
    for _ in range(3):
        client.post(LOGIN, {"phone": national(user), "password": "sai"})

    # when the right password is typed
    response = client.post(LOGIN, {"phone": national(user), "password": PASSWORD})

    # then she is told how long to wait, and is not signed in
    assert "Đăng nhập sai quá nhiều lần. Hãy thử lại sau 15 phút." in text(response)
    assert signed_in_user(client) is None


def test_signed_in_user_opening_login_goes_on(client):
    sign_in(client, UserFactory())

    response = client.get(f"{LOGIN}?next={PROFILE}")

    assert response.status_code == 302
    assert response.url == PROFILE


# --- Sign out ---------------------------------------------------------------------


def test_logout_get_asks_to_confirm_and_changes_nothing(client):
    key = sign_in(client, UserFactory())

    response = client.get(LOGOUT)

    assert response.status_code == 200
    assert f'action="{LOGOUT}"' in text(response)
    assert Session.objects.filter(session_key=key).exists()


def test_logout_post_deletes_the_session_on_the_server(client):
    # given a signed-in user
    user = UserFactory()
    key = sign_in(client, user)

    # when she signs out
    response = client.post(LOGOUT, follow=True)

    # then the session row is gone, she is told, and it is in the audit trail
    assert not Session.objects.filter(session_key=key).exists()
    assert signed_in_user(client) is None
    assert "Bạn đã đăng xuất." in follow_messages(response)
    assert AuditEntry.objects.filter(action="logout", object_id=str(user.pk)).exists()


def test_logout_page_sends_a_visitor_home(client):
    response = client.get(LOGOUT)

    assert response.status_code == 302
    assert response.url == reverse("home")


def test_logout_by_put_is_not_allowed(client):
    sign_in(client, UserFactory())

    assert client.put(LOGOUT).status_code == 405


# --- Language ---------------------------------------------------------------------


def test_language_switch_sets_the_cookie_and_returns(client):
    response = client.post(LANGUAGE, {"language": "en", "next": PROFILE})

    assert response.status_code == 302
    assert response.url == PROFILE
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_language_switch_remembers_a_signed_in_users_choice(client):
    user = UserFactory(language="vi")
    sign_in(client, user)

    client.post(LANGUAGE, {"language": "en", "next": "/"})

    user.refresh_from_db()
    assert user.language == "en"


def test_unknown_language_is_refused_and_changes_nothing(client):
    user = UserFactory(language="vi")
    sign_in(client, user)

    response = client.post(LANGUAGE, {"language": "fr", "next": "/"})

    assert response.status_code == 400
    assert "Ngôn ngữ này không được hỗ trợ." in text(response)
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    user.refresh_from_db()
    assert user.language == "vi"


def test_language_switch_ignores_a_next_page_on_another_site(client):
    response = client.post(LANGUAGE, {"language": "vi", "next": "https://evil.example/"})

    assert response.url == reverse("home")


def test_language_switch_by_get_is_not_allowed(client):
    assert client.get(LANGUAGE, {"language": "en"}).status_code == 405


# --- Profile ----------------------------------------------------------------------


def test_anonymous_is_sent_to_login_from_the_profile(client):
    response = client.get(PROFILE)

    assert response.status_code == 302
    assert response.url == f"{LOGIN}?next={PROFILE}"


def test_profile_shows_name_roles_with_areas_and_consents(client, commune_a):
    # given a commune officer who agreed to notifications
    user = user_with_role(
        Role.COMMUNE_OFFICER, commune=commune_a, display_name="Cầm Thị Hương", home_commune=commune_a
    )
    services.consent_give(user=user, purpose=ConsentPurpose.NOTIFICATIONS)
    sign_in(client, user)

    # when she opens her profile
    response = client.get(PROFILE)

    # then she sees her name, her role with its area, and where she stands on consent
    page = text(response)
    assert response.status_code == 200
    assert 'value="Cầm Thị Hương"' in page
    assert f"Cán bộ xã/phường — {commune_a.name}, {commune_a.province.name}" in page
    assert f"Nơi ở: <strong>{commune_a.name}, {commune_a.province.name}</strong>" in page
    assert "Nhận tin nhắn SMS/Zalo" in page
    assert "Bạn đã đồng ý ngày" in page
    assert page.count("Bạn chưa đồng ý.") == len(ConsentPurpose.values) - 1
    assert "data-help" in page
    assert len(response.content) < PAGE_BUDGET


def test_profile_update_saves_and_says_so(client):
    user = UserFactory(display_name="Mai", language="vi")
    sign_in(client, user)

    response = client.post(
        PROFILE, {"display_name": unicodedata.normalize("NFD", "Lò Thị Mai"), "language": "en"}, follow=True
    )

    user.refresh_from_db()
    assert user.display_name == "Lò Thị Mai"
    assert user.language == "en"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert len(follow_messages(response)) == 1


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("   ", "Hãy nhập tên hiển thị."),
        ("a" * 121, "Tên hiển thị dài quá: tối đa 120 ký tự, bạn đã nhập 121."),
    ],
)
def test_profile_refuses_bad_names_with_a_message(client, name, message):
    user = UserFactory(display_name="Mai")
    sign_in(client, user)

    response = client.post(PROFILE, {"display_name": name, "language": "vi"})

    assert response.status_code == 200
    assert message in text(response)
    user.refresh_from_db()
    assert user.display_name == "Mai"


def test_profile_refuses_an_unknown_language(client):
    user = UserFactory(display_name="Mai", language="vi")
    sign_in(client, user)

    response = client.post(PROFILE, {"display_name": "Mai Mới", "language": "fr"})

    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.display_name, user.language) == ("Mai", "vi")


# --- Consent ----------------------------------------------------------------------


def consent_url(purpose):
    return reverse("accounts:consent", args=[purpose])


def test_consent_give_without_javascript_records_and_returns_to_the_profile(client):
    user = UserFactory()
    sign_in(client, user)

    response = client.post(consent_url("location"), {"action": "give"}, REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 302
    assert response.url == f"{PROFILE}#consent-location"
    record = ConsentRecord.objects.get(user=user)
    assert (record.purpose, record.action, record.ip_address) == ("location", "given", "203.0.113.9")


def test_consent_with_htmx_returns_only_that_purposes_block(client):
    user = UserFactory()
    sign_in(client, user)

    response = client.post(consent_url("location"), {"action": "give"}, headers={"HX-Request": "true"})

    page = text(response)
    assert response.status_code == 200
    assert "<html" not in page
    assert 'id="consent-location"' in page
    assert "Rút lại đồng ý" in page
    assert "Đã ghi nhận." in page


def test_withdrawing_consent_not_given_shows_the_reason_and_records_nothing(client):
    user = UserFactory()
    sign_in(client, user)

    response = client.post(consent_url("location"), {"action": "withdraw"}, follow=True)

    assert "Bạn chưa đồng ý mục này nên không có gì để rút lại." in follow_messages(response)
    assert not ConsentRecord.objects.filter(user=user).exists()


def test_consent_for_an_unknown_purpose_is_not_found(client):
    sign_in(client, UserFactory())

    assert client.post(consent_url("marketing"), {"action": "give"}).status_code == 404


def test_consent_with_a_bad_action_records_nothing(client):
    user = UserFactory()
    sign_in(client, user)

    client.post(consent_url("location"), {"action": "sell"})

    assert not ConsentRecord.objects.filter(user=user).exists()


def test_anonymous_cannot_give_consent(client):
    response = client.post(consent_url("location"), {"action": "give"})

    assert response.status_code == 302
    assert response.url.startswith(LOGIN)
    assert not ConsentRecord.objects.exists()


# --- People in an area --------------------------------------------------------------


def test_anonymous_is_sent_to_login_from_the_area_page(client):
    response = client.get(PEOPLE)

    assert response.status_code == 302
    assert response.url == f"{LOGIN}?next={PEOPLE}"


@pytest.mark.parametrize("role", [Role.SELLER, Role.BUYER, Role.HEALTH_WORKER, None])
def test_people_without_an_officer_role_get_403_with_a_message(client, commune_a, person_a, role):
    user = (
        user_with_role(role, commune=commune_a)
        if role == Role.HEALTH_WORKER
        else (user_with_role(role) if role else UserFactory())
    )
    sign_in(client, user)

    response = client.get(PEOPLE)

    assert response.status_code == 403
    assert "Trang này chỉ dành cho cán bộ có vai trò phù hợp." in text(response)
    assert person_a.display_name not in text(response)


def test_officer_of_commune_a_sees_her_people_with_masked_phones(client, officer_a, person_a, person_b):
    sign_in(client, officer_a)

    response = client.get(PEOPLE)

    page = text(response)
    assert response.status_code == 200
    assert person_a.display_name in page
    digits = national(person_a).replace(" ", "")
    assert f"{digits[:3]} *** {digits[-4:]}" in page
    assert national(person_a) not in page and person_a.phone not in page
    # never the people of commune B
    assert person_b.display_name not in page
    assert "data-help" in page


def test_officer_of_commune_b_does_not_see_commune_a(client, commune_b, person_a, person_b):
    sign_in(client, user_with_role(Role.COMMUNE_OFFICER, commune=commune_b))

    page = text(client.get(PEOPLE))

    assert person_b.display_name in page
    assert person_a.display_name not in page


def test_area_page_costs_the_same_queries_for_many_people(
    client, officer_a, commune_a, django_assert_max_num_queries
):
    # given many people in her commune
    UserFactory.create_batch(60, home_commune=commune_a)
    sign_in(client, officer_a)

    # when she opens the first and second page
    with django_assert_max_num_queries(7):
        first = client.get(PEOPLE)
    with django_assert_max_num_queries(7):
        second = client.get(PEOPLE, {"page": 2})

    # then each page is a slice, and stays light
    assert text(first).count('data-testid="person"') == 50
    assert text(second).count('data-testid="person"') == 10
    assert len(first.content) < PAGE_BUDGET


def test_area_page_of_a_bad_page_number_shows_the_last_page(client, officer_a, person_a):
    sign_in(client, officer_a)

    response = client.get(PEOPLE, {"page": "999"})

    assert response.status_code == 200
    assert person_a.display_name in text(response)
