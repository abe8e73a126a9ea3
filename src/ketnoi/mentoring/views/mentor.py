"""Mentor pages: the plans a person takes part in, one plan with its milestones and sessions.

The seller, her mentor and the programme officers of her province see the
same plan; what each may change is decided by ``services.mentoring``. A
plan someone has no part in does not exist for her (404). Only the
seller's public fields are loaded here: her mentor never sees her revenue,
members or the programme's private flags.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketnoi.accounts.permissions import forbidden
from ketnoi.core.errors import DomainError, NotFound, PermissionDenied

from ..forms import MilestoneForm, PlanForm, SessionRecordForm, SessionScheduleForm
from ..models import MentoringPlan
from ..selectors import (
    MENTOR,
    OFFICER,
    SELLER,
    match_for_mentoring,
    matches_awaiting_plan,
    milestone_for_user,
    plan_for_user,
    plan_progress,
    plans_for_user,
    session_for_user,
)
from ..services.mentoring import (
    match_complete,
    milestone_add,
    milestone_done,
    plan_create,
    session_record,
    session_schedule,
)

PLANS_SHOWN = 100


@contextmanager
def _or_404() -> Iterator[None]:
    """Someone else's plan, session or match is a 404, as if it did not exist."""
    try:
        yield
    except NotFound as error:
        raise Http404(str(error)) from None


@login_required
@require_GET
def plan_list_view(request: HttpRequest) -> HttpResponse:
    """Her plans (as seller, mentor or officer) and the accepted matches still waiting for one."""
    context = {
        "plans": list(plans_for_user(request.user)[:PLANS_SHOWN]),
        "awaiting": list(matches_awaiting_plan(request.user)[:PLANS_SHOWN]),
    }
    return render(request, "mentoring/mentor/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def plan_create_view(request: HttpRequest, match_id: int) -> HttpResponse:
    with _or_404():
        match, sides = match_for_mentoring(request.user, match_id)
    existing = MentoringPlan.objects.filter(match_id=match.pk).values_list("pk", flat=True).first()
    if existing is not None:  # each party of the match may follow its plan
        return redirect("mentoring:mentor_plan", plan_id=existing)
    if not sides & {MENTOR, OFFICER}:
        return forbidden(request, _("Chỉ cố vấn của kết nối này hoặc cán bộ chương trình mới lập kế hoạch."))
    form = PlanForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                plan = plan_create(
                    match, actor=request.user, goals=form.cleaned_data["goals"], milestones=form.milestones()
                )
            except PermissionDenied as error:
                return forbidden(request, str(error))
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Đã lập kế hoạch cố vấn. Hãy hẹn buổi gặp đầu tiên."))
                return redirect("mentoring:mentor_plan", plan_id=plan.pk)
        status = 422
    return render(request, "mentoring/mentor/plan_form.html", {"match": match, "form": form}, status=status)


def _detail(
    request: HttpRequest,
    plan: MentoringPlan,
    sides: frozenset[str],
    *,
    milestone_form: MilestoneForm | None = None,
    session_form: SessionScheduleForm | None = None,
    status: int = 200,
) -> HttpResponse:
    milestones, sessions = plan_progress(plan)
    is_open = plan.match.state == plan.match.State.ACCEPTED
    mentor_or_officer = bool(sides & {MENTOR, OFFICER})
    context = {
        "plan": plan,
        "match": plan.match,
        "seller": plan.match.seller,
        "partner": plan.match.partner,
        "milestones": milestones,
        "sessions": sessions,
        "held_count": sum(1 for s in sessions if s.held),
        "is_open": is_open,
        "can_edit": is_open and bool(sides & {SELLER, MENTOR, OFFICER}),
        "can_record": is_open and mentor_or_officer,
        "can_complete": is_open and mentor_or_officer,
        "milestone_form": milestone_form or MilestoneForm(),
        "session_form": session_form or SessionScheduleForm(),
        "sides": sides,
    }
    return render(request, "mentoring/mentor/plan_detail.html", context, status=status)


@login_required
@require_GET
def plan_detail_view(request: HttpRequest, plan_id: int) -> HttpResponse:
    with _or_404():
        plan, sides = plan_for_user(request.user, plan_id)
    return _detail(request, plan, sides)


@login_required
@require_POST
def milestone_add_view(request: HttpRequest, plan_id: int) -> HttpResponse:
    with _or_404():
        plan, sides = plan_for_user(request.user, plan_id)
    form = MilestoneForm(request.POST)
    if form.is_valid():
        try:
            milestone_add(plan, actor=request.user, **form.cleaned_data)
        except PermissionDenied as error:
            return forbidden(request, str(error))
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Đã thêm mốc."))
            return redirect("mentoring:mentor_plan", plan_id=plan.pk)
    return _detail(request, plan, sides, milestone_form=form, status=422)


@login_required
@require_POST
def milestone_done_view(request: HttpRequest, milestone_id: int) -> HttpResponse:
    with _or_404():
        milestone, _sides = milestone_for_user(request.user, milestone_id)
    try:
        milestone_done(milestone, actor=request.user)
    except PermissionDenied as error:
        return forbidden(request, str(error))
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Đã đánh dấu xong mốc “%(title)s”.") % {"title": milestone.title})
    return redirect("mentoring:mentor_plan", plan_id=milestone.plan_id)


@login_required
@require_POST
def session_schedule_view(request: HttpRequest, plan_id: int) -> HttpResponse:
    with _or_404():
        plan, sides = plan_for_user(request.user, plan_id)
    form = SessionScheduleForm(request.POST)
    if form.is_valid():
        try:
            session_schedule(plan, actor=request.user, starts_at=form.starts_at())
        except PermissionDenied as error:
            return forbidden(request, str(error))
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("Đã hẹn buổi tư vấn. Bên kia nhận tin nhắn; cả hai được nhắc trước một ngày.")
            )
            return redirect("mentoring:mentor_plan", plan_id=plan.pk)
    return _detail(request, plan, sides, session_form=form, status=422)


