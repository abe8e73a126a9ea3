"""What a trainer reads about her classes: their learners' progress, who is stuck, in fixed queries.

A trainer (``Role.TRAINER``, held for a province) sees only the groups she
leads whose commune lies in her provinces; an administrator sees every
group. ``groups_progress`` builds the learners × lessons grids of any
number of groups in the same six queries, so the pages and the exports
cost the same for a class of five or a province of five hundred.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ketnoi.accounts.models import Role, User
from ketnoi.accounts.selectors import user_has_role, user_scopes
from ketnoi.core.errors import NotFound
from ketnoi.core.phone import mask_phone
from ketnoi.core.scopes import AreaScope, filter_by_scope
from ketnoi.places.models import Commune

from .models import Answer, Certificate, Course, LearningGroup, Lesson, LessonProgress

TRAINER_ROLES: tuple[str, ...] = (Role.TRAINER, Role.ADMINISTRATOR)

# "Stuck": a lesson opened this long ago and not finished, or one activity failed this often.
STUCK_AFTER = timedelta(days=7)
STUCK_FAILURES = 3

DONE = "done"
STARTED = "started"
NOT_STARTED = "not_started"
STATUS_LABELS = {
    DONE: _("Xong"),
    STARTED: _("Đang học"),
    NOT_STARTED: _("Chưa học"),
}

STALE = "stale"
FAILING = "failing"


# --- Which groups ----------------------------------------------------------------


def trainer_is_administrator(user: Any) -> bool:
    return user_has_role(user, Role.ADMINISTRATOR)


def trainer_scopes(user: Any) -> list[AreaScope]:
    """The provinces ``user`` trains in (an administrator: the whole country)."""
    return user_scopes(user, roles=TRAINER_ROLES)


def groups_for_trainer(user: Any) -> QuerySet[LearningGroup]:
    """The groups ``user`` may see: all for an administrator; for a trainer, hers inside her provinces."""
    groups = LearningGroup.objects.select_related("commune__province", "trainer").order_by(
        "commune__province__name_folded", "commune__name_folded", "name", "pk"
    )
    if trainer_is_administrator(user):
        return groups
    if not user_has_role(user, Role.TRAINER):
        return groups.none()
    return filter_by_scope(groups.filter(trainer=user), user_scopes(user, roles=[Role.TRAINER]))


def group_for_trainer(*, user: Any, group_id: Any) -> LearningGroup:
    """One group ``user`` may see and manage; ``NotFound`` otherwise (other trainers' groups look absent)."""
    try:
        pk = int(group_id)
    except (TypeError, ValueError):
        pk = None
    group = groups_for_trainer(user).filter(pk=pk).first() if pk is not None else None
    if group is None:
        raise NotFound(_("Không tìm thấy lớp học này trong các lớp của bạn."), code="group_not_found")
    return group


def communes_for_trainer(user: Any) -> QuerySet[Commune] | None:
    """Communes a trainer may open a group in; ``None`` for an administrator (any commune, by its code)."""
    if trainer_is_administrator(user):
        return None
    communes = Commune.objects.select_related("province").order_by("province__name_folded", "name_folded")
    return communes.filter(_commune_q(user_scopes(user, roles=[Role.TRAINER])))


def _commune_q(scopes: Sequence[AreaScope]) -> Q:
    """A ``Q`` on ``Commune`` itself keeping those inside ``scopes`` (none for no scope)."""
    condition = Q(pk__in=[])
    for scope in scopes:
        if scope.is_national:
            return Q()
        if scope.commune_code is not None:
            condition |= Q(pk=scope.commune_code)
        else:
            condition |= Q(province_id=scope.province_code)
    return condition


def commune_allowed(user: Any, commune: Commune) -> bool:
    """Whether ``user`` may open or keep a group in ``commune``."""
    if trainer_is_administrator(user):
        return True
    scopes = user_scopes(user, roles=[Role.TRAINER])
    return any(s.covers(province_code=commune.province_id, commune_code=commune.pk) for s in scopes)


# --- Progress ------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One learner on one lesson."""

    status: str
    score: int = 0
    max_score: int = 0
    started_at: datetime | None = None
    completed_at: datetime | None = None

    @property
    def label(self) -> Any:
        return STATUS_LABELS[self.status]


@dataclass(frozen=True)
class Stuck:
    """Where a learner is stuck: a lesson left unfinished for long, or one activity failed again and again."""

    learner: User
    course: Course
    lesson: Lesson
    reason: str  # STALE or FAILING
    since: datetime | None = None  # STALE: when she opened the lesson
    activity_slug: str = ""  # FAILING: which activity
    activity_prompt: str = ""
    activity_prompt_en: str = ""
    failures: int = 0

    @property
    def reason_text(self) -> str:
        if self.reason == STALE:
            return str(_("Mở bài từ hơn %(days)s ngày trước mà chưa xong")) % {"days": STUCK_AFTER.days}
        return str(_("Trả lời sai %(count)s lần một câu")) % {"count": self.failures}


@dataclass
class LearnerRow:
    learner: User
    cells: list[Cell]
    certificate_number: str = ""

    @property
    def lessons_done(self) -> int:
        return sum(cell.status == DONE for cell in self.cells)

    @property
    def started(self) -> bool:
        return any(cell.status != NOT_STARTED for cell in self.cells)

    @property
    def finished(self) -> bool:
        return bool(self.cells) and all(cell.status == DONE for cell in self.cells)

    @property
    def score(self) -> int:
        return sum(cell.score for cell in self.cells)

    @property
    def max_score(self) -> int:
        return sum(cell.max_score for cell in self.cells)

    @property
    def percent(self) -> int:
        """Points over the points of the lessons she has answered in (0 before she starts)."""
        return round(100 * self.score / self.max_score) if self.max_score else 0

    @property
    def status(self) -> str:
        return DONE if self.finished else STARTED if self.started else NOT_STARTED


@dataclass
class CourseGrid:
    """A group's learners × one course's lessons."""

    course: Course
    lessons: list[Lesson]
    rows: list[LearnerRow]

    def count(self, status: str) -> int:
        return sum(row.status == status for row in self.rows)

    @property
    def done(self) -> int:
        return self.count(DONE)

    @property
    def in_progress(self) -> int:
        return self.count(STARTED)

    @property
    def not_started(self) -> int:
        return self.count(NOT_STARTED)

    @property
    def certified(self) -> int:
        return sum(bool(row.certificate_number) for row in self.rows)


@dataclass
class GroupProgress:
    group: LearningGroup
    learners: list[User]
    grids: list[CourseGrid]
    stuck: list[Stuck] = field(default_factory=list)


def groups_progress(groups: Sequence[LearningGroup], *, now: datetime | None = None) -> list[GroupProgress]:
    """Progress of every learner of ``groups`` on every lesson of the groups' courses.

    Six queries whatever the number of groups, learners or lessons. Learners
    are ordered by name; courses by their position; a learner's cell is
    "done" once every activity of the lesson has an answer (the rule of
    ``LessonProgress``), "started" once she opened it.
    """
    if not groups:
        return []
    now = now or timezone.now()
    group_ids = [group.pk for group in groups]
    course_links = LearningGroup.courses.through.objects.filter(learninggroup_id__in=group_ids)
    learner_links = LearningGroup.learners.through.objects.filter(learninggroup_id__in=group_ids)

    courses_of: dict[int, list[int]] = defaultdict(list)
    for group_id, course_id in course_links.values_list("learninggroup_id", "course_id"):  # 1
        courses_of[group_id].append(course_id)
    course_ids = {course_id for ids in courses_of.values() for course_id in ids}

    lessons_of: dict[int, list[Lesson]] = defaultdict(list)
    courses: dict[int, Course] = {}
    for lesson in (  # 2
        Lesson.objects.filter(course_id__in=course_ids)
        .select_related("course")
        .only(
            "pk",
            "slug",
            "title",
            "title_en",
            "position",
            "course_id",
            "course__slug",
            "course__title",
            "course__title_en",
            "course__position",
            "course__pass_percent",
        )
        .order_by("course__position", "course__slug", "position")
    ):
        lessons_of[lesson.course_id].append(lesson)
        courses[lesson.course_id] = lesson.course
    lesson_ids = [lesson.pk for lessons in lessons_of.values() for lesson in lessons]
    lesson_by_id = {lesson.pk: lesson for lessons in lessons_of.values() for lesson in lessons}

    learners_of: dict[int, list[User]] = defaultdict(list)
    for link in learner_links.select_related("user").order_by("user__display_name", "user__phone"):  # 3
        learners_of[link.learninggroup_id].append(link.user)
    learner_ids = learner_links.values("user_id")

    progress: dict[tuple[int, int], Cell] = {}
    for (
        learner_id,
        lesson_id,
        started_at,
        completed_at,
        score,
        max_score,
    ) in LessonProgress.objects.filter(  # 4
        learner_id__in=learner_ids, lesson_id__in=lesson_ids
    ).values_list("learner_id", "lesson_id", "started_at", "completed_at", "score", "max_score"):
        progress[(learner_id, lesson_id)] = Cell(
            status=DONE if completed_at else STARTED,
            score=score,
            max_score=max_score,
            started_at=started_at,
            completed_at=completed_at,
        )

    certificates = dict(  # 5
        ((learner_id, course_id), number)
        for learner_id, course_id, number in Certificate.objects.filter(
            learner_id__in=learner_ids, course_id__in=course_ids, revoked_at__isnull=True
        ).values_list("learner_id", "course_id", "number")
    )

    failing: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for row in (  # 6
        Answer.objects.filter(learner_id__in=learner_ids, activity__lesson_id__in=lesson_ids)
        .values(
            "learner_id",
            "activity_id",
            "activity__slug",
            "activity__prompt",
            "activity__prompt_en",
            "activity__lesson_id",
        )
        .annotate(
            wrong=Count("pk", filter=Q(correct=False)),
            right=Count("pk", filter=Q(correct=True)),
            last=Max("answered_at"),
        )
        .filter(wrong__gte=STUCK_FAILURES, right=0)
        .order_by("activity__lesson_id", "activity_id")
    ):
        failing[(row["learner_id"], row["activity__lesson_id"])].append(dict(row))

    results: list[GroupProgress] = []
    for group in groups:
        learners = learners_of.get(group.pk, [])
        grids: list[CourseGrid] = []
        stuck: list[Stuck] = []
        group_courses = sorted(
            (courses[course_id] for course_id in courses_of.get(group.pk, []) if course_id in courses),
            key=lambda course: (course.position, course.slug),
        )
        for course in group_courses:
            lessons = lessons_of[course.pk]
            rows = []
            for learner in learners:
                cells = [progress.get((learner.pk, lesson.pk), Cell(NOT_STARTED)) for lesson in lessons]
                rows.append(LearnerRow(learner, cells, certificates.get((learner.pk, course.pk), "")))
                for lesson, cell in zip(lessons, cells, strict=True):
                    stuck += _stuck_on(learner, course, lesson_by_id[lesson.pk], cell, failing, now)
            grids.append(CourseGrid(course=course, lessons=lessons, rows=rows))
        results.append(GroupProgress(group=group, learners=learners, grids=grids, stuck=stuck))
    return results


def _stuck_on(
    learner: User,
    course: Course,
    lesson: Lesson,
    cell: Cell,
    failing: dict[tuple[int, int], list[dict[str, Any]]],
    now: datetime,
) -> list[Stuck]:
    found: list[Stuck] = []
    if cell.status == STARTED and cell.started_at is not None and cell.started_at < now - STUCK_AFTER:
        found.append(
            Stuck(learner=learner, course=course, lesson=lesson, reason=STALE, since=cell.started_at)
        )
    for row in failing.get((learner.pk, lesson.pk), []):
        found.append(
            Stuck(
                learner=learner,
                course=course,
                lesson=lesson,
                reason=FAILING,
                since=row["last"],
                activity_slug=row["activity__slug"],
                activity_prompt=row["activity__prompt"],
                activity_prompt_en=row["activity__prompt_en"],
                failures=row["wrong"],
            )
        )
    return found


def group_progress(group: LearningGroup, *, now: datetime | None = None) -> GroupProgress:
    return groups_progress([group], now=now)[0]


# --- By commune and course -----------------------------------------------------------


@dataclass
class CommuneCourseLine:
    """One course in one commune, over all of the trainer's groups there (a learner counted once)."""

    commune: Commune
    course: Course
    learners: int = 0
    done: int = 0
    in_progress: int = 0
    not_started: int = 0
    certified: int = 0
    stuck: int = 0  # learners stuck somewhere in this course
    percent_total: int = 0  # sum of the started learners' percents, for the average

    @property
    def average_percent(self) -> int:
        started = self.done + self.in_progress
        return round(self.percent_total / started) if started else 0


def progress_by_commune_and_course(progresses: Sequence[GroupProgress]) -> list[CommuneCourseLine]:
    """The groups' grids summed by commune and course; no query of its own."""
    lines: dict[tuple[int, int], CommuneCourseLine] = {}
    seen: set[tuple[int, int, int]] = set()
    for progress in progresses:
        commune = progress.group.commune
        stuck_learners = {(item.course.pk, item.learner.pk) for item in progress.stuck}
        for grid in progress.grids:
            line = lines.setdefault(
                (commune.pk, grid.course.pk), CommuneCourseLine(commune=commune, course=grid.course)
            )
            for row in grid.rows:
                key = (commune.pk, grid.course.pk, row.learner.pk)
                if key in seen:
                    continue
                seen.add(key)
                line.learners += 1
                status = row.status
                line.done += status == DONE
                line.in_progress += status == STARTED
                line.not_started += status == NOT_STARTED
                line.certified += bool(row.certificate_number)
                line.stuck += (grid.course.pk, row.learner.pk) in stuck_learners
                if status != NOT_STARTED:
                    line.percent_total += row.percent
    return sorted(
        lines.values(),
        key=lambda line: (
            line.commune.province.name_folded,
            line.commune.name_folded,
            line.course.position,
            line.course.slug,
        ),
    )


# --- Export -----------------------------------------------------------------------------

EXPORT_HEADERS = (
    _("Tỉnh/thành phố"),
    _("Xã/phường"),
    _("Lớp"),
    _("Khoá học"),
    _("Người học"),
    _("Số điện thoại"),
    _("Bài"),
    _("Tên bài"),
    _("Tình trạng"),
    _("Điểm"),
    _("Điểm tối đa"),
    _("Bắt đầu"),
    _("Xong lúc"),
    _("Bị vướng"),
    _("Số chứng nhận"),
)


def progress_export_rows(progresses: Sequence[GroupProgress], *, english: bool = False) -> list[list[Any]]:
    """One row per learner and lesson, for the trainer's spreadsheet (phones masked)."""
    rows: list[list[Any]] = []
    for progress in progresses:
        group = progress.group
        stuck: dict[tuple[int, int], list[str]] = defaultdict(list)
        for item in progress.stuck:
            stuck[(item.learner.pk, item.lesson.pk)].append(item.reason_text)
        for grid in progress.grids:
            course_title = (grid.course.title_en if english else "") or grid.course.title
            for row in grid.rows:
                for lesson, cell in zip(grid.lessons, row.cells, strict=True):
                    rows.append(
                        [
                            spreadsheet_safe(value)
                            for value in (
                                group.commune.province.name,
                                group.commune.name,
                                group.name,
                                course_title,
                                row.learner.display_name,
                                mask_phone(row.learner.phone),
                                lesson.position,
                                (lesson.title_en if english else "") or lesson.title,
                                str(cell.label),
                                cell.score,
                                cell.max_score,
                                _local(cell.started_at),
                                _local(cell.completed_at),
                                "; ".join(stuck.get((row.learner.pk, lesson.pk), [])),
                                row.certificate_number,
                            )
                        ]
                    )
    return rows


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """Text a spreadsheet will show as text: a name typed as ``=HYPERLINK(…)`` must not become a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _local(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""
