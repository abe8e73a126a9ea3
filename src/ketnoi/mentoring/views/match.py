"""Match: needs and offers, ranked suggestions with their reasons, proposals and answers, rounds.

A partner sees sellers only as public cards (``selectors.SellerCard``): the
seller's sensitive fields are never loaded on her pages. Officers run rounds:
compute, drop what they do not want, send.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketnoi.accounts.permissions import forbidden
from ketnoi.accounts.selectors import user_has_role
from ketnoi.core.errors import DomainError
from ketnoi.market.models import Seller
from ketnoi.market.selectors import seller_can_edit, sellers_of_user

from ..forms import NeedsForm, PartnerForm, RoundForm
from ..models import Match, Partner, Round, SellerNeeds
from ..selectors import (
    SellerCard,
    match_for_party,
    matches_of_partners,
    matches_of_sellers,
    may_run_programme,
    needs_of,
    partner_of_user,
    partners_of_user,
    programme_scopes,
    round_for_user,
    round_matches,
    rounds_for_user,
    seller_card_by_slug,
    seller_cards,
)
from ..services.matching import (
    match_answer,
    match_cancel,
    match_propose,
    pair_fit,
    reason_lines,
    suggestions_for_partner,
    suggestions_for_seller,
)
from ..services.needs import PARTNER_ROLES, needs_may_edit, partner_profile_save, seller_needs_set
from ..services.rounds import round_compute, round_create, round_drop, round_send
from . import found, next_or, refused

HOME = "mentoring:match_home"


@dataclass
class MatchRow:
    """A match as one of its sides sees it."""

    match: Match
    side: str  # "seller" or "partner"
    lines: list[tuple[str, float]]
    card: SellerCard | None = None
    partner: Partner | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def my_answer(self) -> str:
        return self.match.seller_answer if self.side == "seller" else self.match.partner_answer

    @property
    def their_answer(self) -> str:
        return self.match.partner_answer if self.side == "seller" else self.match.seller_answer

    @property
    def can_answer(self) -> bool:
        return self.match.state == Match.State.PENDING


@login_required
@require_GET
def match_home_view(request: HttpRequest) -> HttpResponse:
    """Her cooperatives' and her partner profiles' matches, and where to go next."""
    sellers = list(sellers_of_user(request.user))
    partners = list(partners_of_user(request.user))
    with_needs = set(SellerNeeds.objects.filter(seller__in=sellers).values_list("seller_id", flat=True))
    seller_rows = [
        MatchRow(m, "seller", reason_lines(m.reasons), partner=m.partner) for m in matches_of_sellers(sellers)
    ]
    partner_matches = list(matches_of_partners(partners)) if partners else []
    cards = seller_cards(m.seller_id for m in partner_matches)
    partner_rows = [
        MatchRow(m, "partner", reason_lines(m.reasons), card=cards.get(m.seller_id)) for m in partner_matches
    ]
    context = {
        "sellers": [(s, s.pk in with_needs) for s in sellers],
        "partners": partners,
        "seller_rows": seller_rows,
        "partner_rows": partner_rows,
        "may_be_partner": user_has_role(request.user, *PARTNER_ROLES),
        "officer": may_run_programme(request.user),
    }
    return render(request, "mentoring/match/home.html", context)


def _seller_for_needs(request: HttpRequest, slug: str) -> Seller:
    seller = Seller.objects.select_related("commune__province").filter(slug=slug, is_active=True).first()
    if seller is None or not needs_may_edit(request.user, seller):
        raise Http404(_("Không tìm thấy người bán này."))
    return seller


@login_required
@require_http_methods(["GET", "POST"])
def needs_edit_view(request: HttpRequest, seller_slug: str) -> HttpResponse:
    seller = _seller_for_needs(request, seller_slug)
    current = needs_of(seller)
    initial = (
        {
            "needs": current.needs,
            "categories": list(current.categories.all()),
            "monthly_capacity": current.monthly_capacity,
            "languages": current.languages,
            "notes": current.notes,
        }
        if current
        else {"languages": ["vi"]}
    )
    form = NeedsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            seller_needs_set(
                seller,
                actor=request.user,
                needs=data["needs"],
                categories=list(data["categories"]),
                monthly_capacity=data["monthly_capacity"],
                languages=data["languages"],
                notes=data["notes"],
            )
        except DomainError as error:
            if error.status == 403:
                return refused(request, error, back=reverse(HOME))
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Đã lưu nhu cầu. Đây là các đối tác phù hợp nhất."))
            return redirect("mentoring:seller_suggestions", seller_slug=seller.slug)
    return render(
        request,
        "mentoring/match/needs.html",
        {"seller": seller, "form": form},
        status=422 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def partner_edit_view(request: HttpRequest, partner_id: int | None = None) -> HttpResponse:
    partner: Partner | None = found(partner_of_user, request.user, partner_id) if partner_id else None
    if partner is None and not user_has_role(request.user, *PARTNER_ROLES):
        return forbidden(request, _("Chỉ người có vai trò đối tác hoặc cố vấn mới tạo được hồ sơ đối tác."))
    initial: dict[str, Any] = {"active": True, "capacity": 3, "languages": ["vi"]}
    if partner is not None:
        initial = {
            "kind": partner.kind,
            "organisation": partner.organisation,
            "about": partner.about,
            "offers": partner.offers,
            "categories": list(partner.categories.all()),
            "provinces": list(partner.provinces.all()),
            "languages": partner.languages,
            "capacity": partner.capacity,
            "active": partner.active,
        }
    form = PartnerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = partner_profile_save(
                actor=request.user,
                user=request.user,
                partner=partner,
                kind=data["kind"],
                organisation=data["organisation"],
                about=data["about"],
                offers=data["offers"],
                categories=list(data["categories"]),
                provinces=list(data["provinces"]),
                languages=data["languages"],
                capacity=data["capacity"],
                active=data["active"],
            )
        except DomainError as error:
            if error.status == 403:
                return refused(request, error, back=reverse(HOME))
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Đã lưu hồ sơ đối tác. Đây là các hợp tác xã phù hợp nhất."))
            return redirect("mentoring:partner_suggestions", partner_id=saved.pk)
    return render(
        request,
        "mentoring/match/partner.html",
        {"partner": partner, "form": form},
        status=422 if form.errors else 200,
    )


@login_required
@require_GET
def seller_suggestions_view(request: HttpRequest, seller_slug: str) -> HttpResponse:
    """Partners for her cooperative, best first, with the reasons."""
    seller = _seller_for_needs(request, seller_slug)
    if needs_of(seller) is None:
        messages.info(request, _("Hãy ghi nhu cầu của hợp tác xã trước, rồi xem gợi ý."))
        return redirect("mentoring:needs_edit", seller_slug=seller.slug)
    context = {
        "seller": seller,
        "suggestions": suggestions_for_seller(seller),
        "may_propose": seller_can_edit(request.user, seller),
    }
    return render(request, "mentoring/match/suggestions_seller.html", context)


@login_required
@require_GET
def partner_suggestions_view(request: HttpRequest, partner_id: int) -> HttpResponse:
    """Cooperatives for her partner profile, best first, each as a public card with the reasons."""
    partner: Partner = found(partner_of_user, request.user, partner_id)
    context = {"partner": partner, "suggestions": suggestions_for_partner(partner)}
    return render(request, "mentoring/match/suggestions_partner.html", context)


@login_required
@require_GET
def partner_seller_view(request: HttpRequest, partner_id: int, seller_slug: str) -> HttpResponse:
    """A cooperative's public profile, as one of her partner profiles sees it, with their fit."""
    partner: Partner = found(partner_of_user, request.user, partner_id)
    card: SellerCard = found(seller_card_by_slug, seller_slug)
    seller = Seller.objects.only("id", "commune_id").get(pk=card.id)
    ok, score, reasons = pair_fit(seller, partner)
    open_match = Match.objects.filter(
        seller_id=card.id, partner=partner, state__in=(Match.State.PENDING, Match.State.ACCEPTED)
    ).exists()
    context = {
        "partner": partner,
        "card": card,
        "ok": ok and not open_match,
        "open_match": open_match,
        "percent": round(score * 100),
        "lines": reason_lines(reasons),
    }
    return render(request, "mentoring/match/seller.html", context)


