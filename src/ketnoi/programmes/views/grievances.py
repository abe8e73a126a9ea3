"""Complaint pages: filing (with a proved phone or anonymously), following it, appealing; and the
officers' queue, one complaint's page, and filing on someone's behalf.

No account is needed to complain. A phone is proved with a one-time code
and stays proved in this browser's session for ``PROVED_MINUTES``; an
anonymous complainant opens her complaint with its reference and tracking
code. Officers reach a complaint only through ``grievance_for_officer``
(404 outside their area).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketnoi.accounts.permissions import role_required
from ketnoi.core.errors import DomainError, NotFound
from ketnoi.core.phone import mask_phone
from ketnoi.places.selectors import commune_get, commune_search, province_list
from ketnoi.registry.selectors import households_for_officer

from ..access import PROGRAMME_VIEWER_ROLES, programme_scopes
from ..forms_grievances import (
    AppealForm,
    AssignForm,
    CodeForm,
    ComplaintForm,
    NoteForm,
    OfficerComplaintForm,
    PhoneForm,
    QueueFilterForm,
    ResolveForm,
    StatusForm,
)
from ..models import Grievance
from ..selectors_grievances import (
    AGE_BUCKETS,
    grievance_assignees,
    grievance_events,
    grievance_for_complainant,
    grievance_for_officer,
    grievance_opened,
    grievance_queue,
    grievances_count_by_age,
    grievances_for_officer,
    grievances_for_phone,
)
from ..services import grievances as service

PHONE_PENDING_KEY = "complaint_phone_pending"
PHONE_KEY = "complaint_phone"  # {"phone": E.164, "until": timestamp}
NEXT_KEY = "complaint_next"  # where to go once the phone is proved: "form" or "status"
PROGRAMME_KEY = "complaint_programme"  # a programme code the self-service page came with
FILED_KEY = "complaint_filed"  # {"reference", "code"}: the code is shown once, then dropped
OPENED_KEY = "complaint_opened"  # {reference: until}: opened with the tracking code
PROVED_MINUTES = 30
HOW_PHONE, HOW_ANONYMOUS = "phone", "anonymous"
QUEUE_PAGE_SIZE = 30
PICKER_LIMIT = 20

officer_required = role_required(*PROGRAMME_VIEWER_ROLES)

# Which form field a service refusal belongs next to, by its code.
_ERROR_FIELDS = {
    "commune_unknown": "commune",
    "grievance_category": "category",
    "description_required": "description",
    "description_too_long": "description",
    "name_too_long": "complainant_name",
    "phone_invalid": "complainant_phone",
    "household_other_commune": "household",
    "programme_other_area": "programme",
    "programme_draft": "programme",
    "note_required": "text",
    "note_too_long": "text",
    "appeal_required": "text",
    "appeal_too_long": "text",
    "resolution_required": "resolution",
    "resolution_too_long": "resolution",
    "appeal_not_complainant": "tracking_code",
    "assignee_out_of_area": "assignee",
}


def _add_error(form: forms.Form, error: DomainError) -> None:
    """Put a service's refusal next to its field, else above the form."""
    field = _ERROR_FIELDS.get(error.code)
    form.add_error(field if field in form.fields else None, str(error))


def _until() -> float:
    return timezone.now().timestamp() + PROVED_MINUTES * 60


def _proved_phone(request: HttpRequest) -> str | None:
    """The phone proved by a code in this session, while the minutes last."""
    data = request.session.get(PHONE_KEY)
    if not isinstance(data, dict) or not isinstance(data.get("phone"), str):
        return None
    until = data.get("until")
    return (
        str(data["phone"]) if isinstance(until, (int, float)) and until > timezone.now().timestamp() else None
    )


def _opened(request: HttpRequest, reference: str) -> bool:
    until = (request.session.get(OPENED_KEY) or {}).get(reference)
    return isinstance(until, (int, float)) and until > timezone.now().timestamp()


def _complainant_grievance(request: HttpRequest, reference: str) -> Grievance | None:
    """Her grievance when this session holds her proof (the tracking code, or the phone she used)."""
    try:
        grievance = grievance_opened(reference)
    except NotFound:
        return None
    phone = _proved_phone(request)
    mine = bool(phone) and phone == grievance.complainant_phone
    return grievance if mine or _opened(request, grievance.reference) else None


