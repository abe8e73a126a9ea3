"""Learning on a cheap phone with a line that comes and goes: the issue's "done when", in Chromium.

Sùng Thị Dợ, a domestic worker (demo account 0900000007), signs in on her phone and downloads the
course "Nhận tiền an toàn". The network is cut. She opens a downloaded lesson, answers, and sees
that her answer waits on the phone; she even closes the tab. When the line is back the answer is
sent by itself and her progress counts it exactly once, on the page and in the database; the same
answer sent again is not counted twice. She answers the rest rightly, passes, and the QR code on
her certificate opens a page that says it is genuine; the same address with an altered signature
says it is not. Her trainer sees her progress and certificate. A last test weighs a lesson page.

The session server holds the demo world; the courses are loaded here (``learning_load``, which
does nothing when they are already loaded), and the trainer and her class are made through the
trainer's services in a management shell, as an administrator would through the trainer pages.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import segno
import yaml
from playwright.sync_api import Browser, BrowserContext, Page, Request, expect

from e2e.phone import PHONE_CONTEXT

from .conftest import DEMO_PASSWORD, RESULTS, ROOT, _manage, _server_env, route_media

LEARNER_PHONE = "0900000007"
LEARNER_NAME = "Sùng Thị Dợ"
TRAINER_PHONE = "0900000700"
TRAINER_NAME = "Giàng Thị Mai"
GROUP_NAME = "Lớp nhận tiền an toàn Ba Đình"
COURSE = "nhan-tien-an-toan"
COURSE_FILE = ROOT / "content" / "learning" / COURSE / "course.yaml"
OFFLINE_LESSON = "khong-dua-otp"
PICTURE_LESSON = "vietqr"
# A reply with a greeting, the amount and a safe way to pay (the practice task's three checks).
REPLY = (
    "Dạ chào chị, cảm ơn chị ạ. Hai khăn đỏ là 500.000 đồng. "
    "Chị quét mã VietQR em gửi hoặc trả tiền khi nhận hàng nhé."
)
BUDGET_BYTES = 50 * 1024
NOT_COUNTED = {"image", "media"}

TRAINER_SETUP = f"""
from ketnoi.accounts.models import Role, RoleAssignment, User
from ketnoi.core.phone import normalize_phone
from ketnoi.learning.models import Course, LearningGroup
from ketnoi.learning.services_trainer import group_create, group_learners_add
learner = User.objects.get(phone=normalize_phone({LEARNER_PHONE!r}))
commune = learner.home_commune
trainer = User.objects.filter(phone=normalize_phone({TRAINER_PHONE!r})).first()
if trainer is None:
    trainer = User.objects.create_user({TRAINER_PHONE!r}, {DEMO_PASSWORD!r}, display_name={TRAINER_NAME!r},
                                       home_commune=commune)
    RoleAssignment.objects.create(user=trainer, role=Role.TRAINER, province=commune.province)
if not LearningGroup.objects.filter(trainer=trainer, name={GROUP_NAME!r}).exists():
    group = group_create(actor=trainer, name={GROUP_NAME!r}, commune=commune,
                         courses=[Course.objects.get(slug={COURSE!r})])
    group_learners_add(actor=trainer, group=group, phones={LEARNER_PHONE!r})
"""

COUNT_ANSWERS = """
import json
from ketnoi.core.phone import normalize_phone
from ketnoi.learning.models import Answer, LessonProgress
phone = normalize_phone({phone!r})
rows = Answer.objects.filter(learner__phone=phone, activity__lesson__course__slug={course!r})
progress = LessonProgress.objects.filter(learner__phone=phone, lesson__slug={lesson!r}).first()
print(json.dumps({{"answers": rows.count(), "client_ids": [str(a.client_id) for a in rows],
                  "lesson_score": progress.score if progress else None}}))