@login_required
@require_POST
def match_propose_view(request: HttpRequest) -> HttpResponse:
    back = next_or(request, reverse(HOME))
    seller = Seller.objects.filter(slug=request.POST.get("seller", ""), is_active=True).first()
    try:
        partner_id = int(request.POST.get("partner", ""))
    except ValueError:
        partner_id = 0
    partner = Partner.objects.filter(pk=partner_id).first()
    if seller is None or partner is None:
        raise Http404(_("Không tìm thấy hợp tác xã hoặc đối tác này."))
    try:
        match = match_propose(actor=request.user, seller=seller, partner=partner)
    except DomainError as error:
        return refused(request, error, back=back)
    if match.state == Match.State.ACCEPTED:
        messages.success(request, _("Hai bên đã đồng ý kết nối."))
    else:
        messages.success(request, _("Đã gửi đề xuất kết nối. Bên kia sẽ nhận tin nhắn để trả lời."))
    return redirect(reverse(HOME) + f"#match-{match.pk}")


@login_required
@require_POST
def match_answer_view(request: HttpRequest, match_id: int) -> HttpResponse:
    match: Match = found(match_for_party, request.user, match_id)
    accept = request.POST.get("answer") == "accept"
    try:
        match = match_answer(match, actor=request.user, accept=accept)
    except DomainError as error:
        return refused(request, error, back=reverse(HOME))
    if match.state == Match.State.ACCEPTED:
        messages.success(request, _("Hai bên đã đồng ý. Kết nối bắt đầu!"))
    elif accept:
        messages.success(request, _("Bạn đã đồng ý. Đang chờ bên kia trả lời."))
    else:
        messages.success(request, _("Đã từ chối. Không sao cả — bạn sẽ có gợi ý khác."))
    return redirect(reverse(HOME) + f"#match-{match.pk}")


