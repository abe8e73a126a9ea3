"""Pages of the annual review: the officer's rounds, a round step by step, objections,
and the posted result anyone can read (HTML to print, PDF) and object to.

Officer pages answer 404 for a round outside the officer's area. The public
pages exist only while a round is published or recognised.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketnoi.accounts.network import client_ip
from ketnoi.accounts.permissions import role_required
from ketnoi.accounts.selectors import AREA_OFFICER_ROLES
from ketnoi.core.errors import DomainError, NotFound

from .. import selectors_review as selectors
from ..forms_review import AgreeForm, ObjectionForm, PublishForm, ResolveForm, RoundOpenForm
from ..models import Objection, ReviewRound, RoundState
from ..review_pdf import PdfFontMissing, result_pdf
from ..services import review as services

logger = logging.getLogger(__name__)

ENTRIES_PER_PAGE = 100
officer_required = role_required(*AREA_OFFICER_ROLES)


def _round_or_404(request: HttpRequest, pk: int) -> ReviewRound:
    try:
        return selectors.round_for_officer(user=request.user, round_id=pk)
    except NotFound as error:
        raise Http404(str(error)) from None


def _public_or_404(commune: int, year: int) -> ReviewRound:
    try:
        return selectors.round_public(commune_code=commune, year=year)
    except NotFound as error:
        raise Http404(str(error)) from None


def public_url(request: HttpRequest, review_round: ReviewRound) -> str:
    return request.build_absolute_uri(
        reverse("registry:review_public", args=[review_round.commune_id, review_round.year])
    )


# --- The officer's rounds ---------------------------------------------------------------------


def _rounds_page(request: HttpRequest, form: RoundOpenForm, *, status: int = 200) -> HttpResponse:
    rounds = list(selectors.rounds_for_officer(request.user))
    return render(request, "registry/review/rounds.html", {"rounds": rounds, "form": form}, status=status)


def _open_form(request: HttpRequest, data: Any = None) -> RoundOpenForm:
    return RoundOpenForm(
        data,
        communes=selectors.communes_for_opening(request.user),
        this_year=timezone.localdate().year,
    )


@officer_required
@require_GET
def rounds_view(request: HttpRequest) -> HttpResponse:
    """The rounds of the officer's communes, and the form to open one."""
    return _rounds_page(request, _open_form(request))


@officer_required
@require_POST
def round_open_view(request: HttpRequest) -> HttpResponse:
    form = _open_form(request, request.POST)
    if not form.is_valid():
        return _rounds_page(request, form, status=400)
    try:
        review_round = services.review_round_open(
            actor=request.user, commune=form.cleaned_data["commune"], year=form.cleaned_data["year"]
        )
    except DomainError as error:
        form.add_error(None, str(error))
        return _rounds_page(request, form, status=error.status)
    messages.success(request, _("Đã mở đợt rà soát. Bước tiếp theo: lập danh sách."))
    return redirect("registry:review_round", pk=review_round.pk)


# --- One round --------------------------------------------------------------------------------