"""

# Speech cannot be heard in a test: this spy stands in for the speaker (as in test_read_aloud.py).
SPEECH_SPY = """
window.__spoken = [];
if ('speechSynthesis' in window) {
  window.speechSynthesis.speak = (utterance) => {
    window.__spoken.push({text: utterance.text, lang: utterance.lang});
  };
}
"""

RESEND = """
async ([url, item]) => {
  const token = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/)[1];
  const response = await fetch(url, {method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-CSRFToken": token},
    body: JSON.stringify({items: [item]})});
  return {status: response.status, body: await response.json()};
}
"""


# --- the world ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server_env(server: str, server_var_dir: Path) -> dict[str, str]:
    return _server_env(server_var_dir)


def _shell(env: dict[str, str], code: str) -> str:
    done = _manage(env, "shell", "--command", code)
    assert done.returncode == 0, f"manage.py shell failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def courses(server_env: dict[str, str]) -> dict[str, Any]:
    """The courses loaded into the session server; the scam course as its file says it."""
    done = _manage(server_env, "learning_load")
    assert done.returncode == 0, f"learning_load failed:\n{done.stdout}\n{done.stderr}"
    return yaml.safe_load(COURSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def trainer_group(server_env: dict[str, str], courses: dict[str, Any]) -> None:
    _shell(server_env, TRAINER_SETUP)


def _answers_on_server(env: dict[str, str], lesson: str) -> dict[str, Any]:
    out = _shell(env, COUNT_ANSWERS.format(phone=LEARNER_PHONE, course=COURSE, lesson=lesson))
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture
def phone(browser: Browser, server: str, media_url: str) -> Iterator[BrowserContext]:
    """Her phone: 360 px, Vietnamese, the course pictures served as in production."""
    context = browser.new_context(base_url=server, **PHONE_CONTEXT)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    route_media(context, media_url)
    yield context
    context.close()


def _sign_in(page: Page, phone_number: str, then: str) -> None:
    page.goto(f"/accounts/login/?next={then}")
    page.get_by_label("Số điện thoại", exact=False).fill(phone_number)
    page.get_by_label("Mật khẩu", exact=False).fill(DEMO_PASSWORD)
    page.locator("main").get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_test_id("user-name")).to_be_visible()


# --- the course file: right answers -----------------------------------------------------------


def _until(page: Page, condition: str, seconds: float = 15) -> None:
    """Wait until ``condition`` (a JavaScript function) holds on the page.

    ``wait_for_function`` evaluates its predicate as a string, which the site's CSP (no
    'unsafe-eval') forbids; ``evaluate`` goes through DevTools and is allowed.
    """
    deadline = time.monotonic() + seconds
    while not page.evaluate(condition):
        assert time.monotonic() < deadline, f"still false after {seconds} s: {condition}"
        page.wait_for_timeout(100)


def _lesson(course: dict[str, Any], slug: str) -> dict[str, Any]:
    return next(lesson for lesson in course["lessons"] if lesson["slug"] == slug)


def _right_choices(activity: dict[str, Any]) -> list[str]:
    if activity["kind"] == "scam" and "verdict" in activity:
        return [activity["verdict"]]
    correct = activity["correct"]
    return correct if isinstance(correct, list) else [correct]


def _total_points(course: dict[str, Any]) -> int:
    return sum(a.get("points", 1) for lesson in course["lessons"] for a in lesson.get("activities", []))


def _answer(page: Page, activity: dict[str, Any]) -> None:
    """Answer ``activity`` rightly on the lesson page, by tapping and typing as she would."""
    section = page.locator(f"#act-{activity['slug']}")
    if activity["kind"] in ("choice", "picture_choice", "scam"):
        for key in _right_choices(activity):
            section.locator(f'input[name="choice"][value="{key}"]').check()
    elif activity["kind"] == "practice_reply":
        section.locator("textarea[name=text]").fill(REPLY)
    else:  # the scam course has no other kind; a new one needs its own way of answering here
        raise AssertionError(f"no way to answer {activity['kind']}")
    section.get_by_role("button", name=re.compile("^Trả lời")).click()


def _expect_right(page: Page, slug: str) -> None:
    expect(page.get_by_test_id(f"result-{slug}")).to_contain_text(re.compile(r"Đúng rồi!|Đạt!"))


def _progress_percent(page: Page) -> int:
    found = re.search(r"điểm (\d+)%", page.get_by_test_id("course-progress").inner_text())
    assert found, "the course page shows no score"
    return int(found.group(1))


def _keep_sync_bodies(sent: list[dict[str, Any]]) -> Callable[[Request], None]:
    """A request listener keeping the JSON bodies the page sends to the answers' sync."""

    def listen(request: Request) -> None:
        if request.url.endswith("/answers/sync"):
            sent.append(request.post_data_json or {})

    return listen


