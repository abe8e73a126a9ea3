"""The programme officer's pages: programmes, their rules with a preview, and cycles.

Each page finds its programme or cycle through ``selectors`` (404 outside
the reader's area), validates one form and calls one service. A refusal
(``DomainError``: bad input 422, wrong state 409, not her area or the
maker–checker rule 403) shows the same page again with the reason on top,
with that status.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketnoi.accounts.permissions import role_required
from ketnoi.accounts.selectors import user_scopes
from ketnoi.core.errors import DomainError, NotFound
from ketnoi.core.money import format_vnd
from ketnoi.places.models import Province

from .. import rules as eligibility
from ..access import PROGRAMME_ROLES, PROGRAMME_VIEWER_ROLES, programme_covered
from ..forms import (
    BaseRuleRowFormSet,
    EnrolmentFilterForm,
    OpenCycleForm,
    ProgrammeForm,
    ReturnForm,
    RuleRowFormSet,
    rule_rows_initial,
)
from ..models import Cycle, Programme
from ..selectors import (
    cycle_commune_totals,
    cycle_enrolments,
    cycle_for_user,
    programme_cycles,
    programme_for_user,
    programmes_for_user,
)
from ..services.cycles import (
    cycle_approve,
    cycle_close,
    cycle_enrol,
    cycle_open,
    cycle_return,
    cycle_submit,
    fund_balance,
)
from ..services.programmes import (
    EligibilityPreview,
    eligibility_preview,
    programme_activate,
    programme_close,
    programme_create,
    programme_preview,
    programme_update,
)

PAGE_SIZE = 20
ENROLMENT_PAGE_SIZE = 50
RULES_PREFIX = "rules"

viewer_required = role_required(*PROGRAMME_VIEWER_ROLES)
runner_required = role_required(*PROGRAMME_ROLES)


def _programme_or_404(request: HttpRequest, code: str) -> Programme:
    try:
        return programme_for_user(request.user, code)
    except NotFound as error:
        raise Http404(str(error)) from None


def _cycle_or_404(request: HttpRequest, code: str, number: int) -> Cycle:
    try:
        return cycle_for_user(request.user, code, number)
    except NotFound as error:
        raise Http404(str(error)) from None


# --- Programmes -------------------------------------------------------------------------


@viewer_required
@require_GET
def programme_list_view(request: HttpRequest) -> HttpResponse:
    """Programmes of the officer's area, newest first, with their fund balance."""
    page = Paginator(programmes_for_user(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    can_create = bool(user_scopes(request.user, roles=PROGRAMME_ROLES))
    return render(request, "programmes/officer/list.html", {"page": page, "can_create": can_create})


def _provinces_for(request: HttpRequest) -> tuple[Any, bool]:
    """The provinces the officer may give a programme, and whether she may make it national."""
    scopes = user_scopes(request.user, roles=PROGRAMME_ROLES)
    if any(scope.is_national for scope in scopes):
        return Province.objects.order_by("name_folded"), True
    codes = {s.province_code for s in scopes if s.commune_code is None and s.province_code is not None}
    return Province.objects.filter(pk__in=codes).order_by("name_folded"), False


def _with_extra_row(data: QueryDict) -> QueryDict:
    """``data`` with one more (empty) row in the rule builder."""
    copy = data.copy()
    key = f"{RULES_PREFIX}-TOTAL_FORMS"
    try:
        total = int(copy.get(key, "0"))
    except ValueError:
        total = 0
    copy[key] = str(min(total + 1, RuleRowFormSet.max_num or total + 1))
    return copy


def _programme_values(form: ProgrammeForm, rules: dict[str, Any]) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "name": data["name"],
        "description": data["description"],
        "sponsor": data["sponsor"],
        "province": data["province"],
        "communes": list(data["communes"]),
        "starts_on": data["starts_on"],
        "ends_on": data["ends_on"],
        "budget_vnd": data["budget_vnd"],
        "rules": rules,
        "entitlement": data["entitlement"],
        "amount_vnd": data["amount_vnd"],
        "voucher_valid_days": data["voucher_valid_days"],
    }


def _programme_form_page(request: HttpRequest, programme: Programme | None) -> HttpResponse:
    """The create form (``programme`` None) or the edit form of a draft: buttons "add a row",
    "update" (re-draw the communes), "preview" (no saving) and "save"."""
    provinces, national = _provinces_for(request)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    preview: EligibilityPreview | None = None
    status = 200
    if request.method == "POST":
        data = _with_extra_row(request.POST) if action == "add_row" else request.POST
        form = ProgrammeForm(data, provinces=provinces, national=national)
        rows = cast(BaseRuleRowFormSet, RuleRowFormSet(data, prefix=RULES_PREFIX))
        if programme is not None:
            form.fields["code"].required = False
        if action in ("preview", "save") and form.is_valid() and rows.is_valid():
            rules = rows.rules(form.cleaned_data["combinator"])
            values = _programme_values(form, rules)
            try:
                if action == "preview":
                    preview = eligibility_preview(
                        rules=rules,
                        province=values["province"],
                        communes=values["communes"],
                        entitlement=values["entitlement"],
                        amount_vnd=values["amount_vnd"],
                    )
                elif programme is None:
                    created = programme_create(actor=request.user, code=form.cleaned_data["code"], **values)
                    messages.success(
                        request, _("Đã lưu chương trình (đang soạn). Xem lại rồi bấm “Bắt đầu”.")
                    )
                    return redirect("programmes:programme_detail", code=created.code)
                else:
                    programme_update(programme, actor=request.user, **values)
                    messages.success(request, _("Đã lưu các thay đổi."))
                    return redirect("programmes:programme_detail", code=programme.code)
            except DomainError as error:
                form.add_error(None, str(error))
                status = error.status
        elif action in ("preview", "save"):
            status = 422
    else:
        initial: dict[str, Any] = {"entitlement": "per_household", "combinator": "all"}
        rows_initial: list[dict[str, Any]] = [{}]
        if programme is not None:
            combinator, rows_initial = rule_rows_initial(programme.rules)
            initial = {
                "code": programme.code,
                "name": programme.name,
                "description": programme.description,
                "sponsor": programme.sponsor,
                "province": programme.province_id,
                "communes": list(programme.communes.all()),
                "starts_on": programme.starts_on,
                "ends_on": programme.ends_on,
                "budget_vnd": programme.budget_vnd,
                "entitlement": programme.entitlement,
                "amount_vnd": programme.amount_vnd,
                "voucher_valid_days": programme.voucher_valid_days,
                "combinator": combinator,
            }
        form = ProgrammeForm(initial=initial, provinces=provinces, national=national)
        rows = cast(BaseRuleRowFormSet, RuleRowFormSet(initial=rows_initial or [{}], prefix=RULES_PREFIX))
    context = {"form": form, "rows": rows, "preview": preview, "programme": programme}
    return render(request, "programmes/officer/form.html", context, status=status)


@runner_required
@require_http_methods(["GET", "POST"])
def programme_new_view(request: HttpRequest) -> HttpResponse:
    return _programme_form_page(request, None)


@runner_required
@require_http_methods(["GET", "POST"])
def programme_edit_view(request: HttpRequest, code: str) -> HttpResponse:
    programme = _programme_or_404(request, code)
    if programme.state != Programme.State.DRAFT:
        messages.error(request, _("Chương trình đã bắt đầu thực hiện nên không sửa được nữa."))
        return redirect("programmes:programme_detail", code=programme.code)
    return _programme_form_page(request, programme)


def _programme_page(
    request: HttpRequest, programme: Programme, *, error: str = "", status: int = 200
) -> HttpResponse:
    place_names = eligibility.rules_place_names(programme.rules)
    preview = None
    if programme.state == Programme.State.DRAFT and not error:
        try:
            preview = programme_preview(programme)
        except DomainError as refusal:  # rules saved under an older list of fields
            error = str(refusal)
    context = {
        "programme": programme,
        "communes": list(programme.communes.all()),
        "rules_text": eligibility.rules_describe(programme.rules, place_names),
        "cycles": list(programme_cycles(programme)),
        "can_run": programme_covered(request.user, programme),
        "preview": preview,
        "open_form": OpenCycleForm(),
        "error": error,
    }
    return render(request, "programmes/officer/detail.html", context, status=status)


@viewer_required
@require_GET
def programme_detail_view(request: HttpRequest, code: str) -> HttpResponse:
    """Budget, fund balance, area, rules, cycles; a preview while it is a draft."""
    return _programme_page(request, _programme_or_404(request, code))


@runner_required
@require_POST
def programme_activate_view(request: HttpRequest, code: str) -> HttpResponse:
    programme = _programme_or_404(request, code)
    try:
        programme_activate(programme, actor=request.user)
    except DomainError as error:
        return _programme_page(request, programme, error=str(error), status=error.status)
    messages.success(request, _("Chương trình đã bắt đầu; ngân sách đã vào quỹ."))
    return redirect("programmes:programme_detail", code=code)


@runner_required
@require_POST
def programme_close_view(request: HttpRequest, code: str) -> HttpResponse:
    programme = _programme_or_404(request, code)
    try:
        programme_close(programme, actor=request.user)
    except DomainError as error:
        return _programme_page(request, programme, error=str(error), status=error.status)
    messages.success(request, _("Chương trình đã kết thúc."))
    return redirect("programmes:programme_detail", code=code)


@runner_required
@require_POST
def cycle_open_view(request: HttpRequest, code: str) -> HttpResponse:
    programme = _programme_or_404(request, code)
    form = OpenCycleForm(request.POST)
    name = form.cleaned_data["name"] if form.is_valid() else ""
    try:
        cycle = cycle_open(programme, actor=request.user, name=name)
    except DomainError as error:
        return _programme_page(request, programme, error=str(error), status=error.status)
    messages.success(
        request, _("Đã mở đợt %(number)s. Bấm “Lập danh sách” để chọn các hộ.") % {"number": cycle.number}
    )
    return redirect("programmes:cycle_detail", code=code, number=cycle.number)


# --- Cycles -----------------------------------------------------------------------------------


def _cycle_page(
    request: HttpRequest,
    cycle: Cycle,
    *,
    error: str = "",
    status: int = 200,
    return_form: ReturnForm | None = None,
) -> HttpResponse:
    """The cycle: its state and actions, totals per commune and its list, a page at a time."""
    programme = cycle.programme
    totals = cycle_commune_totals(request.user, cycle)
    filters = EnrolmentFilterForm(request.GET, communes=[(t.commune_id, t.name) for t in totals])
    commune_id = query = None
    if filters.is_valid():
        commune_id, query = filters.cleaned_data["commune"], filters.cleaned_data["q"]
    enrolments = cycle_enrolments(request.user, cycle, commune_id=commune_id, query=query or "")
    page = Paginator(enrolments, ENROLMENT_PAGE_SIZE).get_page(request.GET.get("page"))
    can_run = programme_covered(request.user, programme)
    is_preparer = cycle.prepared_by_id is not None and cycle.prepared_by_id == request.user.pk
    context = {
        "programme": programme,
        "cycle": cycle,
        "totals": totals,
        "filters": filters,
        "page": page,
        "can_run": can_run,
        "is_preparer": is_preparer,
        "fund_balance": fund_balance(programme),
        "return_form": return_form or ReturnForm(),
        "error": error,
        "querystring": _filters_query(filters),
    }
    return render(request, "programmes/officer/cycle.html", context, status=status)


def _filters_query(filters: EnrolmentFilterForm) -> str:
    data = filters.cleaned_data if filters.is_valid() else {}
    params = QueryDict(mutable=True)
    if data.get("q"):
        params["q"] = data["q"]
    if data.get("commune"):
        params["commune"] = str(data["commune"])
    return params.urlencode()


@viewer_required
@require_GET
def cycle_detail_view(request: HttpRequest, code: str, number: int) -> HttpResponse:
    return _cycle_page(request, _cycle_or_404(request, code, number))


def _cycle_action(request: HttpRequest, code: str, number: int, step: str) -> HttpResponse:
    """Run one step of the cycle (enrol, submit, approve, close) and go back to its page."""
    cycle = _cycle_or_404(request, code, number)
    done = {
        "enrol": (cycle_enrol, _("Đã lập danh sách: %(count)s hộ, tổng %(total)s.")),
        "submit": (cycle_submit, _("Đã trình duyệt. Một cán bộ khác sẽ duyệt danh sách.")),
        "approve": (cycle_approve, _("Đã duyệt đợt chi trả.")),
        "close": (cycle_close, _("Đã đóng đợt.")),
    }
    service, message = done[step]
    try:
        cycle = service(cycle, actor=request.user)
    except DomainError as error:
        return _cycle_page(request, cycle, error=str(error), status=error.status)
    messages.success(
        request, str(message) % {"count": cycle.enrolled_count, "total": format_vnd(cycle.planned_total_vnd)}
    )
    return redirect("programmes:cycle_detail", code=code, number=number)


@runner_required
@require_POST
def cycle_enrol_view(request: HttpRequest, code: str, number: int) -> HttpResponse:
    return _cycle_action(request, code, number, "enrol")


@runner_required
@require_POST
def cycle_submit_view(request: HttpRequest, code: str, number: int) -> HttpResponse:
    return _cycle_action(request, code, number, "submit")


@runner_required
@require_POST
def cycle_approve_view(request: HttpRequest, code: str, number: int) -> HttpResponse:
    return _cycle_action(request, code, number, "approve")


@runner_required
@require_POST
def cycle_close_view(request: HttpRequest, code: str, number: int) -> HttpResponse:
    return _cycle_action(request, code, number, "close")


@runner_required
@require_POST
def cycle_return_view(request: HttpRequest, code: str, number: int) -> HttpResponse:
    cycle = _cycle_or_404(request, code, number)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        return _cycle_page(request, cycle, return_form=form, status=422)
    try:
        cycle_return(cycle, actor=request.user, note=form.cleaned_data["note"])
    except DomainError as error:
        return _cycle_page(request, cycle, error=str(error), status=error.status, return_form=form)
    messages.success(request, _("Đã trả lại danh sách cho người lập."))
    return redirect("programmes:cycle_detail", code=code, number=number)
