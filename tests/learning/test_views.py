"""Learning pages as a learner sees them: without JavaScript, light, in a fixed number of queries."""

from __future__ import annotations

import re
import uuid
from html import unescape
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ketnoi.learning.loader import courses_load
from ketnoi.learning.models import Answer, Certificate, Course
from ketnoi.learning.services import certificate_revoke
from tests.accounts.factories import UserFactory

from .conftest import COURSE_SLUG, RIGHT_ANSWERS, activity, good_photo, pass_course

pytestmark = pytest.mark.django_db

LESSON_URL = f"/learning/courses/{COURSE_SLUG}/otp/"
PAGE_BUDGET = 50 * 1024


@pytest.fixture
def signed_in(client, learner):
    client.force_login(learner)
    return client


def form_client_id(html: str, slug: str) -> str:
    section = html[html.index(f'id="act-{slug}"') :]
    return re.search(r'name="client_id" value="([0-9a-f-]{36})"', section).group(1)


def post_answer(client, slug: str, data: dict, *, client_id: str | None = None):
    return client.post(
        f"/learning/activities/{activity(slug).pk}/answer",
        {"client_id": client_id or str(uuid.uuid4()), **data},
    )


# --- lists and course page ---------------------------------------------------------------


def test_the_course_list_shows_published_courses_only(client, course):
    Course.objects.create(slug="nhap", title="Bản nháp", content_hash="x", published=False)

    response = client.get("/learning/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "An toàn khi bán hàng (thử)" in html and "Bản nháp" not in html


def test_the_course_page_shows_lessons_and_her_progress(signed_in, course, learner):
    post_answer(signed_in, "hoi-otp", {"choice": "b"})
    post_answer(signed_in, "tin-nhan-ngan-hang", {"choice": "scam"})
    post_answer(signed_in, "anh-dep", {"choice": "b"})

    html = signed_in.get(f"/learning/courses/{COURSE_SLUG}/").content.decode()

    assert "Không cho ai mã OTP" in html and "Thực hành" in html
    assert "Đã học 1/2 bài" in html
    assert f'href="/learning/courses/{COURSE_SLUG}/thuc-hanh/"' in html


def test_pages_follow_the_language_chosen(client, course):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = client.get(LESSON_URL).content.decode()

    assert "Never share an OTP" in html and "What is an OTP?" in html
    assert "Refuse and hang up" in html


def test_an_unknown_or_unpublished_course_is_not_found(client, course):
    assert client.get("/learning/courses/khong-co/").status_code == 404
    assert client.get(f"/learning/courses/{COURSE_SLUG}/khong-co/").status_code == 404
    Course.objects.update(published=False)
    assert client.get(LESSON_URL).status_code == 404


# --- the lesson page ---------------------------------------------------------------------


def test_the_lesson_page_has_forms_that_work_without_javascript_and_hooks_for_it(signed_in, course):
    html = signed_in.get(LESSON_URL).content.decode()

    assert "<strong>Không đưa cho ai.</strong>" in html
    forms = re.findall(r"<form method=\"post\" action=\"/learning/activities/(\d+)/answer\"[^>]*>", html)
    assert len(forms) == 3
    for tag in re.findall(r"<form method=\"post\" action=\"/learning/activities/[^>]*>", html):
        client_id = re.search(r'data-client-id="([^"]+)"', tag).group(1)
        assert uuid.UUID(client_id) and f'name="client_id" value="{client_id}"' in html
        assert re.search(r'data-activity="\d+"', tag)
    assert '<div id="outbox-status"' in html
    assert "data-large-text" in html
    assert html.count("data-read=") == 4  # the lesson, and each of its three questions
    assert "Tin nhắn này an toàn hay lừa đảo?" in html


def test_the_page_never_carries_the_right_answers(client, course):
    html = client.get(LESSON_URL).content.decode()

    assert "correct" not in html and "answer_key" not in html
    assert "Mã OTP chỉ dành cho chị." not in html  # explanations come after answering


def test_a_signed_out_visitor_reads_the_lesson_and_is_asked_to_sign_in_to_answer(client, course):
    html = client.get(LESSON_URL).content.decode()

    assert "Đăng nhập để trả lời" in html and 'type="submit">Trả lời' not in html


def test_answering_without_javascript_shows_the_result_and_explanation(signed_in, course):
    response = post_answer(signed_in, "hoi-otp", {"choice": "b"})

    assert response.status_code == 302 and response["Location"] == f"{LESSON_URL}#act-hoi-otp"
    html = signed_in.get(LESSON_URL).content.decode()
    result = html[html.index('data-testid="result-hoi-otp"') :]
    assert "Đúng rồi!" in result[:400] and "Mã OTP chỉ dành cho chị." in result


def test_the_same_form_sent_twice_counts_once(signed_in, course):
    client_id = form_client_id(signed_in.get(LESSON_URL).content.decode(), "hoi-otp")

    post_answer(signed_in, "hoi-otp", {"choice": "b"}, client_id=client_id)
    post_answer(signed_in, "hoi-otp", {"choice": "b"}, client_id=client_id)

    assert Answer.objects.count() == 1


def test_each_drawing_of_the_page_gives_new_client_ids(signed_in, course):
    first = form_client_id(signed_in.get(LESSON_URL).content.decode(), "hoi-otp")
    second = form_client_id(signed_in.get(LESSON_URL).content.decode(), "hoi-otp")

    assert first != second


def test_an_answer_that_does_not_fit_is_shown_at_its_question_and_nothing_is_stored(signed_in, course):
    response = post_answer(signed_in, "hoi-otp", {"choice": "z"})

    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-testid="error-hoi-otp"' in html and "không có trong các lựa chọn" in html
    assert not Answer.objects.exists()


def test_practice_tasks_through_forms(signed_in, course):
    story = {f"answer_{key}": text for key, text in RIGHT_ANSWERS["cau-chuyen"]["answers"].items()}
    story["answer_how"] = "thêu"
    url = f"/learning/courses/{COURSE_SLUG}/thuc-hanh/"

    post_answer(signed_in, "cau-chuyen", story)
    post_answer(signed_in, "tra-loi", {"text": "Dạ chào chị, ba ngày là nhận được hàng ạ."})
    photo = SimpleUploadedFile("khan.jpg", good_photo(), content_type="image/jpeg")
    post_answer(signed_in, "chup-anh", {"photo": photo})

    html = unescape(signed_in.get(url).content.decode())
    assert "Viết thêm vài từ cho câu: Làm như thế nào?" in html
    assert ">thêu</textarea>" in html  # what she wrote is still there to improve
    assert "Câu trả lời còn thiếu: Giá" in html
    photo_result = html[html.index('data-testid="result-chup-anh"') :][:300]
    assert "Đạt!" in photo_result
    assert [a.correct for a in Answer.objects.order_by("pk")] == [False, False, True]


def test_a_story_refused_keeps_what_she_typed(signed_in, course):
    response = post_answer(signed_in, "tra-loi", {"text": "   "})

    assert response.status_code == 422
    assert "Hãy viết câu trả lời cho người mua." in unescape(response.content.decode())


def test_answering_needs_a_signed_in_learner(client, course):
    response = post_answer(client, "hoi-otp", {"choice": "b"})

    assert response.status_code == 302 and "/accounts/login" in response["Location"]
    assert not Answer.objects.exists()


def test_passing_through_the_forms_congratulates_her_with_the_certificate(signed_in, course):
    for slug, response in RIGHT_ANSWERS.items():
        if slug == "cau-chuyen":
            response = {f"answer_{k}": v for k, v in response["answers"].items()}
        elif "choice" in response:
            response = {"choice": response["choice"]}
        post_answer(signed_in, slug, response)

    last = post_answer(
        signed_in, "chup-anh", {"photo": SimpleUploadedFile("a.jpg", good_photo(), content_type="image/jpeg")}
    )

    html = signed_in.get(last["Location"]).content.decode()
    number = Certificate.objects.get().number
    assert "Chúc mừng!" in html and f"/learning/certificates/{number}/print/" in html


# --- weight and queries ------------------------------------------------------------------


def test_the_lesson_page_with_its_css_and_js_is_under_50_kb(signed_in, course):
    response = signed_in.get(LESSON_URL)
    html = response.content.decode()

    assets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html) + re.findall(
        r'<script src="([^"]+)"', html
    )
    sizes = [Path(finders.find(url.removeprefix(settings.STATIC_URL))).stat().st_size for url in assets]

    assert {url.rsplit("/", 1)[-1] for url in assets} >= {
        "site.css",
        "site.js",
        "learning.css",
        "learning.js",
    }
    assert len(response.content) + sum(sizes) <= PAGE_BUDGET, (len(response.content), sizes)