def _qr_matches(svg: str, payload: str) -> bool:
    """Whether the SVG draws the QR code of ``payload`` (segno, whichever error level and border)."""
    drawn = re.findall(r'\sd="([^"]+)"', svg)
    assert drawn, "the QR code has no path"
    for level in "lmqh":
        for border in range(5):
            expected = segno.make(payload, error=level, micro=False).svg_inline(
                scale=1, border=border, omitsize=True
            )
            if re.findall(r'\sd="([^"]+)"', expected)[-1:] == drawn[-1:]:
                return True
    return False


# --- the story ----------------------------------------------------------------------------------


def test_offline_lesson_answer_is_saved_once_she_passes_and_her_certificate_verifies(
    phone: BrowserContext,
    browser: Browser,
    server: str,
    server_env: dict[str, str],
    courses: dict[str, Any],
    trainer_group: None,
) -> None:
    course_url = f"/learning/courses/{COURSE}/"
    lesson_url = f"{course_url}{OFFLINE_LESSON}/"
    offline_lesson = _lesson(courses, OFFLINE_LESSON)
    first = offline_lesson["activities"][0]
    before = _answers_on_server(server_env, OFFLINE_LESSON)

    # Given Dợ signed in on her phone, on the course page
    page = phone.new_page()
    sent: list[dict[str, Any]] = []
    page.on("request", _keep_sync_bodies(sent))
    _sign_in(page, LEARNER_PHONE, course_url)
    expect(page.locator("h1")).to_have_text(courses["title"])
    _until(page, "() => navigator.serviceWorker.controller !== null")
    percent_before = _progress_percent(page)

    # When she downloads the course for offline use
    download = page.get_by_test_id("download-course")
    expect(download).to_contain_text(re.compile(r"Tải về để học khi không có mạng \(\d[\d,.]*\s(KB|MB|byte)"))
    download.click()

    # Then the page says it is on the phone
    expect(page.get_by_test_id("download-state")).to_have_text(re.compile("^Đã tải về"))

    # When the network is cut and she opens a downloaded lesson with pictures
    phone.set_offline(True)
    page.goto(f"{course_url}{PICTURE_LESSON}/")
    expect(page.locator("h1")).to_have_text(_lesson(courses, PICTURE_LESSON)["title"])
    pictures = page.locator(".pictures img")
    expect(pictures.first).to_be_visible()
    for index in range(pictures.count()):
        pictures.nth(index).scroll_into_view_if_needed()
    _until(
        page,
        "() => [...document.querySelectorAll('.pictures img')].every(i => i.complete && i.naturalWidth > 0)",
    )

    # And a page she never downloaded says there is no connection and lists what she has
    page.goto("/learning/courses/quan-ly-tien/")
    expect(page.locator("h1")).to_have_text("Chưa có mạng")
    expect(page.get_by_test_id("offline-pages")).to_contain_text(offline_lesson["title"])

    # When she continues with the lesson and answers its first question
    page.goto(lesson_url)
    expect(page.locator("h1")).to_have_text(offline_lesson["title"])
    _answer(page, first)

    # Then she sees that it is saved on the phone and waits to be sent
    expect(page.locator(f"#act-{first['slug']} .result-slot")).to_have_text(
        "Đã lưu trên máy, sẽ gửi khi có mạng."
    )
    expect(page.locator("#outbox-status")).to_have_text("1 câu trả lời đang chờ gửi")
    assert _answers_on_server(server_env, OFFLINE_LESSON)["answers"] == before["answers"]

    # And closing the tab loses nothing: the answer still waits when she comes back, still offline
    page.close()
    page = phone.new_page()
    page.on("request", _keep_sync_bodies(sent))
    page.goto(lesson_url)
    expect(page.locator("#outbox-status")).to_have_text("1 câu trả lời đang chờ gửi")
    assert _answers_on_server(server_env, OFFLINE_LESSON)["answers"] == before["answers"]

    # When the line comes back
    phone.set_offline(False)

    # Then the answer is sent by itself and graded by the server
    _expect_right(page, first["slug"])
    expect(page.locator("#outbox-status")).to_be_hidden()

    # And the server holds it exactly once, her progress counting it once
    after = _answers_on_server(server_env, OFFLINE_LESSON)
    assert after["answers"] == before["answers"] + 1
    item = next(body["items"][0] for body in sent if body and body.get("items"))
    assert item["client_id"] in after["client_ids"]
    assert set(item) == {"client_id", "activity", "response", "answered_at"}
    page.goto(course_url)
    points = first.get("points", 1)
    expected = round(
        100 * (points + round(percent_before * _total_points(courses) / 100)) / _total_points(courses)
    )
    assert _progress_percent(page) == expected

    # When the same answer arrives again (a phone that never heard back sends it again)
    resent = page.evaluate(RESEND, ["/learning/answers/sync", item])

    # Then the server gives back the stored result and counts nothing more
    assert resent["status"] == 200
    assert resent["body"]["results"][0]["status"] == "duplicate"
    assert resent["body"]["results"][0]["correct"] is True
    assert _answers_on_server(server_env, OFFLINE_LESSON) == after
    page.reload()
    assert _progress_percent(page) == expected

    # When she answers every other question rightly, online now
    for lesson in courses["lessons"]:
        page.goto(f"{course_url}{lesson['slug']}/")
        for activity in lesson["activities"]:
            if activity is first:
                continue
            _answer(page, activity)
            _expect_right(page, activity["slug"])

    # Then she has passed: her page shows the certificate
    page.goto("/learning/mine/")
    page.get_by_role("link", name=re.compile(courses["title"])).first.click()
    expect(page.get_by_test_id("certificate-name")).to_have_text(LEARNER_NAME)
    number = page.get_by_test_id("certificate-number").inner_text().strip()

    # And its QR code carries the address of the public verification page, with the signature
    verify_url = page.locator(".certificate-url").inner_text().strip()
    assert _qr_matches(page.locator(".certificate-qr svg").evaluate("svg => svg.outerHTML"), verify_url)
    parts = urlsplit(verify_url)
    assert parts.path == f"/learning/certificates/{number}/" and parse_qs(parts.query)["s"]

    # When anyone opens that address (signed out: another phone)
    anyone = browser.new_context(base_url=server, **PHONE_CONTEXT)  # type: ignore[arg-type]
    check = anyone.new_page()
    check.goto(verify_url)

    # Then it says the certificate is genuine, with her name
    expect(check.get_by_test_id("verify-state")).to_have_attribute("data-state", "valid")
    expect(check.get_by_test_id("verify-name")).to_have_text(LEARNER_NAME)

    # When the signature in the address is altered
    signature = parse_qs(parts.query)["s"][0]
    altered = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    check.goto(f"{parts.path}?s={altered}")

    # Then it says it cannot be verified, and shows nobody's details
    expect(check.get_by_test_id("verify-state")).to_have_attribute("data-state", "invalid")
    expect(check.get_by_test_id("verify-name")).to_have_count(0)
    anyone.close()

    # When her trainer opens her class
    trainer = browser.new_context(base_url=server, **PHONE_CONTEXT)  # type: ignore[arg-type]
    desk = trainer.new_page()
    _sign_in(desk, TRAINER_PHONE, "/learning/trainer/")
    desk.get_by_role("link", name=GROUP_NAME).first.click()

    # Then she sees Dợ's progress in the course: every lesson done, and the certificate
    row = desk.get_by_test_id(f"grid-{COURSE}").get_by_test_id("learner-row").filter(has_text=LEARNER_NAME)
    expect(row).to_have_count(1)
    expect(row.locator("td.c-done")).to_have_count(len(courses["lessons"]))
    expect(row).to_contain_text(number)
    trainer.close()


