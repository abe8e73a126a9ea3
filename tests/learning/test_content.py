"""The courses shipped in ``content/learning/``: they load, are bilingual, answerable, light and passable."""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw

from ketnoi.accounts.models import Role
from ketnoi.learning.grading import CHOICE_KINDS, grade
from ketnoi.learning.loader import content_root, courses_load, courses_read
from ketnoi.learning.models import Activity, Certificate, Course
from ketnoi.learning.packages import _storage_name, course_package_size, lesson_text_bytes
from ketnoi.learning.services import answer_record
from tests.accounts.factories import user_with_role

SHIPPED = ("ban-hang-online", "nhan-tien-an-toan", "quan-ly-tien", "giup-viec-gia-dinh")
PRACTICE = {Activity.Kind.PRACTICE_PHOTO, Activity.Kind.PRACTICE_STORY, Activity.Kind.PRACTICE_REPLY}
MAX_IMAGE_BYTES = 8 * 1024  # our own drawings: small enough for 3G
MAX_LESSON_TEXT_BYTES = 12 * 1024  # a lesson's own text in one language, before the page frame
MAX_LESSON_PAGE_BYTES = 50 * 1024  # the budget for a whole lesson page before images
MAX_PACKAGE_BYTES = 100 * 1024  # a whole course offline, text and pictures

_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
_WORD = re.compile(r"\w+")
_QUOTED_EXAMPLE = re.compile(r'"([^"]{20,})"')


def folder(slug: str) -> Path:
    return Path(settings.BASE_DIR) / "content" / "learning" / slug


def lesson_words(path: Path) -> int:
    text = _MD_IMAGE.sub("", path.read_text(encoding="utf-8"))
    return len(_WORD.findall(text))


@pytest.fixture
def loaded(db):
    courses_load(content_root(), SHIPPED)
    return {course.slug: course for course in Course.objects.filter(slug__in=SHIPPED)}


# --- Files -------------------------------------------------------------------------


def test_every_shipped_course_reads_without_a_problem():
    specs = {spec.slug: spec for spec in courses_read(content_root(), SHIPPED)}
    assert set(specs) == set(SHIPPED)
    for spec in specs.values():
        assert spec.published, spec.slug
        assert 3 <= len(spec.lessons) <= 4, spec.slug


@pytest.mark.parametrize("slug", SHIPPED)
def test_each_lesson_is_short_plain_text_in_both_languages(slug):
    for spec in courses_read(content_root(), [slug])[0].lessons:
        for language in ("vi", "en"):
            words = lesson_words(folder(slug) / f"{spec.slug}.{language}.md")
            assert 150 <= words <= 320, (slug, spec.slug, language, words)
        assert spec.body_html != spec.body_en_html
        assert "<table" not in spec.body_html


@pytest.mark.parametrize("slug", SHIPPED)
def test_every_picture_exists_is_small_is_used_and_is_described_in_both_languages(slug):
    root = folder(slug)
    used: set[str] = set()
    for markdown in sorted(root.glob("*.md")):
        for alt, src in _MD_IMAGE.findall(markdown.read_text(encoding="utf-8")):
            assert alt.strip(), (markdown.name, src)
            assert (root / src).is_file(), (markdown.name, src)
            used.add(src)
    for spec in courses_read(content_root(), [slug])[0].lessons:
        for activity in spec.activities:
            for option in activity.options:
                if "image" in option:
                    assert option["text"].strip() and option["text_en"].strip()
    course_yaml = (root / "course.yaml").read_text(encoding="utf-8")
    used |= set(re.findall(r"image: (images/[\w.-]+)", course_yaml))
    shipped = {f"images/{path.name}" for path in (root / "images").iterdir()}
    assert shipped == used, "every picture in images/ is used, and every picture used is there"
    for name in shipped:
        data = (root / name).read_bytes()
        assert len(data) < MAX_IMAGE_BYTES, name
        if name.endswith(".svg"):
            title = re.search(rb"<title>(.+?)</title>", data)
            assert title is not None and b" / " in title.group(1), (
                f"{name}: <title>Vietnamese / English</title>"
            )


# --- Loaded ------------------------------------------------------------------------


def test_every_course_loads_and_a_second_load_changes_nothing(db):
    first = {result.slug: result.status for result in courses_load(content_root(), SHIPPED)}
    second = {result.slug: result.status for result in courses_load(content_root(), SHIPPED)}
    assert first == dict.fromkeys(SHIPPED, "created")
    assert second == dict.fromkeys(SHIPPED, "unchanged")


def test_every_text_has_vietnamese_and_english(loaded):
    for course in loaded.values():
        for field in ("title", "summary"):
            assert getattr(course, field).strip() and getattr(course, f"{field}_en").strip(), (
                course.slug,
                field,
            )
        for lesson in course.lessons.all():
            assert lesson.title_en.strip() and lesson.title_en != lesson.title, lesson
            assert lesson.body_html.strip() and lesson.body_en_html.strip(), lesson
            for activity in lesson.activities.all():
                where = f"{course.slug}/{lesson.slug}/{activity.slug}"
                for field in ("prompt", "explanation"):
                    vietnamese, english = getattr(activity, field), getattr(activity, f"{field}_en")
                    assert vietnamese.strip() and english.strip() and vietnamese != english, (where, field)
                for option in activity.options:
                    assert option["text"].strip() and option.get("text_en", "").strip(), (where, option)
                for group in activity.answer_key.get("required", []):
                    assert group["label"].strip() and group["label_en"].strip(), (where, group)


