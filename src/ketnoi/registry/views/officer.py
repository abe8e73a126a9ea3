"""The commune officer's pages: the verification queue, a household, its correction and checks.

Every page first finds the household through ``selectors.household_for_officer``
(404 outside the officer's area), then validates one form and calls one
service. Sensitive data (ethnicity, health insurance, disability, income) is
shown because that selector already limited the reader to covering officers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketnoi.accounts.network import client_ip
from ketnoi.accounts.permissions import role_required
from ketnoi.core.errors import DomainError, NotFound
from ketnoi.core.scopes import scopes_cover

from ..forms import (
    DEVICE_LABELS,
    DuplicateDecisionForm,
    FieldVisitForm,
    HouseholdForm,
    MemberFormSet,
    QueueFilterForm,
    ReturnForm,
    household_initial,
    household_input_from_forms,
    member_initial,
)
from ..labels import classification_label, deprivation_reasons, standard_label
from ..models import Assessment, DuplicateFlag, FieldVisit, Household, HouseholdStatus, Member, Relation
from ..selectors import (
    REGISTRY_ROLES,
    household_for_officer,
    households_for_officer,
    households_matching,
    latest_assessment,
    officer_scopes,
    verification_queue,
)
from ..services.duplicates import duplicate_decide
from ..services.verification import (
    BLOCKING_DECISIONS,
    field_visit_record,
    household_correct,
    household_return_for_correction,
    household_review_start,
    household_verify,
    verify_refusal,
)

QUEUE_PAGE_SIZE = 30

officer_required = role_required(*REGISTRY_ROLES)


def _household_or_404(request: HttpRequest, household_id: int) -> Household:
    try:
        return household_for_officer(user=request.user, household_id=household_id)
    except NotFound as error:
        raise Http404(str(error)) from None


def _members_in_order(household: Household) -> list[Member]:
    """Head first, then by birth date (prefetched rows: no query)."""
    return sorted(household.members.all(), key=lambda m: (m.relation != Relation.HEAD, m.birth_date, m.pk))


# --- The queue ----------------------------------------------------------------


@officer_required
@require_GET
def queue_view(request: HttpRequest) -> HttpResponse:
    """Households of the officer's communes waiting for her, oldest first, a page at a time."""
    form = QueueFilterForm(request.GET)
    status = form.cleaned_data["status"] if form.is_valid() else QueueFilterForm.WAITING
    households = (
        households_for_officer(request.user).filter(status=status).order_by("created_at", "reference")
        if status
        else verification_queue(request.user)
    )
    if form.is_valid() and form.cleaned_data["q"]:
        households = households_matching(households, form.cleaned_data["q"])
    households = households.prefetch_related(
        Prefetch("members", queryset=Member.objects.filter(relation=Relation.HEAD), to_attr="heads")
    )
    page = Paginator(households, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "registry/officer/queue.html", {"page": page, "form": form, "status": status})


# --- One household ------------------------------------------------------------


@dataclass(frozen=True)
class FlagView:
    """A possible duplicate as the officer of this household sees it."""

    flag: DuplicateFlag
    ours: Member
    other: Member
    other_in_scope: bool


def _blocking_flags(request: HttpRequest, household: Household) -> list[FlagView]:
    """Duplicates involving ``household`` that stop its verification: undecided, or found to be
    the same person still in both households (two queries, whatever their number)."""
    flags = (
        DuplicateFlag.objects.filter(
            Q(member__household=household) | Q(other_member__household=household),
            decision__in=BLOCKING_DECISIONS,
        )
        .select_related("member__household__commune__province", "other_member__household__commune__province")
        .order_by("created_at", "pk")
    )
    scopes = officer_scopes(request.user)
    views = []
    for flag in flags:
        ours, other = (
            (flag.member, flag.other_member)
            if flag.member.household_id == household.pk
            else (flag.other_member, flag.member)
        )
        commune = other.household.commune
        views.append(
            FlagView(
                flag=flag,
                ours=ours,
                other=other,
                other_in_scope=scopes_cover(
                    scopes, province_code=commune.province_id, commune_code=commune.pk
                ),
            )
        )
    return views