def test_every_lesson_part_and_question_is_read_aloud_and_large_text_stays(
    phone: BrowserContext, courses: dict[str, Any]
) -> None:
    # Given a phone that can speak, on a lesson of the scam course
    lesson = _lesson(courses, OFFLINE_LESSON)
    page = phone.new_page()
    page.add_init_script(SPEECH_SPY)
    page.goto(f"/learning/courses/{COURSE}/{OFFLINE_LESSON}/")

    # Then the lesson and each question have their own read-aloud button
    expect(page.locator("article.lesson [data-read]")).to_be_visible()
    for activity in lesson["activities"]:
        expect(page.locator(f"#act-{activity['slug']} [data-read]")).to_be_visible()

    # When she taps the one of the first question
    first = lesson["activities"][0]
    page.locator(f"#act-{first['slug']} [data-read]").click()

    # Then its question and its choices are spoken in Vietnamese
    spoken = page.evaluate("window.__spoken")
    assert len(spoken) == 1 and spoken[0]["lang"] == "vi-VN"
    assert first["prompt"].strip() in spoken[0]["text"]
    assert first["options"][0]["text"] in spoken[0]["text"]

    # When she turns on large text and opens another page
    page.get_by_role("button", name="Chữ to").click()
    page.goto(f"/learning/courses/{COURSE}/")

    # Then the text is still large
    expect(page.locator("html")).to_have_class(re.compile(r"\blarge-text\b"))
    expect(page.get_by_role("button", name="Chữ to")).to_have_attribute("aria-pressed", "true")


