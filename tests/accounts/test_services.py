import unicodedata
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import check_password, make_password
from django.test import override_settings
from django.utils import timezone

from ketnoi.accounts import consents, services
from ketnoi.accounts.consents import ConsentText
from ketnoi.accounts.models import ConsentPurpose, ConsentRecord, LoginFailure, Role, RoleAssignment
from ketnoi.core.errors import DomainError, PermissionDenied
from ketnoi.core.models import AuditEntry

from .factories import PASSWORD, UserFactory, user_with_role

pytestmark = pytest.mark.django_db

IP = "203.0.113.7"


def audit_actions(user):
    return list(AuditEntry.objects.filter(object_id=str(user.pk)).values_list("action", flat=True))


# --- Passwords ------------------------------------------------------------------


def test_argon2_is_the_production_password_hasher():
    # given the production settings (the test settings put a fast hasher first)
    from ketnoi.settings import base

    # then Argon2 hashes new passwords
    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
        hashed = make_password("mật khẩu dài và khó đoán")
        assert hashed.startswith("argon2$")
        assert check_password("mật khẩu dài và khó đoán", hashed)


# --- Sign-in and lock-out -------------------------------------------------------


def test_right_phone_and_password_in_any_form_returns_the_user():
    # given a user
    user = UserFactory(phone="+84912345678")

    # when she signs in typing the national form with spaces
    found = services.credentials_check(phone="0912 345 678", password=PASSWORD, ip_address=IP)

    # then she is recognised and nothing counts against her
    assert found == user
    assert not LoginFailure.objects.exists()


def test_wrong_password_and_unknown_phone_get_the_same_message_and_are_counted():
    # given a user
    user = UserFactory()

    # when one tries her phone with a wrong password, another an unknown phone
    with pytest.raises(DomainError) as wrong:
        services.credentials_check(phone=user.phone, password="sai-mat-khau", ip_address=IP)
    with pytest.raises(DomainError) as unknown:
        services.credentials_check(phone="0987 654 321", password=PASSWORD, ip_address=IP)

    # then both read the same, revealing nothing, and both count
    assert str(wrong.value) == str(unknown.value) == "Số điện thoại hoặc mật khẩu không đúng."
    assert wrong.value.status == 401
    assert LoginFailure.objects.count() == 2
    assert audit_actions(user) == ["login_failed"]


def test_invalid_phone_is_refused_with_a_message_and_not_counted():
    with pytest.raises(DomainError) as error:
        services.credentials_check(phone="12ab", password=PASSWORD, ip_address=IP)

    assert error.value.code == "phone_invalid"
    assert "không phải là số điện thoại" in str(error.value)
    assert not LoginFailure.objects.exists()


def test_inactive_user_cannot_sign_in_even_with_the_right_password():
    user = UserFactory(is_active=False)

    with pytest.raises(DomainError) as error:
        services.credentials_check(phone=user.phone, password=PASSWORD, ip_address=IP)

    assert error.value.code == "bad_credentials"


def test_account_is_locked_after_n_failures_even_with_the_right_password(settings):
    # given an account that failed as many times as allowed
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 3
    user = UserFactory()
    for _ in range(2):
        with pytest.raises(DomainError):
            services.credentials_check(phone=user.phone, password="sai", ip_address=IP)
    with pytest.raises(services.LockedOut):  # the third failure locks it
        services.credentials_check(phone=user.phone, password="sai", ip_address=IP)

    # when the right password comes from another address
    with pytest.raises(services.LockedOut) as error:
        services.credentials_check(phone=user.phone, password=PASSWORD, ip_address="198.51.100.1")

    # then it is refused with the minutes to wait, and the refusal is not counted again
    assert error.value.status == 429
    assert str(error.value) == "Đăng nhập sai quá nhiều lần. Hãy thử lại sau 15 phút."
    assert LoginFailure.objects.filter(phone=user.phone).count() == 3


def test_lock_lifts_when_the_failures_leave_the_window(settings):
    # given a locked account whose failures are 14 minutes old (window: 15)
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 2
    user = UserFactory()
    old = timezone.now() - timedelta(minutes=14)
    LoginFailure.objects.bulk_create(
        [LoginFailure(phone=user.phone, ip_address=IP, at=old) for _ in range(2)]
    )

    # then she is told to wait one more minute
    with pytest.raises(services.LockedOut) as error:
        services.credentials_check(phone=user.phone, password=PASSWORD, ip_address=IP)
    assert error.value.params == {"minutes": 1}

    # when the failures are older than the window
    LoginFailure.objects.update(at=timezone.now() - timedelta(minutes=16))

    # then the right password works again
    assert services.credentials_check(phone=user.phone, password=PASSWORD, ip_address=IP) == user


