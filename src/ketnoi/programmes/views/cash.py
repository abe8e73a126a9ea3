"""Cash at the post office: the clerk's counter, the office lists to print, re-issuing a code.

The counter: find the payment (its id from the SMS, or the phone) → name and
amount → the beneficiary's code → paid. Officers also re-issue a locked or
lost code, print each office's list and, after the payout window, send the
unclaimed money back to the fund.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketnoi.accounts.permissions import forbidden, role_required
from ketnoi.core.errors import DomainError, NotFound, PermissionDenied
from ketnoi.core.phone import normalize_phone
from ketnoi.places.models import Commune

from ..access import programme_covered
from ..models import Batch, Channel, Disbursement, DisbursementState
from ..services.cash import (
    CASH_ROLES,
    MAX_CODE_ATTEMPTS,
    OFFICER_ROLES,
    cash_code_reissue,
    cash_confirm,
    cash_covers,
    cash_disbursement_get,
    cash_find_by_phone,
    cash_unclaimed_return,
    post_office_list,
    post_office_lists,
    post_office_name,
)


class CollectCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Mã nhận tiền người nhận đưa"),
        help_text=_("6 chữ số trong tin nhắn gửi người nhận. Hỏi mã sau khi đã xem CCCD."),
        max_length=20,
        error_messages={"required": _("Hãy nhập mã nhận tiền.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9 ]*"}),
    )


def _payment_or_error(request: HttpRequest, disbursement_id: str) -> Disbursement | HttpResponse:
    try:
        return cash_disbursement_get(user=request.user, disbursement_id=disbursement_id)
    except NotFound as error:
        raise Http404(str(error)) from None
    except PermissionDenied as error:
        return forbidden(request, str(error))
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("programmes:cash_counter")


@never_cache
@role_required(*CASH_ROLES)
@require_GET
def cash_counter_view(request: HttpRequest) -> HttpResponse:
    """Find a payment by its disbursement id (opens it) or by the household's phone (lists them)."""
    query = request.GET.get("q", "").strip()[:40]
    context: dict[str, Any] = {"q": query, "found": None, "error": ""}
    if query and any(ch.isalpha() for ch in query):
        try:
            payment = cash_disbursement_get(user=request.user, disbursement_id=query)
        except DomainError as error:
            context["error"] = str(error)
            return render(request, "programmes/cash/counter.html", context, status=error.status)
        return redirect("programmes:cash_payment", disbursement_id=payment.disbursement_id)
    if query:
        try:
            phone = normalize_phone(query)
        except ValidationError as error:
            context["error"] = error.messages[0]
            return render(request, "programmes/cash/counter.html", context, status=400)
        context["found"] = [
            {"payment": d, "office": post_office_name(d.commune.name)}
            for d in cash_find_by_phone(user=request.user, phone=phone)
        ]
    return render(request, "programmes/cash/counter.html", context)


@sensitive_post_parameters("code")
@never_cache
@role_required(*CASH_ROLES)
@require_http_methods(["GET", "POST"])
def cash_payment_view(request: HttpRequest, disbursement_id: str) -> HttpResponse:
    """One payment at the counter: who and how much; the code; then the confirmation."""
    found = _payment_or_error(request, disbursement_id)
    if isinstance(found, HttpResponse):
        return found
    payment = found
    form = CollectCodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                cash_confirm(
                    disbursement_id=payment.disbursement_id,
                    code=form.cleaned_data["code"],
                    clerk=request.user,
                )
            except DomainError as error:
                form.add_error("code", str(error))
                status = error.status
                payment.refresh_from_db()
            else:
                messages.success(request, _("Đã chi xong. Hãy đưa tiền và nhờ người nhận ký vào danh sách."))
                return redirect("programmes:cash_payment", disbursement_id=payment.disbursement_id)
    context = {
        "payment": payment,
        "form": form,
        "office": post_office_name(payment.commune.name),
        "payable": payment.state == DisbursementState.SENT,
        "locked": payment.collect_attempts >= MAX_CODE_ATTEMPTS,
        "can_reissue": payment.state == DisbursementState.SENT
        and cash_covers(request.user, payment.commune, roles=OFFICER_ROLES),
    }
    return render(request, "programmes/cash/payment.html", context, status=status)


@role_required(*OFFICER_ROLES)
@require_POST
def cash_reissue_view(request: HttpRequest, disbursement_id: str) -> HttpResponse:
    """An officer sends the household a new code (the old one stops working)."""
    found = _payment_or_error(request, disbursement_id)
    if isinstance(found, HttpResponse):
        return found
    try:
        cash_code_reissue(found, actor=request.user)
    except PermissionDenied as error:
        return forbidden(request, str(error))
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Đã gửi mã nhận tiền mới cho người nhận."))
    return redirect("programmes:cash_payment", disbursement_id=found.disbursement_id)


def _cash_batch(batch_id: int) -> Batch:
    batch = (
        Batch.objects.select_related("cycle__programme")
        .filter(pk=batch_id, channel=Channel.POST_OFFICE)
        .first()
    )
    if batch is None:
        raise Http404(_("Không có lô chi tiền mặt này."))
    return batch


@never_cache
@role_required(*CASH_ROLES)
@require_GET
def cash_offices_view(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The post offices of a cash batch the user covers, each with its list to print."""
    batch = _cash_batch(batch_id)
    offices = post_office_lists(batch, user=request.user)
    if not offices:
        raise Http404(_("Không có lô chi tiền mặt này."))
    context = {
        "batch": batch,
        "offices": offices,
        "can_return": programme_covered(request.user, batch.cycle.programme),
        "waiting": sum(office.count - office.paid for office in offices),
    }
    return render(request, "programmes/cash/offices.html", context)


@never_cache
@role_required(*CASH_ROLES)
@require_GET
def cash_office_list_view(request: HttpRequest, batch_id: int, commune_code: int) -> HttpResponse:
    """One office's list, laid out for printing: id, name, phone (masked), amount, signature."""
    batch = _cash_batch(batch_id)
    commune = Commune.objects.select_related("province").filter(pk=commune_code).first()
    if commune is None or not cash_covers(request.user, commune):
        raise Http404(_("Không có danh sách này."))
    return render(request, "programmes/cash/office_list.html", {"list": post_office_list(batch, commune)})


@role_required(*OFFICER_ROLES)
@require_POST
def cash_unclaimed_view(request: HttpRequest, batch_id: int) -> HttpResponse:
    """After the payout window: payments nobody came for fail; their money goes back to the fund."""
    batch = _cash_batch(batch_id)
    try:
        count = cash_unclaimed_return(batch, actor=request.user)
    except PermissionDenied as error:
        return forbidden(request, str(error))
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("%(count)s khoản chưa ai nhận đã được trả lại quỹ chương trình.") % {"count": count}
        )
    return redirect("programmes:cash_offices", batch_id=batch.pk)
