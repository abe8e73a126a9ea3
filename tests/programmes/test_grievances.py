"""Complaints, as stories: filed, assigned by area, at risk then breached, resolved, appealed, closed.

Times are frozen with the ``clock`` fixture (``timezone.now`` patched): the
story starts on Monday 2 March 2026 at 09:00 in Viet Nam.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from ketnoi.accounts.models import Role
from ketnoi.core.errors import DomainError, NotFound, PermissionDenied
from ketnoi.core.models import AuditEntry
from ketnoi.core.notify import MemorySender
from ketnoi.core.scopes import AreaScope
from ketnoi.programmes.models import Grievance, GrievanceEvent
from ketnoi.programmes.selectors_grievances import (
    grievance_events,
    grievance_for_complainant,
    grievance_for_officer,
    grievance_queue,
    grievances_for_phone,
    grievances_open_by_age,
)
from ketnoi.programmes.services.grievance_reminders import grievances_remind
from ketnoi.programmes.services.grievance_rules import SERVICE_STANDARD, tracking_code_matches
from ketnoi.programmes.services.grievances import (
    complaint_code_check,
    complaint_code_send,
    grievance_appeal,
    grievance_assign,
    grievance_close,
    grievance_file,
    grievance_flags,
    grievance_note,
    grievance_resolve,
    grievance_start,
)
from tests.accounts.factories import user_with_role
from tests.programmes.factories import programme_make, programme_officer, verified_household

pytestmark = pytest.mark.django_db

VN = ZoneInfo("Asia/Ho_Chi_Minh")
MONDAY_9AM = datetime(2026, 3, 2, 9, 0, tzinfo=VN)
NOT_PAID = Grievance.Category.NOT_PAID
ABUSE = Grievance.Category.ABUSE
ANONYMOUS = Grievance.Source.ANONYMOUS
PHONE = "+84912000111"


class Clock:
    def __init__(self) -> None:
        self.now = MONDAY_9AM

    def set(self, moment: datetime) -> None:
        self.now = moment

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    frozen = Clock()
    monkeypatch.setattr(timezone, "now", lambda: frozen.now)
    return frozen


@pytest.fixture
def sms(settings):
    """Messages delivered in-process once the transaction commits."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    return MemorySender.sent


@pytest.fixture
def officer_a(commune_a):
    return user_with_role(Role.COMMUNE_OFFICER, commune=commune_a, display_name="Cầm Thị Hương")


@pytest.fixture
def province_a(commune_a):
    return programme_officer(commune_a.province, display_name="Lường Văn Tỉnh")


@pytest.fixture
def officer_b(commune_b):
    return user_with_role(Role.COMMUNE_OFFICER, commune=commune_b, display_name="Giàng Thị Bắc")


def file_anonymously(
    commune, *, category=NOT_PAID, description="Tháng này nhà tôi chưa nhận được tiền hỗ trợ."
):
    return grievance_file(category=category, description=description, commune=commune, source=ANONYMOUS)


def audit_actions(grievance) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_id=str(grievance.pk), action__startswith="grievance_")
        .order_by("at", "id")
        .values_list("action", flat=True)
    )


# --- The service standard -------------------------------------------------------------------


def test_every_category_has_a_deadline_and_a_shorter_one_for_its_appeal():
    assert set(SERVICE_STANDARD) == set(Grievance.Category.values)
    for first, appeal in SERVICE_STANDARD.values():
        assert appeal.longest < first.longest


# --- Filing and assignment ------------------------------------------------------------------


