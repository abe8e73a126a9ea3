"""The complaint pages: filing with a proved phone or anonymously, following and appealing it, and the
officers' queue and case pages (their area only, a fixed number of queries)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ketnoi.accounts.models import Role
from ketnoi.core.notify import MemorySender
from ketnoi.programmes.models import Grievance
from ketnoi.programmes.services.grievances import grievance_file, grievance_resolve
from tests.accounts.factories import user_with_role
from tests.accounts.helpers import sign_in
from tests.programmes.factories import programme_make, programme_officer, verified_household

pytestmark = pytest.mark.django_db

NEW = reverse("programmes:complaint_new")
PHONE_PAGE = reverse("programmes:complaint_phone")
CODE_PAGE = reverse("programmes:complaint_phone_code")
FORM = reverse("programmes:complaint_form")
DONE = reverse("programmes:complaint_done")
STATUS = reverse("programmes:complaint_status")
QUEUE = reverse("programmes:complaint_queue")
FILE = reverse("programmes:complaint_file")
PHONE = "+84912000222"


def text(response) -> str:
    return response.content.decode()


def case(grievance) -> str:
    return reverse("programmes:complaint_case", args=[grievance.reference])


def status_of(grievance) -> str:
    return reverse("programmes:complaint_status_detail", args=[grievance.reference])


@pytest.fixture
def sms(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    return MemorySender.sent


@pytest.fixture
def officer_a(commune_a):
    return user_with_role(Role.COMMUNE_OFFICER, commune=commune_a, display_name="Cầm Thị Hương")


@pytest.fixture
def province_a(commune_a):
    return programme_officer(commune_a.province, display_name="Lường Văn Tỉnh")


def complaint(commune, **changes):
    arguments = {
        "category": Grievance.Category.NOT_PAID,
        "description": "Tháng này nhà tôi chưa nhận được tiền hỗ trợ.",
        "commune": commune,
        "source": Grievance.Source.ANONYMOUS,
        **changes,
    }
    return grievance_file(**arguments)


def form_data(commune, **changes) -> dict[str, str]:
    return {
        "commune": str(commune.code),
        "category": Grievance.Category.NOT_PAID,
        "description": "Tháng 3 nhà tôi chưa nhận được tiền hỗ trợ ở bưu điện.",
        "programme": "",
        **changes,
    }


def prove_phone(client, sms, django_capture_on_commit_callbacks, phone: str = "0912 000 222") -> None:
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(PHONE_PAGE, {"phone": phone})
    assert sent.status_code == 302 and sent["Location"] == CODE_PAGE
    code = re.search(r"\b(\d{6})\b", sms[-1].text).group(1)
    proved = client.post(CODE_PAGE, {"action": "check", "code": code})
    assert proved.status_code == 302 and proved["Location"] == f"{FORM}?how=phone"


# --- Filing -------------------------------------------------------------------------------------


def test_the_start_page_offers_a_phone_or_no_name(client):
    page = client.get(NEW)

    assert page.status_code == 200
    assert 'data-testid="how-phone"' in text(page)
    assert f"{FORM}?how=anonymous" in text(page)


def test_filing_anonymously_shows_the_tracking_code_once_and_it_opens_the_complaint(
    client, commune_a, officer_a
):
    form = client.get(FORM, {"how": "anonymous", "q": "muong bu"})
    assert form.status_code == 200
    assert f'name="commune" value="{commune_a.code}"' in text(form)  # the commune search found it
    assert 'name="complainant_name"' not in text(form)

    sent = client.post(FORM, {"how": "anonymous", **form_data(commune_a)})

    assert sent.status_code == 302 and sent["Location"] == DONE
    grievance = Grievance.objects.get()
    assert grievance.source == Grievance.Source.ANONYMOUS and grievance.assigned_to == officer_a
    done = client.get(DONE)
    code = re.search(r'data-testid="tracking-code">([A-Z2-9-]+)<', text(done)).group(1)
    assert grievance.reference in text(done)
    assert "chép lại" in text(done)
    assert code not in text(client.get(DONE))  # shown once

    # Another browser opens it with the reference and the code.
    client.logout()
    client.cookies.clear()
    wrong = client.post(STATUS, {"reference": grievance.reference, "tracking_code": "AAAAA-AAAAA"})
    assert wrong.status_code == 400
    assert "Mã phản ánh hoặc mã theo dõi không đúng" in text(wrong)
    assert client.get(status_of(grievance)).status_code == 302  # still closed to this browser

    opened = client.post(STATUS, {"reference": grievance.reference.lower(), "tracking_code": code.lower()})
    assert opened.status_code == 302 and opened["Location"] == status_of(grievance)
    page = client.get(status_of(grievance))
    assert page.status_code == 200
    assert "Mới nhận" in text(page)
    assert officer_a.display_name not in text(page)  # internal steps stay internal


def test_filing_with_a_proved_phone(client, sms, commune_a, officer_a, django_capture_on_commit_callbacks):
    household = verified_household(commune_a, phone=PHONE)
    prove_phone(client, sms, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            f"{FORM}?how=phone", {"how": "phone", **form_data(commune_a, complainant_name="Lò Thị Xuân")}
        )

    assert sent.status_code == 302
    grievance = Grievance.objects.get()
    assert (grievance.source, grievance.complainant_phone, grievance.household) == ("phone", PHONE, household)
    assert sms[-1].to == PHONE and grievance.reference in sms[-1].text
    mine = client.get(STATUS)
    assert grievance.reference in text(mine)
    assert client.get(status_of(grievance)).status_code == 200


def test_a_programme_link_from_the_self_service_page_is_preselected(client, commune_a, province_a):
    programme = programme_make(province_a, province=commune_a.province)

    client.get(NEW, {"programme": programme.code})
    form = client.get(FORM, {"how": "anonymous"})

    assert f'<option value="{programme.code}" selected>' in text(form)


# --- Bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"description": "  "}, "Hãy viết vài dòng"),
        ({"description": "x" * 4001}, "tối đa 4000 ký tự, bạn đã viết 4001 ký tự"),
        ({"category": "bribe"}, "Hãy chọn loại phản ánh trong danh sách."),
        ({"category": ""}, "Hãy chọn một loại phản ánh."),
        ({"commune": ""}, "Hãy chọn xã/phường nơi xảy ra việc"),
        ({"commune": "99999999"}, "Hãy chọn xã/phường nơi xảy ra việc"),
        ({"programme": "khong-co"}, "Hãy chọn chương trình trong danh sách."),
    ],
)
def test_bad_input_on_the_form_gets_a_clear_message_and_files_nothing(client, commune_a, changes, message):
    response = client.post(FORM, {"how": "anonymous", **form_data(commune_a), **changes})

    assert response.status_code in (400, 422)
    assert message in text(response)
    assert Grievance.objects.count() == 0


def test_a_phone_complaint_without_a_proved_phone_is_refused(client, commune_a):
    response = client.post(FORM, {"how": "phone", **form_data(commune_a)})

    assert response.status_code == 422
    assert "Hãy xác nhận số điện thoại bằng mã gửi qua tin nhắn" in text(response)
    assert Grievance.objects.count() == 0
    assert client.get(FORM, {"how": "phone"})["Location"] == PHONE_PAGE


def test_a_wrong_phone_code_proves_nothing(client, sms, commune_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(PHONE_PAGE, {"phone": "0912000222"})
    right = re.search(r"\b(\d{6})\b", sms[-1].text).group(1)

    wrong = client.post(CODE_PAGE, {"action": "check", "code": f"{(int(right) + 1) % 10**6:06d}"})

    assert wrong.status_code == 400
    assert "Mã không đúng" in text(wrong)
    assert client.post(FORM, {"how": "phone", **form_data(commune_a)}).status_code == 422
    assert Grievance.objects.count() == 0


def test_a_phone_that_is_not_a_mobile_number_is_refused(client, sms):
    response = client.post(PHONE_PAGE, {"phone": "12345"})

    assert response.status_code == 422
    assert "12345" in text(response)
    assert sms == []


# --- Appeal by the complainant ----------------------------------------------------------------------


def test_the_complainant_appeals_with_her_code_and_a_wrong_code_changes_nothing(
    client, commune_a, officer_a, province_a
):
    client.post(FORM, {"how": "anonymous", **form_data(commune_a)})
    code = re.search(r'data-testid="tracking-code">([A-Z2-9-]+)<', text(client.get(DONE))).group(1)
    grievance = Grievance.objects.get()
    grievance_resolve(grievance, actor=officer_a, resolution="Bưu điện đã chi trả ngày 4/3.")
    page = client.get(status_of(grievance))
    assert "Bưu điện đã chi trả ngày 4/3." in text(page)
    assert "Gửi khiếu nại lại" in text(page)
    appeal = reverse("programmes:complaint_appeal", args=[grievance.reference])

    wrong = client.post(appeal, {"text": "Tôi chưa nhận được.", "tracking_code": "AAAAA-AAAAA"})
    assert wrong.status_code == 403
    assert "Chỉ người đã gửi phản ánh mới khiếu nại lại được" in text(wrong)
    empty = client.post(appeal, {"text": "", "tracking_code": code})
    assert empty.status_code == 400
    assert "Hãy viết vì sao bạn chưa đồng ý" in text(empty)
    assert Grievance.objects.get().state == Grievance.State.RESOLVED

    done = client.post(appeal, {"text": "Tôi chưa nhận được.", "tracking_code": code})

    assert done.status_code == 302
    grievance.refresh_from_db()
    assert grievance.state == Grievance.State.APPEALED
    assert grievance.assigned_to == province_a


# --- Officers -------------------------------------------------------------------------------------


def test_visitors_and_other_roles_are_kept_out_of_the_queue(client, commune_a):
    assert client.get(QUEUE).status_code == 302
    sign_in(client, user_with_role(Role.BUYER))
    assert client.get(QUEUE).status_code == 403


def test_the_queue_shows_flags_and_ages_in_a_fixed_number_of_queries(
    client, commune_a, officer_a, django_assert_max_num_queries
):
    for _ in range(6):
        complaint(commune_a)
    late, _code = complaint(commune_a)
    soon, _code = complaint(commune_a)
    now = timezone.now()
    Grievance.objects.filter(pk=late.pk).update(due_at=now - timedelta(hours=2))
    Grievance.objects.filter(pk=soon.pk).update(due_at=now + timedelta(hours=5))
    sign_in(client, officer_a)

    with django_assert_max_num_queries(12):
        page = client.get(QUEUE)

    assert page.status_code == 200
    assert text(page).count('data-testid="complaint"') == 8
    assert f'{case(late)}" data-testid="complaint" data-flags="breached"' in text(page)
    assert f'{case(soon)}" data-testid="complaint" data-flags="at_risk"' in text(page)
    assert re.search(r'data-testid="ages".*?<td class="num">8</td>', text(page), re.S)
    breached = client.get(QUEUE, {"flag": "breached"})
    assert text(breached).count('data-testid="complaint"') == 1


def test_an_officer_of_commune_b_gets_404_for_commune_a(client, commune_a, commune_b, officer_a):
    grievance, _code = complaint(commune_a)
    officer_b = user_with_role(Role.COMMUNE_OFFICER, commune=commune_b)
    sign_in(client, officer_b)

    assert client.get(case(grievance)).status_code == 404
    assert client.post(reverse("programmes:complaint_start", args=[grievance.reference])).status_code == 404
    resolve = reverse("programmes:complaint_resolve", args=[grievance.reference])
    assert client.post(resolve, {"resolution": "Xong."}).status_code == 404
    assert grievance.reference not in text(client.get(QUEUE))
    assert Grievance.objects.get().state == Grievance.State.OPEN


def test_the_officer_works_a_complaint_through_its_page(client, commune_a, officer_a, province_a):
    grievance, _code = complaint(commune_a)
    sign_in(client, officer_a)
    page = client.get(case(grievance))
    assert page.status_code == 200
    assert "Tháng này nhà tôi chưa nhận được tiền hỗ trợ." in text(page)

    started = client.post(reverse("programmes:complaint_start", args=[grievance.reference]))
    assert started.status_code == 302
    note = reverse("programmes:complaint_note", args=[grievance.reference])
    assert client.post(note, {"text": "Đã gọi bưu điện.", "public": ""}).status_code == 302
    assert client.post(note, {"text": ""}).status_code == 400
    assign = reverse("programmes:complaint_assign", args=[grievance.reference])
    stranger = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a).pk + 1000
    assert client.post(assign, {"assignee": stranger}).status_code == 400  # not on the list
    assert client.post(assign, {"assignee": province_a.pk, "note": "Nhờ tỉnh xem."}).status_code == 302
    resolve = reverse("programmes:complaint_resolve", args=[grievance.reference])
    too_long = client.post(resolve, {"resolution": "x" * 4001})
    assert too_long.status_code == 400 and "tối đa 4000 ký tự" in text(too_long)

    resolved = client.post(resolve, {"resolution": "Bưu điện đã chi trả ngày 4/3."})

    assert resolved.status_code == 302
    grievance.refresh_from_db()
    assert (grievance.state, grievance.assigned_to, grievance.resolved_by) == (
        "resolved",
        province_a,
        officer_a,
    )
    closing = client.post(reverse("programmes:complaint_close", args=[grievance.reference]))
    assert closing.status_code == 409  # she may still appeal
    assert "còn được khiếu nại lại" in text(closing)
    assert Grievance.objects.get().state == Grievance.State.RESOLVED


def test_an_officer_files_a_complaint_on_someones_behalf(client, commune_a, officer_a):
    household = verified_household(commune_a)
    sign_in(client, officer_a)
    assert client.get(FILE).status_code == 200

    unknown = client.post(FILE, {**form_data(commune_a), "household": "HO-KHONG-COAI"})
    assert unknown.status_code == 400 and "Không có hộ mã này" in text(unknown)
    assert Grievance.objects.count() == 0

    sent = client.post(
        FILE,
        {
            **form_data(commune_a, category=Grievance.Category.DATA_ERROR),
            "complainant_name": "Lò Thị Xuân",
            "complainant_phone": "0912 000 333",
            "household": household.reference,
        },
    )

    grievance = Grievance.objects.get()
    assert sent.status_code == 302 and sent["Location"] == case(grievance)
    assert (grievance.source, grievance.filed_by, grievance.household) == ("officer", officer_a, household)
    assert grievance.complainant_phone == "+84912000333"
