"""A trainer's pages: her groups, their progress by commune and course, who is stuck, and exports.

Only a trainer (for her own groups inside her provinces) or an
administrator gets in. Each page costs a fixed number of queries: the
grids of all groups come from ``selectors_trainer.groups_progress``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

import openpyxl
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketnoi.accounts.permissions import role_required
from ketnoi.core.errors import DomainError, NotFound

from . import services_trainer
from .forms_trainer import GroupForm, LearnersAddForm
from .models import LearningGroup
from .selectors import courses_published
from .selectors_trainer import (
    DONE,
    EXPORT_HEADERS,
    STARTED,
    TRAINER_ROLES,
    communes_for_trainer,
    group_for_trainer,
    group_progress,
    groups_for_trainer,
    groups_progress,
    progress_by_commune_and_course,
    progress_export_rows,
)

trainer_required = role_required(*TRAINER_ROLES)

EXPORT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def _english() -> bool:
    return (get_language() or "vi").startswith("en")


def _group(request: HttpRequest, group_id: Any) -> LearningGroup:
    try:
        return group_for_trainer(user=request.user, group_id=group_id)
    except NotFound as error:
        raise Http404(str(error)) from None


@require_GET
@never_cache
@trainer_required
def trainer_home_view(request: HttpRequest) -> HttpResponse:
    """Her groups, and their learners' progress summed by commune and course."""
    groups = list(groups_for_trainer(request.user))
    progresses = groups_progress(groups)
    return render(
        request,
        "learning/trainer/home.html",
        {
            "progresses": progresses,
            "lines": progress_by_commune_and_course(progresses),
            "stuck_total": sum(len(progress.stuck) for progress in progresses),
        },
    )


def _group_form(request: HttpRequest, *, group: LearningGroup | None, data: Any = None) -> GroupForm:
    initial = {"name": group.name, "courses": list(group.courses.all())} if group is not None else None
    return GroupForm(
        data,
        initial=initial,
        courses=courses_published(),
        communes=communes_for_trainer(request.user) if group is None else None,
        with_commune=group is None,
    )


@require_http_methods(["GET", "POST"])
@trainer_required
def group_create_view(request: HttpRequest) -> HttpResponse:
    form = _group_form(request, group=None, data=request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                group = services_trainer.group_create(
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    commune=form.cleaned_data["commune"],
                    courses=form.cleaned_data["courses"],
                )
            except DomainError as error:
                form.add_error(None, str(error))
                status = error.status
            else:
                messages.success(request, _("Đã mở lớp “%(name)s”.") % {"name": group.name})
                return redirect("learning:trainer_group", group_id=group.pk)
        else:
            status = 422
    return render(request, "learning/trainer/group_form.html", {"form": form, "group": None}, status=status)


@require_http_methods(["GET", "POST"])
@trainer_required
def group_edit_view(request: HttpRequest, group_id: int) -> HttpResponse:
    group = _group(request, group_id)
    form = _group_form(request, group=group, data=request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services_trainer.group_update(
                    actor=request.user,
                    group=group,
                    name=form.cleaned_data["name"],
                    courses=form.cleaned_data["courses"],
                )
            except DomainError as error:
                form.add_error(None, str(error))
                status = error.status
            else:
                messages.success(request, _("Đã lưu lớp “%(name)s”.") % {"name": group.name})
                return redirect("learning:trainer_group", group_id=group.pk)
        else:
            status = 422
    return render(request, "learning/trainer/group_form.html", {"form": form, "group": group}, status=status)


def _group_page(
    request: HttpRequest, group: LearningGroup, *, add_form: LearnersAddForm | None = None, status: int = 200
) -> HttpResponse:
    progress = group_progress(group)
    return render(
        request,
        "learning/trainer/group_detail.html",
        {
            "group": group,
            "progress": progress,
            "add_form": add_form or LearnersAddForm(),
            "DONE": DONE,
            "STARTED": STARTED,
        },
        status=status,
    )


@require_GET
@never_cache
@trainer_required
def group_view(request: HttpRequest, group_id: int) -> HttpResponse:
    """One group: learners × lessons for each course, who is stuck where, and adding learners."""
    return _group_page(request, _group(request, group_id))


@require_POST
@trainer_required
def group_learners_add_view(request: HttpRequest, group_id: int) -> HttpResponse:
    group = _group(request, group_id)
    form = LearnersAddForm(request.POST)
    if not form.is_valid():
        return _group_page(request, group, add_form=form, status=422)
    try:
        added, already = services_trainer.group_learners_add(
            actor=request.user, group=group, phones=form.cleaned_data["phones"]
        )
    except DomainError as error:
        form.add_error("phones", str(error))
        return _group_page(request, group, add_form=form, status=error.status)
    if added:
        messages.success(request, _("Đã thêm %(count)s người vào lớp.") % {"count": len(added)})
    if already:
        messages.info(
            request,
            _("Đã có trong lớp từ trước: %(names)s.")
            % {"names": ", ".join(user.display_name for user in already)},
        )
    return redirect("learning:trainer_group", group_id=group.pk)


@require_POST
@trainer_required
def group_learner_remove_view(request: HttpRequest, group_id: int, learner_id: int) -> HttpResponse:
    group = _group(request, group_id)
    try:
        services_trainer.group_learner_remove(actor=request.user, group=group, learner_id=learner_id)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Đã đưa người học ra khỏi lớp. Kết quả học của chị ấy vẫn được giữ."))
    return redirect("learning:trainer_group", group_id=group.pk)


@require_GET
@never_cache
@trainer_required
def progress_export_view(request: HttpRequest, fmt: str) -> HttpResponse:
    """Progress as a spreadsheet: one row per learner and lesson, of one group (``?group=``) or all hers."""
    if fmt not in EXPORT_TYPES:
        raise Http404(str(_("Chỉ xuất được tệp .xlsx hoặc .csv.")))
    group_id = request.GET.get("group")
    groups = [_group(request, group_id)] if group_id else list(groups_for_trainer(request.user))
    rows = progress_export_rows(groups_progress(groups), english=_english())
    services_trainer.progress_export_record(
        actor=request.user, group=groups[0] if group_id else None, fmt=fmt, rows=len(rows)
    )
    headers = [str(header) for header in EXPORT_HEADERS]
    body = _xlsx(headers, rows) if fmt == "xlsx" else _csv(headers, rows).encode("utf-8")
    stamp = timezone.localdate().isoformat()
    name = f"tien-do-hoc-lop-{group_id}-{stamp}" if group_id else f"tien-do-hoc-{stamp}"
    response = HttpResponse(body, content_type=EXPORT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def _xlsx(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(str(_("Tiến độ học"))[:31])
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV with a BOM, so that Excel reads the Vietnamese names right."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue()