def _big_course(root: Path, lessons: int) -> None:
    """A second course with ``lessons`` lessons of three questions each."""
    folder = root / "khoa-lon"
    folder.mkdir()
    lines = [
        "title: Khoá lớn",
        "title_en: Big course",
        "summary: Nhiều bài",
        "summary_en: Many lessons",
        "published: true",
        "lessons:",
    ]
    for n in range(lessons):
        lines += [f"  - slug: bai-{n}", f"    title: Bài {n}", f"    title_en: Lesson {n}", "    activities:"]
        for m in range(3):
            lines += [
                f"      - slug: cau-{m}",
                "        kind: scam",
                "        prompt: Tin nhắn lạ",
                "        prompt_en: A strange text",
                "        verdict: scam",
                "        explanation: Lừa đảo",
                "        explanation_en: A scam",
            ]
        (folder / f"bai-{n}.vi.md").write_text(f"Bài {n}", encoding="utf-8")
        (folder / f"bai-{n}.en.md").write_text(f"Lesson {n}", encoding="utf-8")
    (folder / "course.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("small", "big"),
    [
        ("/learning/", "/learning/"),
        (f"/learning/courses/{COURSE_SLUG}/", "/learning/courses/khoa-lon/"),
        (f"/learning/courses/{COURSE_SLUG}/otp/", "/learning/courses/khoa-lon/bai-5/"),
        ("/learning/mine/", "/learning/mine/"),
    ],
)
def test_progress_pages_use_a_fixed_number_of_queries(
    signed_in, learner, content, django_assert_max_num_queries, small, big
):
    courses_load(content)
    pass_course(learner)
    signed_in.get(f"/learning/courses/{COURSE_SLUG}/otp/")  # first visit notes the start
    signed_in.get(small)
    with django_assert_max_num_queries(12):
        small_count = _queries(signed_in, small)

    _big_course(content, 12)
    courses_load(content)
    for n in range(12):
        signed_in.get(f"/learning/courses/khoa-lon/bai-{n}/")
    with django_assert_max_num_queries(12):
        big_count = _queries(signed_in, big)

    assert big_count == small_count


