"""A trainer's writes: her groups (name, commune, courses) and their learners, added by phone number.

Every write checks that the group's commune lies in the actor's provinces
(an administrator: anywhere), runs in one transaction and leaves an audit
entry. Bad input raises ``DomainError`` (422) and changes nothing: a list
of phone numbers with one wrong or unknown number adds nobody.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ketnoi.accounts.models import User
from ketnoi.accounts.selectors import user_has_role
from ketnoi.core.audit import audit_record
from ketnoi.core.errors import DomainError, PermissionDenied
from ketnoi.core.phone import format_phone, normalize_phone
from ketnoi.core.text import nfc
from ketnoi.places.models import Commune

from .models import Course, LearningGroup
from .selectors_trainer import TRAINER_ROLES, commune_allowed

NAME_MAX = 120
MAX_PHONES_AT_ONCE = 200
_PHONE_SEPARATORS = re.compile(r"[\n,;]+")


def _check_trainer(actor: Any) -> None:
    if not user_has_role(actor, *TRAINER_ROLES):
        raise PermissionDenied(
            _("Chỉ người hướng dẫn hoặc quản trị viên mới quản lý được lớp học."), code="not_trainer"
        )


def _check_commune(actor: Any, commune: Commune) -> None:
    if not commune_allowed(actor, commune):
        raise DomainError(
            _("Xã/phường %(commune)s không thuộc tỉnh bạn phụ trách."),
            code="commune_outside_scope",
            params={"commune": commune.name},
            status=422,
        )


def _clean_name(name: str) -> str:
    cleaned = " ".join(nfc(name or "").split())
    if not cleaned:
        raise DomainError(_("Hãy đặt tên cho lớp học."), code="group_name_missing", status=422)
    if len(cleaned) > NAME_MAX:
        raise DomainError(
            _("Tên lớp dài quá: tối đa %(max)s ký tự."),
            code="group_name_long",
            params={"max": NAME_MAX},
            status=422,
        )
    return cleaned


def _clean_courses(courses: Iterable[Course]) -> list[Course]:
    chosen = list(courses)
    if any(not course.published for course in chosen):
        raise DomainError(_("Chỉ chọn được khoá học đã công bố."), code="course_unpublished", status=422)
    return chosen


def group_create(*, actor: Any, name: str, commune: Commune, courses: Iterable[Course]) -> LearningGroup:
    """A new group led by ``actor`` in ``commune`` (which must lie in her provinces)."""
    _check_trainer(actor)
    _check_commune(actor, commune)
    cleaned = _clean_name(name)
    chosen = _clean_courses(courses)
    with transaction.atomic():
        group = LearningGroup(name=cleaned, trainer=actor, commune=commune)
        group.full_clean()
        group.save()
        group.courses.set(chosen)
        audit_record(
            actor=actor,
            action="learning.group_create",
            target=group,
            changes={
                "name": (None, cleaned),
                "commune": (None, commune.pk),
                "courses": (None, sorted(course.slug for course in chosen)),
            },
        )
    return group


def group_update(*, actor: Any, group: LearningGroup, name: str, courses: Iterable[Course]) -> LearningGroup:
    """Rename ``group`` and choose its courses. The caller found ``group`` through ``group_for_trainer``."""
    _check_trainer(actor)
    _check_commune(actor, group.commune)
    cleaned = _clean_name(name)
    chosen = _clean_courses(courses)
    with transaction.atomic():
        old_courses = sorted(group.courses.values_list("slug", flat=True))
        old_name = group.name
        group.name = cleaned
        group.full_clean()
        group.save(update_fields=["name", "updated_at"])
        group.courses.set(chosen)
        new_courses = sorted(course.slug for course in chosen)
        changes: dict[str, tuple[Any, Any]] = {}
        if old_name != cleaned:
            changes["name"] = (old_name, cleaned)
        if old_courses != new_courses:
            changes["courses"] = (old_courses, new_courses)
        if changes:
            audit_record(actor=actor, action="learning.group_update", target=group, changes=changes)
    return group


def phones_parse(text: str) -> list[str]:
    """The phone numbers in ``text`` (one a line, or separated by commas), normalised, duplicates dropped.

    Any wrong number stops everything: ``DomainError`` naming each one.
    """
    items = [item.strip() for item in _PHONE_SEPARATORS.split(nfc(text or ""))]
    items = [item for item in items if item]
    if not items:
        raise DomainError(_("Hãy nhập ít nhất một số điện thoại."), code="phones_missing", status=422)
    if len(items) > MAX_PHONES_AT_ONCE:
        raise DomainError(
            _("Mỗi lần thêm được tối đa %(max)s người."),
            code="phones_too_many",
            params={"max": MAX_PHONES_AT_ONCE},
            status=422,
        )
    phones: list[str] = []
    wrong: list[str] = []
    for item in items:
        try:
            phone = normalize_phone(item)
        except ValidationError:
            wrong.append(item[:30])
            continue
        if phone not in phones:
            phones.append(phone)
    if wrong:
        raise DomainError(
            _("Các số này không đúng: %(numbers)s. Số di động Việt Nam có 10 chữ số, ví dụ 0912 345 678."),
            code="phones_invalid",
            params={"numbers": ", ".join(wrong)},
            status=422,
        )
    return phones


def group_learners_add(*, actor: Any, group: LearningGroup, phones: str) -> tuple[list[User], list[User]]:
    """Add the people with these phone numbers to ``group``: ``(added, already in the group)``.

    All or nothing: a wrong number, or a number with no active account,
    refuses the whole list and names the numbers to check.
    """
    _check_trainer(actor)
    _check_commune(actor, group.commune)
    wanted = phones_parse(phones)
    with transaction.atomic():
        found = {user.phone: user for user in User.objects.filter(phone__in=wanted, is_active=True)}
        unknown = [phone for phone in wanted if phone not in found]
        if unknown:
            raise DomainError(
                _(
                    "Chưa có tài khoản Kết Nối với các số: %(numbers)s. Hãy nhờ các chị ấy đăng ký trước, "
                    "rồi thêm lại."
                ),
                code="phones_unknown",
                params={"numbers": ", ".join(format_phone(phone) for phone in unknown)},
                status=422,
            )
        present = set(
            group.learners.filter(pk__in=[user.pk for user in found.values()]).values_list("pk", flat=True)
        )
        added = [found[phone] for phone in wanted if found[phone].pk not in present]
        already = [found[phone] for phone in wanted if found[phone].pk in present]
        if added:
            group.learners.add(*added)
            audit_record(
                actor=actor,
                action="learning.group_learners_add",
                target=group,
                changes={"learners": (None, sorted(user.pk for user in added))},
            )
    return added, already


def group_learner_remove(*, actor: Any, group: LearningGroup, learner_id: Any) -> None:
    """Take one learner out of ``group``; her answers and certificates stay hers."""
    _check_trainer(actor)
    _check_commune(actor, group.commune)
    with transaction.atomic():
        learner = group.learners.filter(pk=learner_id).first() if str(learner_id).isdigit() else None
        if learner is None:
            raise DomainError(_("Người này không có trong lớp."), code="learner_not_in_group", status=422)
        group.learners.remove(learner)
        audit_record(
            actor=actor,
            action="learning.group_learner_remove",
            target=group,
            changes={"learners": ([learner.pk], None)},
        )


def progress_export_record(*, actor: Any, group: LearningGroup | None, fmt: str, rows: int) -> None:
    """Note in the audit trail that ``actor`` downloaded learners' progress (of ``group``, or of all hers)."""
    audit_record(
        actor=actor,
        action="learning.progress_export",
        target=group,
        changes={"format": (None, fmt), "rows": (None, rows)},
    )