def test_an_anonymous_complaint_goes_to_the_commune_officer_with_a_deadline_and_a_tracking_code(
    clock, sms, commune_a, officer_a, province_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        grievance, code = file_anonymously(commune_a)

    assert re.fullmatch(r"PA-2026-\d{6}", grievance.reference)
    assert grievance.state == Grievance.State.OPEN
    assert grievance.assigned_to == officer_a
    # Not paid: 10 working days, counted from Monday 09:00 → Monday two weeks later, 09:00.
    assert grievance.due_at == datetime(2026, 3, 16, 9, 0, tzinfo=VN)
    assert grievance.complainant_name == grievance.complainant_phone == ""
    # The code is given once and kept only as a keyed hash.
    assert code and re.fullmatch(r"[A-Z2-9]{5}-[A-Z2-9]{5}", code)
    assert code.replace("-", "") not in grievance.tracking_code_hash
    assert tracking_code_matches(grievance, code.lower().replace("-", " "))
    assert not tracking_code_matches(grievance, "AAAAA-AAAAA")
    # History: a public "received" step and an internal note of who got it.
    events = list(GrievanceEvent.objects.filter(grievance=grievance).order_by("id"))
    assert [(e.state, e.public) for e in events] == [("open", True), ("open", False)]
    assert officer_a.display_name in events[1].note
    assert audit_actions(grievance) == ["grievance_filed"]
    # The officer is told by SMS; nobody else (no phone to tell).
    assert [m.to for m in sms] == [officer_a.phone]
    assert grievance.reference in sms[0].text


def test_the_commune_officer_with_fewest_open_complaints_gets_the_next_one(clock, commune_a, officer_a):
    colleague = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)
    first, _ = file_anonymously(commune_a)
    second, _ = file_anonymously(commune_a)
    third, _ = file_anonymously(commune_a)

    assert {first.assigned_to, second.assigned_to} == {officer_a, colleague}
    assert third.assigned_to == min(officer_a, colleague, key=lambda u: u.pk)


def test_without_a_commune_officer_the_province_officer_gets_it_and_without_either_it_waits(clock, commune_b):
    waiting, _ = file_anonymously(commune_b)
    assert waiting.assigned_to is None
    assert "chờ ở danh sách của tỉnh" in GrievanceEvent.objects.get(grievance=waiting, public=False).note

    province_officer = programme_officer(commune_b.province)
    taken, _ = file_anonymously(commune_b)

    assert taken.assigned_to == province_officer
    assert list(grievance_queue(province_officer)) == [waiting, taken]  # the province queue shows both


def test_abuse_goes_to_the_province_and_the_commune_officer_does_not_see_it(
    clock, commune_a, officer_a, province_a
):
    report, _ = file_anonymously(
        commune_a, category=ABUSE, description="Cán bộ thôn đòi 200 nghìn mới cho nhận."
    )

    assert report.assigned_to == province_a
    assert report.due_at == MONDAY_9AM + timedelta(days=3)  # calendar days: someone may be in danger
    assert list(grievance_queue(province_a)) == [report]
    assert list(grievance_queue(officer_a)) == []
    with pytest.raises(NotFound):
        grievance_for_officer(user=officer_a, reference=report.reference)
    with pytest.raises(PermissionDenied):
        grievance_resolve(report, actor=officer_a, resolution="Không có chuyện đó.")
    assert Grievance.objects.get(pk=report.pk).state == Grievance.State.OPEN


def test_the_province_may_hand_an_abuse_report_to_a_named_commune_officer(
    clock, commune_a, officer_a, province_a
):
    report, _ = file_anonymously(commune_a, category=ABUSE)

    grievance_assign(report, assignee=officer_a, actor=province_a, note="Chị Hương xác minh giúp.")

    assert grievance_for_officer(user=officer_a, reference=report.reference).assigned_to == officer_a
    assert audit_actions(report) == ["grievance_filed", "grievance_assigned"]


def test_a_complaint_with_a_proved_phone_is_linked_to_the_household_of_that_phone(
    clock, sms, commune_a, officer_a, django_capture_on_commit_callbacks
):
    household = verified_household(commune_a, phone=PHONE)
    verified_household(commune_a)  # another household of the commune

    with django_capture_on_commit_callbacks(execute=True):
        complaint_code_send(phone="0912 000 111")
    code = re.search(r"\b(\d{6})\b", sms[-1].text).group(1)
    number = complaint_code_check(phone="0912000111", code=code)
    with django_capture_on_commit_callbacks(execute=True):
        grievance, tracking = grievance_file(
            category=Grievance.Category.WRONG_AMOUNT,
            description="Tôi chỉ nhận 300 nghìn, danh sách ghi 500 nghìn.",
            commune=commune_a.code,
            source=Grievance.Source.PHONE,
            complainant_name="Lò Thị Xuân",
            complainant_phone=number,
        )

    assert tracking is None
    assert grievance.household == household
    assert grievance.complainant_phone == PHONE
    assert [m.to for m in sms[-2:]] == [officer_a.phone, PHONE]  # the officer, then her confirmation
    assert grievance.reference in sms[-1].text
    assert grievances_for_phone(PHONE) == [grievance]