# --- certificates -----------------------------------------------------------------------


@pytest.fixture
def certificate(course, learner) -> Certificate:
    pass_course(learner)
    return Certificate.objects.get()


def test_the_printable_certificate_carries_a_qr_to_the_verification_page(signed_in, certificate):
    response = signed_in.get(f"/learning/certificates/{certificate.number}/print/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Lò Thị Ơn" in html and certificate.number in html
    assert "<svg" in html and "</svg>" in html
    assert f"http://testserver/learning/certificates/{certificate.number}/?s={certificate.signature}" in html


def test_nobody_else_opens_her_printable_certificate(client, certificate):
    client.force_login(UserFactory())

    assert client.get(f"/learning/certificates/{certificate.number}/print/").status_code == 404


def test_the_verification_page_says_valid_and_shows_the_details(client, certificate):
    html = client.get(
        f"/learning/certificates/{certificate.number}/?s={certificate.signature}"
    ).content.decode()

    assert 'data-state="valid"' in html and "Lò Thị Ơn" in html and "100%" in html


def test_the_verification_page_says_invalid_for_an_altered_certificate_and_shows_nothing(client, certificate):
    Certificate.objects.filter(pk=certificate.pk).update(learner_name="Người Khác", score_percent=100)

    html = client.get(
        f"/learning/certificates/{certificate.number}/?s={certificate.signature}"
    ).content.decode()

    assert 'data-state="invalid"' in html and "Người Khác" not in html


def test_the_verification_page_without_a_signature_shows_nothing_about_the_learner(client, certificate):
    html = client.get(f"/learning/certificates/{certificate.number}/").content.decode()

    assert 'data-state="invalid"' in html and "Lò Thị Ơn" not in html


def test_the_verification_page_says_revoked(client, certificate):
    certificate_revoke(actor=UserFactory(is_staff=True), certificate=certificate, reason="Sai sót")

    html = client.get(
        f"/learning/certificates/{certificate.number}/?s={certificate.signature}"
    ).content.decode()

    assert 'data-state="revoked"' in html


def test_my_learning_lists_her_certificates_and_courses(signed_in, certificate):
    html = signed_in.get("/learning/mine/").content.decode()

    assert f'data-testid="certificate-{certificate.number}"' in html
    assert "Đã học 2/2 bài" in html
