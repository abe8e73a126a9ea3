"""The offline part of learning as a browser meets it: the service worker, the manifest, the offline
page, the download button, and the outbox's batches (a duplicate client id counted once)."""

from __future__ import annotations

import base64
import io
import json
import re
import uuid

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.defaultfilters import filesizeformat
from PIL import Image

from ketnoi.learning import views_offline
from ketnoi.learning.models import Answer, LessonProgress
from ketnoi.learning.packages import course_package_size

from .conftest import COURSE_SLUG, activity

pytestmark = pytest.mark.django_db

SW_URL = "/learning/sw.js"
COURSE_URL = f"/learning/courses/{COURSE_SLUG}/"
LESSON_URL = f"/learning/courses/{COURSE_SLUG}/otp/"
MANIFEST = "learning/manifest.webmanifest"


def worker_config(body: str) -> dict:
    """The settings the worker was built with (the object on its ``var C = …;`` line)."""
    found = re.search(r"^var C = (\{.*\});$", body, re.MULTILINE)
    assert found, "the worker has no settings line"
    return json.loads(found.group(1))


def static_path(url: str) -> str:
    return url.removeprefix(settings.STATIC_URL)


@pytest.fixture
def signed_in(client, learner):
    client.force_login(learner)
    return client


# --- the service worker -------------------------------------------------------------------


def test_the_worker_is_javascript_under_learning_and_never_kept_by_the_browser(client):
    response = client.get(SW_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "no-cache"
    assert "Service-Worker-Allowed" not in response  # its own folder is its scope
    config = worker_config(response.content.decode())
    assert config["scope"] == "/learning/" and SW_URL.startswith(config["scope"])


def test_the_worker_answers_only_get(client):
    assert client.post(SW_URL).status_code == 405


def test_everything_the_worker_keeps_at_installation_exists(client):
    config = worker_config(client.get(SW_URL).content.decode())

    statics = [url for url in config["shell"] if url.startswith(settings.STATIC_URL)]
    pages = [url for url in config["shell"] if not url.startswith(settings.STATIC_URL)]

    assert pages == [config["offline_url"]] == ["/learning/offline/"]
    assert client.get(config["offline_url"]).status_code == 200
    assert {static_path(url) for url in statics} == set(views_offline.SHELL_STATIC)
    assert all(finders.find(static_path(url)) for url in statics)
    # The scripts and stylesheet a lesson page loads are all kept, so it draws offline as online.
    html = client.get("/learning/").content.decode()
    loaded = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html) + re.findall(
        r'<script src="([^"]+)"', html
    )
    assert set(loaded) <= set(statics)


def test_the_worker_version_names_its_shell_cache_and_follows_its_files(client, settings, monkeypatch):
    first = worker_config(client.get(SW_URL).content.decode())
    again = worker_config(client.get(SW_URL).content.decode())
    assert first["version"] == again["version"]
    assert first["shell_cache"] == first["shell_prefix"] + first["version"]
    assert re.fullmatch(r"[0-9a-f]{16}", first["version"])

    # When the shell changes (here: one file fewer), browsers get a new worker and a new shell cache.
    settings.DEBUG = True  # computed per request, as while developing
    monkeypatch.setattr(views_offline, "SHELL_STATIC", views_offline.SHELL_STATIC[:-1])
    changed = worker_config(client.get(SW_URL).content.decode())
    assert changed["version"] != first["version"]
    assert changed["shell_cache"] != first["shell_cache"]


def test_the_page_script_uses_the_caches_the_worker_fills(client):
    config = worker_config(client.get(SW_URL).content.decode())
    script = open(finders.find("learning/offline.js"), encoding="utf-8").read()  # noqa: SIM115

    assert f'PAGES = "{config["pages_cache"]}"' in script
    assert f'FILES = "{config["files_cache"]}"' in script
    assert config["media_url"] == f"{settings.MEDIA_URL}learning/"


# --- the installable app ----------------------------------------------------------------------


def test_the_manifest_installs_kết_nối_học_in_vietnamese_with_its_icons(client):
    manifest = json.loads(open(finders.find(MANIFEST), encoding="utf-8").read())  # noqa: SIM115

    assert manifest["name"] == "Kết Nối – Học"
    assert (manifest["start_url"], manifest["scope"], manifest["display"], manifest["lang"]) == (
        "/learning/",
        "/learning/",
        "standalone",
        "vi",
    )
    purposes = set()
    for icon in manifest["icons"]:
        path = finders.find(f"learning/{icon['src']}")
        assert path, icon["src"]
        with Image.open(path) as image:
            assert f"{image.width}x{image.height}" == icon["sizes"] and image.format == "PNG"
        purposes.add(icon["purpose"])
    assert {"192x192", "512x512"} <= {icon["sizes"] for icon in manifest["icons"]}
    assert purposes == {"any", "maskable"}


def test_the_manifest_is_served_as_a_web_app_manifest(client):
    response = client.get(settings.STATIC_URL + MANIFEST)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/manifest+json"), (
        "add WHITENOISE_MIMETYPES = {'.webmanifest': 'application/manifest+json'} to the settings"
    )
    assert json.loads(b"".join(response.streaming_content))["start_url"] == "/learning/"


