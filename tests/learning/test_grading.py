"""Grading on the server, kind by kind; what the browser claims about scores or keys is never read."""

from __future__ import annotations

import base64
import io
import uuid

import numpy as np
import pytest
from django.utils import translation
from PIL import Image

from ketnoi.core.errors import DomainError
from ketnoi.learning.grading import feedback_messages
from ketnoi.learning.models import Activity, Answer
from ketnoi.learning.services import answer_record

from .conftest import activity

pytestmark = pytest.mark.django_db


def answer(learner, slug, response):
    return answer_record(
        learner=learner,
        client_id=uuid.uuid4(),
        activity_id=activity(slug).pk,
        response=response,
        answered_at=None,
    )


def photo(kind: str = "good", size: int = 800, fmt: str = "JPEG") -> bytes:
    """A product photo: ``good`` (bright, sharp, centred), ``dark``, ``flat`` (blurry) or ``corner``."""
    rng = np.random.default_rng(7)
    pixels = np.full((size, size, 3), 210, np.uint8)
    quarter = size // 4
    texture = rng.integers(0, 255, (size // 2, size // 2, 3), dtype=np.uint8)
    if kind == "corner":
        pixels[: size // 2, : size // 2] = texture
    elif kind != "flat":
        pixels[quarter : quarter + size // 2, quarter : quarter + size // 2] = texture
    if kind == "dark":
        pixels = (pixels * 0.15).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, fmt, quality=90)
    return buffer.getvalue()


# --- choices ---------------------------------------------------------------------


def test_a_right_choice_scores_its_points_and_a_wrong_one_nothing(course, learner):
    right = answer(learner, "hoi-otp", {"choice": "b"})
    wrong = answer(learner, "hoi-otp", {"choice": "a"})

    assert (right.correct, right.score, right.points) == (True, 1, 1)
    assert (wrong.correct, wrong.score) == (False, 0)
    assert Answer.objects.filter(learner=learner).count() == 2


def test_spot_the_scam_and_picture_choice(course, learner):
    assert answer(learner, "tin-nhan-ngan-hang", {"choice": "scam"}).correct
    assert not answer(learner, "tin-nhan-ngan-hang", {"choice": "safe"}).correct
    picture = answer(learner, "anh-dep", {"choice": "b"})
    assert (picture.correct, picture.score) == (True, 2)


def test_a_question_with_several_right_options_needs_exactly_those(course, learner):
    Activity.objects.filter(slug="hoi-otp").update(answer_key={"correct": ["a", "b"]})

    assert answer(learner, "hoi-otp", {"choices": ["b", "a"]}).correct
    assert not answer(learner, "hoi-otp", {"choices": ["b"]}).correct


@pytest.mark.parametrize(
    ("response", "code"),
    [
        ({"choice": "z"}, "choice_unknown"),
        ({"choices": ["b", "z"]}, "choice_unknown"),
        ({}, "choice_missing"),
        ({"choice": 3}, "choice_missing"),
        ("b", "response_invalid"),
    ],
)
def test_a_response_that_does_not_fit_is_refused_and_nothing_is_stored(course, learner, response, code):
    with pytest.raises(DomainError) as raised:
        answer(learner, "hoi-otp", response)

    assert (raised.value.code, raised.value.status) == (code, 422)
    assert not Answer.objects.exists()


def test_tampered_score_and_answer_key_from_the_browser_are_ignored(course, learner):
    tampered = {"choice": "a", "correct": True, "score": 99, "answer_key": {"correct": ["a"]}, "points": 50}

    result = answer(learner, "hoi-otp", tampered)

    assert (result.correct, result.score, result.points) == (False, 0, 1)
    stored = Answer.objects.get()
    assert stored.response == {"choices": ["a"]}  # only what she chose is kept
    assert activity("hoi-otp").answer_key == {"correct": ["b"]}


# --- practice: photo ----------------------------------------------------------------


def test_a_good_product_photo_passes_without_hints(course, learner):
    result = answer(learner, "chup-anh", {"photo": photo("good")})

    assert (result.correct, result.score, result.feedback) == (True, 1, [])
    assert Answer.objects.get().response == {
        "hints": [],
        "width": 800,
        "height": 800,
    }  # the photo is not kept


def test_a_dark_photo_fails_with_the_market_hint(course, learner):
    result = answer(learner, "chup-anh", {"photo": photo("dark")})

    assert not result.correct
    assert "dark" in result.feedback
    messages = feedback_messages(activity("chup-anh"), result.feedback)
    assert any("tối" in message for message in messages)


def test_an_off_centre_photo_passes_with_advice_when_that_hint_is_not_serious(course, learner):
    result = answer(learner, "chup-anh", {"photo": photo("corner")})

    assert result.correct and result.feedback == ["off_centre"]


def test_a_photo_sent_as_a_data_url_is_graded_the_same(course, learner):
    data_url = "data:image/jpeg;base64," + base64.b64encode(photo("good")).decode()

    assert answer(learner, "chup-anh", {"photo": data_url}).correct


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (b"not a picture", "photo_not_image"),
        (None, "photo_missing"),
        ("data:image/png;base64,@@@", "photo_broken"),
    ],
)
def test_something_that_is_not_a_photo_is_refused(course, learner, value, code):
    with pytest.raises(DomainError) as raised:
        answer(learner, "chup-anh", {"photo": value})

    assert raised.value.code == code
    assert not Answer.objects.exists()


# --- practice: story ----------------------------------------------------------------

GOOD_STORY = {
    "who": "Chị Mùa Thị Sua và các chị trong bản",
    "how": "Thêu tay từng đường chỉ vào buổi tối",
    "from": "Vải lanh nhuộm chàm của gia đình",
}


def test_a_story_with_every_question_answered_passes(course, learner):
    result = answer(learner, "cau-chuyen", {"answers": GOOD_STORY})

    assert (result.correct, result.feedback) == (True, [])
    assert Answer.objects.get().response == {"answers": GOOD_STORY}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"how": ""}, "empty:how"),
        ({"how": "thêu tay"}, "short:how"),
        ({"from": "vải vải vải vải"}, "unclear:from"),
        ({"how": GOOD_STORY["who"]}, "unclear:how"),
        ({"who": "Chị Lò Thị Ơn và 20 chị em trong bản."}, "unclear:who"),  # the example, copied
    ],
)
def test_a_story_not_filled_sensibly_fails_and_says_which_question(course, learner, change, code):
    result = answer(learner, "cau-chuyen", {"answers": {**GOOD_STORY, **change}})

    assert not result.correct and result.feedback == [code]
    message = feedback_messages(activity("cau-chuyen"), result.feedback)[0]
    question = {"who": "Ai làm ra", "how": "Làm như thế nào", "from": "nguyên liệu"}[code.split(":")[1]]
    assert question in message


