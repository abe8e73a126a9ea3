"""A trainer's pages: her groups, learners by phone, progress grids, who is stuck, exports, scope."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ketnoi.accounts.models import Role
from ketnoi.core.errors import DomainError
from ketnoi.core.models import AuditEntry
from ketnoi.learning import services_trainer
from ketnoi.learning.models import (
    Activity,
    Answer,
    Certificate,
    Course,
    LearningGroup,
    Lesson,
    LessonProgress,
)
from ketnoi.learning.selectors_trainer import (
    DONE,
    FAILING,
    NOT_STARTED,
    STALE,
    STARTED,
    group_progress,
    groups_progress,
    progress_by_commune_and_course,
)
from ketnoi.places.models import Commune
from tests.accounts.factories import UserFactory, user_with_role

pytestmark = pytest.mark.django_db

HOME = "/learning/trainer/"


def make_course(
    slug: str, *, lessons: int = 2, activities: int = 2, published: bool = True, position: int = 0
):
    course = Course.objects.create(
        slug=slug,
        title=f"Khoá {slug}",
        title_en=f"Course {slug}",
        published=published,
        position=position,
        content_hash="x",
    )
    for number in range(1, lessons + 1):
        lesson = Lesson.objects.create(
            course=course,
            slug=f"bai-{number}",
            position=number,
            title=f"Bài {number}",
            title_en=f"Lesson {number}",
            body_html="<p>…</p>",
        )
        for position in range(1, activities + 1):
            Activity.objects.create(
                lesson=lesson,
                slug=f"cau-{position}",
                position=position,
                kind=Activity.Kind.CHOICE,
                prompt=f"Câu hỏi {position} của bài {number}",
                prompt_en=f"Question {position} of lesson {number}",
                options=[{"key": "a", "text": "A"}, {"key": "b", "text": "B"}],
                answer_key={"correct": ["b"]},
            )
    return course


def answer(learner, activity, *, correct: bool, at=None):
    return Answer.objects.create(
        client_id=uuid.uuid4(),
        learner=learner,
        activity=activity,
        response={"choices": ["b" if correct else "a"]},
        correct=correct,
        score=activity.points if correct else 0,
        answered_at=at or timezone.now(),
    )


def progress(learner, lesson, *, days_ago: float = 1, done: bool = False, score: int = 0):
    started = timezone.now() - timedelta(days=days_ago)
    return LessonProgress.objects.create(
        learner=learner,
        lesson=lesson,
        started_at=started,
        completed_at=started + timedelta(hours=1) if done else None,
        score=score,
        max_score=lesson.activities.count(),
    )


@pytest.fixture
def course():
    return make_course("ban-hang")


@pytest.fixture
def trainer_a(commune_a):
    return user_with_role(Role.TRAINER, province=commune_a.province, display_name="Lường Thị Hoa")


@pytest.fixture
def trainer_b(commune_b):
    return user_with_role(Role.TRAINER, province=commune_b.province, display_name="Vàng Thị Dính")


@pytest.fixture
def administrator(db):
    return user_with_role(Role.ADMINISTRATOR, display_name="Nguyễn Thu Hà")


@pytest.fixture
def learners():
    return [
        UserFactory(display_name="Lò Thị Xuân", phone="+84912000001"),
        UserFactory(display_name="Cầm Thị Ơn", phone="+84912000002"),
        UserFactory(display_name="Quàng Thị Sen", phone="+84912000003"),
    ]


@pytest.fixture
def group(trainer_a, commune_a, course, learners):
    group = LearningGroup.objects.create(name="Lớp Mường Bú", trainer=trainer_a, commune=commune_a)
    group.courses.add(course)
    group.learners.add(*learners[:2])
    return group


def other_commune(commune, *, same_province: bool) -> Commune:
    others = Commune.objects.exclude(pk=commune.pk)
    if same_province:
        return others.filter(province=commune.province).order_by("pk").first()
    return others.exclude(province=commune.province).order_by("pk").first()


# --- Who gets in -------------------------------------------------------------------


def test_a_visitor_is_sent_to_sign_in(client):
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("role", [Role.WORKER, Role.SELLER, Role.COMMUNE_OFFICER])
def test_people_who_are_not_trainers_get_403(client, commune_a, role):
    client.force_login(user_with_role(role, commune=commune_a))
    assert client.get(HOME).status_code == 403
    assert client.get(reverse("learning:trainer_export", args=["csv"])).status_code == 403


def test_another_provinces_trainer_cannot_open_or_export_her_group(client, group, trainer_b):
    client.force_login(trainer_b)
    assert client.get(reverse("learning:trainer_group", args=[group.pk])).status_code == 404
    assert (
        client.get(reverse("learning:trainer_export", args=["xlsx"]) + f"?group={group.pk}").status_code
        == 404
    )
    response = client.post(
        reverse("learning:trainer_learners_add", args=[group.pk]), {"phones": "0912000003"}
    )
    assert response.status_code == 404
    assert group.learners.count() == 2


def test_a_trainer_of_the_same_province_does_not_see_someone_elses_group(client, group, commune_a):
    colleague = user_with_role(Role.TRAINER, province=commune_a.province)
    client.force_login(colleague)
    assert client.get(reverse("learning:trainer_group", args=[group.pk])).status_code == 404
    assert "Lớp Mường Bú" not in client.get(HOME).content.decode()


def test_her_group_left_behind_in_a_province_she_no_longer_covers_is_hidden(
    client, trainer_a, commune_a, course
):
    elsewhere = other_commune(commune_a, same_province=False)
    old = LearningGroup.objects.create(name="Lớp cũ", trainer=trainer_a, commune=elsewhere)
    client.force_login(trainer_a)
    assert client.get(reverse("learning:trainer_group", args=[old.pk])).status_code == 404


def test_an_administrator_sees_every_group(client, group, administrator):
    client.force_login(administrator)
    response = client.get(reverse("learning:trainer_group", args=[group.pk]))
    assert response.status_code == 200
    assert "Lò Thị Xuân" in response.content.decode()


def test_a_bad_export_type_is_not_found(client, trainer_a):
    client.force_login(trainer_a)
    assert client.get(reverse("learning:trainer_export", args=["pdf"])).status_code == 404


# --- Groups ------------------------------------------------------------------------


def test_a_trainer_opens_a_group_in_her_province(client, trainer_a, commune_a, course):
    client.force_login(trainer_a)
    form = client.get(reverse("learning:trainer_group_create"))
    assert form.status_code == 200
    assert commune_a.name in form.content.decode()

    response = client.post(
        reverse("learning:trainer_group_create"),
        {"name": "  Lớp bán hàng   tháng 5 ", "commune": commune_a.pk, "courses": [course.pk]},
    )

    group = LearningGroup.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("learning:trainer_group", args=[group.pk])
    assert (group.name, group.trainer, group.commune) == ("Lớp bán hàng tháng 5", trainer_a, commune_a)
    assert list(group.courses.all()) == [course]
    assert AuditEntry.objects.filter(action="learning.group_create", actor=trainer_a).count() == 1


def test_a_group_in_another_province_is_refused_and_nothing_is_made(client, trainer_a, commune_b, course):
    client.force_login(trainer_a)
    response = client.post(
        reverse("learning:trainer_group_create"), {"name": "Lớp Bắc Hà", "commune": commune_b.pk}
    )
    assert response.status_code == 422
    assert "tỉnh bạn phụ trách" in response.content.decode()
    assert not LearningGroup.objects.exists()
    with pytest.raises(DomainError) as refused:
        services_trainer.group_create(actor=trainer_a, name="Lớp Bắc Hà", commune=commune_b, courses=[])
    assert refused.value.code == "commune_outside_scope"
    assert not LearningGroup.objects.exists()


def test_a_group_needs_a_name(client, trainer_a, commune_a):
    client.force_login(trainer_a)
    response = client.post(reverse("learning:trainer_group_create"), {"name": "   ", "commune": commune_a.pk})
    assert response.status_code == 422
    assert "Hãy đặt tên cho lớp học." in response.content.decode()
    assert not LearningGroup.objects.exists()


def test_an_administrator_opens_a_group_by_commune_code(client, administrator, commune_b):
    client.force_login(administrator)
    response = client.post(
        reverse("learning:trainer_group_create"), {"name": "Lớp Bắc Hà", "commune": commune_b.pk}
    )
    assert response.status_code == 302
    assert LearningGroup.objects.get().commune == commune_b


def test_an_unpublished_course_cannot_be_chosen(client, group, trainer_a):
    hidden = make_course("nhap", published=False)
    client.force_login(trainer_a)
    response = client.post(
        reverse("learning:trainer_group_edit", args=[group.pk]), {"name": "Lớp mới", "courses": [hidden.pk]}
    )
    assert response.status_code == 422
    group.refresh_from_db()
    assert group.name == "Lớp Mường Bú"
    assert hidden not in group.courses.all()


def test_the_trainer_renames_her_group_and_changes_its_courses(client, group, trainer_a, course):
    second = make_course("tien", position=1)
    client.force_login(trainer_a)
    response = client.post(
        reverse("learning:trainer_group_edit", args=[group.pk]),
        {"name": "Lớp Mường Bú 2", "courses": [second.pk]},
    )
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.name == "Lớp Mường Bú 2"
    assert list(group.courses.all()) == [second]
    entry = AuditEntry.objects.get(action="learning.group_update")
    assert entry.changes["courses"] == [["ban-hang"], ["tien"]]


# --- Learners by phone ------------------------------------------------------------------


def test_learners_are_added_by_the_phone_numbers_she_types(client, group, trainer_a, learners):
    client.force_login(trainer_a)
    response = client.post(
        reverse("learning:trainer_learners_add", args=[group.pk]),
        {"phones": "0912 000 003\n+84912000001, 0912.000.003"},
    )
    assert response.status_code == 302
    assert set(group.learners.all()) == set(learners)
    page = client.get(response["Location"]).content.decode()
    assert "Đã thêm 1 người vào lớp." in page
    assert "Đã có trong lớp từ trước: Lò Thị Xuân." in page


def test_an_unknown_number_adds_nobody_and_names_the_number(client, group, trainer_a):
    client.force_login(trainer_a)
    response = client.post(
        reverse("learning:trainer_learners_add", args=[group.pk]), {"phones": "0912000003\n0987 654 321"}
    )
    assert response.status_code == 422
    assert "0987 654 321" in response.content.decode()
    assert group.learners.count() == 2


def test_a_wrong_number_is_explained_and_adds_nobody(client, group, trainer_a):
    client.force_login(trainer_a)
    response = client.post(
        reverse("learning:trainer_learners_add", args=[group.pk]), {"phones": "0912000003\n12345"}
    )
    assert response.status_code == 422
    assert "12345" in response.content.decode()
    assert group.learners.count() == 2


def test_an_empty_list_of_numbers_is_refused(client, group, trainer_a):
    client.force_login(trainer_a)
    response = client.post(reverse("learning:trainer_learners_add", args=[group.pk]), {"phones": " \n ,"})
    assert response.status_code == 422
    assert group.learners.count() == 2


def test_removing_a_learner_keeps_her_progress(client, group, trainer_a, learners, course):
    lesson = course.lessons.first()
    progress(learners[0], lesson, done=True, score=2)
    client.force_login(trainer_a)
    response = client.post(reverse("learning:trainer_learner_remove", args=[group.pk, learners[0].pk]))
    assert response.status_code == 302
    assert learners[0] not in group.learners.all()
    assert LessonProgress.objects.filter(learner=learners[0]).exists()
    again = client.post(reverse("learning:trainer_learner_remove", args=[group.pk, learners[0].pk]))
    assert "Người này không có trong lớp." in client.get(again["Location"]).content.decode()


# --- Progress and who is stuck ------------------------------------------------------------


def test_the_grid_shows_each_learner_on_each_lesson(client, group, trainer_a, learners, course):
    first, second = course.lessons.order_by("position")
    progress(learners[0], first, done=True, score=2)
    progress(learners[0], second, days_ago=1, score=1)
    Certificate.objects.create(
        number="KN-CC-TEST1",
        learner=learners[0],
        course=course,
        learner_name="Lò Thị Xuân",
        course_title=course.title,
        score_percent=90,
        issued_at=timezone.now(),
        signature="x",
    )

    result = group_progress(group)

    (grid,) = result.grids
    rows = {row.learner.display_name: row for row in grid.rows}
    assert [cell.status for cell in rows["Lò Thị Xuân"].cells] == [DONE, STARTED]
    assert [cell.status for cell in rows["Cầm Thị Ơn"].cells] == [NOT_STARTED, NOT_STARTED]
    assert rows["Lò Thị Xuân"].percent == 75
    assert rows["Lò Thị Xuân"].certificate_number == "KN-CC-TEST1"
    assert (grid.done, grid.in_progress, grid.not_started, grid.certified) == (0, 1, 1, 1)

    client.force_login(trainer_a)
    page = client.get(reverse("learning:trainer_group", args=[group.pk])).content.decode()
    assert page.count('data-testid="learner-row"') == 2
    assert page.count('class="c-done"') == 1
    assert page.count('class="c-started"') == 1
    assert page.count('class="c-not_started"') == 2
    assert "KN-CC-TEST1" in page
    assert "+84912000001" not in page  # phones are masked
    assert "091 *** 0001" in page


def test_stuck_means_a_lesson_left_for_more_than_a_week_or_one_question_failed_three_times(
    group, learners, course
):
    first, second = course.lessons.order_by("position")
    xuan, on = learners[0], learners[1]
    progress(xuan, first, days_ago=8)  # opened 8 days ago, not finished: stuck
    progress(on, first, days_ago=6)  # 6 days: not yet
    progress(on, second, days_ago=30, done=True, score=2)  # finished long ago: fine
    tricky = second.activities.get(slug="cau-1")
    for _ in range(3):
        answer(on, tricky, correct=False)
    recovered = first.activities.get(slug="cau-2")
    for _ in range(3):
        answer(xuan, recovered, correct=False)
    answer(xuan, recovered, correct=True)  # got it right in the end: not stuck
    twice = first.activities.get(slug="cau-1")
    answer(on, twice, correct=False)
    answer(on, twice, correct=False)  # only twice: not stuck

    stuck = group_progress(group).stuck

    found = {(item.learner.display_name, item.lesson.slug, item.reason, item.activity_slug) for item in stuck}
    assert found == {("Lò Thị Xuân", "bai-1", STALE, ""), ("Cầm Thị Ơn", "bai-2", FAILING, "cau-1")}
    failing = next(item for item in stuck if item.reason == FAILING)
    assert failing.failures == 3
    assert failing.activity_prompt == "Câu hỏi 1 của bài 2"


def test_the_group_page_lists_who_is_stuck_where(client, group, trainer_a, learners, course):
    progress(learners[0], course.lessons.get(position=1), days_ago=10)
    client.force_login(trainer_a)
    page = client.get(reverse("learning:trainer_group", args=[group.pk])).content.decode()
    assert page.count('data-testid="stuck-item"') == 1
    assert "Lò Thị Xuân" in page
    assert "Mở bài từ hơn 7 ngày trước mà chưa xong" in page


def test_progress_by_commune_and_course_counts_a_learner_once(trainer_a, commune_a, course, learners, group):
    second_group = LearningGroup.objects.create(name="Lớp tối", trainer=trainer_a, commune=commune_a)
    second_group.courses.add(course)
    second_group.learners.add(learners[0], learners[2])  # Xuân is in both groups
    for lesson in course.lessons.all():
        progress(learners[0], lesson, done=True, score=2)
    progress(learners[2], course.lessons.get(position=1), days_ago=9, score=1)

    (line,) = progress_by_commune_and_course(groups_progress([group, second_group]))

    assert (line.commune, line.course) == (commune_a, course)
    assert (line.learners, line.done, line.in_progress, line.not_started) == (3, 1, 1, 1)
    assert line.stuck == 1
    assert line.average_percent == 75  # (100 + 50) / 2


def test_the_home_page_shows_her_groups_and_the_summary(client, group, trainer_a, learners, course):
    progress(learners[0], course.lessons.get(position=1), done=True, score=2)
    client.force_login(trainer_a)
    page = client.get(HOME).content.decode()
    assert 'data-testid="group"' in page
    assert "Lớp Mường Bú" in page
    assert page.count('data-testid="line"') == 1
    assert course.title in page


def test_a_trainer_without_groups_is_told_how_to_start(client, trainer_a):
    client.force_login(trainer_a)
    page = client.get(HOME).content.decode()
    assert "Bạn chưa có lớp nào." in page


# --- Exports ------------------------------------------------------------------------------


def test_the_xlsx_export_has_a_row_per_learner_and_lesson(client, group, trainer_a, learners, course):
    progress(learners[0], course.lessons.get(position=1), done=True, score=2)
    client.force_login(trainer_a)

    response = client.get(reverse("learning:trainer_export", args=["xlsx"]) + f"?group={group.pk}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("Tỉnh/thành phố", "Xã/phường", "Lớp", "Khoá học", "Người học")
    assert len(rows) == 1 + 2 * 2  # two learners × two lessons
    xuan_first = next(row for row in rows[1:] if row[4] == "Lò Thị Xuân" and row[6] == 1)
    assert xuan_first[8] == "Xong"
    assert (xuan_first[9], xuan_first[10]) == (2, 2)
    assert xuan_first[5] == "091 *** 0001"
    assert AuditEntry.objects.filter(action="learning.progress_export", actor=trainer_a).count() == 1


def test_the_csv_export_of_all_her_groups_reads_in_excel_and_cannot_run_formulas(
    client, group, trainer_a, learners, commune_a
):
    learners[0].display_name = '=HYPERLINK("http://x")'
    learners[0].save()
    other = LearningGroup.objects.create(name="Lớp của người khác", trainer=trainer_a, commune=commune_a)
    other.courses.add(make_course("khac", lessons=1))
    other.learners.add(learners[2])
    foreign = LearningGroup.objects.create(
        name="Lớp tỉnh khác",
        trainer=user_with_role(Role.TRAINER, province=commune_a.province),
        commune=commune_a,
    )
    foreign.courses.add(Course.objects.get(slug="khac"))
    foreign.learners.add(learners[1])
    client.force_login(trainer_a)

    response = client.get(reverse("learning:trainer_export", args=["csv"]))

    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 1 + 2 * 2 + 1
    assert {row[2] for row in rows[1:]} == {"Lớp Mường Bú", "Lớp của người khác"}
    assert '\'=HYPERLINK("http://x")' in {row[4] for row in rows[1:]}


# --- Fixed number of queries ----------------------------------------------------------------


def _grow(trainer, commune, *, groups: int, learners_each: int, courses: list[Course]):
    made = []
    for number in range(groups):
        group = LearningGroup.objects.create(name=f"Lớp {number}", trainer=trainer, commune=commune)
        group.courses.add(*courses)
        people = [UserFactory() for _ in range(learners_each)]
        group.learners.add(*people)
        for person in people:
            for course in courses:
                lessons = list(course.lessons.order_by("position"))
                progress(person, lessons[0], done=True, score=2)
                progress(person, lessons[1], days_ago=9)
                for _ in range(3):
                    answer(person, lessons[1].activities.first(), correct=False)
        made.append(group)
    return made


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def test_pages_and_exports_cost_the_same_queries_for_one_small_group_or_many_big_ones(
    client, trainer_a, commune_a
):
    courses = [make_course("mot", position=0), make_course("hai", position=1, lessons=3)]
    (small,) = _grow(trainer_a, commune_a, groups=1, learners_each=1, courses=courses[:1])
    client.force_login(trainer_a)
    client.get(HOME)  # the first request after signing in also stamps the session
    urls = [
        HOME,
        reverse("learning:trainer_group", args=[small.pk]),
        reverse("learning:trainer_export", args=["xlsx"]),
        reverse("learning:trainer_export", args=["csv"]) + f"?group={small.pk}",
    ]
    before = [_queries(client, url) for url in urls]

    big_groups = _grow(trainer_a, commune_a, groups=3, learners_each=6, courses=courses)
    small.courses.add(courses[1])
    small.learners.add(*big_groups[0].learners.all())
    after = [_queries(client, url) for url in urls]

    assert after == before
    assert max(after) <= 20
    assert len(group_progress(small).stuck) > 6