def _household_context(request: HttpRequest, household: Household, **extra: Any) -> dict[str, Any]:
    flags = _blocking_flags(request, household)
    latest = latest_assessment(household)
    assessments: list[Assessment] = list(household.assessments.all())
    visits = list(FieldVisit.objects.filter(household=household).select_related("officer"))
    refusal = verify_refusal(
        actor=request.user, household=household, duplicates={item.flag.decision for item in flags}
    )
    return {
        "household": household,
        "members": _members_in_order(household),
        "devices": [DEVICE_LABELS.get(code, code) for code in household.devices],
        "latest": latest,
        "latest_label": classification_label(latest.classification) if latest else "",
        "latest_standard": standard_label(latest.standard) if latest else "",
        "latest_reasons": deprivation_reasons(latest.standard, latest.deprived) if latest else [],
        "history": [
            {
                "assessment": a,
                "label": classification_label(a.classification),
                "standard": standard_label(a.standard),
            }
            for a in assessments
        ],
        "visits": visits,
        "flags": flags,
        "can_verify": refusal is None,
        "verify_refusal": str(refusal) if refusal and household.status != HouseholdStatus.VERIFIED else "",
        **extra,
    }


@officer_required
@require_GET
def household_view(request: HttpRequest, household_id: int) -> HttpResponse:
    """Everything the officer needs to check a household, with why it is classified as it is."""
    household = _household_or_404(request, household_id)
    return render(request, "registry/officer/household.html", _household_context(request, household))


def _refused(request: HttpRequest, household_id: int, error: DomainError) -> HttpResponse:
    """The household page again, with the refusal on top and its status code."""
    household = _household_or_404(request, household_id)
    context = _household_context(request, household, error=str(error))
    return render(request, "registry/officer/household.html", context, status=error.status)


@officer_required
@require_POST
def verify_view(request: HttpRequest, household_id: int) -> HttpResponse:
    household = _household_or_404(request, household_id)
    try:
        verified = household_verify(actor=request.user, household=household, ip_address=client_ip(request))
    except NotFound as error:
        raise Http404(str(error)) from None
    except DomainError as error:
        return _refused(request, household_id, error)
    latest = verified.assessments.order_by("-year", "-assessed_on", "-pk").first()
    label = classification_label(latest.classification) if latest else ""
    messages.success(
        request, _("Đã xác minh hộ %(ref)s. Kết quả: %(label)s.") % {"ref": verified, "label": label}
    )
    return redirect("registry:household_detail", household_id=household_id)


@officer_required
@require_POST
def review_start_view(request: HttpRequest, household_id: int) -> HttpResponse:
    household = _household_or_404(request, household_id)
    try:
        household_review_start(actor=request.user, household=household, ip_address=client_ip(request))
    except NotFound as error:
        raise Http404(str(error)) from None
    except DomainError as error:
        return _refused(request, household_id, error)
    messages.success(request, _("Hồ sơ đã chuyển sang “đang xem xét”."))
    return redirect("registry:household_detail", household_id=household_id)


