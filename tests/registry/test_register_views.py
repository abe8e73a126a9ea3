"""The self-registration pages as a person uses them on a phone, and the status page."""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ketnoi.accounts.consents import CONSENT_TEXTS
from ketnoi.registry.models import Household, HouseholdStatus, OneTimeCode, Registration, RegistrationConsent
from ketnoi.registry.services import registration as service
from ketnoi.registry.views.register import STATUS_KEY

from .registration_helpers import HEAD_CCCD, OTHER_PHONE, PHONE, PHONE_E164, draft, last_code

pytestmark = pytest.mark.django_db

INTRO = reverse("registry:register")
DONE = reverse("registry:register_done")
STATUS = reverse("registry:register_status")
STATUS_CODE = reverse("registry:register_status_code")
PAGE_BUDGET = 50 * 1024


def step(name: str) -> str:
    return reverse("registry:register_step", args=[name])


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def sms(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    from ketnoi.core.notify import MemorySender

    return MemorySender.sent


HEAD = {
    "action": "save",
    "full_name": "Lò Văn Pâng",
    "birth_date": "12/04/1985",
    "sex": "male",
    "relation": "head",
    "ethnic_group": "03",
    "citizen_id": HEAD_CCCD,
    "has_health_insurance": "yes",
    "has_disability": "no",
    "education": "lower_secondary",
    "attending_school": "no",
    "work": "self_employed",
    "able_to_work": "yes",
}
CHILD = {
    "action": "save",
    "full_name": "Lò Thị Mai",
    "birth_date": "2016-01-20",
    "sex": "female",
    "relation": "child",
    "ethnic_group": "03",
    "has_health_insurance": "yes",
    "has_disability": "no",
    "education": "primary",
    "attending_school": "yes",
    "stunted_or_underweight": "no",
}
HOME = {
    "walls": "durable",
    "frame": "durable",
    "roof": "non_durable",
    "floor_area_m2": "35,5",
    "water_source": "protected_spring",
    "latrine": "unhygienic",
}
CONNECT = {"uses_telecom": "yes", "devices": ["smartphone", "radio"], "waste_collected_or_treated": "no"}
INCOME = {"income_month": "2.500.000", "income_year": ""}


def posts(commune):
    """What a person sends at each step, in order."""
    return [
        ("start", {"phone": PHONE, "filler": "self", "helper_name": ""}),
        ("place", {"commune": str(commune.code), "address_line": "Bản Pá Sóng", "area": "rural"}),
        ("people", HEAD),
        ("people", CHILD),
        ("people", {"action": "next"}),
        ("home", HOME),
        ("connect", CONNECT),
        ("income", INCOME),
        ("consent", {"household_review": "on"}),
    ]


def walk(client, commune, *, until: str | None = None) -> Registration | None:
    """Fill the form through the pages, stopping before the step ``until``."""
    for name, data in posts(commune):
        if name == until:
            break
        response = client.post(step(name), data)
        assert response.status_code == 302, (name, text(response)[:2000])
    return Registration.objects.order_by("-created_at").first()


def wizard_pages_are_light_and_explained(response, number: int) -> None:
    assert response.status_code == 200
    assert f"Bước {number}/8" in text(response)
    assert "data-help" in text(response)
    assert len(response.content) < PAGE_BUDGET


# --- The whole walk ------------------------------------------------------------------------------


def test_a_household_registers_itself_step_by_step(
    client, commune_a, sms, django_capture_on_commit_callbacks
):
    # The introduction says what to have at hand and starts the form.
    intro = client.get(INTRO)
    assert intro.status_code == 200
    assert step("start") in text(intro)

    # 1: phone and who fills in
    wizard_pages_are_light_and_explained(client.get(step("start")), 1)
    response = client.post(
        step("start"), {"phone": PHONE, "filler": "helper", "helper_name": "Cầm Thị Hương"}
    )
    assert response.status_code == 302
    assert response.url == step("place")

    # 2: where: search the commune without JavaScript, then choose it
    page = client.get(step("place"), {"q": "muong bu", "province": str(commune_a.province_id)})
    wizard_pages_are_light_and_explained(page, 2)
    assert f'value="{commune_a.code}"' in text(page)
    response = client.post(
        step("place"), {"commune": commune_a.code, "address_line": "Bản Pá Sóng", "area": "rural"}
    )
    assert response.url == step("people")

    # 3: the people, one at a time
    wizard_pages_are_light_and_explained(client.get(step("people")), 3)
    assert client.post(step("people"), HEAD).url == step("people")
    listed = client.get(step("people"))
    assert "Lò Văn Pâng" in text(listed)
    assert "014••••••456" in text(listed)
    assert HEAD_CCCD not in text(listed)
    assert client.post(step("people"), CHILD).url == step("people")
    assert client.post(step("people"), {"action": "next"}).url == step("home")

    # 4–6: the home, phone and internet, income
    for number, (name, data, following) in enumerate(
        [("home", HOME, "connect"), ("connect", CONNECT, "income"), ("income", INCOME, "consent")], start=4
    ):
        wizard_pages_are_light_and_explained(client.get(step(name)), number)
        assert client.post(step(name), data).url == step(following)

    # 7: consent, boxes unticked until she ticks them
    consent_page = client.get(step("consent"))
    wizard_pages_are_light_and_explained(consent_page, 7)
    assert "checked" not in text(consent_page)
    assert client.post(step("consent"), {"household_review": "on"}).url == step("review")

    # 8: review, then send
    review = client.get(step("review"))
    wizard_pages_are_light_and_explained(review, 8)
    assert "Xã Mường Bú" in text(review)
    assert "30.000.000" in text(review)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(step("review"), {"action": "send"})
    assert response.url == DONE

    # The reference, big, with what happens next
    done = client.get(DONE)
    registration = Registration.objects.get()
    assert done.status_code == 200
    assert f'data-testid="reference">{registration.reference}<' in text(done)
    assert "Hãy giữ mã này" in text(done)

    household = Household.objects.get()
    assert household.status == HouseholdStatus.SUBMITTED
    assert household.source == "self"
    assert household.members.count() == 2
    assert registration.household_id == household.pk
    assert registration.helper_name == "Cầm Thị Hương"
    consent = RegistrationConsent.objects.get(registration=registration, purpose="household_review")
    assert (consent.action, consent.text_version) == ("given", CONSENT_TEXTS["household_review"].version)
    assert not RegistrationConsent.objects.filter(registration=registration, purpose="notifications").exists()
    assert [m.to for m in sms] == [PHONE_E164]
    assert registration.reference in sms[0].text


def test_the_commune_picker_searches_as_she_types_with_htmx(client, commune_a):
    walk(client, commune_a, until="place")

    page = text(client.get(step("place")))
    results = client.get(
        reverse("places:commune_search"), {"q": "muong bu", "name": "commune"}, headers={"HX-Request": "true"}
    )

    assert f'hx-get="{reverse("places:commune_search")}"' in page
    assert 'name="name" value="commune"' in page
    assert "htmx" in page
    assert f'name="commune" value="{commune_a.code}"' in text(results)


def test_a_draft_is_found_again_after_leaving_the_page(client, commune_a):
    # given a person who stopped after the people step
    registration = walk(client, commune_a, until="home")

    # when she comes back to the form later
    intro = client.get(INTRO)
    people = client.get(step("people"))
    place = client.get(step("place"))

    # then she is offered to go on where she was, with her answers there
    assert registration.reference in text(intro)
    assert step("home") in text(intro)
    assert "Lò Văn Pâng" in text(people)
    assert "Bản Pá Sóng" in text(place)


def test_a_step_not_reached_yet_leads_back_to_the_current_one(client, commune_a):
    walk(client, commune_a, until="home")

    response = client.get(step("review"))

    assert response.status_code == 302
    assert response.url == step("home")


def test_a_step_without_a_draft_leads_to_the_first_step(client, db):
    response = client.get(step("home"))

    assert response.url == step("start")


def test_an_unknown_step_is_not_found(client, db):
    assert client.get(step("nope")).status_code == 404


# --- Bad input, step by step ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("start", {"phone": "12-ab", "filler": "self"}, "không phải là số điện thoại"),
        ("start", {"phone": PHONE, "filler": "helper", "helper_name": ""}, "Hãy ghi tên của bạn"),
        (
            "place",
            {"commune": "99999999", "address_line": "Bản Pá Sóng", "area": "rural"},
            "Không có xã/phường",
        ),
        (
            "place",
            {"commune": "", "address_line": "Bản Pá Sóng", "area": "rural"},
            "Hãy tìm và chọn xã/phường",
        ),
        ("people", {**HEAD, "birth_date": "01/01/2999"}, "Ngày sinh không thể ở tương lai."),
        ("people", {**HEAD, "birth_date": "12/04/1990"}, "Số CCCD cho năm sinh 1985"),
        ("people", {**HEAD, "sex": "female"}, "Số CCCD không khớp với giới tính"),
        ("people", {**HEAD, "birth_date": "31/02/1985"}, "Ngày sinh chưa đúng"),
        ("people", {**HEAD, "has_health_insurance": ""}, "Hãy chọn Có hoặc Không."),
        ("people", {**CHILD, "stunted_or_underweight": ""}, "Hãy chọn Có hoặc Không."),
        ("home", {**HOME, "floor_area_m2": "0"}, "Diện tích nhà phải lớn hơn 0"),
        ("home", {**HOME, "water_source": "wine"}, "Hãy chọn một ô."),
        ("income", {"income_month": "-500.000"}, "Thu nhập không thể là số âm"),
        ("income", {"income_month": ""}, "khoảng bao nhiêu tiền một tháng"),
    ],
)
def test_a_wrong_answer_is_explained_and_the_step_not_left(client, commune_a, name, data, message):
    # given a person at the step (step 1 is a fresh start)
    registration = (
        walk(client, commune_a, until=name if name != "start" else "place") if name != "start" else None
    )
    before = Registration.objects.get(pk=registration.pk) if registration else None

    # when she sends a wrong answer
    response = client.post(step(name), data)

    # then she sees what is wrong on the same step, and nothing moved on or was created
    assert response.status_code == 400
    assert message in text(response)
    assert f"Bước {service.step_number(name)}/8" in text(response)
    assert not Household.objects.exists()
    if before is not None:
        after = Registration.objects.get(pk=before.pk)
        assert (after.step, after.answers) == (before.step, before.answers)
    else:
        assert not Registration.objects.exists()