def _examples(text: str) -> list[str]:
    return _QUOTED_EXAMPLE.findall(text)


def test_every_question_has_a_right_answer_that_the_grader_accepts(loaded):
    for course in loaded.values():
        for lesson in course.lessons.all():
            for activity in lesson.activities.all():
                where = f"{course.slug}/{lesson.slug}/{activity.slug}"
                if activity.kind in CHOICE_KINDS:
                    keys = [option["key"] for option in activity.options]
                    correct = activity.answer_key["correct"]
                    assert correct and set(correct) < set(keys), where  # at least one wrong choice
                    assert grade(activity, {"choices": correct}).correct, where
                    wrong = next(key for key in keys if key not in correct)
                    assert not grade(activity, {"choices": [wrong]}).correct, where
                elif activity.kind == Activity.Kind.PRACTICE_REPLY:
                    examples = _examples(activity.explanation) + _examples(activity.explanation_en)
                    assert len(examples) >= 2, where
                    for example in examples:  # the example we show passes our own grader, in both languages
                        assert grade(activity, {"text": example}).correct, (where, example)
                    assert not grade(activity, {"text": "ok"}).correct, where
                elif activity.kind == Activity.Kind.PRACTICE_STORY:
                    assert activity.options, where
                    assert all(q["text"] and q["text_en"] for q in activity.options), where
                else:
                    assert activity.kind == Activity.Kind.PRACTICE_PHOTO, where
                    assert activity.answer_key.get("serious"), where


def test_each_course_mixes_kinds_and_has_a_practice_task(loaded):
    for course in loaded.values():
        kinds = [activity.kind for lesson in course.lessons.all() for activity in lesson.activities.all()]
        assert PRACTICE & set(kinds), course.slug
        assert len(set(kinds)) >= 3, (course.slug, kinds)
        for lesson in course.lessons.all():
            assert 2 <= lesson.activities.count() <= 4, lesson


def test_every_picture_a_page_shows_is_in_storage(loaded):
    for course in loaded.values():
        for lesson in course.lessons.all():
            sources = re.findall(r'<img[^>]*src="([^"]+)"', lesson.body_html + lesson.body_en_html)
            sources += [o["image"] for a in lesson.activities.all() for o in a.options if o.get("image")]
            for src in sources:
                name = _storage_name(src)
                assert name and default_storage.exists(name), (lesson, src)


def test_lesson_pages_are_light(client, loaded):
    for course in loaded.values():
        for language in ("vi", "en"):
            for slug, size in lesson_text_bytes(course, language=language).items():
                assert size <= MAX_LESSON_TEXT_BYTES, (course.slug, slug, language, size)
        for lesson in course.lessons.all():
            response = client.get(f"/learning/courses/{course.slug}/{lesson.slug}/")
            assert response.status_code == 200
            assert len(response.content) <= MAX_LESSON_PAGE_BYTES, (
                course.slug,
                lesson.slug,
                len(response.content),
            )


def test_each_course_reports_its_offline_package_size(loaded, capsys):
    for slug in SHIPPED:
        course = loaded[slug]
        root = folder(slug)
        vietnamese = course_package_size(course)
        english = course_package_size(course, language="en")
        pictures = sum(path.stat().st_size for path in (root / "images").iterdir())
        texts = sum(lesson_text_bytes(course).values())
        assert vietnamese == texts + pictures  # every picture is used by the Vietnamese pages, once
        assert english == sum(lesson_text_bytes(course, language="en").values()) + pictures
        assert vietnamese <= MAX_PACKAGE_BYTES, (slug, vietnamese)
        with capsys.disabled():
            print(f"\n{slug}: offline package {vietnamese} bytes (vi), {english} bytes (en)")


def test_the_photo_practice_passes_a_good_photo_and_fails_a_dark_one(loaded):
    activity = Activity.objects.get(lesson__course__slug="ban-hang-online", kind=Activity.Kind.PRACTICE_PHOTO)
    good = Image.new("RGB", (1200, 900), (235, 230, 220))
    draw = ImageDraw.Draw(good)
    for x in range(400, 800, 20):
        for y in range(250, 650, 20):
            draw.rectangle((x, y, x + 9, y + 9), fill=(180, 30, 30))
    dark = Image.new("RGB", (1200, 900), (12, 10, 10))

    def as_bytes(image: Image.Image) -> bytes:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=90)
        return buffer.getvalue()

    passed = grade(activity, {"photo": as_bytes(good)})
    failed = grade(activity, {"photo": as_bytes(dark)})
    assert passed.correct, passed.feedback
    assert not failed.correct and "dark" in failed.feedback


def test_a_learner_who_answers_the_scam_course_right_gets_a_certificate(loaded, commune_a):
    learner = user_with_role(Role.SELLER, commune=commune_a)
    course = loaded["nhan-tien-an-toan"]
    for lesson in course.lessons.all():
        for activity in lesson.activities.all():
            if activity.kind in CHOICE_KINDS:
                response = {"choices": activity.answer_key["correct"]}
            else:
                response = {"text": _examples(activity.explanation)[0]}
            answer_record(learner=learner, client_id=uuid.uuid4(), activity_id=activity.pk, response=response)
    certificate = Certificate.objects.get(learner=learner, course=course)
    assert certificate.score_percent == 100
