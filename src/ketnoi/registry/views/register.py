"""Pages of self-registration: the step-by-step form, the reference, the status page.

No account is needed. The draft being filled is bound to the browser's
session (its id in ``DRAFT_KEY``); every Next saves the step, so closing the
page and coming back lands on the same step. The status page is opened
with the phone number and a one-time code sent to it, and stays open for
``STATUS_MINUTES`` in that session only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketnoi.accounts.network import client_ip
from ketnoi.core.errors import DomainError
from ketnoi.core.money import format_vnd
from ketnoi.core.phone import format_phone, mask_phone
from ketnoi.places.selectors import commune_get, commune_search, province_list

from .. import citizen_id
from ..ethnicity import ethnic_group_name
from ..forms_register import (
    DEVICE_CHOICES,
    ConnectForm,
    ConsentForm,
    HomeForm,
    IncomeForm,
    MemberForm,
    MemberPositionForm,
    PlaceForm,
    StartForm,
    StatusCodeForm,
    StatusPhoneForm,
)
from ..models import (
    AREA_CHOICES,
    LATRINE_CHOICES,
    MATERIAL_CHOICES,
    WATER_CHOICES,
    Registration,
    Relation,
    Sex,
)
from ..services import registration as service

DRAFT_KEY = "registry_draft"
SENT_KEY = "registry_sent"
STATUS_PENDING_KEY = "registry_status_pending"
STATUS_KEY = "registry_status"
STATUS_MINUTES = 30
PICKER_LIMIT = 20

STEP_TITLES = {
    "start": _("Số điện thoại và người điền"),
    "place": _("Nơi hộ đang ở"),
    "people": _("Những người trong hộ"),
    "home": _("Nhà ở"),
    "connect": _("Điện thoại, internet và rác"),
    "income": _("Thu nhập 12 tháng qua"),
    "consent": _("Đồng ý cho dùng thông tin"),
    "review": _("Xem lại và gửi"),
}
STEP_HELP = {
    "start": _("Ghi số điện thoại di động của hộ. Chúng tôi gửi mã hồ sơ và kết quả đến số này."),
    "place": _("Chọn tỉnh, tìm xã hoặc phường nơi hộ đang ở, rồi ghi tên thôn, bản."),
    "people": _(
        "Ghi từng người đang ở cùng và ăn chung trong hộ, mỗi lần một người. Bắt đầu với chủ hộ. "
        "Ghi xong một người thì bấm Lưu người này."
    ),
    "home": _("Cho biết nhà đang ở làm bằng gì, rộng bao nhiêu, nước và nhà tiêu."),
    "connect": _(
        "Cho biết hộ có dùng điện thoại, internet không, có những thiết bị nào, và rác xử lý thế nào."
    ),
    "income": _("Ước lượng số tiền cả nhà có được. Không cần chính xác, ghi khoảng bao nhiêu là được."),
    "consent": _("Đọc kỹ từng mục. Đánh dấu vào ô nếu bạn đồng ý. Không đánh dấu là không đồng ý."),
    "review": _("Xem lại các câu trả lời. Sai chỗ nào thì bấm Sửa. Đúng hết thì bấm Gửi đơn."),
}


# --- Helpers -------------------------------------------------------------------------------


def _draft(request: HttpRequest) -> Registration | None:
    """The draft this browser is filling, if it is still open."""
    pk = request.session.get(DRAFT_KEY)
    if not isinstance(pk, int):
        return None
    return Registration.objects.filter(pk=pk, submitted_at__isnull=True).first()


def _step_url(step: str) -> str:
    return reverse("registry:register_step", args=[step])


def _previous(step: str) -> str | None:
    index = service.STEPS.index(step)
    return _step_url(service.STEPS[index - 1]) if index > 0 else None


def _next_step(step: str) -> HttpResponseRedirect:
    return redirect(_step_url(service.STEPS[service.STEPS.index(step) + 1]))


def _page(
    request: HttpRequest,
    step: str,
    registration: Registration | None,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        f"registry/register/{step}.html",
        {
            "step": step,
            "number": service.step_number(step),
            "total": len(service.STEPS),
            "title": STEP_TITLES[step],
            "help": STEP_HELP[step],
            "previous": _previous(step),
            "registration": registration,
            **context,
        },
        status=status,
    )


def _add_errors(form: forms.Form, error: ValidationError | DomainError) -> None:
    """Put a service's refusal next to the fields it names, the rest above the form."""
    if isinstance(error, DomainError):
        form.add_error(None, str(error))
        return
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _bad_request_status(error: ValidationError | DomainError) -> int:
    return error.status if isinstance(error, DomainError) else 400