def test_next_without_a_head_stays_on_the_people_step(client, commune_a):
    walk(client, commune_a, until="people")
    client.post(step("people"), {**CHILD})

    response = client.post(step("people"), {"action": "next"})

    assert response.status_code == 400
    assert "Hãy cho biết ai là chủ hộ" in text(response)
    assert Registration.objects.get().step == "people"


def test_text_sent_decomposed_is_stored_composed(client, commune_a):
    walk(client, commune_a, until="people")
    name = unicodedata.normalize("NFD", "Lò Văn Pâng")

    client.post(step("people"), {**HEAD, "full_name": name})

    stored = service.registration_members(Registration.objects.get())[0]["full_name"]
    assert stored == unicodedata.normalize("NFC", name)
    assert unicodedata.is_normalized("NFC", stored)


def test_a_member_is_changed_and_removed(client, commune_a):
    walk(client, commune_a, until="home")

    edit = client.get(step("people"), {"edit": "0"})
    client.post(step("people"), {**HEAD, "position": "0", "full_name": "Lò Văn Pấng"})
    client.post(step("people"), {"action": "remove", "position": "1"})

    assert f'value="{HEAD_CCCD}"' in text(edit)  # her own draft: the number is shown to correct it
    members = service.registration_members(Registration.objects.get())
    assert [m["full_name"] for m in members] == ["Lò Văn Pấng"]
    assert client.post(step("people"), {"action": "remove", "position": "7"}).status_code == 404


