"""``GET /api/v1/learning/courses``: published courses for partners' apps, public and paginated."""

from __future__ import annotations

import pytest

from ketnoi.learning.loader import courses_load
from ketnoi.learning.models import Course

from .conftest import COURSE_SLUG
from .test_views import _big_course

pytestmark = pytest.mark.django_db

URL = "/api/v1/learning/courses"


def test_published_courses_are_listed_with_their_lessons(client, course):
    Course.objects.create(slug="nhap", title="Bản nháp", content_hash="x", published=False)

    response = client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    (item,) = body["items"]
    assert item["slug"] == COURSE_SLUG
    assert (item["title"], item["title_en"], item["language"]) == (
        "An toàn khi bán hàng (thử)",
        "Staying safe when selling (test)",
        "vi",
    )
    assert item["lesson_count"] == 2
    assert [lesson["slug"] for lesson in item["lessons"]] == ["otp", "thuc-hanh"]
    assert item["lessons"][0] == {
        "slug": "otp",
        "title": "Không cho ai mã OTP",
        "title_en": "Never share an OTP",
        "position": 1,
    }
    assert "Không cho ai mã OTP" in response.content.decode()  # UTF-8, not \\u escapes


def test_answer_keys_and_lesson_bodies_never_leave(client, course):
    text = client.get(URL).content.decode()

    assert "correct" not in text and "body" not in text and "answer_key" not in text


def test_the_list_is_paginated_in_a_fixed_number_of_queries(client, content, django_assert_max_num_queries):
    _big_course(content, 3)
    courses_load(content)
    with django_assert_max_num_queries(3):
        first = client.get(URL, {"page": 1}).json()

    assert first["count"] == 2
    assert [item["slug"] for item in first["items"]] == ["khoa-lon", COURSE_SLUG]  # by position
    assert len(first["items"][0]["lessons"]) == 3
    second = client.get(URL, {"page": 2, "page_size": 1}).json()
    assert [item["slug"] for item in second["items"]] == [COURSE_SLUG]


def test_the_openapi_schema_lists_the_path(client):
    schema = client.get("/api/v1/openapi.json").json()

    assert "get" in schema["paths"]["/api/v1/learning/courses"]
    assert "security" not in schema["paths"]["/api/v1/learning/courses"]["get"]