def test_an_officer_files_on_someones_behalf_only_in_her_commune(clock, commune_a, commune_b, officer_a):
    programme = programme_make(programme_officer(commune_a.province), province=commune_a.province)
    grievance, code = grievance_file(
        category=Grievance.Category.WRONGLY_EXCLUDED,
        description="Bà Lò Thị Ún không có tên trong danh sách.",
        commune=commune_a,
        source=Grievance.Source.OFFICER,
        programme=programme,
        complainant_name="Lò Thị Ún",
        actor=officer_a,
    )
    assert code is None
    assert grievance.filed_by == officer_a and grievance.programme == programme

    with pytest.raises(PermissionDenied):
        grievance_file(
            category=NOT_PAID,
            description="Chưa nhận tiền.",
            commune=commune_b,
            source=Grievance.Source.OFFICER,
            actor=officer_a,
        )
    assert Grievance.objects.count() == 1


# --- Bad input --------------------------------------------------------------------------------


def test_a_programme_of_another_province_is_refused(clock, commune_a, commune_b, officer_a):
    lao_cai = programme_make(programme_officer(commune_b.province), province=commune_b.province)

    with pytest.raises(DomainError) as caught:
        grievance_file(
            category=NOT_PAID,
            description="Chưa nhận.",
            commune=commune_a,
            source=ANONYMOUS,
            programme=lao_cai,
        )

    assert caught.value.code == "programme_other_area"
    assert "Xã Mường Bú" in str(caught.value)
    assert Grievance.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "code", "words"),
    [
        ({"description": ""}, "description_required", "Hãy viết vài dòng"),
        ({"description": "   \n "}, "description_required", "Hãy viết vài dòng"),
        ({"description": "x" * 4001}, "description_too_long", "tối đa 4000 ký tự, bạn đã viết 4001"),
        ({"category": "bribe"}, "grievance_category", "loại phản ánh"),
        ({"source": Grievance.Source.PHONE}, "phone_not_verified", "xác nhận số điện thoại"),
        ({"complainant_phone": PHONE}, "anonymous_with_identity", "không ghi tên"),
        ({"commune": 99999999}, "commune_unknown", "Hãy chọn xã/phường"),
        ({"complainant_phone": "12345", "source": Grievance.Source.PHONE}, "phone_invalid", "12345"),
    ],
)
def test_bad_input_gets_a_clear_message_and_changes_nothing(
    clock, sms, commune_a, officer_a, changes, code, words
):
    arguments = {
        "category": NOT_PAID,
        "description": "Chưa nhận được tiền.",
        "commune": commune_a,
        "source": ANONYMOUS,
        **changes,
    }

    with pytest.raises(DomainError) as caught:
        grievance_file(**arguments)

    assert caught.value.code == code
    assert words in str(caught.value)
    assert Grievance.objects.count() == 0
    assert GrievanceEvent.objects.count() == 0
    assert not AuditEntry.objects.filter(action__startswith="grievance_").exists()
    assert sms == []