def test_sending_without_consent_is_refused(client, commune_a):
    walk(client, commune_a, until="consent")

    response = client.post(step("consent"), {"notifications": "on"})
    review = client.post(step("review"), {"action": "send"})

    assert response.status_code == 400
    assert "Hãy đánh dấu vào ô này nếu bạn đồng ý" in text(response)
    assert review.status_code == 302
    assert review.url == step("consent")
    assert not Household.objects.exists()
    assert not RegistrationConsent.objects.filter(purpose="household_review").exists()


def test_sending_twice_makes_one_household(client, commune_a, sms, django_capture_on_commit_callbacks):
    walk(client, commune_a)

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(step("review"), {"action": "send"})
        second = client.post(step("review"), {"action": "send"})

    assert first.url == DONE
    assert second.status_code == 302
    assert Household.objects.count() == 1
    assert len(sms) == 1


def test_a_phone_that_opened_too_many_drafts_is_told_to_continue(client, db):
    for _ in range(service.MAX_OPEN_DRAFTS_PER_PHONE_PER_DAY):
        service.registration_start(phone=PHONE)

    response = client.post(step("start"), {"phone": PHONE, "filler": "self"})

    assert response.status_code == 429
    assert "điền tiếp đơn cũ" in text(response)


# --- The status page ---------------------------------------------------------------------------------