@login_required
@require_POST
def match_cancel_view(request: HttpRequest, match_id: int) -> HttpResponse:
    match: Match = found(match_for_party, request.user, match_id)
    back = next_or(request, reverse(HOME))
    try:
        match_cancel(match, actor=request.user, reason=request.POST.get("reason", ""))
    except DomainError as error:
        return refused(request, error, back=back)
    messages.success(request, _("Đã huỷ kết nối."))
    return redirect(back)


# --- Rounds (officers) ------------------------------------------------------------------------------


def _round_form(request: HttpRequest, data: Any = None) -> RoundForm:
    from ketnoi.places.models import Province

    scopes = programme_scopes(request.user)
    national = any(s.is_national for s in scopes)
    provinces = (
        Province.objects.all()
        if national
        else Province.objects.filter(
            pk__in=[s.province_code for s in scopes if s.commune_code is None and s.province_code]
        )
    )
    return RoundForm(data, provinces=provinces, national=national)


@login_required
@require_http_methods(["GET", "POST"])
def round_list_view(request: HttpRequest) -> HttpResponse:
    if not may_run_programme(request.user):
        return forbidden(request, _("Chỉ cán bộ chương trình hoặc quản trị viên mới mở được đợt kết nối."))
    form = _round_form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            round_ = round_create(
                actor=request.user, name=form.cleaned_data["name"], province=form.cleaned_data["province"]
            )
        except DomainError as error:
            if error.status == 403:
                return refused(request, error, back=reverse("mentoring:round_list"))
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Đã mở đợt. Bấm “Tính đề xuất” để xem các cặp phù hợp nhất."))
            return redirect("mentoring:round_detail", round_id=round_.pk)
    context = {"rounds": list(rounds_for_user(request.user)[:100]), "form": form}
    return render(request, "mentoring/match/rounds.html", context, status=422 if form.errors else 200)


@login_required
@require_GET
def round_detail_view(request: HttpRequest, round_id: int) -> HttpResponse:
    round_: Round = found(round_for_user, request.user, round_id)
    matches = list(round_matches(round_))
    rows = [(m, reason_lines(m.reasons)) for m in matches]
    kept = sum(m.score for m in matches if m.state == Match.State.SUGGESTED)
    gain = (round_.total_fit - round_.greedy_fit) / round_.greedy_fit * 100 if round_.greedy_fit else None
    context = {
        "round": round_,
        "rows": rows,
        "suggested": sum(1 for m in matches if m.state == Match.State.SUGGESTED),
        "kept": kept,
        "gain": gain,
        "editable": round_.state in (Round.State.DRAFT, Round.State.REVIEWED),
    }
    return render(request, "mentoring/match/round.html", context)


def _round_back(round_id: int) -> str:
    return reverse("mentoring:round_detail", args=[round_id])


@login_required
@require_POST
def round_compute_view(request: HttpRequest, round_id: int) -> HttpResponse:
    round_: Round = found(round_for_user, request.user, round_id)
    try:
        result = round_compute(round_, actor=request.user)
    except DomainError as error:
        return refused(request, error, back=_round_back(round_id))
    messages.success(
        request,
        _(
            "Đã tính: %(suggested)s cặp cho %(sellers)s hợp tác xã và %(partners)s đối tác. Tổng độ phù hợp "
            "%(total).2f (cách chọn lần lượt: %(greedy).2f; không thể vượt %(bound).2f)."
        )
        % {
            "suggested": result.suggested,
            "sellers": result.sellers,
            "partners": result.partners,
            "total": result.total_fit,
            "greedy": result.greedy_fit,
            "bound": result.upper_bound,
        },
    )
    return redirect(_round_back(round_id))


@login_required
@require_POST
def round_drop_view(request: HttpRequest, round_id: int) -> HttpResponse:
    round_: Round = found(round_for_user, request.user, round_id)
    try:
        dropped = round_drop(round_, actor=request.user, match_ids=request.POST.getlist("drop"))
    except DomainError as error:
        return refused(request, error, back=_round_back(round_id))
    messages.success(request, _("Đã bỏ %(count)s đề xuất.") % {"count": dropped})
    return redirect(_round_back(round_id))


@login_required
@require_POST
def round_send_view(request: HttpRequest, round_id: int) -> HttpResponse:
    round_: Round = found(round_for_user, request.user, round_id)
    try:
        result = round_send(round_, actor=request.user)
    except DomainError as error:
        return refused(request, error, back=_round_back(round_id))
    text = _("Đã gửi %(sent)s đề xuất; hai bên sẽ nhận tin nhắn để trả lời.") % {"sent": result.sent}
    if result.skipped:
        text = f"{text} " + str(
            _("%(skipped)s đề xuất không còn đúng (đối tác đã đủ chỗ) nên đã bỏ.")
            % {"skipped": result.skipped}
        )
    messages.success(request, text)
    return redirect(_round_back(round_id))
