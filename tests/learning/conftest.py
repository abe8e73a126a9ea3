"""Fixtures of the learning tests: the tiny course under ``fixtures/``, copied and loaded."""

from __future__ import annotations

import io
import shutil
import uuid
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ketnoi.learning.loader import courses_load
from ketnoi.learning.models import Activity, Course
from ketnoi.learning.services import answer_record
from tests.accounts.factories import UserFactory

FIXTURES = Path(__file__).parent / "fixtures"
COURSE_SLUG = "an-toan-mini"


@pytest.fixture(autouse=True)
def _learning_urls(settings):
    """The site's URLs with learning mounted (see ``tests/learning/urls.py``)."""
    settings.ROOT_URLCONF = "tests.learning.urls"


@pytest.fixture
def content(tmp_path) -> Path:
    """A writable copy of the fixture course, to change in a test."""
    root = tmp_path / "learning"
    shutil.copytree(FIXTURES, root)
    return root


@pytest.fixture
def course(db, content) -> Course:
    courses_load(content)
    return Course.objects.get(slug=COURSE_SLUG)


@pytest.fixture
def learner(db):
    return UserFactory(display_name="Lò Thị Ơn")


def activity(slug: str) -> Activity:
    return Activity.objects.select_related("lesson__course").get(slug=slug, lesson__course__slug=COURSE_SLUG)


def good_photo() -> bytes:
    """A bright, sharp, centred product photo: no hint from the market's checks."""
    rng = np.random.default_rng(7)
    pixels = np.full((800, 800, 3), 210, np.uint8)
    pixels[200:600, 200:600] = rng.integers(0, 255, (400, 400, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


RIGHT_ANSWERS = {
    "hoi-otp": {"choice": "b"},
    "tin-nhan-ngan-hang": {"choice": "scam"},
    "anh-dep": {"choice": "b"},
    "cau-chuyen": {
        "answers": {
            "who": "Chị Mùa Thị Sua và các chị trong bản",
            "how": "Thêu tay từng đường chỉ vào buổi tối",
            "from": "Vải lanh nhuộm chàm của gia đình",
        }
    },
    "tra-loi": {"text": "Dạ chào chị, khăn giá 150k, gửi bưu điện 3 ngày là nhận được ạ."},
}


def pass_course(learner, *, skip: tuple[str, ...] = ()) -> list:
    """Answer every activity of the fixture course rightly (but ``skip``); the results, in order."""
    results = []
    for slug, response in [*RIGHT_ANSWERS.items(), ("chup-anh", {"photo": good_photo()})]:
        if slug in skip:
            continue
        results.append(
            answer_record(
                learner=learner,
                client_id=uuid.uuid4(),
                activity_id=activity(slug).pk,
                response=response,
                answered_at=None,
            )
        )
    return results
