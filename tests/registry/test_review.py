"""The annual review as a sequence of services: open → list → score → agree → publish → recognise."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ketnoi.accounts.models import Role
from ketnoi.core.errors import DomainError, NotFound
from ketnoi.core.models import AuditEntry
from ketnoi.core.notify import MemorySender
from ketnoi.registry.models import (
    Assessment,
    Household,
    HouseholdStatus,
    Objection,
    ReviewEntry,
    ReviewRound,
    RoundState,
    RoundStep,
)
from ketnoi.registry.services import review
from tests.accounts.factories import user_with_role

from .factories import make_household
from .review_helpers import (
    AFTER_WINDOW,
    FRIDAY,
    LAST_OBJECTION_DAY,
    MONDAY,
    YEAR,
    near_poor_household,
    not_poor_household,
    officer,
    poor_household,
    recognised_last_year,
    round_at,
    self_registered,
    verified,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer_a(commune_a):
    return officer(commune_a, display_name="Cầm Thị Hương")


@pytest.fixture
def officer_b(commune_b):
    return officer(commune_b, display_name="Giàng Thị Mỷ")


@pytest.fixture
def sms_outbox(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    return MemorySender.sent


@pytest.fixture
def commune_a_households(commune_a, commune_b):
    """Commune A: one household recognised poor last year, three that asked, one that did not."""
    last_year = verified(poor_household(commune_a, head="Lò Văn Pâng", phone="0912000001"))
    recognised_last_year(last_year, "poor")
    asked_near_poor = self_registered(
        verified(near_poor_household(commune_a, head="Cầm Văn Ơn", phone="0912000002"))
    )
    asked_not_poor = self_registered(
        verified(not_poor_household(commune_a, head="Quàng Văn Khánh", phone=""))
    )
    asked_middle = self_registered(
        verified(
            not_poor_household(
                commune_a, head="Lường Văn Nghĩa", phone="0912000004", income_12m_vnd=3 * 12 * 1_800_000
            )
        )
    )
    not_asked = verified(not_poor_household(commune_a, head="Tòng Văn Bình", phone="0912000005"))
    # Last year's list also had a household found not poor, and one whose result was never recognised.
    recognised_last_year(not_asked, "not_poor")
    unrecognised = verified(near_poor_household(commune_a, head="Lò Văn Sơn", phone="0912000006"))
    Assessment.objects.filter(pk=recognised_last_year(unrecognised, "near_poor").pk).update(recognised=False)
    # Commune B's poor household is no business of commune A's round.
    recognised_last_year(verified(poor_household(commune_b, head="Giàng A Páo", phone="0912000007")), "poor")
    return {
        "last_year": last_year,
        "near_poor": asked_near_poor,
        "not_poor": asked_not_poor,
        "middle": asked_middle,
        "not_asked": not_asked,
        "unrecognised": unrecognised,
    }


def snapshot(the_round: ReviewRound) -> tuple:
    """Everything a step could change, to show that a refused step changed nothing."""
    fresh = ReviewRound.objects.get(pk=the_round.pk)
    return (
        fresh.state,
        fresh.objections_until,
        RoundStep.objects.filter(round=fresh).count(),
        sorted(ReviewEntry.objects.filter(round=fresh).values_list("household_id", "assessment_id")),
        sorted(Assessment.objects.values_list("pk", "classification", "recognised")),
        AuditEntry.objects.count(),
    )


# --- The whole round --------------------------------------------------------------------------


def test_full_round_from_open_to_recognition(
    commune_a, officer_a, commune_a_households, sms_outbox, django_capture_on_commit_callbacks
):
    households = commune_a_households

    # when the commune officer opens the 2025 round
    the_round = review.review_round_open(actor=officer_a, commune=commune_a, year=YEAR, today=MONDAY)
    # then it applies the standard in force in 2025
    assert the_round.state == RoundState.OPEN
    assert the_round.standard == "VN-2022-2025"

    # when she builds the list
    review.review_round_list(actor=officer_a, round=the_round)
    # then it holds last year's recognised poor household and the three that asked, each with why
    why = dict(ReviewEntry.objects.filter(round=the_round).values_list("household_id", "why"))
    assert why == {
        households["last_year"].pk: ReviewEntry.Why.ON_LAST_LIST,
        households["near_poor"].pk: ReviewEntry.Why.REQUESTED,
        households["not_poor"].pk: ReviewEntry.Why.REQUESTED,
        households["middle"].pk: ReviewEntry.Why.REQUESTED,
    }

    # when she scores it
    report = review.review_round_score(actor=officer_a, round=the_round, today=MONDAY + timedelta(days=2))
    # then every listed household has its 2025 result under the round's standard
    assert report.scored == 4
    assert report.unverified == []
    results = {
        entry.household_id: (
            entry.assessment.year,
            entry.assessment.standard,
            entry.assessment.classification,
        )
        for entry in ReviewEntry.objects.filter(round=the_round).select_related("assessment")
    }
    assert results == {
        households["last_year"].pk: (YEAR, "VN-2022-2025", "poor"),
        households["near_poor"].pk: (YEAR, "VN-2022-2025", "near_poor"),
        households["not_poor"].pk: (YEAR, "VN-2022-2025", "not_poor"),
        households["middle"].pk: (YEAR, "VN-2022-2025", "middle"),
    }

    # when the village meeting agrees, and the result is posted for three working days from a Friday
    review.review_round_agree(
        actor=officer_a, round=the_round, meeting_date=FRIDAY, note="Bản Huổi Hẹ, 42 người dự", today=FRIDAY
    )
    published = review.review_round_publish(actor=officer_a, round=the_round, days=3, today=FRIDAY)
    # then objections are taken until the next Wednesday (the weekend does not count)
    assert published.objections_until == LAST_OBJECTION_DAY

    # when a neighbour objects inside the window and the commune answers
    objection = review.objection_receive(
        round=the_round,
        household=households["not_poor"],
        from_name="Lò Thị Xuân",
        text="Nhà anh Khánh mới bị sạt lở, xin xem lại.",
        today=LAST_OBJECTION_DAY,
    )
    review.objection_resolve(
        actor=officer_a, objection=objection, resolution="Đã đến nhà, nhà không bị hư hại; giữ kết quả."
    )

    # when the commune recognises the result after the window
    with django_capture_on_commit_callbacks(execute=True):
        recognised = review.review_round_recognise(actor=officer_a, round=the_round, today=AFTER_WINDOW)

    # then the round is closed and each listed household's 2025 result is recognised
    assert recognised.state == RoundState.RECOGNISED
    listed = [e.assessment_id for e in ReviewEntry.objects.filter(round=the_round)]
    assert set(Assessment.objects.filter(pk__in=listed).values_list("recognised", flat=True)) == {True}
    # households not on the list keep whatever they had
    assert not Assessment.objects.filter(household=households["not_asked"], year=YEAR).exists()
    # the history shows every step, in order, with who took it
    steps = list(RoundStep.objects.filter(round=the_round).order_by("at", "id"))
    assert [s.state for s in steps] == ["open", "listed", "scored", "agreed", "published", "recognised"]
    assert {s.by_id for s in steps} == {officer_a.pk}
    assert "08/11/2025" not in steps[3].note and "07/11/2025" in steps[3].note
    assert "42 người dự" in steps[3].note
    # every step is in the audit trail
    actions = set(AuditEntry.objects.filter(object_id=str(the_round.pk)).values_list("action", flat=True))
    assert {
        "review_round_opened",
        "review_round_listed",
        "review_round_scored",
        "review_round_agreed",
        "review_round_published",
        "review_objection_received",
        "review_objection_resolved",
        "review_round_recognised",
    } <= actions
    # and each household with a phone is told its result by SMS (the one without a phone is not)
    sent = {m.to: m.text for m in sms_outbox}
    assert set(sent) == {"+84912000001", "+84912000002", "+84912000004"}
    assert "Hộ nghèo" in sent["+84912000001"]
    assert "Hộ cận nghèo" in sent["+84912000002"]
    assert households["last_year"].reference in sent["+84912000001"]


# --- The list ---------------------------------------------------------------------------------


def test_list_is_idempotent_and_adds_only_new_requests(commune_a, officer_a, commune_a_households):
    # given a listed round
    the_round = round_at(officer_a, commune_a, "listed")
    before = snapshot(the_round)

    # when the list is built again with nothing new
    review.review_round_list(actor=officer_a, round=the_round)

    # then nothing changed: same households, no new step
    assert snapshot(the_round) == before

    # when a household asks after the list was made and the list is built again
    late = self_registered(near_poor_household(commune_a, head="Lò Văn Muôn", phone="0912000009"))
    review.review_round_list(actor=officer_a, round=the_round)

    # then only that household is added, once
    entries = ReviewEntry.objects.filter(round=the_round)
    assert entries.count() == 5
    assert entries.filter(household=late, why=ReviewEntry.Why.REQUESTED).count() == 1


def test_unverified_household_is_reported_not_scored_and_blocks_agreement(commune_a, officer_a):
    # given a listed round with one verified household and one still waiting for an officer
    ready = self_registered(verified(near_poor_household(commune_a)))
    waiting = make_household(commune_a, address_line="Bản Pá Sàng")
    assert waiting.status == HouseholdStatus.SUBMITTED
    the_round = round_at(officer_a, commune_a, "listed")

    # when the officer scores
    report = review.review_round_score(actor=officer_a, round=the_round, today=MONDAY)

    # then the verified one is scored and the waiting one is reported, without a result
    assert report.scored == 1
    assert [h.pk for h in report.unverified] == [waiting.pk]
    assert ReviewEntry.objects.get(round=the_round, household=ready).assessment is not None
    assert ReviewEntry.objects.get(round=the_round, household=waiting).assessment is None
    assert not Assessment.objects.filter(household=waiting).exists()

    # and the village meeting cannot agree a list with a household left without a result
    with pytest.raises(DomainError) as refused:
        review.review_round_agree(actor=officer_a, round=the_round, meeting_date=MONDAY, today=MONDAY)
    assert "1 hộ chưa có kết quả" in str(refused.value)

    # when the household is verified and the round scored again, the meeting can agree
    verified(waiting)
    review.review_round_score(actor=officer_a, round=the_round, today=MONDAY)
    agreed = review.review_round_agree(actor=officer_a, round=the_round, meeting_date=MONDAY, today=MONDAY)
    assert agreed.state == RoundState.AGREED


# --- Order, scope, and bad input --------------------------------------------------------------


STEPS = {
    "list": lambda actor, r: review.review_round_list(actor=actor, round=r),
    "score": lambda actor, r: review.review_round_score(actor=actor, round=r, today=MONDAY),
    "agree": lambda actor, r: review.review_round_agree(
        actor=actor, round=r, meeting_date=FRIDAY, note="", today=FRIDAY
    ),
    "publish": lambda actor, r: review.review_round_publish(actor=actor, round=r, days=3, today=FRIDAY),
    "recognise": lambda actor, r: review.review_round_recognise(actor=actor, round=r, today=AFTER_WINDOW),
}
# For each state, the steps that may not be taken from it.
OUT_OF_ORDER = [
    ("open", "score"),
    ("open", "agree"),
    ("open", "publish"),
    ("open", "recognise"),
    ("listed", "agree"),
    ("listed", "publish"),
    ("listed", "recognise"),
    ("scored", "list"),
    ("scored", "publish"),
    ("scored", "recognise"),
    ("agreed", "list"),
    ("agreed", "score"),
    ("agreed", "recognise"),
    ("published", "list"),
    ("published", "score"),
    ("published", "agree"),
    ("published", "publish"),
    ("recognised", "list"),
    ("recognised", "score"),
    ("recognised", "recognise"),
]


@pytest.mark.parametrize(("state", "step"), OUT_OF_ORDER)
def test_step_out_of_order_is_refused_and_changes_nothing(
    commune_a, officer_a, commune_a_households, state, step
):
    # given a round at ``state``
    target = "published" if state == "recognised" else state
    the_round = round_at(officer_a, commune_a, target)
    if state == "recognised":
        review.review_round_recognise(actor=officer_a, round=the_round, today=AFTER_WINDOW)
    before = snapshot(the_round)

    # when the officer tries a step that does not come next
    with pytest.raises(DomainError) as refused:
        STEPS[step](officer_a, the_round)

    # then she is told where the round stands, and nothing changed
    assert refused.value.status == 409
    assert "Chưa làm được bước này" in str(refused.value) or "đã được xã công nhận" in str(refused.value)
    assert snapshot(the_round) == before


def test_officer_of_commune_b_cannot_open_or_move_commune_a_round(
    commune_a, officer_a, officer_b, commune_a_households
):
    # given commune A's round, listed
    the_round = round_at(officer_a, commune_a, "listed")
    before = snapshot(the_round)

    # when commune B's officer tries to open a round for A, or take any step of A's round
    with pytest.raises(NotFound):
        review.review_round_open(
            actor=officer_b, commune=commune_a, year=YEAR + 1, today=MONDAY.replace(year=YEAR + 1)
        )
    for step in STEPS.values():
        with pytest.raises(NotFound):
            step(officer_b, the_round)

    # then nothing changed
    assert snapshot(the_round) == before
    assert ReviewRound.objects.count() == 1


def test_province_officer_and_administrator_may_take_steps(commune_a, commune_a_households):
    # given a programme officer of commune A's province, and an administrator
    province_officer = user_with_role(Role.PROGRAMME_OFFICER, province=commune_a.province)
    administrator = user_with_role(Role.ADMINISTRATOR)

    # when they open and list commune A's round
    the_round = review.review_round_open(actor=province_officer, commune=commune_a, year=YEAR, today=MONDAY)
    review.review_round_list(actor=administrator, round=the_round)

    # then both steps are recorded with who took them
    steps = list(RoundStep.objects.filter(round=the_round).order_by("at", "id"))
    assert [(s.state, s.by_id) for s in steps] == [
        ("open", province_officer.pk),
        ("listed", administrator.pk),
    ]


def test_one_round_per_commune_and_year(commune_a, officer_a):
    review.review_round_open(actor=officer_a, commune=commune_a, year=YEAR, today=MONDAY)

    with pytest.raises(DomainError) as refused:
        review.review_round_open(actor=officer_a, commune=commune_a, year=YEAR, today=FRIDAY)

    assert refused.value.status == 409
    assert "đã có đợt rà soát năm 2025" in str(refused.value)
    assert ReviewRound.objects.filter(commune=commune_a).count() == 1


@pytest.mark.parametrize("year", [YEAR + 1, YEAR - 2])
def test_round_only_for_this_year_or_last(commune_a, officer_a, year):
    with pytest.raises(DomainError) as refused:
        review.review_round_open(actor=officer_a, commune=commune_a, year=year, today=MONDAY)

    assert "năm nay (2025) hoặc năm trước (2024)" in str(refused.value)
    assert not ReviewRound.objects.exists()


def test_last_years_round_opened_in_january_files_results_under_its_own_year(commune_a, officer_a):
    # given a household that asked in 2025; the 2025 round is only opened on 5 January 2026
    household = self_registered(verified(near_poor_household(commune_a)))
    january = date(YEAR + 1, 1, 5)
    the_round = review.review_round_open(actor=officer_a, commune=commune_a, year=YEAR, today=january)
    review.review_round_list(actor=officer_a, round=the_round)

    # when it is scored in January
    review.review_round_score(actor=officer_a, round=the_round, today=january)

    # then the result is the 2025 one, assessed as on 31 December 2025
    assessment = Assessment.objects.get(household=household)
    assert (assessment.year, assessment.assessed_on) == (YEAR, date(YEAR, 12, 31))


def test_meeting_date_in_the_future_is_refused(commune_a, officer_a, commune_a_households):
    the_round = round_at(officer_a, commune_a, "scored")
    before = snapshot(the_round)

    with pytest.raises(DomainError) as refused:
        review.review_round_agree(
            actor=officer_a, round=the_round, meeting_date=MONDAY + timedelta(days=1), today=MONDAY
        )

    assert "không thể ở tương lai" in str(refused.value)
    assert snapshot(the_round) == before


@pytest.mark.parametrize("days", [0, 2, 31])
def test_publish_window_must_be_three_to_thirty_working_days(
    commune_a, officer_a, commune_a_households, days
):
    the_round = round_at(officer_a, commune_a, "agreed")
    before = snapshot(the_round)

    with pytest.raises(DomainError) as refused:
        review.review_round_publish(actor=officer_a, round=the_round, days=days, today=FRIDAY)

    assert "từ 3 đến 30 ngày làm việc" in str(refused.value)
    assert snapshot(the_round) == before


# --- Working days and the objection window ----------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "until"),
    [
        (date(2025, 11, 3), 3, date(2025, 11, 6)),  # Monday + 3 → Thursday
        (date(2025, 11, 7), 3, date(2025, 11, 12)),  # Friday + 3 → Wednesday (weekend skipped)
        (date(2025, 11, 8), 3, date(2025, 11, 12)),  # Saturday + 3 → Wednesday
        (date(2025, 11, 9), 1, date(2025, 11, 10)),  # Sunday + 1 → Monday
        (date(2025, 11, 3), 10, date(2025, 11, 17)),  # two whole weeks
    ],
)
def test_working_days_skip_saturdays_and_sundays(start, days, until):
    assert review.working_days_after(start, days) == until


def test_objection_inside_the_window_is_accepted_on_its_last_day(commune_a, officer_a, commune_a_households):
    the_round = round_at(officer_a, commune_a, "published")
    assert the_round.objections_until == LAST_OBJECTION_DAY

    objection = review.objection_receive(
        round=the_round, from_name="Lò Thị Xuân", text="Xin xem lại hộ số 2.", today=LAST_OBJECTION_DAY
    )

    assert Objection.objects.filter(pk=objection.pk, round=the_round, resolved_at__isnull=True).exists()


def test_objection_after_the_window_is_refused(commune_a, officer_a, commune_a_households):
    the_round = round_at(officer_a, commune_a, "published")

    with pytest.raises(DomainError) as refused:
        review.objection_receive(
            round=the_round, from_name="Lò Thị Xuân", text="Xin xem lại hộ số 2.", today=AFTER_WINDOW
        )

    assert "Đã hết hạn nhận ý kiến" in str(refused.value)
    assert "12/11/2025" in str(refused.value)
    assert not Objection.objects.exists()


def test_objection_before_publishing_is_refused(commune_a, officer_a, commune_a_households):
    the_round = round_at(officer_a, commune_a, "agreed")

    with pytest.raises(DomainError):
        review.objection_receive(
            round=the_round, from_name="Lò Thị Xuân", text="Xin xem lại hộ số 2.", today=FRIDAY
        )

    assert not Objection.objects.exists()


@pytest.mark.parametrize(
    ("from_name", "text", "message"),
    [
        ("", "Xin xem lại hộ số 2.", "Hãy ghi tên người gửi."),
        ("Lò Thị Xuân", "   ", "Hãy ghi nội dung ý kiến."),
        ("Lò Thị Xuân", "sai", "Nội dung ngắn quá"),
        ("Lò Thị Xuân", "x" * 2001, "tối đa 2000 ký tự"),
        ("L" * 121, "Xin xem lại hộ số 2.", "tối đa 120 ký tự"),
    ],
)
def test_objection_text_and_name_are_checked(
    commune_a, officer_a, commune_a_households, from_name, text, message
):
    the_round = round_at(officer_a, commune_a, "published")

    with pytest.raises(DomainError) as refused:
        review.objection_receive(round=the_round, from_name=from_name, text=text, today=FRIDAY)

    assert message in str(refused.value)
    assert not Objection.objects.exists()


def test_objections_from_one_address_are_rate_limited(commune_a, officer_a, commune_a_households):
    the_round = round_at(officer_a, commune_a, "published")
    for n in range(review.OBJECTIONS_PER_ADDRESS_PER_HOUR):
        review.objection_receive(
            round=the_round,
            from_name=f"Người {n}",
            text="Xin xem lại hộ số 2.",
            ip_address="203.0.113.7",
            today=FRIDAY,
        )

    with pytest.raises(DomainError) as refused:
        review.objection_receive(
            round=the_round,
            from_name="Người 6",
            text="Xin xem lại hộ số 2.",
            ip_address="203.0.113.7",
            today=FRIDAY,
        )
    # another address is still heard
    review.objection_receive(
        round=the_round,
        from_name="Người 7",
        text="Xin xem lại hộ số 2.",
        ip_address="203.0.113.8",
        today=FRIDAY,
    )

    assert refused.value.status == 429
    assert Objection.objects.count() == review.OBJECTIONS_PER_ADDRESS_PER_HOUR + 1


def test_objection_about_a_household_not_on_the_list_is_refused(commune_a, officer_a, commune_a_households):
    the_round = round_at(officer_a, commune_a, "published")

    with pytest.raises(DomainError) as refused:
        review.objection_receive(
            round=the_round,
            household=commune_a_households["not_asked"],
            from_name="Lò Thị Xuân",
            text="Xin xem lại hộ này.",
            today=FRIDAY,
        )

    assert "không có trong danh sách" in str(refused.value)
    assert not Objection.objects.exists()


# --- Recognition ------------------------------------------------------------------------------


def test_recognition_refused_while_the_window_is_open(commune_a, officer_a, commune_a_households):
    the_round = round_at(officer_a, commune_a, "published")
    before = snapshot(the_round)

    with pytest.raises(DomainError) as refused:
        review.review_round_recognise(actor=officer_a, round=the_round, today=LAST_OBJECTION_DAY)

    assert "Còn đang nhận ý kiến đến hết ngày 12/11/2025" in str(refused.value)
    assert snapshot(the_round) == before


def test_recognition_refused_while_an_objection_is_open(
    commune_a, officer_a, commune_a_households, sms_outbox
):
    # given a posted round with one objection answered and one not
    the_round = round_at(officer_a, commune_a, "published")
    answered = review.objection_receive(
        round=the_round, from_name="A", text="Xin xem lại hộ số 1.", today=FRIDAY
    )
    review.objection_resolve(actor=officer_a, objection=answered, resolution="Đã kiểm tra, giữ kết quả.")
    waiting = review.objection_receive(
        round=the_round, from_name="B", text="Xin xem lại hộ số 2.", today=FRIDAY
    )
    before = snapshot(the_round)

    # when the commune tries to recognise after the window
    with pytest.raises(DomainError) as refused:
        review.review_round_recognise(actor=officer_a, round=the_round, today=AFTER_WINDOW)

    # then it is told to answer the open objection first; nothing is recognised, no SMS
    assert "Còn 1 ý kiến chưa giải quyết" in str(refused.value)
    assert snapshot(the_round) == before
    assert sms_outbox == []

    # when that one is answered too, recognition goes through
    review.objection_resolve(actor=officer_a, objection=waiting, resolution="Đã kiểm tra lại, giữ kết quả.")
    assert (
        review.review_round_recognise(actor=officer_a, round=the_round, today=AFTER_WINDOW).state
        == "recognised"
    )


def test_objection_resolved_once_and_by_an_officer_of_the_commune(
    commune_a, officer_a, officer_b, commune_a_households
):
    the_round = round_at(officer_a, commune_a, "published")
    objection = review.objection_receive(
        round=the_round, from_name="A", text="Xin xem lại hộ số 1.", today=FRIDAY
    )

    with pytest.raises(NotFound):
        review.objection_resolve(actor=officer_b, objection=objection, resolution="Không phải xã tôi.")
    with pytest.raises(DomainError) as empty:
        review.objection_resolve(actor=officer_a, objection=objection, resolution="  ")
    review.objection_resolve(actor=officer_a, objection=objection, resolution="Đã kiểm tra, giữ kết quả.")
    with pytest.raises(DomainError) as again:
        review.objection_resolve(actor=officer_a, objection=objection, resolution="Lần hai.")

    assert "Hãy ghi cách giải quyết" in str(empty.value)
    assert again.value.status == 409
    objection.refresh_from_db()
    assert (objection.resolution, objection.resolved_by_id) == ("Đã kiểm tra, giữ kết quả.", officer_a.pk)


# --- History across years ---------------------------------------------------------------------


def test_history_per_year_is_kept_across_two_years(commune_a, officer_a):
    # given a poor household recognised in the 2025 round
    household = self_registered(verified(poor_household(commune_a)))
    first = round_at(officer_a, commune_a, "published")
    review.review_round_recognise(actor=officer_a, round=first, today=AFTER_WINDOW)
    result_2025 = Assessment.objects.get(household=household, year=YEAR)

    # when its income rises and the 2026 round lists and scores it
    Household.objects.filter(pk=household.pk).update(income_12m_vnd=3 * 12 * 3_000_000)
    second = round_at(officer_a, commune_a, "scored", year=YEAR + 1)

    # then it is on the 2026 list because it was recognised poor in 2025
    assert ReviewEntry.objects.get(round=second, household=household).why == ReviewEntry.Why.ON_LAST_LIST
    # and both years' results are kept side by side: 2025 untouched and recognised, 2026 new
    history = list(
        Assessment.objects.filter(household=household)
        .order_by("year")
        .values_list("year", "standard", "classification", "recognised")
    )
    assert history == [
        (YEAR, "VN-2022-2025", "poor", True),
        (YEAR + 1, "VN-2022-2025", "not_poor", False),
    ]
    result_2025.refresh_from_db()
    assert result_2025.assessed_on == date(YEAR, 11, 3)


def test_rescoring_drops_the_result_of_a_household_changed_since(commune_a, officer_a):
    # given a scored round whose household was then corrected (back under review)
    household = self_registered(verified(near_poor_household(commune_a)))
    the_round = round_at(officer_a, commune_a, "scored")
    assert ReviewEntry.objects.get(round=the_round, household=household).assessment is not None
    Household.objects.filter(pk=household.pk).update(status=HouseholdStatus.UNDER_REVIEW)

    # when the round is scored again
    report = review.review_round_score(actor=officer_a, round=the_round, today=MONDAY)

    # then the household is reported and its old result is no longer on the list
    assert [h.pk for h in report.unverified] == [household.pk]
    assert ReviewEntry.objects.get(round=the_round, household=household).assessment is None
