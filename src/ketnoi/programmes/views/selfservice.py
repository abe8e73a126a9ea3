"""The household's own page: phone → code by SMS → its programmes, entitlements, payments, vouchers.

No account needed. A proved phone opens the page in this browser for
``SESSION_MINUTES``; "close" forgets it (a shared phone). The answer to a
phone that belongs to no household is the same as to one that does.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from ketnoi.accounts.network import client_ip
from ketnoi.core.errors import DomainError
from ketnoi.core.forms import OneTimeCodeForm, phone_field
from ketnoi.core.phone import mask_phone

from ..services import selfservice as service

SESSION_KEY = "programmes_my"
PENDING_KEY = "programmes_my_pending"


class PhoneForm(forms.Form):
    phone = phone_field(
        label=_("Số điện thoại của hộ"),
        help_text=_("Số đã khai với cán bộ xã. Chúng tôi gửi một mã gồm 6 chữ số đến số này."),
    )


CodeForm = OneTimeCodeForm


def _proved_phone(request: HttpRequest) -> str | None:
    """The phone proved by a code in this browser, while its minutes last."""
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict) or not isinstance(data.get("phone"), str):
        return None
    until = data.get("until")
    if not isinstance(until, (int, float)) or until <= timezone.now().timestamp():
        return None
    return str(data["phone"])


def _errors(form: forms.Form, error: ValidationError | DomainError, field: str) -> int:
    """Put ``error`` on ``field``; the status to answer with."""
    form.add_error(field, error.messages if isinstance(error, ValidationError) else str(error))
    return error.status if isinstance(error, DomainError) else 400


@never_cache
@require_http_methods(["GET", "POST"])
def my_view(request: HttpRequest) -> HttpResponse:
    """With a proved phone: the households' programmes and payments. Otherwise: ask for the phone."""
    phone = _proved_phone(request)
    if phone is not None and request.method == "GET":
        context = {"households": service.selfservice_overview(phone=phone), "phone": phone}
        return render(request, "programmes/selfservice/my.html", context)
    form = PhoneForm(request.POST if request.method == "POST" else None)
    if request.method == "GET":
        return render(request, "programmes/selfservice/phone.html", {"form": form})
    if not form.is_valid():
        return render(request, "programmes/selfservice/phone.html", {"form": form}, status=400)
    try:
        number = service.selfservice_code_send(phone=form.cleaned_data["phone"])
    except (ValidationError, DomainError) as error:
        status = _errors(form, error, "phone")
        return render(request, "programmes/selfservice/phone.html", {"form": form}, status=status)
    request.session[PENDING_KEY] = number
    return redirect("programmes:my_code")


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def my_code_view(request: HttpRequest) -> HttpResponse:
    """Type the code from the SMS; right, and the page opens for ``SESSION_MINUTES`` minutes."""
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, str):
        return redirect("programmes:my")
    context: dict[str, Any] = {"masked": mask_phone(pending)}
    if request.method == "POST" and request.POST.get("action") == "resend":
        form = CodeForm()
        try:
            service.selfservice_code_send(phone=pending)
        except (ValidationError, DomainError) as error:
            status = _errors(form, error, "code")
            return render(
                request, "programmes/selfservice/code.html", {**context, "form": form}, status=status
            )
        messages.success(request, _("Đã gửi mã mới."))
        return redirect("programmes:my_code")
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "GET":
        return render(request, "programmes/selfservice/code.html", {**context, "form": form})
    if not form.is_valid():
        return render(request, "programmes/selfservice/code.html", {**context, "form": form}, status=400)
    try:
        service.selfservice_code_check(
            phone=pending, code=form.cleaned_data["code"], ip_address=client_ip(request)
        )
    except DomainError as error:
        status = _errors(form, error, "code")
        return render(request, "programmes/selfservice/code.html", {**context, "form": form}, status=status)
    request.session.cycle_key()  # a new session id once the phone is proved
    request.session.pop(PENDING_KEY, None)
    until = timezone.now().timestamp() + service.SESSION_MINUTES * 60
    request.session[SESSION_KEY] = {"phone": pending, "until": until}
    return redirect("programmes:my")


@require_POST
def my_leave_view(request: HttpRequest) -> HttpResponse:
    """Close the page in this browser (a shared phone)."""
    request.session.pop(SESSION_KEY, None)
    request.session.pop(PENDING_KEY, None)
    messages.success(request, _("Đã đóng trang trên máy này."))
    return redirect("programmes:my")