def test_address_is_locked_after_failures_across_different_phones(settings):
    # given one address trying many different phones
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 100
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 3
    victims = UserFactory.create_batch(3)
    for victim in victims:
        with pytest.raises(DomainError):
            services.credentials_check(phone=victim.phone, password="sai", ip_address=IP)

    # when a fourth person signs in correctly from that address
    other = UserFactory()
    with pytest.raises(services.LockedOut):
        services.credentials_check(phone=other.phone, password=PASSWORD, ip_address=IP)

    # then only that address is locked: from another address she gets in
    assert (
        services.credentials_check(phone=other.phone, password=PASSWORD, ip_address="198.51.100.1") == other
    )


def test_success_clears_the_account_failures(settings):
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 3
    user = UserFactory()
    for _ in range(2):
        with pytest.raises(DomainError):
            services.credentials_check(phone=user.phone, password="sai", ip_address=IP)

    services.credentials_check(phone=user.phone, password=PASSWORD, ip_address=IP)

    assert not LoginFailure.objects.filter(phone=user.phone).exists()
    # and two new failures do not lock her
    for _ in range(2):
        with pytest.raises(DomainError) as error:
            services.credentials_check(phone=user.phone, password="sai", ip_address=IP)
        assert error.value.code == "bad_credentials"


def test_owner_gets_one_sms_when_her_account_is_locked(
    settings, sms_outbox, django_capture_on_commit_callbacks
):
    # given an account allowed 3 failures
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 3
    user = UserFactory()

    # when someone keeps trying wrong passwords, past the lock
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(6):
            with pytest.raises(DomainError):
                services.credentials_check(phone=user.phone, password="sai", ip_address=IP)

    # then her phone got exactly one warning, and the lock is in the audit trail
    assert [m.to for m in sms_outbox] == [user.phone]
    assert "đăng nhập sai vào tài khoản của bạn nhiều lần" in sms_outbox[0].text
    assert "15 phút" in sms_outbox[0].text
    assert audit_actions(user).count("login_locked_out") == 1


def test_unknown_phone_locked_out_sends_no_sms(settings, sms_outbox, django_capture_on_commit_callbacks):
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 2
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            with pytest.raises(DomainError):
                services.credentials_check(phone="0987 654 321", password="sai", ip_address=IP)

    assert sms_outbox == []


# --- Users and profile ------------------------------------------------------------


def test_user_create_stores_nfc_and_e164_and_audits(commune_a):
    user = services.user_create(
        phone="0912 345 678",
        display_name=unicodedata.normalize("NFD", "  Lò Thị Xuân "),
        password=PASSWORD,
        home_commune=commune_a,
    )

    user.refresh_from_db()
    assert user.phone == "+84912345678"
    assert user.display_name == "Lò Thị Xuân"
    assert user.check_password(PASSWORD)
    assert audit_actions(user) == ["user_created"]


def test_user_create_refuses_a_phone_that_has_an_account():
    UserFactory(phone="+84912345678")

    with pytest.raises(DomainError) as error:
        services.user_create(phone="0912345678", display_name="Người khác")

    assert str(error.value) == "Số điện thoại này đã có tài khoản."


def test_profile_update_saves_nfc_name_and_language_and_audits_old_to_new():
    # given a user
    user = UserFactory(display_name="Mai", language="vi")

    # when she types her name in decomposed form and picks English
    services.profile_update(user=user, display_name=unicodedata.normalize("NFD", "Lò Thị Mai"), language="en")

    # then it is stored composed, and the audit entry says old → new
    user.refresh_from_db()
    assert user.display_name == "Lò Thị Mai"
    assert unicodedata.is_normalized("NFC", user.display_name)
    assert user.language == "en"
    entry = AuditEntry.objects.get(action="profile_updated", object_id=str(user.pk))
    assert entry.changes == {"display_name": ["Mai", "Lò Thị Mai"], "language": ["vi", "en"]}
    assert entry.actor == user


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("   ", "Hãy nhập tên hiển thị."),
        ("a" * 121, "Tên hiển thị dài quá: tối đa 120 ký tự, bạn đã nhập 121."),
        ("Mai\nThị", "Tên hiển thị có ký tự không hợp lệ (xuống dòng, ký tự điều khiển)."),
    ],
)
def test_profile_update_refuses_bad_names_and_changes_nothing(name, message):
    user = UserFactory(display_name="Mai")

    with pytest.raises(DomainError) as error:
        services.profile_update(user=user, display_name=name, language="en")

    assert str(error.value) == message
    user.refresh_from_db()
    assert (user.display_name, user.language) == ("Mai", "vi")
    assert "profile_updated" not in audit_actions(user)


