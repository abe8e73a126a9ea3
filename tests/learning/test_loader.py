"""Loading courses from files: a good course loads whole; a broken one loads nothing and says where."""

from __future__ import annotations

import shutil
import uuid
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from ketnoi.learning.loader import CourseContentError, courses_load
from ketnoi.learning.models import Activity, Answer, Course, Lesson, LessonProgress
from ketnoi.learning.services import answer_record

from .conftest import COURSE_SLUG, activity

pytestmark = pytest.mark.django_db

YAML = f"{COURSE_SLUG}/course.yaml"


def edit(root: Path, name: str, old: str, new: str) -> None:
    path = root / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must appear once in {name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def problems_of(root: Path) -> list:
    with pytest.raises(CourseContentError) as raised:
        courses_load(root)
    return raised.value.problems


def test_a_good_course_loads_with_lessons_activities_and_clean_html(content):
    results = courses_load(content)

    assert [(r.slug, r.status, r.lessons, r.activities) for r in results] == [(COURSE_SLUG, "created", 2, 6)]
    assert results[0].package_bytes > 0
    course = Course.objects.get(slug=COURSE_SLUG)
    assert (course.title_en, course.pass_percent, course.published) == (
        "Staying safe when selling (test)",
        60,
        True,
    )
    assert list(course.lessons.values_list("slug", "position")) == [("otp", 1), ("thuc-hanh", 2)]
    otp = Lesson.objects.get(course=course, slug="otp")
    assert "<h2>Mã OTP là gì?</h2>" in otp.body_html  # a level-1 heading becomes h2 (the page has the h1)
    assert "<script" not in otp.body_html and "&lt;script&gt;" in otp.body_html  # raw HTML is shown as text
    assert "<h2>What is an OTP?</h2>" in otp.body_en_html
    practice = Lesson.objects.get(course=course, slug="thuc-hanh")
    assert 'rel="noopener noreferrer"' in practice.body_html
    kinds = dict(Activity.objects.filter(lesson__course=course).values_list("slug", "kind"))
    assert kinds == {
        "hoi-otp": "choice",
        "tin-nhan-ngan-hang": "scam",
        "anh-dep": "picture_choice",
        "chup-anh": "practice_photo",
        "cau-chuyen": "practice_story",
        "tra-loi": "practice_reply",
    }


def test_the_answer_key_never_sits_in_what_the_page_shows(course):
    choice = activity("hoi-otp")
    scam = activity("tin-nhan-ngan-hang")
    reply = activity("tra-loi")

    assert choice.answer_key == {"correct": ["b"]}
    assert all(set(option) == {"key", "text", "text_en"} for option in choice.options)
    assert [o["key"] for o in scam.options] == ["safe", "scam"] and scam.answer_key == {"correct": ["scam"]}
    assert reply.options == []
    assert reply.answer_key["required"][1]["keywords"] == ["#", "dong", "nghin"]  # folded for matching


def test_images_are_copied_into_media_under_their_content_hash(course):
    picture = activity("anh-dep")
    body = Lesson.objects.get(course=course, slug="otp").body_html

    for option in picture.options:
        name = option["image"].removeprefix("/media/")
        assert name.startswith(f"learning/{COURSE_SLUG}/") and default_storage.exists(name)
    assert f'src="/media/learning/{COURSE_SLUG}/' in body and 'alt="Tin nhắn có mã OTP"' in body


def test_loading_again_leaves_an_unchanged_course_alone(course, content):
    loaded_at = course.loaded_at

    results = courses_load(content)

    assert results[0].status == "unchanged"
    course.refresh_from_db()
    assert course.loaded_at == loaded_at


def test_check_only_loads_nothing(content):
    results = courses_load(content, check_only=True)

    assert results[0].status == "created"
    assert not Course.objects.exists()


BROKEN = [
    pytest.param(
        lambda root: (root / COURSE_SLUG / "images" / "sang.png").unlink(),
        "file_missing",
        YAML,
        "lessons[0].activities[2].options[1].image",
        id="missing-image",
    ),
    pytest.param(
        lambda root: (root / COURSE_SLUG / "images" / "otp.svg").unlink(),
        "file_missing",
        f"{COURSE_SLUG}/otp.vi.md, dòng 5",
        "images/otp.svg",
        id="missing-image-in-lesson-text",
    ),
    pytest.param(
        lambda root: edit(
            root, YAML, "        correct: b\n        explanation: Mã OTP", "        explanation: Mã OTP"
        ),
        "no_right_answer",
        YAML,
        "lessons[0].activities[0].correct",
        id="question-without-right-answer",
    ),
    pytest.param(
        lambda root: edit(
            root,
            YAML,
            "        correct: b\n        explanation: Mã OTP",
            "        correct: z\n        explanation: Mã OTP",
        ),
        "no_right_answer",
        YAML,
        "lessons[0].activities[0].correct",
        id="right-answer-not-an-option",
    ),
    pytest.param(
        lambda root: edit(root, YAML, "verdict: scam", "verdict: maybe"),
        "no_right_answer",
        YAML,
        "lessons[0].activities[1].verdict",
        id="scam-without-verdict",
    ),
    pytest.param(
        lambda root: edit(root, YAML, "kind: practice_photo", "kind: quiz"),
        "unknown_kind",
        YAML,
        "lessons[1].activities[0].kind",
        id="unknown-kind",
    ),
    pytest.param(
        lambda root: edit(root, YAML, "  - slug: thuc-hanh", "  - slug: otp"),
        "duplicate_slug",
        YAML,
        "lessons[1].slug",
        id="duplicate-lesson-slug",
    ),
    pytest.param(
        lambda root: edit(root, YAML, "      - slug: tra-loi", "      - slug: chup-anh"),
        "duplicate_slug",
        YAML,
        "lessons[1].activities[2].slug",
        id="duplicate-activity-slug",
    ),
    pytest.param(
        lambda root: edit(root, YAML, "        prompt_en: Take a photo of your product.\n", ""),
        "missing_english",
        YAML,
        "lessons[1].activities[0].prompt_en",
        id="missing-english-text",
    ),
    pytest.param(
        lambda root: (root / COURSE_SLUG / "thuc-hanh.en.md").unlink(),
        "file_missing",
        YAML,
        "lessons[1].body_en",
        id="missing-english-lesson",
    ),
    pytest.param(
        lambda root: edit(root, YAML, "serious: [dark, blurry]", "serius: [dark, blurry]"),
        "unknown_key",
        YAML,
        "lessons[1].activities[0].serius",
        id="misspelt-key",
    ),
    pytest.param(
        lambda root: edit(root, YAML, "pass_percent: 60", "pass_percent: 60\npass_percent: 70"),
        "duplicate_key",
        f"{YAML}, dòng 8",
        "pass_percent",
        id="duplicate-yaml-key",
    ),
    pytest.param(
        lambda root: edit(root, YAML, "title: Không cho ai mã OTP", "title: [Không cho ai"),
        "yaml",
        YAML,
        "",
        id="broken-yaml",
    ),
    pytest.param(
        lambda root: edit(root, f"{COURSE_SLUG}/images/otp.svg", "<rect", "<script>alert(1)</script><rect"),
        "bad_file",
        f"{COURSE_SLUG}/otp.vi.md",
        "images/otp.svg",
        id="svg-with-script",
    ),
    pytest.param(
        lambda root: (root / COURSE_SLUG / "images" / "toi.png").write_bytes(b"not a picture"),
        "bad_file",
        YAML,
        "lessons[0].activities[2].options[0].image",
        id="broken-image",
    ),
    pytest.param(
        lambda root: edit(root, f"{COURSE_SLUG}/otp.en.md", "![A text message with an OTP]", "![]"),
        "image_alt_missing",
        f"{COURSE_SLUG}/otp.en.md, dòng 5",
        "images/otp.svg",
        id="image-without-alt-text",
    ),
    pytest.param(
        lambda root: edit(root, YAML, "image: images/toi.png", "image: ../../secret.png"),
        "outside",
        YAML,
        "lessons[0].activities[2].options[0].image",
        id="image-outside-the-folder",
    ),
]


@pytest.mark.parametrize(("breaking", "code", "where", "field"), BROKEN)
def test_a_broken_course_gives_a_clear_error_and_loads_nothing(content, breaking, code, where, field):
    breaking(content)

    problems = problems_of(content)

    assert code in [problem.code for problem in problems], [str(p) for p in problems]
    problem = next(problem for problem in problems if problem.code == code)
    assert str(problem).startswith(where), str(problem)
    assert field in str(problem)
    assert not Course.objects.exists()
    assert not Lesson.objects.exists()


def test_every_problem_is_listed_at_once(content):
    edit(content, YAML, "kind: practice_photo", "kind: quiz")
    (content / COURSE_SLUG / "images" / "sang.png").unlink()

    problems = problems_of(content)

    assert {"unknown_kind", "file_missing"} <= {problem.code for problem in problems}


def test_one_broken_course_stops_the_good_ones_too(content):
    shutil.copytree(content / COURSE_SLUG, content / "khoa-hai")
    edit(content, "khoa-hai/course.yaml", "verdict: scam", "verdict: maybe")

    problems = problems_of(content)

    assert [str(p).split(",")[0] for p in problems] == ["khoa-hai/course.yaml"]
    assert not Course.objects.exists()


def test_only_the_named_courses_are_read(content):
    shutil.copytree(content / COURSE_SLUG, content / "khoa-hai")
    edit(content, "khoa-hai/course.yaml", "verdict: scam", "verdict: maybe")

    results = courses_load(content, [COURSE_SLUG])

    assert [r.slug for r in results] == [COURSE_SLUG]
    with pytest.raises(CourseContentError) as raised:
        courses_load(content, ["khong-co"])
    assert raised.value.problems[0].code == "unknown_course"


def _answer(learner, slug, response):
    return answer_record(
        learner=learner,
        client_id=uuid.uuid4(),
        activity_id=activity(slug).pk,
        response=response,
        answered_at=None,
    )


def test_reload_updates_in_place_and_keeps_answers_and_progress(course, content, learner):
    before = activity("hoi-otp")
    _answer(learner, "hoi-otp", {"choice": "b"})
    edit(
        content,
        YAML,
        "prompt: Người lạ gọi điện xin mã OTP. Chị làm gì?",
        "prompt: Có người xin mã OTP. Chị làm gì?",
    )

    results = courses_load(content)

    assert results[0].status == "updated"
    after = activity("hoi-otp")
    assert after.pk == before.pk and after.prompt == "Có người xin mã OTP. Chị làm gì?"
    assert Answer.objects.filter(activity=after, learner=learner).count() == 1
    progress = LessonProgress.objects.get(learner=learner, lesson=after.lesson)
    assert (progress.score, progress.max_score) == (1, 4)


def test_a_new_activity_raises_the_lesson_maximum_for_everyone(course, content, learner):
    _answer(learner, "hoi-otp", {"choice": "b"})
    edit(
        content,
        YAML,
        "  - slug: thuc-hanh\n",
        "      - slug: them\n        kind: scam\n        prompt: Tin lạ\n        prompt_en: A strange text\n"
        "        verdict: scam\n        explanation: Lừa đảo\n        explanation_en: A scam\n"
        "  - slug: thuc-hanh\n",
    )

    courses_load(content)

    progress = LessonProgress.objects.get(learner=learner, lesson__slug="otp")
    assert (progress.score, progress.max_score) == (1, 5)


def test_removing_an_answered_activity_is_refused_and_nothing_changes(course, content, learner):
    _answer(learner, "hoi-otp", {"choice": "b"})
    text = (content / YAML).read_text(encoding="utf-8")
    start = text.index("      - slug: hoi-otp")
    end = text.index("      - slug: tin-nhan-ngan-hang")
    (content / YAML).write_text(
        text[:start] + text[end:].replace("title: Thực hành", "title: Luyện tập"), encoding="utf-8"
    )

    problems = problems_of(content)

    assert [p.code for p in problems] == ["answered_removed"]
    assert "hoi-otp" in str(problems[0])
    assert Activity.objects.filter(slug="hoi-otp").exists()
    assert Lesson.objects.get(slug="thuc-hanh").title == "Thực hành"


def test_removing_an_unanswered_activity_is_allowed(course, content):
    text = (content / YAML).read_text(encoding="utf-8")
    start = text.index("      - slug: hoi-otp")
    end = text.index("      - slug: tin-nhan-ngan-hang")
    (content / YAML).write_text(text[:start] + text[end:], encoding="utf-8")

    courses_load(content)

    assert not Activity.objects.filter(slug="hoi-otp").exists()
    assert list(Activity.objects.filter(lesson__slug="otp").values_list("slug", "position")) == [
        ("tin-nhan-ngan-hang", 1),
        ("anh-dep", 2),
    ]


def test_the_command_prints_the_problems_and_fails(content):
    edit(content, YAML, "kind: practice_photo", "kind: quiz")
    err = StringIO()

    with pytest.raises(CommandError, match="1 lỗi"):
        call_command("learning_load", "--path", str(content), stderr=err)

    assert "lessons[1].activities[0].kind" in err.getvalue()
    assert not Course.objects.exists()


def test_the_command_reports_each_course_and_its_offline_size(content):
    out = StringIO()

    call_command("learning_load", "--path", str(content), stdout=out)
    call_command("learning_load", "--path", str(content), "--check", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"{COURSE_SLUG}: created, 2 lessons, 6 activities, offline package ")
    assert lines[1].startswith(f"{COURSE_SLUG}: unchanged")
    assert "nothing loaded" in lines[2]