def _round_page(
    request: HttpRequest,
    review_round: ReviewRound,
    *,
    agree_form: AgreeForm | None = None,
    publish_form: PublishForm | None = None,
    error: str | None = None,
    unverified: list[Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    counts = selectors.round_counts(review_round)
    open_objections = (
        selectors.open_objections_count(review_round) if review_round.state == RoundState.PUBLISHED else 0
    )
    page = Paginator(selectors.round_entries(review_round), ENTRIES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "round": review_round,
        "history": selectors.round_history(review_round),
        "counts": counts,
        "count_rows": [(label, counts.get(code)) for code, label in selectors.CLASSIFICATION_LABELS.items()],
        "page": page,
        "labels": selectors.CLASSIFICATION_LABELS,
        "states": list(RoundState),
        "done_states": _done_states(review_round.state),
        "agree_form": agree_form or AgreeForm(initial={"meeting_date": timezone.localdate()}),
        "publish_form": publish_form or PublishForm(),
        "open_objections": open_objections,
        "recognise_refusal": services.recognise_refusal(review_round, open_objections=open_objections),
        "public_url": public_url(request, review_round),
        "error": error,
        "unverified": unverified or [],
    }
    return render(request, "registry/review/round.html", context, status=status)


def _done_states(state: str) -> set[str]:
    order = list(RoundState)
    return {s.value for s in order[: order.index(RoundState(state)) + 1]}


@officer_required
@require_GET
def round_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Where the round stands, its history, its list, and the button for the next step."""
    return _round_page(request, _round_or_404(request, pk))


STEP_DONE_MESSAGES = {
    "list": _("Đã lập danh sách. Bước tiếp theo: chấm điểm."),
    "score": _("Đã chấm điểm. Bước tiếp theo: ghi kết quả họp thôn."),
    "agree": _("Đã ghi nhận họp thôn thống nhất. Bước tiếp theo: niêm yết công khai."),
    "publish": _("Đã niêm yết. Hãy in danh sách công khai và dán ở nhà văn hoá thôn, trụ sở xã."),
    "recognise": _("Xã đã công nhận kết quả. Các hộ có số điện thoại sẽ nhận tin nhắn."),
}


@officer_required
@require_POST
def round_step_view(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """Take the round's next step (one service per step); a refusal shows on the round page."""
    review_round = _round_or_404(request, pk)
    actor = request.user
    agree_form = publish_form = None
    unverified: list[Any] = []
    try:
        if step == "list":
            services.review_round_list(actor=actor, round=review_round)
        elif step == "score":
            report = services.review_round_score(actor=actor, round=review_round)
            unverified = report.unverified
        elif step == "agree":
            agree_form = AgreeForm(request.POST)
            if not agree_form.is_valid():
                return _round_page(request, review_round, agree_form=agree_form, status=400)
            services.review_round_agree(actor=actor, round=review_round, **agree_form.cleaned_data)
        elif step == "publish":
            publish_form = PublishForm(request.POST)
            if not publish_form.is_valid():
                return _round_page(request, review_round, publish_form=publish_form, status=400)
            services.review_round_publish(
                actor=actor, round=review_round, days=publish_form.cleaned_data["days"]
            )
        elif step == "recognise":
            services.review_round_recognise(actor=actor, round=review_round)
        else:
            raise Http404
    except DomainError as error:
        fresh = _round_or_404(request, pk)
        return _round_page(
            request,
            fresh,
            agree_form=agree_form,
            publish_form=publish_form,
            error=str(error),
            status=error.status,
        )
    if unverified:
        # Shown on the page at once (not after a redirect): the officer needs the references.
        fresh = _round_or_404(request, pk)
        return _round_page(request, fresh, unverified=unverified)
    messages.success(request, STEP_DONE_MESSAGES[step])
    return redirect("registry:review_round", pk=pk)


# --- Objections (officer) ---------------------------------------------------------------------


def _objections_page(
    request: HttpRequest,
    review_round: ReviewRound,
    *,
    failed: tuple[int, ResolveForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    objections = list(selectors.round_objections(review_round))
    forms = {o.pk: ResolveForm(prefix=f"o{o.pk}") for o in objections if o.resolved_at is None}
    if failed is not None:
        forms[failed[0]] = failed[1]
    rows = [(o, forms.get(o.pk)) for o in objections]
    context = {
        "round": review_round,
        "rows": rows,
        "can_resolve": review_round.state == RoundState.PUBLISHED,
        "open_count": len(forms),
    }
    return render(request, "registry/review/objections.html", context, status=status)


@officer_required
@require_GET
def objections_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _objections_page(request, _round_or_404(request, pk))


@officer_required
@require_POST
def objection_resolve_view(request: HttpRequest, pk: int, objection_id: int) -> HttpResponse:
    review_round = _round_or_404(request, pk)
    objection = Objection.objects.filter(round=review_round, pk=objection_id).select_related("round").first()
    if objection is None:
        raise Http404
    form = ResolveForm(request.POST, prefix=f"o{objection.pk}")
    if not form.is_valid():
        return _objections_page(request, review_round, failed=(objection.pk, form), status=400)
    try:
        services.objection_resolve(
            actor=request.user, objection=objection, resolution=form.cleaned_data["resolution"]
        )
    except DomainError as error:
        form.add_error(None, str(error))
        return _objections_page(request, review_round, failed=(objection.pk, form), status=error.status)
    messages.success(request, _("Đã ghi cách giải quyết ý kiến."))
    return redirect("registry:review_objections", pk=pk)


# --- The posted result (anyone) ---------------------------------------------------------------


def _public_page(
    request: HttpRequest, review_round: ReviewRound, *, form: ObjectionForm | None = None, status: int = 200
) -> HttpResponse:
    rows = selectors.public_rows(review_round)
    context = {
        "round": review_round,
        "rows": rows,
        "results": selectors.PUBLIC_RESULT_LABELS,
        "totals": selectors.public_totals(rows),
        "window_open": services.objection_window_open(review_round),
        "form": form or ObjectionForm(),
        "public_url": public_url(request, review_round),
    }
    return render(request, "registry/review/public.html", context, status=status)


@require_GET
def public_view(request: HttpRequest, commune: int, year: int) -> HttpResponse:
    """The posted list, printable; with the objection form while the window is open."""
    return _public_page(request, _public_or_404(commune, year))


@require_GET
def public_pdf_view(request: HttpRequest, commune: int, year: int) -> HttpResponse:
    review_round = _public_or_404(commune, year)
    try:
        content = result_pdf(
            round=review_round,
            rows=selectors.public_rows(review_round),
            public_url=public_url(request, review_round),
        )
    except PdfFontMissing:
        logger.exception("Review result PDF cannot be made")
        message = _("Chưa tạo được tệp PDF lúc này. Hãy in trang danh sách bằng trình duyệt.")
        return render(request, "accounts/problem.html", {"message": message}, status=503)
    response = HttpResponse(content, content_type="application/pdf")
    filename = f"ket-qua-ra-soat-{review_round.commune_id}-{review_round.year}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    # Posted for the commune to read, not for search engines to keep.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_http_methods(["POST"])
def public_objection_view(request: HttpRequest, commune: int, year: int) -> HttpResponse:
    """Anyone may object to the posted list while the window is open (CSRF-protected, rate-limited)."""
    review_round = _public_or_404(commune, year)
    form = ObjectionForm(request.POST)
    if not form.is_valid():
        return _public_page(request, review_round, form=form, status=400)
    entry_id = None
    number = form.cleaned_data.get("number")
    if number:
        rows = {row.number: row.entry_id for row in selectors.public_rows(review_round)}
        entry_id = rows.get(number)
        if entry_id is None:
            form.add_error("number", _("Không có hộ số %(n)s trong danh sách.") % {"n": number})
            return _public_page(request, review_round, form=form, status=400)
    try:
        services.objection_receive(
            round=review_round,
            entry=review_round.entries.filter(pk=entry_id).first() if entry_id else None,
            from_name=form.cleaned_data["from_name"],
            text=form.cleaned_data["text"],
            actor=request.user if request.user.is_authenticated else None,
            ip_address=client_ip(request),
        )
    except DomainError as error:
        form.add_error(None, str(error))
        return _public_page(request, review_round, form=form, status=error.status)
    messages.success(
        request, _("Đã nhận ý kiến của bạn. Xã sẽ xem xét và trả lời trước khi công nhận kết quả.")
    )
    return redirect("registry:review_public", commune=commune, year=year)
