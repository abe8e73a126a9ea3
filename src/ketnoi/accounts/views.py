"""Pages of the accounts app: sign in and out, language, profile, people of an area."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from ketnoi.core.errors import DomainError
from ketnoi.market.services.cart import cart_merge

from . import selectors, services
from .forms import ConsentForm, LanguageForm, LoginForm, ProfileForm
from .middleware import session_start
from .models import ConsentPurpose
from .network import client_ip
from .permissions import page_required

PEOPLE_PER_PAGE = 50


def _safe_next(request: HttpRequest, candidate: str | None) -> str | None:
    """``candidate`` if it is a path on this site, else ``None`` (no open redirect)."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return None


def _language_cookie_set(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,  # type: ignore[arg-type]
    )


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Sign in with phone and password; then go to ``next`` if it is on this site."""
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.user.is_authenticated and request.method == "GET":
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    form = LoginForm(request, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        assert form.user is not None
        visitor_session = request.session.session_key  # auth.login gives the session a new key
        auth.login(request, form.user)
        session_start(request)
        cart_merge(visitor_session, form.user)
        services.login_record(user=form.user, ip_address=client_ip(request))
        response = HttpResponseRedirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
        _language_cookie_set(response, form.user.language)
        return response
    return render(request, "accounts/login.html", {"form": form, "next": next_url or ""})


@require_http_methods(["GET", "POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    """POST signs out (the session is deleted on the server); GET asks to confirm."""
    if request.method == "GET":
        if not request.user.is_authenticated:
            return redirect(settings.LOGOUT_REDIRECT_URL)
        return render(request, "accounts/logout.html")
    services.logout_record(user=request.user, ip_address=client_ip(request))
    auth.logout(request)
    messages.success(request, _("Bạn đã đăng xuất."))
    return redirect(settings.LOGOUT_REDIRECT_URL)


@require_POST
def language_view(request: HttpRequest) -> HttpResponse:
    """Switch the language of the pages; a signed-in user's choice is also remembered."""
    form = LanguageForm(request.POST)
    if not form.is_valid():
        message = _("Ngôn ngữ này không được hỗ trợ. Hãy chọn Tiếng Việt hoặc English.")
        return render(request, "accounts/problem.html", {"message": message}, status=400)
    language = form.cleaned_data["language"]
    if request.user.is_authenticated:
        services.user_language_set(user=request.user, language=language)  # type: ignore[arg-type]
    response = HttpResponseRedirect(_safe_next(request, form.cleaned_data["next"]) or resolve_url("home"))
    _language_cookie_set(response, language)
    return response


def _profile_context(request: HttpRequest, form: ProfileForm) -> dict[str, Any]:
    return {
        "form": form,
        "roles": selectors.user_roles(request.user),
        "home_commune": selectors.user_home_commune(request.user),
        "consents": selectors.consents_current(request.user),
    }


@login_required
@require_http_methods(["GET", "POST"])
def profile_view(request: HttpRequest) -> HttpResponse:
    """Her name and language, the roles she holds, and what she has consented to."""
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                services.profile_update(user=user, **form.cleaned_data)  # type: ignore[arg-type]
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                translation.activate(user.language)  # type: ignore[union-attr]
                messages.success(request, _("Đã lưu hồ sơ của bạn."))
                response = redirect("accounts:profile")
                _language_cookie_set(response, user.language)  # type: ignore[union-attr]
                return response
    else:
        form = ProfileForm(initial={"display_name": user.display_name, "language": user.language})  # type: ignore[union-attr]
    return render(request, "accounts/profile.html", _profile_context(request, form))


@login_required
@require_POST
def consent_view(request: HttpRequest, purpose: str) -> HttpResponse:
    """Give or withdraw consent for one purpose; htmx gets the purpose's block back."""
    if purpose not in ConsentPurpose.values:
        raise Http404
    form = ConsentForm(request.POST)
    error: str | None = None
    if not form.is_valid():
        error = str(_("Yêu cầu không hợp lệ. Hãy bấm lại nút Đồng ý hoặc Rút lại."))
    else:
        service = (
            services.consent_give if form.cleaned_data["action"] == "give" else services.consent_withdraw
        )
        try:
            service(user=request.user, purpose=purpose, ip_address=client_ip(request))  # type: ignore[arg-type]
        except DomainError as exc:
            error = str(exc)
    if request.htmx:  # type: ignore[attr-defined]
        context = {
            "consent": selectors.consent_current(request.user, purpose),
            "error": error,
            "saved": not error,
        }
        return render(request, "accounts/profile.html#consent", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Đã ghi nhận lựa chọn của bạn."))
    return HttpResponseRedirect(f"{reverse('accounts:profile')}#consent-{purpose}")


@page_required("accounts:area_people")
@require_http_methods(["GET"])
def area_people_view(request: HttpRequest) -> HttpResponse:
    """People living in the areas the officer looks after, a page at a time."""
    page = Paginator(selectors.people_in_area(request.user), PEOPLE_PER_PAGE).get_page(
        request.GET.get("page")
    )
    areas = [role for role in selectors.user_roles(request.user) if role.role in selectors.AREA_OFFICER_ROLES]
    return render(request, "accounts/area_people.html", {"page": page, "areas": areas})