@officer_required
@require_http_methods(["GET", "POST"])
def correct_view(request: HttpRequest, household_id: int) -> HttpResponse:
    """Correct any fact or member, with a reason; the officer then cannot verify it herself."""
    household = _household_or_404(request, household_id)
    members = _members_in_order(household)
    initial_members = [member_initial(m) for m in members]
    adding = request.method == "POST" and "add_member" in request.POST
    if request.method == "POST":
        data = request.POST.copy()
        if adding:
            total = MemberFormSet(data, initial=initial_members, prefix="members").total_form_count()
            data["members-TOTAL_FORMS"] = str(total + 1)
        form = HouseholdForm(data)
        formset = MemberFormSet(data, initial=initial_members, prefix="members")
        if not adding and form.is_valid() and formset.is_valid():
            try:
                household_correct(
                    actor=request.user,
                    household=household,
                    data=household_input_from_forms(
                        household=household, members=members, form=form, formset=formset
                    ),
                    reason=form.cleaned_data["reason"],
                    ip_address=client_ip(request),
                )
            except NotFound as error:
                raise Http404(str(error)) from None
            except ValidationError as error:
                form.add_error(None, error.messages)
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Đã lưu phần sửa. Một cán bộ khác sẽ xác minh lại hồ sơ này."))
                return redirect("registry:household_detail", household_id=household_id)
    else:
        form = HouseholdForm(initial=household_initial(household))
        formset = MemberFormSet(initial=initial_members, prefix="members")
    status = 400 if request.method == "POST" and not adding else 200
    context = {"household": household, "form": form, "formset": formset, "hide_errors": adding}
    return render(request, "registry/officer/correct.html", context, status=status)


@officer_required
@require_http_methods(["GET", "POST"])
def visit_view(request: HttpRequest, household_id: int) -> HttpResponse:
    household = _household_or_404(request, household_id)
    form = FieldVisitForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            field_visit_record(
                actor=request.user,
                household=household,
                visited_on=form.cleaned_data["visited_on"],
                notes=form.cleaned_data["notes"],
                ip_address=client_ip(request),
            )
        except NotFound as error:
            raise Http404(str(error)) from None
        except DomainError as error:
            form.add_error("visited_on", str(error))
        else:
            messages.success(request, _("Đã ghi lần đến hộ."))
            return redirect("registry:household_detail", household_id=household_id)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "registry/officer/visit.html", {"household": household, "form": form}, status=status
    )


@officer_required
@require_http_methods(["GET", "POST"])
def return_view(request: HttpRequest, household_id: int) -> HttpResponse:
    """Send the data back to the household with what to fix (it gets an SMS)."""
    household = _household_or_404(request, household_id)
    form = ReturnForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            household_return_for_correction(
                actor=request.user,
                household=household,
                reason=form.cleaned_data["reason"],
                ip_address=client_ip(request),
            )
        except NotFound as error:
            raise Http404(str(error)) from None
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Đã trả hồ sơ để hộ sửa và đã nhắn tin cho hộ."))
            return redirect("registry:household_detail", household_id=household_id)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "registry/officer/return.html", {"household": household, "form": form}, status=status
    )


@officer_required
@require_http_methods(["GET", "POST"])
def duplicate_view(request: HttpRequest, household_id: int, flag_id: int) -> HttpResponse:
    """Decide whether two records are the same person. Nothing is merged by this decision."""
    household = _household_or_404(request, household_id)
    flag_view = next(
        (
            f
            for f in _blocking_flags(request, household)
            if f.flag.pk == flag_id and f.flag.decision == DuplicateFlag.Decision.OPEN
        ),
        None,
    )
    if flag_view is None:
        raise Http404(str(_("Không tìm thấy trường hợp nghi trùng này, hoặc đã có quyết định.")))
    form = DuplicateDecisionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            duplicate_decide(
                actor=request.user,
                flag=flag_view.flag,
                decision=form.cleaned_data["decision"],
                note=form.cleaned_data["note"],
            )
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            if form.cleaned_data["decision"] == DuplicateFlag.Decision.SAME_PERSON:
                messages.warning(
                    request,
                    _(
                        "Đã ghi: cùng một người. Hồ sơ không tự gộp: hãy sửa hộ để bỏ người này ở hộ "
                        "không đúng (hoặc báo cán bộ xã kia)."
                    ),
                )
            else:
                messages.success(request, _("Đã ghi: hai người khác nhau."))
            return redirect("registry:household_detail", household_id=household_id)
    status = 400 if request.method == "POST" else 200
    context = {"household": household, "item": flag_view, "form": form}
    return render(request, "registry/officer/duplicate.html", context, status=status)