# --- The wizard ----------------------------------------------------------------------------


@never_cache
@require_GET
def register_intro_view(request: HttpRequest) -> HttpResponse:
    """What the form is for, what to have at hand; start, or continue the draft in this browser."""
    return render(
        request, "registry/register/intro.html", {"draft": _draft(request), "total": len(service.STEPS)}
    )


@never_cache
@require_POST
def register_new_view(request: HttpRequest) -> HttpResponse:
    """Leave the draft in this browser (it stays saved) and start a new form."""
    request.session.pop(DRAFT_KEY, None)
    return redirect(_step_url("start"))


@sensitive_post_parameters("citizen_id")
@never_cache
@require_http_methods(["GET", "POST"])
def register_step_view(request: HttpRequest, step: str) -> HttpResponse:
    """One step of the form: show it with what was saved; on Next, save it and go on."""
    if step not in service.STEPS:
        raise Http404
    registration = _draft(request)
    if step == "start":
        return _start(request, registration)
    if registration is None:
        messages.info(request, _("Hãy bắt đầu từ bước 1."))
        return redirect(_step_url("start"))
    if not service.step_reached(registration, step):
        return redirect(_step_url(registration.step))
    return _STEP_VIEWS[step](request, registration)


def _start(request: HttpRequest, registration: Registration | None) -> HttpResponse:
    initial = StartForm.initial_for(registration.phone, registration.helper_name) if registration else None
    form = StartForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if registration is None:
                registration = service.registration_start(
                    phone=data["phone"], helper_name=data["helper_name"], ip_address=client_ip(request)
                )
                request.session[DRAFT_KEY] = registration.pk
            else:
                service.registration_step_save(
                    registration=registration, step="start", cleaned_data=data, ip_address=client_ip(request)
                )
        except (ValidationError, DomainError) as error:
            _add_errors(form, error)
            return _page(request, "start", registration, {"form": form}, status=_bad_request_status(error))
        return _next_step("start")
    status = 400 if request.method == "POST" else 200
    return _page(request, "start", registration, {"form": form}, status=status)