def test_name_of_120_letters_with_diacritics_fits_once_composed():
    # NFD would count each mark as a letter: the limit applies to the NFC form
    user = UserFactory()
    name = "ệ" * 120

    services.profile_update(user=user, display_name=unicodedata.normalize("NFD", name), language="vi")

    user.refresh_from_db()
    assert user.display_name == name


def test_profile_update_without_changes_writes_nothing():
    user = UserFactory(display_name="Mai", language="vi")

    services.profile_update(user=user, display_name="Mai", language="vi")

    assert audit_actions(user) == []


def test_user_language_set_saves_and_refuses_unknown_languages():
    user = UserFactory(language="vi")

    services.user_language_set(user=user, language="en")
    with pytest.raises(DomainError) as error:
        services.user_language_set(user=user, language="fr")

    user.refresh_from_db()
    assert user.language == "en"
    assert error.value.code == "language_invalid"
    assert audit_actions(user) == ["language_set"]


# --- Consent ----------------------------------------------------------------------


def test_consent_history_records_each_act_with_version_and_address():
    # given a user
    user = UserFactory()
    purpose = ConsentPurpose.NOTIFICATIONS
    version = consents.CONSENT_TEXTS[purpose].version

    # when she gives, gives again (a double tap), withdraws, and gives again
    first = services.consent_give(user=user, purpose=purpose, ip_address=IP)
    again = services.consent_give(user=user, purpose=purpose, ip_address=IP)
    services.consent_withdraw(user=user, purpose=purpose, ip_address=IP)
    services.consent_give(user=user, purpose=purpose, ip_address=None)

    # then three acts are recorded, newest first, each with the text version
    assert again == first
    history = list(
        ConsentRecord.objects.filter(user=user)
        .order_by("-at")
        .values_list("action", "text_version", "ip_address")
    )
    assert history == [("given", version, None), ("withdrawn", version, IP), ("given", version, IP)]
    assert audit_actions(user).count("consent_given") == 2


def test_withdrawing_what_was_not_given_is_refused():
    user = UserFactory()

    with pytest.raises(DomainError) as error:
        services.consent_withdraw(user=user, purpose=ConsentPurpose.LOCATION)

    assert str(error.value) == "Bạn chưa đồng ý mục này nên không có gì để rút lại."
    assert not ConsentRecord.objects.filter(user=user).exists()


def test_withdrawing_twice_is_refused_the_second_time():
    user = UserFactory()
    services.consent_give(user=user, purpose=ConsentPurpose.LOCATION)
    services.consent_withdraw(user=user, purpose=ConsentPurpose.LOCATION)

    with pytest.raises(DomainError):
        services.consent_withdraw(user=user, purpose=ConsentPurpose.LOCATION)

    assert ConsentRecord.objects.filter(user=user).count() == 2


def test_giving_again_after_the_text_changed_records_the_new_version(monkeypatch):
    # given consent to the first version of a text
    user = UserFactory()
    purpose = ConsentPurpose.PUBLIC_PROFILE
    services.consent_give(user=user, purpose=purpose)

    # when the words change and she agrees to the new ones
    monkeypatch.setitem(consents.CONSENT_TEXTS, purpose, ConsentText("2099-01", "Nội dung mới."))
    services.consent_give(user=user, purpose=purpose)

    # then her latest act names the new version
    latest = ConsentRecord.objects.filter(user=user, purpose=purpose).order_by("-at", "-pk").first()
    assert latest.text_version == "2099-01"
    assert ConsentRecord.objects.filter(user=user).count() == 2


def test_unknown_purpose_is_refused():
    with pytest.raises(DomainError) as error:
        services.consent_give(user=UserFactory(), purpose="marketing")

    assert error.value.status == 404


# --- Roles -----------------------------------------------------------------------


def test_commune_officer_takes_the_province_of_her_commune(administrator, commune_a):
    user = UserFactory()

    assignment = services.role_assign(
        actor=administrator, user=user, role=Role.COMMUNE_OFFICER, commune=commune_a
    )

    assignment.refresh_from_db()
    assert assignment.commune == commune_a
    assert assignment.province_id == commune_a.province_id
    entry = AuditEntry.objects.get(action="role_assigned", object_id=str(user.pk))
    assert entry.actor == administrator
    assert entry.changes["role"][1] == str(assignment)


