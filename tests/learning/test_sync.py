"""Answers sent again from an offline outbox count once; one bad item never blocks the others."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from ketnoi.core.errors import DomainError
from ketnoi.learning.models import Answer, Course, LessonProgress
from ketnoi.learning.services import MAX_SYNC_ITEMS, answer_record, answers_sync
from tests.accounts.factories import PASSWORD, UserFactory

from .conftest import activity

pytestmark = pytest.mark.django_db

SYNC_URL = "/learning/answers/sync"


def item(slug: str, response: dict, **extra) -> dict:
    return {"client_id": str(uuid.uuid4()), "activity": activity(slug).pk, "response": response, **extra}


def progress_of(learner, lesson_slug="otp") -> tuple[int, int, bool]:
    row = LessonProgress.objects.get(learner=learner, lesson__slug=lesson_slug)
    return row.score, row.max_score, row.completed_at is not None


def test_a_replayed_answer_returns_the_stored_result_and_counts_once(course, learner):
    client_id = uuid.uuid4()
    first = answer_record(
        learner=learner, client_id=client_id, activity_id=activity("hoi-otp").pk, response={"choice": "b"}
    )

    again = answer_record(
        learner=learner, client_id=client_id, activity_id=activity("hoi-otp").pk, response={"choice": "a"}
    )

    assert (first.replayed, again.replayed) == (False, True)
    assert (again.correct, again.score) == (True, 1)  # the stored result, not a regrade of the resend
    assert Answer.objects.count() == 1
    assert progress_of(learner) == (1, 4, False)


def test_a_whole_outbox_sent_twice_is_counted_once(course, learner):
    items = [
        item("hoi-otp", {"choice": "b"}),
        item("tin-nhan-ngan-hang", {"choice": "scam"}),
        item("anh-dep", {"choice": "a"}),
    ]

    first = answers_sync(learner, items)
    second = answers_sync(learner, items)

    assert [o.result.replayed for o in first] == [False, False, False]
    assert [o.result.replayed for o in second] == [True, True, True]
    assert Answer.objects.count() == 3
    assert progress_of(learner) == (2, 4, True)


def test_the_same_item_twice_in_one_batch_is_counted_once(course, learner):
    duplicated = item("hoi-otp", {"choice": "b"})

    outcomes = answers_sync(learner, [duplicated, dict(duplicated)])

    assert [o.result.replayed for o in outcomes] == [False, True]
    assert Answer.objects.count() == 1


def test_a_client_id_reused_for_another_activity_is_refused(course, learner):
    client_id = uuid.uuid4()
    answer_record(
        learner=learner, client_id=client_id, activity_id=activity("hoi-otp").pk, response={"choice": "b"}
    )

    with pytest.raises(DomainError) as raised:
        answer_record(
            learner=learner,
            client_id=client_id,
            activity_id=activity("tin-nhan-ngan-hang").pk,
            response={"choice": "scam"},
        )

    assert (raised.value.code, raised.value.status) == ("client_id_reused", 409)
    assert Answer.objects.count() == 1


def test_a_client_id_reused_by_another_learner_is_refused(course, learner):
    client_id = uuid.uuid4()
    answer_record(
        learner=learner, client_id=client_id, activity_id=activity("hoi-otp").pk, response={"choice": "b"}
    )
    other = UserFactory()

    with pytest.raises(DomainError) as raised:
        answer_record(
            learner=other, client_id=client_id, activity_id=activity("hoi-otp").pk, response={"choice": "b"}
        )

    assert raised.value.code == "client_id_reused"
    assert not LessonProgress.objects.filter(learner=other).exists()


def test_one_bad_item_does_not_block_the_others(course, learner):
    items = [
        item("hoi-otp", {"choice": "b"}),
        {"client_id": str(uuid.uuid4()), "activity": 999999, "response": {"choice": "a"}},
        {"client_id": "not-a-uuid", "activity": activity("hoi-otp").pk, "response": {"choice": "a"}},
        item("tin-nhan-ngan-hang", {"choice": "maybe"}),
        "not an item",
        item("anh-dep", {"choice": "b"}, answered_at="yesterday"),
        item("anh-dep", {"choice": "b"}),
    ]

    outcomes = answers_sync(learner, items)

    codes = [o.error.code if o.error else "ok" for o in outcomes]
    assert codes == [
        "ok",
        "activity_not_found",
        "client_id_invalid",
        "choice_unknown",
        "sync_invalid",
        "answered_at_invalid",
        "ok",
    ]
    assert Answer.objects.count() == 2


def test_more_than_the_batch_limit_is_refused_whole(course, learner):
    items = [item("hoi-otp", {"choice": "b"}) for _ in range(MAX_SYNC_ITEMS + 1)]

    with pytest.raises(DomainError) as raised:
        answers_sync(learner, items)

    assert (raised.value.code, raised.value.status) == ("sync_too_many", 413)
    assert not Answer.objects.exists()


def test_fields_a_phone_should_not_send_are_ignored(course, learner):
    tampered = item("hoi-otp", {"choice": "a"}, score=1, correct=True, points=10, learner=999)

    outcome = answers_sync(learner, [tampered])[0]

    assert (outcome.result.correct, outcome.result.score) == (False, 0)
    assert Answer.objects.get().learner == learner


def test_an_answer_time_from_the_phone_is_kept_when_it_is_plausible(course, learner):
    when = timezone.now() - timedelta(days=3)

    result = answer_record(
        learner=learner,
        client_id=uuid.uuid4(),
        activity_id=activity("hoi-otp").pk,
        response={"choice": "b"},
        answered_at=when.isoformat(),
    )

    assert result.answered_at == when and not result.clock_adjusted


@pytest.mark.parametrize("when", ["2099-01-01T00:00:00Z", "1970-01-01T00:00:00Z"])
def test_an_impossible_answer_time_is_replaced_by_the_time_received(course, learner, when):
    before = timezone.now()

    result = answer_record(
        learner=learner,
        client_id=uuid.uuid4(),
        activity_id=activity("hoi-otp").pk,
        response={"choice": "b"},
        answered_at=when,
    )

    assert result.clock_adjusted
    assert before <= Answer.objects.get().answered_at <= timezone.now()


def test_an_unpublished_course_takes_no_answers(course, learner):
    Course.objects.update(published=False)

    with pytest.raises(DomainError) as raised:
        answer_record(
            learner=learner,
            client_id=uuid.uuid4(),
            activity_id=activity("hoi-otp").pk,
            response={"choice": "b"},
        )

    assert raised.value.status == 404


# --- the JSON endpoint the offline script uses ---------------------------------------


@pytest.fixture
def phone(learner) -> Client:
    client = Client(enforce_csrf_checks=True)
    assert client.login(phone=learner.phone, password=PASSWORD)
    client.get("/learning/")  # sets the CSRF cookie, as opening any page does
    return client


def post_sync(client: Client, body, *, csrf: bool = True):
    headers = {"X-CSRFToken": client.cookies["csrftoken"].value} if csrf else {}
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(SYNC_URL, data, content_type="application/json", headers=headers)


def test_the_sync_endpoint_records_and_answers_each_item(course, phone):
    good = item("hoi-otp", {"choice": "b"})
    bad = item("tin-nhan-ngan-hang", {"choice": "maybe"})

    response = post_sync(phone, {"items": [good, bad, good]})

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["recorded", "refused", "duplicate"]
    assert results[0]["client_id"] == good["client_id"]
    assert (results[0]["correct"], results[0]["score"], results[0]["points"]) == (True, 1, 1)
    assert results[0]["explanation"] == "Mã OTP chỉ dành cho chị."
    assert results[1]["error"]["code"] == "choice_unknown" and results[1]["error"]["detail"]
    assert Answer.objects.count() == 1


def test_the_sync_endpoint_speaks_english_when_asked(course, phone):
    phone.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = post_sync(
        phone,
        {"items": [item("tra-loi", {"text": "Dạ chào chị, em gửi hàng ngay, ba ngày là nhận được ạ."})]},
    )

    result = response.json()["results"][0]
    assert len(result["feedback"]) == 1 and "The price" in result["feedback"][0]
    assert result["explanation"].startswith("Greet the buyer")


def test_the_sync_endpoint_needs_the_csrf_header(course, phone):
    response = post_sync(phone, {"items": [item("hoi-otp", {"choice": "b"})]}, csrf=False)

    assert response.status_code == 403
    assert not Answer.objects.exists()


def test_the_sync_endpoint_needs_a_signed_in_learner(course):
    client = Client()

    response = client.post(SYNC_URL, json.dumps({"items": []}), content_type="application/json")

    assert response.status_code == 401
    assert response.json()["code"] == "not_signed_in"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ("{not json", 400, "sync_invalid"),
        ({"items": "nope"}, 422, "sync_invalid"),
        ({"items": [{}] * (MAX_SYNC_ITEMS + 1)}, 413, "sync_too_many"),
    ],
)
def test_the_sync_endpoint_refuses_a_bad_batch_clearly(course, phone, body, status, code):
    response = post_sync(phone, body)

    assert response.status_code == status
    assert response.json()["code"] == code and response.json()["detail"]