# --- practice: reply ------------------------------------------------------------------


def test_a_reply_with_greeting_price_and_delivery_passes(course, learner):
    result = answer(
        learner, "tra-loi", {"text": "Dạ chào chị, khăn giá 150k, gửi bưu điện 3 ngày là nhận được ạ."}
    )

    assert (result.correct, result.feedback) == (True, [])


def test_a_reply_without_diacritics_is_understood(course, learner):
    assert answer(
        learner, "tra-loi", {"text": "Chao chi, khan gia 150.000 dong, 3 ngay la nhan duoc a"}
    ).correct


def test_a_reply_missing_the_price_says_what_is_missing(course, learner):
    result = answer(
        learner, "tra-loi", {"text": "Dạ chào chị, em gửi hàng ngay, ba ngày là chị nhận được ạ."}
    )

    assert not result.correct and result.feedback == ["missing:price"]
    assert feedback_messages(activity("tra-loi"), result.feedback) == ["Câu trả lời còn thiếu: Giá"]
    with translation.override("en"):
        assert feedback_messages(activity("tra-loi"), result.feedback, english=True)[0].endswith("The price")


def test_a_too_short_reply_fails(course, learner):
    result = answer(learner, "tra-loi", {"text": "chào, 150k, 3 ngày"})

    assert not result.correct and "too_short" in result.feedback


def test_an_empty_reply_is_refused(course, learner):
    with pytest.raises(DomainError) as raised:
        answer(learner, "tra-loi", {"text": "   "})

    assert raised.value.code == "reply_missing"