def open_status(client, outbox, capture, phone: str = PHONE) -> None:
    with capture(execute=True):
        assert client.post(STATUS, {"phone": phone}).url == STATUS_CODE
    assert client.post(STATUS_CODE, {"code": last_code(outbox)}).url == STATUS


def test_the_right_code_opens_the_status_page(client, commune_a, sms, django_capture_on_commit_callbacks):
    # given a request sent from the phone
    sent = service.registration_submit(registration=draft(commune_a))

    # when she asks for a code and types it
    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post(STATUS, {"phone": PHONE})
    code_page = client.get(STATUS_CODE)
    checked = client.post(STATUS_CODE, {"code": last_code(sms)})
    page = client.get(STATUS)

    # then she sees her request, its status in words and her household's data
    assert asked.url == STATUS_CODE
    assert "091 *** 5678" in text(code_page)
    assert checked.url == STATUS
    assert page.status_code == 200
    assert sent.reference in text(page)
    assert "Đã gửi, chờ cán bộ xã xem" in text(page)
    assert "Lò Văn Pâng" in text(page)
    assert "30.000.000" in text(page)
    assert len(page.content) < PAGE_BUDGET


def test_a_wrong_code_is_explained_and_five_lock_it(
    client, commune_a, sms, django_capture_on_commit_callbacks
):
    service.registration_submit(registration=draft(commune_a))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(STATUS, {"phone": PHONE})
    code = last_code(sms)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    answers = [client.post(STATUS_CODE, {"code": wrong}) for _ in range(5)]
    right_too_late = client.post(STATUS_CODE, {"code": code})

    assert [a.status_code for a in answers] == [400, 400, 400, 400, 429]
    assert "Mã không đúng. Bạn còn 4 lần thử." in text(answers[0])
    assert "nhập sai 5 lần" in text(answers[4])
    assert right_too_late.status_code == 429
    assert STATUS_KEY not in client.session
    assert "Lò Văn Pâng" not in text(client.get(STATUS))


def test_an_expired_code_is_refused(client, commune_a, sms, django_capture_on_commit_callbacks):
    service.registration_submit(registration=draft(commune_a))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(STATUS, {"phone": PHONE})
    OneTimeCode.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

    response = client.post(STATUS_CODE, {"code": last_code(sms)})

    assert response.status_code == 400
    assert "Mã đã hết hạn" in text(response)
    assert STATUS_KEY not in client.session