def _code_or_none(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def _place(request: HttpRequest, registration: Registration) -> HttpResponse:
    """Where she lives: a search (GET, or htmx through the places picker), then the saving form."""
    saved = registration.answers.get("place") or {}
    query = request.GET.get("q", "")[:100]
    province = _code_or_none(request.GET.get("province")) or saved.get("province")
    status = 200
    if request.method == "POST":
        form = PlaceForm(request.POST)
        if form.is_valid():
            try:
                service.registration_step_save(
                    registration=registration,
                    step="place",
                    cleaned_data=form.cleaned_data,
                    ip_address=client_ip(request),
                )
            except (ValidationError, DomainError) as error:
                _add_errors(form, error)
            else:
                return _next_step("place")
        status, chosen_code = 400, _code_or_none(request.POST.get("commune"))
    else:
        form, chosen_code = PlaceForm(initial=saved), saved.get("commune")
    chosen = None
    if chosen_code is not None:
        try:
            chosen = commune_get(chosen_code)
        except DomainError:
            chosen = None
    found = commune_search(query, province_code=province, limit=PICKER_LIMIT) if query.strip() else []
    if chosen is not None:
        found = [c for c in found if c.code != chosen.code]
    context = {
        "form": form,
        "provinces": province_list(),
        "province": province,
        "query": query,
        "communes": found,
        "chosen": chosen,
    }
    return _page(request, "place", registration, context, status=status)


def _people(request: HttpRequest, registration: Registration) -> HttpResponse:
    """The people, one at a time: a list with Change and Remove, and the form for one person."""
    members = service.registration_members(registration)
    position: int | None = None
    errors: list[str] = []
    status = 200
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action == "remove":
        which = MemberPositionForm(request.POST)
        if not which.is_valid() or which.cleaned_data["position"] >= len(members):
            raise Http404
        name = members[which.cleaned_data["position"]]["full_name"]
        try:
            service.registration_member_remove(
                registration=registration,
                position=which.cleaned_data["position"],
                ip_address=client_ip(request),
            )
        except DomainError:
            raise Http404 from None
        messages.success(request, _("Đã xoá %(name)s khỏi danh sách.") % {"name": name})
        return redirect(_step_url("people"))
    if action == "next":
        try:
            service.registration_step_save(
                registration=registration, step="people", cleaned_data={}, ip_address=client_ip(request)
            )
        except (ValidationError, DomainError) as error:
            errors = error.messages if isinstance(error, ValidationError) else [str(error)]
            status = 400
        else:
            return _next_step("people")
        form = MemberForm(initial={} if members else {"relation": Relation.HEAD})
    elif request.method == "POST":
        which = MemberPositionForm(request.POST)
        position = which.cleaned_data["position"] if which.is_valid() else None
        if position is not None and position >= len(members):
            raise Http404
        form = MemberForm(request.POST)
        if form.is_valid():
            try:
                service.registration_member_save(
                    registration=registration,
                    position=position,
                    cleaned_data=form.cleaned_data,
                    ip_address=client_ip(request),
                )
            except (ValidationError, DomainError) as error:
                _add_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Đã lưu %(name)s. Thêm người tiếp theo, hoặc bấm Tiếp nếu đã đủ người.")
                    % {"name": form.cleaned_data["full_name"]},
                )
                return redirect(_step_url("people"))
        status = 400
    else:
        edit = request.GET.get("edit", "")
        if edit.isascii() and edit.isdigit() and int(edit) < len(members):
            position = int(edit)
            member = members[position]
            number = (
                citizen_id.decrypt(member["citizen_id_encrypted"])
                if member.get("citizen_id_encrypted")
                else ""
            )
            birth_date = date.fromisoformat(member["birth_date"])
            form = MemberForm(initial={**member, "birth_date": birth_date, "citizen_id": number})
        else:
            form = MemberForm(initial={} if members else {"relation": Relation.HEAD})
    context = {
        "form": form,
        "members": [_member_row(m) for m in members],
        "position": position,
        "errors": errors,
    }
    return _page(request, "people", registration, context, status=status)


def _member_row(member: dict[str, Any]) -> dict[str, Any]:
    return {
        "full_name": member["full_name"],
        "birth_date": date.fromisoformat(member["birth_date"]).strftime("%d/%m/%Y"),
        "relation": _label(Relation.choices, member["relation"]),
        "sex": _label(Sex.choices, member["sex"]),
        "ethnic_group": ethnic_group_name(member["ethnic_group"]),
        "citizen_id": member.get("citizen_id_masked", ""),
        "has_health_insurance": member["has_health_insurance"],
        "has_disability": member["has_disability"],
    }


def _form_step(
    form_class: type[forms.Form], step: str
) -> Callable[[HttpRequest, Registration], HttpResponse]:
    """A step that is one form saved whole (home, phone and internet, income)."""

    def view(request: HttpRequest, registration: Registration) -> HttpResponse:
        saved = registration.answers.get(step) or {}
        initial = IncomeForm.initial_for(saved) if form_class is IncomeForm else saved
        form = form_class(request.POST if request.method == "POST" else None, initial=initial)
        if request.method == "POST":
            if form.is_valid():
                try:
                    service.registration_step_save(
                        registration=registration,
                        step=step,
                        cleaned_data=form.cleaned_data,
                        ip_address=client_ip(request),
                    )
                except (ValidationError, DomainError) as error:
                    _add_errors(form, error)
                else:
                    return _next_step(step)
            return _page(request, step, registration, {"form": form}, status=400)
        return _page(request, step, registration, {"form": form, "saved": saved})

    return view