@pytest.mark.parametrize(
    ("role", "area", "code"),
    [
        (Role.COMMUNE_OFFICER, None, "commune_required"),
        (Role.HEALTH_WORKER, "province", "commune_required"),
        (Role.PROGRAMME_OFFICER, None, "province_required"),
        (Role.PROGRAMME_OFFICER, "commune", "province_required"),
        (Role.DOCTOR, "commune", "province_required"),
        (Role.ADMINISTRATOR, "province", "area_not_allowed"),
        (Role.SELLER, "commune", "area_not_allowed"),
        ("chief", None, "role_invalid"),
    ],
)
def test_role_area_must_fit_the_roles_level(administrator, commune_a, role, area, code):
    user = UserFactory()
    kwargs = {"commune": commune_a} if area == "commune" else {"province": commune_a.province} if area else {}

    with pytest.raises(DomainError) as error:
        services.role_assign(actor=administrator, user=user, role=role, **kwargs)

    assert error.value.code == code
    assert not RoleAssignment.objects.filter(user=user).exists()


def test_commune_outside_the_given_province_is_refused(administrator, commune_a, commune_b):
    with pytest.raises(DomainError) as error:
        services.role_assign(
            actor=administrator,
            user=UserFactory(),
            role=Role.COMMUNE_OFFICER,
            commune=commune_a,
            province=commune_b.province,
        )

    assert error.value.code == "area_mismatch"


@pytest.mark.parametrize("area", ["province", "none"])
def test_province_and_national_roles_are_assigned(administrator, commune_a, area):
    user = UserFactory()
    role, kwargs = (
        (Role.PROGRAMME_OFFICER, {"province": commune_a.province}) if area == "province" else (Role.BUYER, {})
    )

    assignment = services.role_assign(actor=administrator, user=user, role=role, **kwargs)

    assert assignment.commune is None
    assert assignment.province == kwargs.get("province")


def test_only_administrators_may_assign_roles(commune_a):
    # given a commune officer trying to make someone an officer
    officer = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)
    user = UserFactory()

    with pytest.raises(PermissionDenied) as error:
        services.role_assign(actor=officer, user=user, role=Role.COMMUNE_OFFICER, commune=commune_a)

    assert error.value.status == 403
    assert str(error.value) == "Chỉ quản trị viên mới được giao hoặc thu hồi vai trò."
    assert not RoleAssignment.objects.filter(user=user).exists()


def test_superuser_may_assign_the_first_administrator():
    root = UserFactory(is_superuser=True, is_staff=True)
    user = UserFactory()

    services.role_assign(actor=root, user=user, role=Role.ADMINISTRATOR)

    assert RoleAssignment.objects.filter(user=user, role=Role.ADMINISTRATOR).exists()


def test_the_same_role_in_the_same_area_twice_is_refused(administrator, commune_a):
    user = UserFactory()
    services.role_assign(actor=administrator, user=user, role=Role.COMMUNE_OFFICER, commune=commune_a)

    with pytest.raises(DomainError) as error:
        services.role_assign(actor=administrator, user=user, role=Role.COMMUNE_OFFICER, commune=commune_a)

    assert error.value.code == "role_held"
    assert RoleAssignment.objects.filter(user=user).count() == 1


def test_role_revoke_removes_and_audits(administrator, commune_a):
    user = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)
    assignment = RoleAssignment.objects.get(user=user)

    services.role_revoke(actor=administrator, assignment=assignment)

    assert not RoleAssignment.objects.filter(user=user).exists()
    assert "role_revoked" in audit_actions(user)


def test_non_administrator_cannot_revoke(commune_a):
    officer = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)
    seller = user_with_role(Role.SELLER)

    with pytest.raises(PermissionDenied):
        services.role_revoke(actor=officer, assignment=RoleAssignment.objects.get(user=seller))

    assert RoleAssignment.objects.filter(user=seller).exists()


def test_the_last_administrator_is_not_revoked(administrator):
    with pytest.raises(DomainError) as error:
        services.role_revoke(actor=administrator, assignment=RoleAssignment.objects.get(user=administrator))

    assert error.value.code == "last_administrator"
    assert RoleAssignment.objects.filter(user=administrator, role=Role.ADMINISTRATOR).exists()
