"""The household's own page: phone → code by SMS → its programmes, entitlements, payments and vouchers.

The story: Chị Xuân's household was paid a voucher by a Sơn La programme.
On her phone she opens /programmes/my/, types the household's number, gets
a code by SMS, and sees the programme, what the household is entitled to,
that the voucher was sent, and its code with a QR to show at the shop.
Someone typing a number that belongs to no household gets exactly the same
answers, and no SMS.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ketnoi.core.models import AuditEntry
from ketnoi.payments.models import Voucher
from ketnoi.programmes.services.selfservice import selfservice_overview
from ketnoi.registry.models import OneTimeCode

from .factories import cycle_enrolled, programme_make, programme_officer, verified_household
from .payout_helpers import IMMEDIATE_TASKS, batch_sent, code_for, texts_to

pytestmark = pytest.mark.django_db

OTP = r"mã xác nhận của bạn là (\d{6})"
NOBODY = "+84909999888"


@pytest.fixture
def sms(settings, _outbox):
    settings.TASKS = IMMEDIATE_TASKS
    return _outbox


@pytest.fixture
def sent(commune_a, sms, django_capture_on_commit_callbacks):
    return batch_sent(commune_a, channel="voucher", households=2, capture=django_capture_on_commit_callbacks)


def ask_code(client, phone, capture):
    with capture(execute=True):
        return client.post(reverse("programmes:my"), {"phone": phone})


def open_page(client, phone, sms, capture):
    """Type the phone, then the code from the SMS: the page is open in this browser."""
    ask_code(client, phone, capture)
    response = client.post(reverse("programmes:my_code"), {"code": code_for(sms, phone, pattern=OTP)})
    assert response.status_code == 302
    return client.get(reverse("programmes:my"))


def test_a_household_sees_its_programme_entitlement_payment_and_voucher(
    client, sent, sms, django_capture_on_commit_callbacks
):
    household = sent.households[0]
    phone = household.contact_phone
    national = "0" + phone[3:]

    # She types her number the way she knows it, and is asked for the code sent to it
    asked = ask_code(client, national, django_capture_on_commit_callbacks)
    assert asked.status_code == 302 and asked["Location"] == reverse("programmes:my_code")
    code = code_for(sms, phone, pattern=OTP)

    # With the code, the page opens
    opened = client.post(reverse("programmes:my_code"), {"code": code})
    assert opened["Location"] == reverse("programmes:my")
    text = client.get(reverse("programmes:my")).content.decode()

    assert sent.programme.name in text
    assert "500.000" in text
    assert "Phiếu đã phát, chưa dùng" in text
    voucher = Voucher.objects.get(beneficiary_phone=phone)
    shown = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", text)
    assert shown and code_for(sms, phone, pattern=r"Mã phiếu: (\S+),") == shown.group(0)
    assert "<svg" in text
    assert voucher.disbursement_id  # her own voucher; the other household's is not on the page
    other = Voucher.objects.exclude(pk=voucher.pk).get()
    assert other.beneficiary_phone not in text
    assert AuditEntry.objects.filter(action="programmes_selfservice_opened").count() == 1
    # and a way to complain
    assert reverse("programmes:complaint_new") in text


def test_a_number_with_no_household_gets_the_same_answers_and_no_sms(
    client, sms, django_capture_on_commit_callbacks
):
    asked = ask_code(client, NOBODY, django_capture_on_commit_callbacks)
    page = client.get(asked["Location"])

    assert asked.status_code == 302 and asked["Location"] == reverse("programmes:my_code")
    assert page.status_code == 200 and "090 *** 9888" in page.content.decode()
    assert texts_to(sms, NOBODY) == []
    assert OneTimeCode.objects.filter(phone=NOBODY, purpose="programmes").count() == 1  # counted all the same
    wrong = client.post(reverse("programmes:my_code"), {"code": "123456"})
    assert "Mã không đúng" in wrong.content.decode()


def test_a_wrong_code_says_how_many_tries_are_left_and_opens_nothing(
    client, sent, sms, django_capture_on_commit_callbacks
):
    phone = sent.households[0].contact_phone
    ask_code(client, phone, django_capture_on_commit_callbacks)
    right = code_for(sms, phone, pattern=OTP)
    wrong = f"{(int(right) + 1) % 10**6:06d}"

    response = client.post(reverse("programmes:my_code"), {"code": wrong})

    assert response.status_code == 400
    assert "Bạn còn 4 lần thử" in response.content.decode()
    assert "Mã phiếu" not in client.get(reverse("programmes:my")).content.decode()


def test_a_number_that_is_not_a_phone_is_refused_with_an_example(client):
    response = client.post(reverse("programmes:my"), {"phone": "12345"})

    assert response.status_code == 400
    assert "0912 345 678" in response.content.decode() or "10 chữ số" in response.content.decode()


def test_the_page_closes_after_thirty_minutes_and_on_request(
    client, sent, sms, django_capture_on_commit_callbacks
):
    phone = sent.households[0].contact_phone
    open_page(client, phone, sms, django_capture_on_commit_callbacks)
    session = client.session
    session["programmes_my"]["until"] = (timezone.now() - timedelta(seconds=1)).timestamp()
    session.save()

    assert 'name="phone"' in client.get(reverse("programmes:my")).content.decode()

    session = client.session
    session["programmes_my"] = {"phone": phone, "until": (timezone.now() + timedelta(minutes=5)).timestamp()}
    session.save()
    client.post(reverse("programmes:my_leave"))
    assert 'name="phone"' in client.get(reverse("programmes:my")).content.decode()


def test_the_page_is_light_and_reads_in_a_fixed_number_of_queries(
    client, sent, sms, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    phone = sent.households[0].contact_phone
    ask_code(client, phone, django_capture_on_commit_callbacks)
    client.post(reverse("programmes:my_code"), {"code": code_for(sms, phone, pattern=OTP)})

    with django_assert_max_num_queries(12):
        response = client.get(reverse("programmes:my"))

    assert len(response.content) <= 50 * 1024


def test_a_household_on_a_list_still_being_approved_sees_it_waiting(commune_a):
    officer = programme_officer(commune_a.province)
    household = verified_household(commune_a)
    waiting = programme_make(officer, province=commune_a.province, name="Hỗ trợ sinh kế")
    cycle_enrolled(waiting, preparer=officer)

    (view,) = selfservice_overview(phone=household.contact_phone)

    (programme,) = view.programmes
    (entitlement,) = programme.entitlements
    assert programme.programme == waiting
    assert entitlement.waiting and entitlement.payments == []
    assert view.head_name == "Lò Thị Xuân"


def test_the_overview_reads_a_household_by_its_current_phone_only(commune_a, sent):
    household = sent.households[0]
    old_phone = household.contact_phone
    household.contact_phone = "+84911111222"
    household.save(update_fields=["contact_phone"])

    assert selfservice_overview(phone=old_phone) == []
    assert len(selfservice_overview(phone="+84911111222")) == 1