def _code_or_none(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def _picker(request: HttpRequest, chosen_code: Any) -> dict[str, Any]:
    """The commune picker's context: the search (GET, or htmx through places) and the chosen one."""
    query = request.GET.get("q", "")[:100]
    province = _code_or_none(request.GET.get("province"))
    chosen = None
    if _code_or_none(chosen_code) is not None:
        try:
            chosen = commune_get(str(chosen_code))
        except DomainError:
            chosen = None
    found = commune_search(query, province_code=province, limit=PICKER_LIMIT) if query.strip() else []
    if chosen is not None:
        found = [c for c in found if c.code != chosen.code]
    return {
        "provinces": province_list(),
        "province": province,
        "query": query,
        "communes": found,
        "chosen": chosen,
    }


# --- Filing -----------------------------------------------------------------------------------


@never_cache
@require_GET
def complaint_new_view(request: HttpRequest) -> HttpResponse:
    """Choose how to complain: with my phone (a code by SMS) or without giving my name."""
    programme = request.GET.get("programme", "")
    if programme and len(programme) <= 40 and programme.replace("-", "").isalnum():
        request.session[PROGRAMME_KEY] = programme
    phone = _proved_phone(request)
    return render(request, "programmes/grievances/new.html", {"phone": phone, "masked": mask_phone(phone)})


@sensitive_post_parameters("phone")
@never_cache
@require_http_methods(["GET", "POST"])
def complaint_phone_view(request: HttpRequest) -> HttpResponse:
    """Type the phone; a code is sent to it."""
    following = request.GET.get("next") == "status" or request.POST.get("next") == "status"
    form = PhoneForm(request.POST if request.method == "POST" else None)
    context: dict[str, Any] = {"form": form, "next": "status" if following else "form"}
    if request.method == "POST":
        if form.is_valid():
            try:
                number = service.complaint_code_send(phone=form.cleaned_data["phone"])
            except DomainError as error:
                form.add_error("phone", str(error))
                return render(request, "programmes/grievances/phone.html", context, status=error.status)
            request.session[PHONE_PENDING_KEY] = number
            request.session[NEXT_KEY] = context["next"]
            return redirect("programmes:complaint_phone_code")
        return render(request, "programmes/grievances/phone.html", context, status=400)
    return render(request, "programmes/grievances/phone.html", context)


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def complaint_phone_code_view(request: HttpRequest) -> HttpResponse:
    """Type the code from the SMS; right, and the phone stays proved for a while in this browser."""
    pending = request.session.get(PHONE_PENDING_KEY)
    if not isinstance(pending, str):
        return redirect("programmes:complaint_phone")
    context: dict[str, Any] = {"masked": mask_phone(pending)}
    if request.method == "POST" and request.POST.get("action") == "resend":
        try:
            service.complaint_code_send(phone=pending)
        except DomainError as error:
            form = CodeForm()
            form.add_error(None, str(error))
            return render(
                request, "programmes/grievances/code.html", {**context, "form": form}, status=error.status
            )
        messages.success(request, _("Đã gửi mã mới."))
        return redirect("programmes:complaint_phone_code")
    form = CodeForm(request.POST if request.method == "POST" else None)
    context["form"] = form
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "programmes/grievances/code.html", context, status=400)
        try:
            service.complaint_code_check(phone=pending, code=form.cleaned_data["code"])
        except DomainError as error:
            form.add_error("code", str(error))
            return render(request, "programmes/grievances/code.html", context, status=error.status)
        following = request.session.get(NEXT_KEY) == "status"
        request.session.cycle_key()  # a new session id once the phone is proved
        request.session.pop(PHONE_PENDING_KEY, None)
        request.session.pop(NEXT_KEY, None)
        request.session[PHONE_KEY] = {"phone": pending, "until": _until()}
        if following:
            return redirect("programmes:complaint_status")
        return redirect(f"{reverse('programmes:complaint_form')}?how={HOW_PHONE}")
    return render(request, "programmes/grievances/code.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def complaint_form_view(request: HttpRequest) -> HttpResponse:
    """What happened and where; sent with the proved phone, or anonymously."""
    how = request.POST.get("how") or request.GET.get("how")
    if how not in (HOW_PHONE, HOW_ANONYMOUS):
        return redirect("programmes:complaint_new")
    phone = _proved_phone(request) if how == HOW_PHONE else None
    if how == HOW_PHONE and phone is None and request.method == "GET":
        messages.info(request, _("Hãy xác nhận số điện thoại trước: chúng tôi gửi một mã qua tin nhắn."))
        return redirect("programmes:complaint_phone")
    initial = (
        {"programme": request.session.get(PROGRAMME_KEY)} if request.session.get(PROGRAMME_KEY) else None
    )
    form = ComplaintForm(request.POST if request.method == "POST" else None, initial=initial)
    if how == HOW_ANONYMOUS:
        del form.fields["complainant_name"]
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                grievance, tracking_code = service.grievance_file(
                    category=data["category"],
                    description=data["description"],
                    commune=data["commune"],
                    source=Grievance.Source.PHONE if how == HOW_PHONE else Grievance.Source.ANONYMOUS,
                    programme=data["programme"],
                    complainant_name=data.get("complainant_name", ""),
                    complainant_phone=phone or "",
                )
            except DomainError as error:
                _add_error(form, error)
                status = error.status
            else:
                request.session.pop(PROGRAMME_KEY, None)
                request.session[FILED_KEY] = {"reference": grievance.reference, "code": tracking_code}
                if tracking_code:
                    request.session.setdefault(OPENED_KEY, {})[grievance.reference] = _until()
                    request.session.modified = True
                return redirect("programmes:complaint_done")
    context = {
        "form": form,
        "how": how,
        "phone": phone,
        **_picker(request, request.POST.get("commune") if request.method == "POST" else None),
    }
    return render(request, "programmes/grievances/form.html", context, status=status)


@never_cache
@require_GET
def complaint_done_view(request: HttpRequest) -> HttpResponse:
    """The reference, big; for an anonymous complaint the tracking code too, this one time."""
    filed = request.session.get(FILED_KEY)
    if not isinstance(filed, dict) or not isinstance(filed.get("reference"), str):
        return redirect("programmes:complaint_status")
    code = filed.pop("code", None)
    request.session[FILED_KEY] = filed  # without the code: a reload no longer shows it
    return render(
        request, "programmes/grievances/done.html", {"reference": filed["reference"], "tracking_code": code}
    )


# --- Following it -------------------------------------------------------------------------------


@sensitive_post_parameters("tracking_code")
@never_cache
@require_http_methods(["GET", "POST"])
def complaint_status_view(request: HttpRequest) -> HttpResponse:
    """Open a complaint with its reference and tracking code; with a proved phone, see its complaints."""
    phone = _proved_phone(request)
    form = StatusForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                grievance = grievance_for_complainant(
                    reference=form.cleaned_data["reference"], tracking_code=form.cleaned_data["tracking_code"]
                )
            except NotFound as error:
                form.add_error(None, str(error))
            else:
                request.session.setdefault(OPENED_KEY, {})[grievance.reference] = _until()
                request.session.modified = True
                return redirect("programmes:complaint_status_detail", reference=grievance.reference)
    context = {
        "form": form,
        "phone": phone,
        "grievances": grievances_for_phone(phone) if phone else None,
    }
    return render(request, "programmes/grievances/status.html", context, status=status)


def _status_page(
    request: HttpRequest, grievance: Grievance, *, form: AppealForm | None = None, status: int = 200
) -> HttpResponse:
    appeal_until = service.appeal_open_until(grievance)
    if appeal_until is not None and timezone.now() > appeal_until:
        appeal_until = None
    context = {
        "grievance": grievance,
        "events": grievance_events(grievance, public_only=True),
        "appeal_until": appeal_until,
        "form": form or AppealForm(),
        "needs_code": not (_proved_phone(request) and _proved_phone(request) == grievance.complainant_phone),
    }
    return render(request, "programmes/grievances/status_detail.html", context, status=status)


@never_cache
@require_GET
def complaint_status_detail_view(request: HttpRequest, reference: str) -> HttpResponse:
    """Her complaint: where it stands, its public history, the answer, and the appeal form."""
    grievance = _complainant_grievance(request, reference)
    if grievance is None:
        messages.info(request, _("Hãy nhập mã phản ánh và mã theo dõi để xem."))
        return redirect("programmes:complaint_status")
    return _status_page(request, grievance)


@sensitive_post_parameters("tracking_code")
@never_cache
@require_POST
def complaint_appeal_view(request: HttpRequest, reference: str) -> HttpResponse:
    """She disagrees with the answer: the complaint reopens, for another officer."""
    grievance = _complainant_grievance(request, reference)
    if grievance is None:
        return redirect("programmes:complaint_status")
    form = AppealForm(request.POST)
    if not form.is_valid():
        return _status_page(request, grievance, form=form, status=400)
    phone = _proved_phone(request)
    try:
        service.grievance_appeal(
            grievance,
            text=form.cleaned_data["text"],
            by_phone=phone or "",
            tracking_code=form.cleaned_data["tracking_code"],
        )
    except DomainError as error:
        _add_error(form, error)
        return _status_page(request, grievance, form=form, status=error.status)
    messages.success(request, _("Đã gửi khiếu nại lại. Một cán bộ khác của tỉnh sẽ xem xét."))
    return redirect("programmes:complaint_status_detail", reference=grievance.reference)


@require_POST
def complaint_leave_view(request: HttpRequest) -> HttpResponse:
    """Forget, in this browser, the proved phone and the opened complaints (a shared phone)."""
    for key in (PHONE_KEY, PHONE_PENDING_KEY, OPENED_KEY, FILED_KEY):
        request.session.pop(key, None)
    messages.success(request, _("Đã đóng trang phản ánh trên máy này."))
    return redirect("programmes:complaint_status")


# --- Officers -----------------------------------------------------------------------------------


@officer_required
@require_GET
def complaint_queue_view(request: HttpRequest) -> HttpResponse:
    """Complaints of the officer's areas, soonest due first, with their at-risk and breached flags."""
    form = QueueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    now = timezone.now()
    rows = grievance_queue(
        request.user,
        state=filters.get("state") or "active",
        category=filters.get("category") or "",
        flag=filters.get("flag") or "",
        mine=bool(filters.get("mine")),
        now=now,
    )
    page = Paginator(rows, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    ages = grievances_count_by_age(grievances_for_officer(request.user), now=now)
    context = {
        "form": form,
        "page": page,
        "items": [(g, service.grievance_flags(g, now)) for g in page.object_list],
        "ages": [(key, ages[key]) for key, _first, _last in AGE_BUCKETS],
        "query": _without_page(request),
    }
    return render(request, "programmes/grievances/queue.html", context)


def _without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _officer_grievance(request: HttpRequest, reference: str) -> Grievance:
    try:
        return grievance_for_officer(user=request.user, reference=reference)
    except NotFound as error:
        raise Http404(str(error)) from None


def _case_page(
    request: HttpRequest, grievance: Grievance, *, status: int = 200, **forms_: Any
) -> HttpResponse:
    officers = grievance_assignees(grievance)
    appeal_until = service.appeal_open_until(grievance)
    context = {
        "grievance": grievance,
        "flags": service.grievance_flags(grievance),
        "events": grievance_events(grievance),
        "note_form": forms_.get("note_form") or NoteForm(),
        "resolve_form": forms_.get("resolve_form") or ResolveForm(),
        "assign_form": forms_.get("assign_form") or AssignForm(officers=officers),
        "appeal_until": appeal_until,
        "can_close": grievance.state == Grievance.State.RESOLVED
        and (appeal_until is None or timezone.now() > appeal_until),
        "active": grievance.state in service.ACTIVE_STATES,
    }
    return render(request, "programmes/grievances/case.html", context, status=status)


@officer_required
@require_GET
def complaint_case_view(request: HttpRequest, reference: str) -> HttpResponse:
    """One complaint: who, what, where, its deadline and history, and what can be done next."""
    return _case_page(request, _officer_grievance(request, reference))


def _done(request: HttpRequest, grievance: Grievance, message: Any) -> HttpResponse:
    messages.success(request, message)
    return redirect("programmes:complaint_case", reference=grievance.reference)


@officer_required
@require_POST
def complaint_start_view(request: HttpRequest, reference: str) -> HttpResponse:
    grievance = _officer_grievance(request, reference)
    try:
        service.grievance_start(grievance, actor=request.user)
    except DomainError as error:
        messages.error(request, str(error))
        return _case_page(request, grievance, status=error.status)
    return _done(request, grievance, _("Đã nhận xử lý phản ánh."))


@officer_required
@require_POST
def complaint_note_view(request: HttpRequest, reference: str) -> HttpResponse:
    grievance = _officer_grievance(request, reference)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            service.grievance_note(
                grievance,
                actor=request.user,
                text=form.cleaned_data["text"],
                public=form.cleaned_data["public"],
            )
        except DomainError as error:
            _add_error(form, error)
            return _case_page(request, grievance, note_form=form, status=error.status)
        return _done(request, grievance, _("Đã thêm ghi chú."))
    return _case_page(request, grievance, note_form=form, status=400)


@officer_required
@require_POST
def complaint_assign_view(request: HttpRequest, reference: str) -> HttpResponse:
    grievance = _officer_grievance(request, reference)
    officers = grievance_assignees(grievance)
    form = AssignForm(request.POST, officers=officers)
    if form.is_valid():
        assignee = next(o for o in officers if o.pk == form.cleaned_data["assignee"])
        try:
            service.grievance_assign(
                grievance, assignee=assignee, actor=request.user, note=form.cleaned_data["note"]
            )
        except DomainError as error:
            _add_error(form, error)
            return _case_page(request, grievance, assign_form=form, status=error.status)
        return _done(request, grievance, _("Đã giao phản ánh cho %(name)s.") % {"name": str(assignee)})
    return _case_page(request, grievance, assign_form=form, status=400)


@officer_required
@require_POST
def complaint_resolve_view(request: HttpRequest, reference: str) -> HttpResponse:
    grievance = _officer_grievance(request, reference)
    form = ResolveForm(request.POST)
    if form.is_valid():
        try:
            service.grievance_resolve(
                grievance, actor=request.user, resolution=form.cleaned_data["resolution"]
            )
        except DomainError as error:
            _add_error(form, error)
            return _case_page(request, grievance, resolve_form=form, status=error.status)
        return _done(request, grievance, _("Đã ghi kết quả. Người phản ánh sẽ thấy kết quả này."))
    return _case_page(request, grievance, resolve_form=form, status=400)


@officer_required
@require_POST
def complaint_close_view(request: HttpRequest, reference: str) -> HttpResponse:
    grievance = _officer_grievance(request, reference)
    try:
        service.grievance_close(grievance, actor=request.user)
    except DomainError as error:
        messages.error(request, str(error))
        return _case_page(request, grievance, status=error.status)
    return _done(request, grievance, _("Đã đóng phản ánh."))


@officer_required
@require_http_methods(["GET", "POST"])
def complaint_file_view(request: HttpRequest) -> HttpResponse:
    """An officer writes down a complaint told to her in person or by phone."""
    form = OfficerComplaintForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            household = None
            if data["household"]:
                household = (
                    households_for_officer(request.user)
                    .filter(reference=data["household"].strip().upper())
                    .first()
                )
                if household is None:
                    form.add_error("household", _("Không có hộ mã này ở địa bàn của bạn."))
            if not form.errors:
                try:
                    grievance, _code = service.grievance_file(
                        category=data["category"],
                        description=data["description"],
                        commune=data["commune"],
                        source=Grievance.Source.OFFICER,
                        programme=data["programme"],
                        household=household,
                        complainant_name=data["complainant_name"],
                        complainant_phone=data["complainant_phone"],
                        actor=request.user,
                    )
                except DomainError as error:
                    _add_error(form, error)
                    status = error.status
                else:
                    return _done(
                        request,
                        grievance,
                        _("Đã ghi nhận phản ánh %(reference)s.") % {"reference": grievance.reference},
                    )
    chosen: Any = request.POST.get("commune")
    if request.method != "POST":  # an officer of one commune files for that commune
        communes = [s.commune_code for s in programme_scopes(request.user)]
        chosen = communes[0] if len(communes) == 1 else None
    context = {"form": form, "officer": True, **_picker(request, chosen)}
    return render(request, "programmes/grievances/form.html", context, status=status)