def _consent(request: HttpRequest, registration: Registration) -> HttpResponse:
    texts = ConsentForm.texts()
    if request.method == "POST":
        form = ConsentForm(request.POST)
        if form.is_valid():
            try:
                service.registration_consents_save(
                    registration=registration, choices=form.cleaned_data, ip_address=client_ip(request)
                )
            except (ValidationError, DomainError) as error:
                _add_errors(form, error)
            else:
                return _next_step("consent")
        return _page(request, "consent", registration, {"form": form, "texts": texts}, status=400)
    initial = {purpose: service.registration_consent_current(registration, purpose) for purpose in texts}
    return _page(request, "consent", registration, {"form": ConsentForm(initial=initial), "texts": texts})


def _review(request: HttpRequest, registration: Registration) -> HttpResponse:
    form = forms.Form(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            sent = service.registration_submit(registration=registration, ip_address=client_ip(request))
        except (ValidationError, DomainError) as error:
            _add_errors(form, error)
            context = {"form": form, "summary": _summary(registration)}
            return _page(request, "review", registration, context, status=_bad_request_status(error))
        request.session.pop(DRAFT_KEY, None)
        request.session[SENT_KEY] = sent.reference
        return redirect("registry:register_done")
    return _page(request, "review", registration, {"form": form, "summary": _summary(registration)})


_STEP_VIEWS: dict[str, Callable[[HttpRequest, Registration], HttpResponse]] = {
    "place": _place,
    "people": _people,
    "home": _form_step(HomeForm, "home"),
    "connect": _form_step(ConnectForm, "connect"),
    "income": _form_step(IncomeForm, "income"),
    "consent": _consent,
    "review": _review,
}


def _label(choices: Any, value: Any) -> str:
    return str(dict(choices).get(value, value))


def _yes_no(value: Any) -> str:
    return str(_("Có") if value else _("Không"))


def _devices_text(devices: list[str]) -> str:
    return ", ".join(_label(DEVICE_CHOICES, d) for d in devices)


def _summary(registration: Registration) -> list[dict[str, Any]]:
    """The answers in words, step by step, for the review page."""
    answers = registration.answers or {}
    place, home = answers.get("place") or {}, answers.get("home") or {}
    connect, income = answers.get("connect") or {}, answers.get("income") or {}
    devices = _devices_text(connect.get("devices", [])) or _("Không có")
    members = service.registration_members(registration)
    sections: list[dict[str, Any]] = [
        {
            "step": "start",
            "rows": [
                (_("Số điện thoại"), format_phone(registration.phone)),
                (_("Người điền giúp"), registration.helper_name or _("Không, người trong hộ tự điền")),
            ],
        },
        {
            "step": "place",
            "rows": [
                (_("Xã/phường"), place.get("commune_label", "")),
                (_("Thôn, bản"), place.get("address_line", "")),
                (_("Khu vực"), _label(AREA_CHOICES, place.get("area"))),
            ],
        },
        {"step": "people", "members": [_member_row(m) for m in members]},
        {
            "step": "home",
            "rows": [
                (_("Tường"), _label(MATERIAL_CHOICES, home.get("walls"))),
                (_("Khung, cột"), _label(MATERIAL_CHOICES, home.get("frame"))),
                (_("Mái"), _label(MATERIAL_CHOICES, home.get("roof"))),
                (_("Diện tích"), f"{home.get('floor_area_m2', '')} m²".replace(".", ",")),
                (_("Nước ăn uống"), _label(WATER_CHOICES, home.get("water_source"))),
                (_("Nhà tiêu"), _label(LATRINE_CHOICES, home.get("latrine"))),
            ],
        },
        {
            "step": "connect",
            "rows": [
                (_("Dùng điện thoại, internet"), _yes_no(connect.get("uses_telecom"))),
                (_("Thiết bị"), devices),
                (_("Rác được thu gom, xử lý"), _yes_no(connect.get("waste_collected_or_treated"))),
            ],
        },
        {
            "step": "income",
            "rows": [
                (
                    _("Thu nhập cả năm"),
                    format_vnd(income["income_12m_vnd"]) if "income_12m_vnd" in income else "",
                ),
            ],
        },
    ]
    for section in sections:
        section["title"], section["url"] = STEP_TITLES[section["step"]], _step_url(section["step"])
    return sections


@never_cache
@require_GET
def register_done_view(request: HttpRequest) -> HttpResponse:
    """The reference number, big, and what happens next."""
    reference = request.session.get(SENT_KEY)
    if not isinstance(reference, str):
        return redirect("registry:register")
    return render(request, "registry/register/done.html", {"reference": reference})


# --- The status page -------------------------------------------------------------------------


def _status_phone(request: HttpRequest) -> str | None:
    """The phone proved by a code in this session, while the 30 minutes last."""
    data = request.session.get(STATUS_KEY)
    if not isinstance(data, dict) or not isinstance(data.get("phone"), str):
        return None
    until = data.get("until")
    return (
        str(data["phone"]) if isinstance(until, (int, float)) and until > timezone.now().timestamp() else None
    )


@never_cache
@require_http_methods(["GET", "POST"])
def register_status_view(request: HttpRequest) -> HttpResponse:
    """With a proved phone: its requests and their status. Otherwise: ask for the phone."""
    phone = _status_phone(request)
    if phone is not None and request.method == "GET":
        rows = [
            {"status": row, "devices": _devices_text(row.household.devices if row.household else [])}
            for row in service.registration_status(reference_or_phone=phone)
        ]
        return render(request, "registry/register/status.html", {"rows": rows, "phone": phone})
    form = StatusPhoneForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            number = service.status_code_send(phone=form.cleaned_data["phone"])
        except (ValidationError, DomainError) as error:
            _add_errors(form, error)
            return render(
                request, "registry/register/status.html", {"form": form}, status=_bad_request_status(error)
            )
        request.session[STATUS_PENDING_KEY] = number
        return redirect("registry:register_status_code")
    status = 400 if request.method == "POST" else 200
    return render(request, "registry/register/status.html", {"form": form}, status=status)


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def register_status_code_view(request: HttpRequest) -> HttpResponse:
    """Type the code sent by SMS; right, and the status page opens for 30 minutes."""
    pending = request.session.get(STATUS_PENDING_KEY)
    if not isinstance(pending, str):
        return redirect("registry:register_status")
    context: dict[str, Any] = {"masked": mask_phone(pending)}
    if request.method == "POST" and request.POST.get("action") == "resend":
        try:
            service.status_code_send(phone=pending)
        except (ValidationError, DomainError) as error:
            form = StatusCodeForm()
            _add_errors(form, error)
            return render(
                request,
                "registry/register/status_code.html",
                {**context, "form": form},
                status=_bad_request_status(error),
            )
        messages.success(request, _("Đã gửi mã mới."))
        return redirect("registry:register_status_code")
    form = StatusCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            try:
                service.status_code_check(
                    phone=pending, code=form.cleaned_data["code"], ip_address=client_ip(request)
                )
            except DomainError as error:
                form.add_error("code", str(error))
                return render(
                    request,
                    "registry/register/status_code.html",
                    {**context, "form": form},
                    status=error.status,
                )
            request.session.cycle_key()  # a new session id once the phone is proved
            request.session.pop(STATUS_PENDING_KEY, None)
            until = timezone.now().timestamp() + STATUS_MINUTES * 60
            request.session[STATUS_KEY] = {"phone": pending, "until": until}
            return redirect("registry:register_status")
        return render(request, "registry/register/status_code.html", {**context, "form": form}, status=400)
    return render(request, "registry/register/status_code.html", {**context, "form": form})


@require_POST
def register_status_leave_view(request: HttpRequest) -> HttpResponse:
    """Close the status page in this browser (a shared phone)."""
    request.session.pop(STATUS_KEY, None)
    request.session.pop(STATUS_PENDING_KEY, None)
    messages.success(request, _("Đã đóng trang kết quả trên máy này."))
    return redirect("registry:register_status")


@require_POST
def register_status_continue_view(request: HttpRequest, reference: str) -> HttpResponse:
    """Continue, in this browser, a draft made from the proved phone."""
    phone = _status_phone(request)
    if phone is None:
        return redirect("registry:register_status")
    try:
        registration = service.registration_resume(phone=phone, reference=reference)
    except DomainError:
        raise Http404 from None
    request.session[DRAFT_KEY] = registration.pk
    step = registration.step if registration.step in service.STEPS else "place"
    return redirect(_step_url(step))
