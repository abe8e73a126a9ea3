"""Self-registration services: drafts, consent, sending, one-time codes, the status in words."""

from __future__ import annotations

import json
import unicodedata
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketnoi.accounts.consents import CONSENT_TEXTS
from ketnoi.accounts.models import Role
from ketnoi.core.errors import DomainError
from ketnoi.core.models import AuditEntry
from ketnoi.registry import citizen_id
from ketnoi.registry.models import (
    Assessment,
    Household,
    HouseholdSource,
    HouseholdStatus,
    OneTimeCode,
    Registration,
    RegistrationConsent,
)
from ketnoi.registry.services import otp, registration_answers
from ketnoi.registry.services import registration as service
from ketnoi.registry.services.households import household_assess
from ketnoi.registry.services.verification import household_return_for_correction
from tests.accounts.factories import user_with_role

from .registration_helpers import (
    CONNECT,
    HEAD_CCCD,
    HOME,
    OTHER_PHONE,
    PHONE,
    PHONE_E164,
    PLACE,
    child,
    draft,
    head,
    last_code,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms(settings):
    """Messages delivered in-process once the transaction commits."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    from ketnoi.core.notify import MemorySender

    return MemorySender.sent


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# --- Starting a draft -------------------------------------------------------------------


def test_start_opens_a_draft_with_a_reference_for_the_phone():
    registration = service.registration_start(phone=PHONE, helper_name="Cầm Thị Hương")

    assert registration.reference.startswith("DK-")
    assert len(registration.reference) == len("DK-XXXX-XXXX")
    assert registration.phone == PHONE_E164
    assert registration.helper_name == "Cầm Thị Hương"
    assert registration.step == "place"
    assert registration.submitted_at is None
    assert AuditEntry.objects.filter(action="registration_started", object_id=str(registration.pk)).exists()


def test_start_refuses_a_number_that_is_not_a_phone():
    with pytest.raises(ValidationError) as caught:
        service.registration_start(phone="12-abc")

    assert "phone" in caught.value.message_dict
    assert not Registration.objects.exists()


def test_a_phone_opens_at_most_a_few_drafts_a_day():
    # given three drafts opened today and not sent
    for _ in range(service.MAX_OPEN_DRAFTS_PER_PHONE_PER_DAY):
        service.registration_start(phone=PHONE)

    # when a fourth is asked for
    with pytest.raises(DomainError) as caught:
        service.registration_start(phone=PHONE)

    # then it is refused with a way forward, and another phone is not affected
    assert caught.value.status == 429
    assert "điền tiếp đơn cũ" in str(caught.value)
    assert Registration.objects.filter(phone=PHONE_E164).count() == service.MAX_OPEN_DRAFTS_PER_PHONE_PER_DAY
    assert service.registration_start(phone=OTHER_PHONE).pk


def test_sent_and_older_drafts_do_not_count_against_the_daily_limit(commune_a):
    sent = draft(commune_a)
    service.registration_submit(registration=sent)
    old = service.registration_start(phone=PHONE)
    Registration.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    for _ in range(service.MAX_OPEN_DRAFTS_PER_PHONE_PER_DAY - 1):
        service.registration_start(phone=PHONE)

    assert service.registration_start(phone=PHONE).pk


# --- Saving the steps ---------------------------------------------------------------------


def test_each_step_is_kept_in_the_draft_and_moves_it_on(commune_a):
    registration = service.registration_start(phone=PHONE)

    service.registration_step_save(
        registration=registration, step="place", cleaned_data={**PLACE, "commune": commune_a.code}
    )

    registration.refresh_from_db()
    assert registration.step == "people"
    assert registration.answers["place"]["commune"] == commune_a.code
    assert registration.answers["place"]["commune_label"] == "Xã Mường Bú, Tỉnh Sơn La"


def test_going_back_to_an_earlier_step_does_not_lose_the_later_ones(commune_a):
    registration = draft(commune_a, until="income")

    service.registration_step_save(
        registration=registration, step="home", cleaned_data={**HOME, "floor_area_m2": "40"}
    )

    registration.refresh_from_db()
    assert registration.step == "income"
    assert registration.answers["home"]["floor_area_m2"] == "40.0"
    assert len(registration.answers["people"]["members"]) == 2


def test_text_typed_decomposed_is_stored_composed(commune_a):
    registration = service.registration_start(phone=PHONE)

    service.registration_step_save(
        registration=registration,
        step="place",
        cleaned_data={**PLACE, "commune": commune_a.code, "address_line": nfd("Bản Pá Sóng")},
    )
    service.registration_member_save(
        registration=registration, cleaned_data=head(full_name=nfd("Lò Văn Pâng"))
    )

    registration.refresh_from_db()
    assert registration.answers["place"]["address_line"] == unicodedata.normalize("NFC", "Bản Pá Sóng")
    assert registration.answers["people"]["members"][0]["full_name"] == unicodedata.normalize(
        "NFC", "Lò Văn Pâng"
    )


@pytest.mark.parametrize(
    ("step", "data", "field", "message"),
    [
        ("place", {**PLACE, "commune": 99999999}, "commune", "Không có xã/phường nào mang mã"),
        ("place", {**PLACE, "commune": ""}, "commune", "Hãy tìm và chọn xã/phường"),
        ("place", {**PLACE, "address_line": " "}, "address_line", "thôn, bản"),
        ("home", {**HOME, "floor_area_m2": "0"}, "floor_area_m2", "lớn hơn 0"),
        ("home", {**HOME, "floor_area_m2": "-5"}, "floor_area_m2", "lớn hơn 0"),
        ("home", {**HOME, "floor_area_m2": "50000"}, "floor_area_m2", "quá lớn"),
        ("home", {**HOME, "floor_area_m2": "nhỏ"}, "floor_area_m2", "phải là một số"),
        ("connect", {**CONNECT, "devices": ["fridge"]}, "devices", "thiết bị"),
        ("income", {"income_month": "-500.000", "income_year": ""}, "income_month", "không thể là số âm"),
        ("income", {"income_month": "", "income_year": "-1"}, "income_year", "không thể là số âm"),
        ("income", {"income_month": "hai triệu", "income_year": ""}, "income_month", "không hợp lệ"),
        ("income", {"income_month": "", "income_year": ""}, "income_month", "một tháng"),
    ],
)
def test_a_wrong_answer_is_refused_by_field_and_nothing_is_kept(commune_a, step, data, field, message):
    # given a draft that has reached the step
    registration = draft(commune_a, until="consent")
    if step == "place":
        data = {"commune": commune_a.code, **data}
    before = Registration.objects.get(pk=registration.pk).answers

    # when a wrong answer is saved
    with pytest.raises(ValidationError) as caught:
        service.registration_step_save(registration=registration, step=step, cleaned_data=data)

    # then the field is named with a plain message and the draft is as it was
    assert message in " ".join(caught.value.message_dict[field])
    assert Registration.objects.get(pk=registration.pk).answers == before


def test_the_income_is_a_month_times_twelve_or_the_year_given():
    registration = service.registration_start(phone=PHONE)

    by_month = registration_answers.income_clean({"income_month": "2.500.000", "income_year": ""})
    by_year = registration_answers.income_clean({"income_month": "2.500.000", "income_year": "28.000.000 đ"})
    nothing = registration_answers.income_clean({"income_month": "0", "income_year": ""})

    assert by_month["income_12m_vnd"] == 30_000_000
    assert by_year["income_12m_vnd"] == 28_000_000
    assert nothing["income_12m_vnd"] == 0
    assert registration.step == "place"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"birth_date": timezone.localdate() + timedelta(days=3)}, "birth_date", "tương lai"),
        ({"birth_date": date(1850, 1, 1)}, "birth_date", "quá xa"),
        ({"birth_date": date(1990, 4, 12)}, "citizen_id", "năm sinh 1985"),
        ({"sex": "female"}, "citizen_id", "giới tính"),
        ({"citizen_id": "12345"}, "citizen_id", "12 chữ số"),
        ({"ethnic_group": "99"}, "ethnic_group", "chọn"),
        ({"full_name": "   "}, "full_name", "họ và tên"),
    ],
)
def test_a_wrong_member_is_refused_by_field_and_not_added(commune_a, changes, field, message):
    registration = draft(commune_a, until="people")

    with pytest.raises(ValidationError) as caught:
        service.registration_member_save(registration=registration, cleaned_data=head(**changes))

    assert message in " ".join(caught.value.message_dict[field])
    assert service.registration_members(Registration.objects.get(pk=registration.pk)) == []


def test_a_cccd_is_kept_encrypted_in_the_draft(commune_a):
    registration = draft(commune_a, until="people")

    service.registration_member_save(registration=registration, cleaned_data=head())

    stored = Registration.objects.get(pk=registration.pk)
    member = stored.answers["people"]["members"][0]
    assert HEAD_CCCD not in json.dumps(stored.answers)
    assert member["citizen_id_masked"] == "014••••••456"
    assert citizen_id.decrypt(member["citizen_id_encrypted"]) == HEAD_CCCD


def test_members_are_added_changed_and_removed_one_at_a_time(commune_a):
    registration = draft(commune_a, until="people")
    service.registration_member_save(registration=registration, cleaned_data=head())
    service.registration_member_save(registration=registration, cleaned_data=child())

    service.registration_member_save(
        registration=registration, position=1, cleaned_data=child(full_name="Lò Thị Hoa")
    )
    service.registration_member_remove(registration=registration, position=0)

    names = [
        m["full_name"] for m in service.registration_members(Registration.objects.get(pk=registration.pk))
    ]
    assert names == ["Lò Thị Hoa"]


def test_a_second_head_and_the_same_cccd_twice_are_refused(commune_a):
    registration = draft(commune_a, until="people")
    service.registration_member_save(registration=registration, cleaned_data=head())

    with pytest.raises(ValidationError) as two_heads:
        service.registration_member_save(
            registration=registration, cleaned_data=head(full_name="Lò Văn Khác", citizen_id="")
        )
    with pytest.raises(ValidationError) as same_cccd:
        service.registration_member_save(
            registration=registration, cleaned_data=head(full_name="Lò Văn Khác", relation="sibling")
        )

    assert "chủ hộ" in " ".join(two_heads.value.message_dict["relation"])
    assert "CCCD" in " ".join(same_cccd.value.message_dict["citizen_id"])
    assert len(service.registration_members(Registration.objects.get(pk=registration.pk))) == 1


def test_the_people_step_needs_somebody_and_a_head(commune_a):
    registration = draft(commune_a, until="people")

    with pytest.raises(ValidationError) as nobody:
        service.registration_step_save(registration=registration, step="people", cleaned_data={})
    service.registration_member_save(registration=registration, cleaned_data=child())
    with pytest.raises(ValidationError) as no_head:
        service.registration_step_save(registration=registration, step="people", cleaned_data={})

    assert "ít nhất một người" in nobody.value.messages[0]
    assert "chủ hộ" in no_head.value.messages[0]
    assert Registration.objects.get(pk=registration.pk).step == "people"


def test_questions_that_do_not_fit_the_age_take_the_answer_that_fits():
    baby = registration_answers.member_clean(
        head(
            full_name="Lò Văn Tí",
            birth_date=timezone.localdate() - timedelta(days=400),
            relation="child",
            citizen_id="",
            education="",
            work="",
            able_to_work=None,
            attending_school=False,
            stunted_or_underweight=True,
        )
    )
    grandmother = registration_answers.member_clean(
        head(relation="parent", citizen_id="", birth_date=date(1950, 1, 1), stunted_or_underweight=True)
    )

    assert (baby["education"], baby["work"], baby["able_to_work"]) == ("none", "not_in_labour_force", True)
    assert baby["stunted_or_underweight"] is True
    assert grandmother["stunted_or_underweight"] is False
    assert grandmother["attending_school"] is False


# --- Consent -----------------------------------------------------------------------------------


def test_unticked_boxes_are_not_consent(commune_a):
    registration = draft(commune_a, until="consent")

    with pytest.raises(ValidationError) as caught:
        service.registration_consents_save(
            registration=registration, choices={"household_review": False, "notifications": False}
        )

    assert "household_review" in caught.value.message_dict
    assert not RegistrationConsent.objects.filter(registration=registration).exists()
    assert Registration.objects.get(pk=registration.pk).step == "consent"


def test_consent_is_recorded_with_the_version_of_the_text_shown(commune_a):
    registration = draft(commune_a, until="consent")

    service.registration_consents_save(
        registration=registration,
        choices={"household_review": True, "notifications": True},
        ip_address="10.0.0.9",
    )

    records = {r.purpose: r for r in RegistrationConsent.objects.filter(registration=registration)}
    assert set(records) == {"household_review", "notifications"}
    assert records["household_review"].action == "given"
    assert records["household_review"].text_version == CONSENT_TEXTS["household_review"].version
    assert records["household_review"].ip_address == "10.0.0.9"
    assert Registration.objects.get(pk=registration.pk).step == "review"


def test_consent_records_are_appended_never_changed(commune_a):
    registration = draft(commune_a, until="consent")
    both = {"household_review": True, "notifications": True}
    service.registration_consents_save(registration=registration, choices=both)
    service.registration_consents_save(registration=registration, choices=both)  # same again: nothing new

    service.registration_consents_save(registration=registration, choices={"household_review": True})

    notifications = RegistrationConsent.objects.filter(registration=registration, purpose="notifications")
    assert [r.action for r in notifications.order_by("at", "id")] == ["given", "withdrawn"]
    assert (
        RegistrationConsent.objects.filter(registration=registration, purpose="household_review").count() == 1
    )


def test_an_unknown_purpose_is_refused(commune_a):
    registration = draft(commune_a, until="consent")

    with pytest.raises(DomainError):
        service.registration_consent_record(registration=registration, purpose="marketing", given=True)


# --- Sending ---------------------------------------------------------------------------------------


def test_sending_creates_a_self_registered_household_and_texts_the_reference(
    commune_a, sms, django_capture_on_commit_callbacks
):
    registration = draft(commune_a)

    with django_capture_on_commit_callbacks(execute=True):
        sent = service.registration_submit(registration=registration, ip_address="10.0.0.9")

    household = Household.objects.get(registration=sent)
    assert household.status == HouseholdStatus.SUBMITTED
    assert household.source == HouseholdSource.SELF
    assert household.commune_id == commune_a.code
    assert household.contact_phone == PHONE_E164
    assert household.income_12m_vnd == 30_000_000
    assert str(household.floor_area_m2) == "35.5"
    assert household.registered_by is None
    members = list(household.members.order_by("birth_date"))
    assert [m.full_name for m in members] == ["Lò Văn Pâng", "Lò Thị Mai"]
    assert members[0].citizen_id_hash == citizen_id.lookup_hash(HEAD_CCCD)
    assert sent.submitted_at is not None
    assert [m.to for m in sms] == [PHONE_E164]
    assert sent.reference in sms[0].text
    assert HEAD_CCCD not in json.dumps(Registration.objects.get(pk=sent.pk).answers)
    assert AuditEntry.objects.filter(action="registration_submitted", object_id=str(sent.pk)).exists()


def test_sending_twice_makes_one_household_and_one_message(
    commune_a, sms, django_capture_on_commit_callbacks
):
    registration = draft(commune_a)

    with django_capture_on_commit_callbacks(execute=True):
        first = service.registration_submit(registration=registration)
        second = service.registration_submit(registration=Registration.objects.get(pk=registration.pk))

    assert first.household_id == second.household_id
    assert Household.objects.count() == 1
    assert len(sms) == 1


def test_sending_without_consent_is_refused(commune_a, sms, django_capture_on_commit_callbacks):
    registration = draft(commune_a, consent=False)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError) as caught:
        service.registration_submit(registration=registration)

    assert caught.value.code == "consent_required"
    assert not Household.objects.exists()
    assert Registration.objects.get(pk=registration.pk).submitted_at is None
    assert sms == []


def test_sending_after_consent_was_withdrawn_is_refused(commune_a):
    registration = draft(commune_a)
    service.registration_consent_record(registration=registration, purpose="household_review", given=False)

    with pytest.raises(DomainError) as caught:
        service.registration_submit(registration=registration)

    assert caught.value.code == "consent_required"
    assert not Household.objects.exists()


def test_an_unfinished_draft_cannot_be_sent(commune_a):
    registration = draft(commune_a, until="home")
    service.registration_consent_record(registration=registration, purpose="household_review", given=True)

    with pytest.raises(DomainError) as caught:
        service.registration_submit(registration=registration)

    assert caught.value.code == "incomplete"
    assert "bước 4" in str(caught.value)
    assert not Household.objects.exists()


def test_a_sent_draft_cannot_be_changed(commune_a):
    registration = service.registration_submit(registration=draft(commune_a))

    with pytest.raises(DomainError) as caught:
        service.registration_step_save(registration=registration, step="home", cleaned_data=HOME)

    assert caught.value.code == "already_submitted"


# --- One-time codes ----------------------------------------------------------------------------------


def test_a_code_is_texted_and_only_its_hash_kept(sms, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        record = otp.otp_issue(phone=PHONE, purpose="registration_status")

    code = last_code(sms)
    stored = OneTimeCode.objects.get(pk=record.pk)
    assert len(code) == 6
    assert code not in stored.code_hash
    assert len(stored.code_hash) == 64
    assert timedelta(minutes=9) < stored.expires_at - stored.created_at <= timedelta(minutes=10)


def test_the_right_code_is_accepted_once(sms, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        otp.otp_issue(phone=PHONE, purpose="registration_status")
    code = last_code(sms)

    otp.otp_verify(phone=PHONE, purpose="registration_status", code=code)
    with pytest.raises(DomainError) as again:
        otp.otp_verify(phone=PHONE, purpose="registration_status", code=code)

    assert again.value.code == "otp_expired"


def test_five_wrong_codes_lock_the_code_even_for_the_right_one(sms, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        otp.otp_issue(phone=PHONE, purpose="registration_status")
    code = last_code(sms)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    codes = []
    for _ in range(otp.OTP_MAX_ATTEMPTS):
        with pytest.raises(DomainError) as caught:
            otp.otp_verify(phone=PHONE, purpose="registration_status", code=wrong)
        codes.append(caught.value.code)

    with pytest.raises(DomainError) as locked:
        otp.otp_verify(phone=PHONE, purpose="registration_status", code=code)

    assert codes == ["otp_wrong"] * 4 + ["otp_locked"]
    assert locked.value.code == "otp_locked"
    assert OneTimeCode.objects.get().attempts == otp.OTP_MAX_ATTEMPTS


def test_an_expired_code_is_refused(sms, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        otp.otp_issue(phone=PHONE, purpose="registration_status")
    OneTimeCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    with pytest.raises(DomainError) as caught:
        otp.otp_verify(phone=PHONE, purpose="registration_status", code=last_code(sms))

    assert caught.value.code == "otp_expired"


def test_a_code_for_one_phone_does_not_open_another(sms, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        otp.otp_issue(phone=PHONE, purpose="registration_status")

    with pytest.raises(DomainError) as caught:
        otp.otp_verify(phone=OTHER_PHONE, purpose="registration_status", code=last_code(sms))

    assert caught.value.code == "otp_expired"


def test_codes_wait_between_sends_and_a_new_code_replaces_the_old(sms, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        otp.otp_issue(phone=PHONE, purpose="registration_status")
    first = last_code(sms)

    with pytest.raises(DomainError) as too_soon:
        otp.otp_issue(phone=PHONE, purpose="registration_status")
    OneTimeCode.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        otp.otp_issue(phone=PHONE, purpose="registration_status")
    second = last_code(sms)

    assert too_soon.value.status == 429
    if first != second:
        with pytest.raises(DomainError):
            otp.otp_verify(phone=PHONE, purpose="registration_status", code=first)
    otp.otp_verify(phone=PHONE, purpose="registration_status", code=second)


def test_the_status_code_is_sent_only_to_a_phone_with_requests(
    commune_a, sms, django_capture_on_commit_callbacks
):
    service.registration_start(phone=PHONE)

    with django_capture_on_commit_callbacks(execute=True):
        service.status_code_send(phone=PHONE)
        service.status_code_send(phone=OTHER_PHONE)

    assert [m.to for m in sms] == [PHONE_E164]
    assert OneTimeCode.objects.count() == 2  # counted alike, so the answers are alike


# --- The status in words ---------------------------------------------------------------------------------


def test_the_status_follows_the_household_in_words(commune_a):
    # given one draft and one request sent from the phone
    service.registration_start(phone=PHONE)
    sent = service.registration_submit(registration=draft(commune_a))
    household = sent.household

    def state():
        rows = service.registration_status(reference_or_phone=PHONE)
        return [(r.registration.reference == sent.reference, r.state, r.label) for r in rows]

    # then the sent one reads "submitted", the other "draft"
    assert sorted(state()) == [
        (False, "draft", "Chưa gửi: đang điền dở"),
        (True, "submitted", "Đã gửi, chờ cán bộ xã xem"),
    ]
    Household.objects.filter(pk=household.pk).update(status=HouseholdStatus.UNDER_REVIEW)
    assert (True, "under_review", "Cán bộ xã đang xem xét") in state()
    Household.objects.filter(pk=household.pk).update(status=HouseholdStatus.VERIFIED)
    assert (True, "verified", "Đã xác minh") in state()


def test_a_recognised_assessment_is_told_in_words(commune_a):
    sent = service.registration_submit(registration=draft(commune_a))
    Household.objects.filter(pk=sent.household_id).update(status=HouseholdStatus.VERIFIED)
    assessment = household_assess(household=sent.household, actor=None)

    unrecognised = service.registration_status(reference_or_phone=sent.reference)
    Assessment.objects.filter(pk=assessment.pk).update(recognised=True, classification="near_poor")
    recognised = service.registration_status(reference_or_phone=sent.reference)

    assert unrecognised[0].state == "verified"
    assert recognised[0].state == "recognised"
    assert recognised[0].label == f"Xã đã công nhận: hộ cận nghèo (năm {assessment.year})"


def test_needs_correction_carries_the_officers_reason(commune_a, django_capture_on_commit_callbacks):
    sent = service.registration_submit(registration=draft(commune_a))
    officer = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)
    with django_capture_on_commit_callbacks(execute=True):
        household_return_for_correction(
            actor=officer, household=sent.household, reason="Thiếu ngày sinh của con thứ hai."
        )

    rows = service.registration_status(reference_or_phone=PHONE)

    assert rows[0].state == "needs_correction"
    assert rows[0].label == "Cần bổ sung, sửa"
    assert rows[0].reason == "Thiếu ngày sinh của con thứ hai."


def test_the_status_of_a_phone_never_includes_another_phones_request(commune_a):
    mine = service.registration_start(phone=PHONE)
    theirs = service.registration_submit(registration=draft(commune_a, phone=OTHER_PHONE))

    rows = service.registration_status(reference_or_phone=PHONE)

    assert [r.registration.reference for r in rows] == [mine.reference]
    assert theirs.reference not in {r.registration.reference for r in rows}
    assert service.registration_status(reference_or_phone="not a phone") == []