def test_the_lesson_page_transfers_under_50_kb_before_images_with_its_offline_script(
    browser: Browser, server: str, media_url: str, courses: dict[str, Any]
) -> None:
    # Given her phone signed in, nothing in its HTTP cache, no service worker answering for the network
    context = browser.new_context(base_url=server, service_workers="block", **PHONE_CONTEXT)  # type: ignore[arg-type]
    route_media(context, media_url)
    page = context.new_page()
    _sign_in(page, LEARNER_PHONE, "/learning/")
    context.new_cdp_session(page).send("Network.setCacheDisabled", {"cacheDisabled": True})
    finished: list[Request] = []
    page.on("requestfinished", lambda request: finished.append(request))

    # When she opens a lesson with pictures and it settles
    page.goto(f"/learning/courses/{COURSE}/{PICTURE_LESSON}/", wait_until="networkidle")

    # Then what crossed the wire before images, offline script included, fits the budget
    counted = []
    for request in finished:
        if request.resource_type in NOT_COUNTED:
            continue
        sizes = request.sizes()
        counted.append((sizes["responseHeadersSize"] + sizes["responseBodySize"], request.url))
    context.close()
    names = {urlsplit(url).path.rsplit("/", 1)[-1] for _, url in counted}
    assert {"offline.js", "learning.js", "site.css"} <= {re.sub(r"\.[0-9a-f]{12}\.", ".", n) for n in names}
    total = sum(size for size, _ in counted)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "learning-weight.json").write_text(
        json.dumps(
            {"lesson_bytes_before_images": total, "budget": BUDGET_BYTES, "requests": counted}, indent=1
        )
    )
    assert total <= BUDGET_BYTES, f"{total} bytes > {BUDGET_BYTES}: {sorted(counted, reverse=True)}"