@pytest.mark.parametrize("url", ["/learning/", COURSE_URL, LESSON_URL, "/learning/offline/"])
def test_learning_pages_link_the_manifest_and_load_the_offline_script_without_inline_code(
    client, course, url
):
    response = client.get(url)
    html = response.content.decode()

    assert response.status_code == 200
    manifest = re.search(r'<link rel="manifest" href="([^"]+)"', html).group(1)
    assert static_path(manifest) == MANIFEST
    tag = re.search(r'<script src="([^"]+/offline\.js)"[^>]*>', html)
    assert tag and " defer" in tag.group(0)
    assert 'data-sw="/learning/sw.js"' in tag.group(0) and 'data-sync="/learning/answers/sync"' in tag.group(
        0
    )
    # The strict CSP allows no inline script or style: every <script> has a src, no style="".
    assert all("src=" in opening for opening in re.findall(r"<script\b[^>]*>", html))
    assert " style=" not in html
    assert "unsafe-inline" not in response.get("Content-Security-Policy", "")


def test_the_offline_page_says_what_she_can_still_do(client):
    html = client.get("/learning/offline/").content.decode()

    assert "Chưa có mạng" in html
    assert "data-offline-pages" in html


# --- downloading a course ---------------------------------------------------------------------


def test_the_course_page_offers_the_download_with_its_size(client, course):
    html = client.get(COURSE_URL).content.decode()

    size = course_package_size(course, language="vi")
    assert size > 0
    box = html[html.index("data-download=") :]
    assert "Tải về để học khi không có mạng" in box
    assert f"({filesizeformat(size)})" in box
    assert 'data-done="Đã tải về' in box


def test_the_download_size_is_in_the_pages_language(client, course):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = client.get(COURSE_URL).content.decode()

    assert f"({filesizeformat(course_package_size(course, language='en'))})" in html


# --- the outbox's batches ---------------------------------------------------------------------


def sync(client, items: list[dict]):
    return client.post("/learning/answers/sync", {"items": items}, content_type="application/json")


def test_a_batch_with_the_same_answer_twice_counts_it_once(signed_in, course, learner):
    # Given her outbox holds one answer twice (sent, line dropped, kept and sent again) and another
    right = {"client_id": str(uuid.uuid4()), "activity": activity("hoi-otp").pk, "response": {"choice": "b"}}
    other = {
        "client_id": str(uuid.uuid4()),
        "activity": activity("tin-nhan-ngan-hang").pk,
        "response": {"choice": "scam"},
        "answered_at": "2025-01-01T08:00:00+07:00",
    }

    # When the batch arrives
    response = sync(signed_in, [right, dict(right), other])

    # Then each item has its result, the copy as a duplicate with the same grading
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["recorded", "duplicate", "recorded"]
    assert [r["client_id"] for r in results] == [right["client_id"], right["client_id"], other["client_id"]]
    assert results[0]["correct"] is results[1]["correct"] is True
    assert results[0]["score"] == results[1]["score"] == 1
    # And the answer is stored once, her progress counting it once
    assert Answer.objects.filter(learner=learner).count() == 2
    progress = LessonProgress.objects.get(learner=learner, lesson__slug="otp")
    assert progress.score == 2

    # When the phone sends the same answer again later (it never heard back)
    again = sync(signed_in, [right]).json()["results"]

    # Then the stored result comes back and nothing more is counted
    assert again[0]["status"] == "duplicate" and again[0]["correct"] is True
    assert Answer.objects.filter(learner=learner).count() == 2
    assert LessonProgress.objects.get(pk=progress.pk).score == 2


def test_a_score_sent_with_the_answer_is_ignored(signed_in, course, learner):
    wrong = {
        "client_id": str(uuid.uuid4()),
        "activity": activity("hoi-otp").pk,
        "response": {"choice": "a"},
        "correct": True,
        "score": 99,
    }

    result = sync(signed_in, [wrong]).json()["results"][0]

    assert (result["status"], result["correct"], result["score"]) == ("recorded", False, 0)
    assert LessonProgress.objects.get(learner=learner, lesson__slug="otp").score == 0


def test_a_signed_out_phone_keeps_its_outbox(client, course):
    item = {"client_id": str(uuid.uuid4()), "activity": activity("hoi-otp").pk, "response": {"choice": "b"}}

    response = sync(client, [item])

    assert response.status_code == 401  # the script keeps the item and shows why
    assert response.json()["detail"]
    assert not Answer.objects.exists()


def test_a_photo_from_the_outbox_is_graded_like_an_upload(signed_in, course):
    # The script sends the photo as a data: URL (made smaller on the phone when it is big).
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), (20, 20, 20)).save(buffer, "JPEG")
    data = "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()
    item = {"client_id": str(uuid.uuid4()), "activity": activity("chup-anh").pk, "response": {"photo": data}}

    result = sync(signed_in, [item]).json()["results"][0]

    assert result["status"] == "recorded" and result["correct"] is False
    assert result["feedback"]  # dark and small: the market's own hints, in words


def test_downloading_a_lesson_for_offline_use_does_not_count_as_opening_it(course, signed_in, learner):
    prefetched = signed_in.get(LESSON_URL, headers={"Purpose": "prefetch"})

    assert prefetched.status_code == 200
    assert not LessonProgress.objects.filter(learner=learner).exists()

    signed_in.get(LESSON_URL)

    assert LessonProgress.objects.filter(learner=learner).count() == 1