@login_required
@require_http_methods(["GET", "POST"])
def session_record_view(request: HttpRequest, session_id: int) -> HttpResponse:
    """The mentor writes down what a session covered and the next steps agreed."""
    with _or_404():
        session, sides = session_for_user(request.user, session_id)
    if not sides & {MENTOR, OFFICER}:
        return forbidden(request, _("Chỉ cố vấn hoặc cán bộ chương trình mới ghi lại buổi tư vấn."))
    initial = {
        "notes": session.notes,
        "next_steps": session.next_steps,
        "held": "0" if session.notes and not session.held else "1",
    }
    form = SessionRecordForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                session_record(session, actor=request.user, **form.cleaned_data)
            except PermissionDenied as error:
                return forbidden(request, str(error))
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Đã ghi lại buổi tư vấn."))
                return redirect("mentoring:mentor_plan", plan_id=session.plan_id)
        status = 422
    context = {"session": session, "plan": session.plan, "match": session.plan.match, "form": form}
    return render(request, "mentoring/mentor/session_record.html", context, status=status)


@login_required
@require_POST
def match_complete_view(request: HttpRequest, match_id: int) -> HttpResponse:
    with _or_404():
        match, _sides = match_for_mentoring(request.user, match_id)
    plan_id = MentoringPlan.objects.filter(match_id=match.pk).values_list("pk", flat=True).first()
    try:
        match_complete(match, actor=request.user)
    except PermissionDenied as error:
        return forbidden(request, str(error))
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Kết nối đã hoàn thành. Cảm ơn cố vấn và hợp tác xã!"))
    if plan_id is not None:
        return redirect("mentoring:mentor_plan", plan_id=plan_id)
    return redirect("mentoring:mentor_plans")