def test_a_phone_without_requests_gets_the_same_answer_and_no_message(
    client, commune_a, sms, django_capture_on_commit_callbacks
):
    service.registration_submit(registration=draft(commune_a))

    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(STATUS, {"phone": PHONE})
    known_page = text(client.get(STATUS_CODE)).replace("091 *** 5678", "MASKED")
    with django_capture_on_commit_callbacks(execute=True):
        other = client.post(STATUS, {"phone": OTHER_PHONE})
    other_page = text(client.get(STATUS_CODE)).replace("098 *** 4321", "MASKED")

    assert known.url == other.url == STATUS_CODE
    csrf = re.compile(r"[A-Za-z0-9]{64}")  # the tokens differ from page to page
    assert csrf.sub("", known_page) == csrf.sub("", other_page)
    assert [m.to for m in sms] == [PHONE_E164]


def test_the_status_page_never_shows_another_phones_request(
    client, commune_a, sms, django_capture_on_commit_callbacks
):
    mine = service.registration_submit(registration=draft(commune_a))
    theirs = service.registration_submit(registration=draft(commune_a, phone=OTHER_PHONE))
    Household.objects.filter(pk=theirs.household_id).update(address_line="Bản Khác Hẳn")
    open_status(client, sms, django_capture_on_commit_callbacks)

    page = text(client.get(STATUS))
    continue_theirs = client.post(reverse("registry:register_status_continue", args=[theirs.reference]))

    assert mine.reference in page
    assert theirs.reference not in page
    assert "Bản Khác Hẳn" not in page
    assert continue_theirs.status_code == 404


def test_the_status_page_closes_after_thirty_minutes(
    client, commune_a, sms, django_capture_on_commit_callbacks
):
    service.registration_submit(registration=draft(commune_a))
    open_status(client, sms, django_capture_on_commit_callbacks)
    session = client.session
    session[STATUS_KEY] = {**session[STATUS_KEY], "until": timezone.now().timestamp() - 1}
    session.save()

    page = client.get(STATUS)

    assert "Lò Văn Pâng" not in text(page)
    assert 'name="phone"' in text(page)


def test_the_status_page_can_be_closed_on_a_shared_phone(
    client, commune_a, sms, django_capture_on_commit_callbacks
):
    service.registration_submit(registration=draft(commune_a))
    open_status(client, sms, django_capture_on_commit_callbacks)

    client.post(reverse("registry:register_status_leave"))

    assert "Lò Văn Pâng" not in text(client.get(STATUS))


def test_a_draft_is_continued_from_the_status_page_on_another_phone(
    client, commune_a, sms, django_capture_on_commit_callbacks
):
    # given a draft left at the home step in another browser
    registration = draft(commune_a, until="home")

    # when she proves her phone here and continues it
    open_status(client, sms, django_capture_on_commit_callbacks)
    page = client.get(STATUS)
    response = client.post(reverse("registry:register_status_continue", args=[registration.reference]))

    # then she is on the step where she stopped
    assert "Chưa gửi: đang điền dở" in text(page)
    assert response.url == step("home")
    assert "Lò Văn Pâng" in text(client.get(step("people")))


def test_the_status_page_queries_do_not_grow_with_requests(
    client, commune_a, sms, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    service.registration_submit(registration=draft(commune_a))
    open_status(client, sms, django_capture_on_commit_callbacks)
    with django_assert_max_num_queries(5) as one:
        client.get(STATUS)

    for _ in range(3):
        sent = service.registration_submit(registration=draft(commune_a))
    Household.objects.filter(pk=sent.household_id).update(status=HouseholdStatus.NEEDS_CORRECTION)
    with django_assert_max_num_queries(5) as four:
        page = client.get(STATUS)

    assert text(page).count('data-testid="request"') == 4
    assert len(four.captured_queries) <= len(one.captured_queries) + 1  # + the reasons for "needs correction"