def test_a_wrong_phone_code_proves_nothing(clock, sms, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        complaint_code_send(phone=PHONE)
    right = re.search(r"\b(\d{6})\b", sms[-1].text).group(1)
    wrong = f"{(int(right) + 1) % 10**6:06d}"

    with pytest.raises(DomainError) as caught:
        complaint_code_check(phone=PHONE, code=wrong)

    assert caught.value.code == "otp_wrong"
    assert complaint_code_check(phone=PHONE, code=right) == PHONE


# --- Deadlines and flags ------------------------------------------------------------------------


def test_a_complaint_is_at_risk_in_its_last_quarter_then_breached(clock, commune_a, officer_a):
    grievance, _ = file_anonymously(commune_a)  # due Monday 16 March 09:00: 14 days allowed
    due = grievance.due_at

    # A quarter of 14 days is 3.5 days.
    calm = grievance_flags(grievance, due - timedelta(days=4))
    assert not calm.at_risk and not calm.breached and calm.time_left == timedelta(days=4)
    assert not grievance_flags(grievance, due - timedelta(days=3, hours=13)).at_risk
    at_risk = grievance_flags(grievance, due - timedelta(days=3))
    assert at_risk.at_risk and not at_risk.breached
    breached = grievance_flags(grievance, due + timedelta(minutes=1))
    assert breached.breached and not breached.at_risk
    assert breached.time_left == timedelta(minutes=-1)

    assert list(grievance_queue(officer_a, flag="at_risk", now=due - timedelta(days=3))) == [grievance]
    assert list(grievance_queue(officer_a, flag="breached", now=due - timedelta(days=3))) == []
    assert list(grievance_queue(officer_a, flag="breached", now=due + timedelta(hours=1))) == [grievance]

    clock.set(due + timedelta(days=2))
    resolved = grievance_resolve(grievance, actor=officer_a, resolution="Đã chuyển tiền ngày 18/3.")
    assert not grievance_flags(resolved, clock.now).breached  # answered late, but answered
    assert list(grievance_queue(officer_a, flag="breached", now=clock.now)) == []


def test_a_short_deadline_is_at_risk_in_its_last_day(clock, commune_a, province_a):
    report, _ = file_anonymously(commune_a, category=ABUSE)  # 3 days: a quarter is only 18 hours

    assert not grievance_flags(report, report.due_at - timedelta(hours=25)).at_risk
    assert grievance_flags(report, report.due_at - timedelta(hours=23)).at_risk


# --- Resolution, appeal, closing ---------------------------------------------------------------


def test_resolved_then_appealed_to_another_officer_then_closed(
    clock, sms, commune_a, officer_a, province_a, django_capture_on_commit_callbacks
):
    other_province_officer = programme_officer(commune_a.province)
    grievance, code = file_anonymously(commune_a)

    clock.advance(hours=2)
    grievance = grievance_start(grievance, actor=officer_a)
    grievance_note(grievance, actor=officer_a, text="Đã gọi bưu điện Mường Bú.", public=False)
    grievance_note(grievance, actor=officer_a, text="Chúng tôi đang kiểm tra với bưu điện.", public=True)
    clock.advance(days=3)
    grievance = grievance_resolve(grievance, actor=officer_a, resolution="Bưu điện đã chi trả ngày 4/3.")
    assert grievance.state == Grievance.State.RESOLVED
    assert grievance.resolved_by == officer_a

    # The complainant sees the public steps only.
    public = [e.note for e in grievance_events(grievance, public_only=True)]
    assert "Chúng tôi đang kiểm tra với bưu điện." in public
    assert "Đã gọi bưu điện Mường Bú." not in public

    # Appealing needs her tracking code; a wrong one changes nothing.
    clock.advance(days=10)
    with pytest.raises(PermissionDenied):
        grievance_appeal(grievance, text="Tôi vẫn chưa nhận được.", tracking_code="AAAAA-AAAAA")
    assert Grievance.objects.get(pk=grievance.pk).state == Grievance.State.RESOLVED

    with django_capture_on_commit_callbacks(execute=True):
        grievance = grievance_appeal(grievance, text="Tôi vẫn chưa nhận được.", tracking_code=code)
    assert grievance.state == Grievance.State.APPEALED
    assert grievance.assigned_to in (province_a, other_province_officer)  # the province, not the commune
    # Appealed on Sunday 15 March 11:00: 5 working days → Friday 20 March 11:00.
    assert grievance.due_at == datetime(2026, 3, 20, 11, 0, tzinfo=VN)
    assert sms[-1].to == grievance.assigned_to.phone

    # Only once.
    with pytest.raises(DomainError) as caught:
        grievance_appeal(grievance, text="Lần nữa.", tracking_code=code)
    assert caught.value.code == "appeal_not_open"

    # The officer who resolved it first cannot answer the appeal.
    with pytest.raises(PermissionDenied):
        grievance_resolve(grievance, actor=officer_a, resolution="Vẫn như cũ.")
    clock.advance(days=1)
    grievance = grievance_resolve(
        grievance, actor=grievance.assigned_to, resolution="Bưu điện chi nhầm người; sẽ chi lại ngày 20/3."
    )
    grievance = grievance_close(grievance, actor=grievance.resolved_by)

    assert grievance.state == Grievance.State.CLOSED
    assert [e.state for e in grievance_events(grievance, public_only=True)] == [
        "open",
        "in_progress",
        "in_progress",
        "resolved",
        "appealed",
        "resolved",
        "closed",
    ]
    assert audit_actions(grievance) == [
        "grievance_filed",
        "grievance_started",
        "grievance_noted",
        "grievance_noted",
        "grievance_resolved",
        "grievance_appealed",
        "grievance_resolved",
        "grievance_closed",
    ]


def test_an_appeal_goes_unassigned_when_the_only_province_officer_resolved_it(clock, commune_b):
    province_officer = programme_officer(commune_b.province)
    grievance, code = file_anonymously(commune_b)
    grievance = grievance_resolve(grievance, actor=province_officer, resolution="Đã xem xét.")

    appealed = grievance_appeal(grievance, text="Chưa thoả đáng.", tracking_code=code)

    assert appealed.assigned_to is None
    with pytest.raises(DomainError) as caught:
        grievance_assign(appealed, assignee=province_officer, actor=province_officer)
    assert caught.value.code == "appeal_same_officer"


def test_an_appeal_after_thirty_days_is_refused(clock, commune_a, officer_a):
    grievance, code = file_anonymously(commune_a)
    grievance = grievance_resolve(grievance, actor=officer_a, resolution="Đã chi trả.")

    clock.advance(days=30, minutes=1)
    with pytest.raises(DomainError) as caught:
        grievance_appeal(grievance, text="Chưa nhận.", tracking_code=code)

    assert caught.value.code == "appeal_too_late"
    assert Grievance.objects.get(pk=grievance.pk).state == Grievance.State.RESOLVED


def test_an_appeal_by_phone_needs_the_phone_she_filed_with(clock, commune_a, officer_a):
    grievance, _ = grievance_file(
        category=NOT_PAID,
        description="Chưa nhận.",
        commune=commune_a,
        source=Grievance.Source.PHONE,
        complainant_phone=PHONE,
    )
    grievance = grievance_resolve(grievance, actor=officer_a, resolution="Đã chi trả.")

    with pytest.raises(PermissionDenied):
        grievance_appeal(grievance, text="Chưa nhận.", by_phone="+84912000999")
    assert grievance_appeal(grievance, text="Chưa nhận.", by_phone=PHONE).state == Grievance.State.APPEALED


def test_closing_waits_for_the_appeal_time_and_the_daily_job_closes_it(clock, commune_a, officer_a):
    grievance, _ = file_anonymously(commune_a)
    grievance = grievance_resolve(grievance, actor=officer_a, resolution="Đã chi trả.")

    with pytest.raises(DomainError) as caught:
        grievance_close(grievance, actor=officer_a)
    assert caught.value.code == "appeal_still_open"

    clock.advance(days=31)
    outcome = grievances_remind()

    assert outcome.closed == 1
    assert Grievance.objects.get(pk=grievance.pk).state == Grievance.State.CLOSED


def test_steps_out_of_order_are_refused(clock, commune_a, officer_a):
    grievance, _ = file_anonymously(commune_a)
    with pytest.raises(DomainError) as caught:
        grievance_close(grievance, actor=officer_a)
    assert caught.value.code == "grievance_state"
    with pytest.raises(DomainError) as caught:
        grievance_resolve(grievance, actor=officer_a, resolution="  ")
    assert caught.value.code == "resolution_required"
    assert Grievance.objects.get(pk=grievance.pk).state == Grievance.State.OPEN


# --- Areas ------------------------------------------------------------------------------------------


def test_an_officer_of_commune_b_cannot_see_or_touch_commune_a_complaints(
    clock, commune_a, officer_a, officer_b
):
    grievance, _ = file_anonymously(commune_a)

    with pytest.raises(NotFound):
        grievance_for_officer(user=officer_b, reference=grievance.reference)
    assert list(grievance_queue(officer_b)) == []
    for step in (
        lambda: grievance_start(grievance, actor=officer_b),
        lambda: grievance_note(grievance, actor=officer_b, text="Xem giúp."),
        lambda: grievance_resolve(grievance, actor=officer_b, resolution="Xong."),
    ):
        with pytest.raises(PermissionDenied):
            step()
    with pytest.raises(DomainError) as caught:
        grievance_assign(grievance, assignee=officer_b, actor=officer_a)
    assert caught.value.code == "assignee_out_of_area"

    assert Grievance.objects.get(pk=grievance.pk).state == Grievance.State.OPEN
    assert audit_actions(grievance) == ["grievance_filed"]


# --- The complainant's view ---------------------------------------------------------------------


def test_the_complainant_opens_her_complaint_with_the_reference_and_code_only(clock, commune_a):
    grievance, code = file_anonymously(commune_a)

    assert grievance_for_complainant(reference=grievance.reference.lower(), tracking_code=code) == grievance
    with pytest.raises(NotFound) as wrong:
        grievance_for_complainant(reference=grievance.reference, tracking_code="AAAAA-AAAAA")
    with pytest.raises(NotFound) as unknown:
        grievance_for_complainant(reference="PA-2026-000000", tracking_code=code)
    assert str(wrong.value) == str(unknown.value)  # a wrong code says nothing about the reference


# --- Counting by age ------------------------------------------------------------------------------


def test_open_complaints_are_counted_by_age(clock, commune_a, commune_b, officer_a):
    programme = programme_make(programme_officer(commune_a.province), province=commune_a.province)
    for days_ago in (0, 7, 8, 30, 31, 45):
        clock.set(MONDAY_9AM - timedelta(days=days_ago))
        file_anonymously(commune_a)
    clock.set(MONDAY_9AM - timedelta(days=3))
    done, _ = file_anonymously(commune_a)
    grievance_resolve(done, actor=officer_a, resolution="Xong.")
    grievance_file(
        category=NOT_PAID, description="Chưa nhận.", commune=commune_a, source=ANONYMOUS, programme=programme
    )
    file_anonymously(commune_b)
    clock.set(MONDAY_9AM)

    scope_a = [AreaScope(province_code=commune_a.province_id)]
    assert grievances_open_by_age(scope_a) == {"0_7": 3, "8_30": 2, "over_30": 2}
    assert grievances_open_by_age(scope_a, programme) == {"0_7": 1, "8_30": 0, "over_30": 0}
    assert grievances_open_by_age([AreaScope()]) == {"0_7": 4, "8_30": 2, "over_30": 2}
    assert grievances_open_by_age([]) == {"0_7": 0, "8_30": 0, "over_30": 0}


# --- The daily reminder ---------------------------------------------------------------------------


def test_the_daily_reminder_texts_each_officer_once_a_day(
    clock, sms, commune_a, commune_b, officer_a, django_capture_on_commit_callbacks
):
    late, _ = file_anonymously(commune_a)
    waiting, _ = file_anonymously(commune_b)  # nobody in commune B: the province is told
    clock.advance(days=5)
    in_time, _ = file_anonymously(commune_a)
    province_b = programme_officer(commune_b.province)
    sms.clear()

    clock.set(late.due_at + timedelta(hours=1))  # late ones breached; in_time has 4 of its 13 days left
    assert not grievance_flags(in_time, clock.now).at_risk
    with django_capture_on_commit_callbacks(execute=True):
        first = grievances_remind()
    with django_capture_on_commit_callbacks(execute=True):
        again = grievances_remind()

    assert (first.reminded, again.reminded) == (2, 0)
    told = {m.to: m.text for m in sms}
    assert set(told) == {officer_a.phone, province_b.phone}
    assert late.reference in told[officer_a.phone] and in_time.reference not in told[officer_a.phone]
    assert waiting.reference in told[province_b.phone]

    clock.advance(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        next_day = grievances_remind()
    assert next_day.reminded == 2


def test_the_command_does_the_work_now_or_enqueues_it(
    clock, sms, commune_a, officer_a, django_capture_on_commit_callbacks
):
    late, _ = file_anonymously(commune_a)
    clock.set(late.due_at + timedelta(hours=1))
    out = StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("grievances_remind", "--now", stdout=out)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("grievances_remind", stdout=out)  # the immediate backend runs the task at once

    assert out.getvalue().splitlines()[0] == "reminded 1 officer(s), closed 0 complaint(s)"
    assert out.getvalue().splitlines()[1].startswith("enqueued ")
    assert [m.to for m in sms] == [officer_a.phone]  # once today, however often it runs
