"""The batch pages: a cycle's batches and the form to prepare one; a batch with its payments,
approval, start, the bank's file to download and the bank's result to check, then apply.

Each page finds its cycle or batch through a selector (404 outside the
reader's area) and calls one service; a refusal (``DomainError``) comes back
as a message on the page it came from. While a batch is sending its page
refreshes itself every few seconds (no script needed on the phone).

The bank's result is imported in two steps: the uploaded file is checked
(nothing changes) and kept aside under a random name; "apply" imports that
same file, then deletes it.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from django.contrib import messages
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketnoi.accounts.permissions import forbidden, role_required
from ketnoi.core.errors import DomainError, NotFound, PermissionDenied

from ..access import PROGRAMME_ROLES, PROGRAMME_VIEWER_ROLES, programme_access_check, programme_covered
from ..forms_batches import PaymentFilterForm, PrepareForm, ResultForm
from ..models import Batch, Channel, Cycle
from ..selectors import cycle_for_user
from ..selectors_batches import (
    batch_disbursements,
    batch_for_user,
    batch_state_counts,
    cycle_batches,
    cycle_unbatched,
)
from ..services.batches import batch_approve, batch_export, batch_export_stream, batch_prepare, batch_start
from ..services.reconcile import ResultReport, bank_result_apply, bank_result_check

PAYMENTS_PAGE_SIZE = 50
PROBLEMS_SHOWN = 200
REFRESH_SECONDS = 5
RESULTS_FOLDER = "bank-results"

viewer_required = role_required(*PROGRAMME_VIEWER_ROLES)
runner_required = role_required(*PROGRAMME_ROLES)


def _cycle_or_404(request: HttpRequest, code: str, number: int) -> Cycle:
    try:
        return cycle_for_user(request.user, code, number)
    except NotFound as error:
        raise Http404(str(error)) from None


def _batch_or_404(request: HttpRequest, batch_id: int) -> Batch:
    try:
        return batch_for_user(request.user, batch_id)
    except NotFound as error:
        raise Http404(str(error)) from None


# --- A cycle's batches ---------------------------------------------------------------------------


@never_cache
@viewer_required
@require_http_methods(["GET", "POST"])
def batch_list_view(request: HttpRequest, code: str, number: int) -> HttpResponse:
    """The cycle's batches; an officer who runs the programme prepares a new one here."""
    cycle = _cycle_or_404(request, code, number)
    can_run = programme_covered(request.user, cycle.programme)
    waiting = cycle_unbatched(cycle)
    form = PrepareForm(request.POST or None, waiting=waiting)
    status = 200
    if request.method == "POST":
        if not can_run:
            return forbidden(request)
        status = 400
        if form.is_valid():
            try:
                batch = batch_prepare(
                    cycle,
                    channel=form.cleaned_data["channel"],
                    actor=request.user,
                    commune_ids=form.cleaned_data["communes"] or None,
                )
            except DomainError as error:
                form.add_error(None, str(error))
                status = error.status
            else:
                messages.success(
                    request,
                    _("Đã lập lô số %(number)s: %(count)s khoản. Hãy nhờ một cán bộ khác duyệt.")
                    % {"number": batch.number, "count": batch.payments_count},
                )
                return redirect("programmes:batch_detail", batch_id=batch.pk)
    context = {
        "cycle": cycle,
        "programme": cycle.programme,
        "batches": cycle_batches(cycle),
        "waiting": waiting,
        "form": form,
        "can_run": can_run,
        "can_prepare": can_run
        and cycle.state == Cycle.State.APPROVED
        and bool(form.fields["channel"].choices),  # type: ignore[attr-defined]
    }
    return render(request, "programmes/batches/list.html", context, status=status)


# --- One batch ---------------------------------------------------------------------------------


@never_cache
@viewer_required
@require_GET
def batch_detail_view(request: HttpRequest, batch_id: int) -> HttpResponse:
    """A batch: its state, counts per payment state, what to do next, and its payments (filtered)."""
    batch = _batch_or_404(request, batch_id)
    filters = PaymentFilterForm(request.GET or None)
    state = filters.cleaned_data["state"] if filters.is_valid() else ""
    page = Paginator(
        batch_disbursements(request.user, batch, state=state or None), PAYMENTS_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    counts = batch_state_counts(batch)
    sent = sum(c.count for c in counts if c.state != "pending")
    context = {
        "batch": batch,
        "cycle": batch.cycle,
        "programme": batch.cycle.programme,
        "counts": counts,
        "progress": round(100 * sent / batch.payments_count) if batch.payments_count else 0,
        "refresh": REFRESH_SECONDS if batch.state == Batch.State.SENDING else None,
        "can_run": programme_covered(request.user, batch.cycle.programme),
        "is_preparer": batch.prepared_by_id == request.user.pk,
        "is_bank": batch.channel == Channel.BANK,
        "has_file": batch.channel == Channel.BANK
        and batch.state in (Batch.State.SENT, Batch.State.RECONCILED, Batch.State.PARTLY_FAILED),
        "filters": filters,
        "page": page,
        "querystring": f"state={state}" if state else "",
    }
    return render(request, "programmes/batches/detail.html", context)


def _act(request: HttpRequest, batch_id: int, action: Any, done: Any) -> HttpResponse:
    batch = _batch_or_404(request, batch_id)
    try:
        action(batch, actor=request.user)
    except PermissionDenied as error:
        messages.error(request, str(error))
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect("programmes:batch_detail", batch_id=batch.pk)


@runner_required
@require_POST
def batch_approve_view(request: HttpRequest, batch_id: int) -> HttpResponse:
    """A second officer approves the batch (the preparer is told to ask someone else)."""
    return _act(request, batch_id, batch_approve, _("Đã duyệt lô. Bấm “Bắt đầu chi” khi sẵn sàng."))


@runner_required
@require_POST
def batch_start_view(request: HttpRequest, batch_id: int) -> HttpResponse:
    """Start paying: the background task sends the batch; this page shows its progress."""
    return _act(request, batch_id, batch_start, _("Đang chi. Trang này tự cập nhật cho đến khi chi xong."))


@runner_required
@require_GET
def batch_file_view(request: HttpRequest, batch_id: int, fmt: str) -> HttpResponse:
    """The bank's bulk-transfer file of a sent bank batch, CSV (streamed) or XLSX."""
    batch = _batch_or_404(request, batch_id)
    try:
        programme_access_check(request.user, batch.cycle.programme)
        if fmt == "csv":
            filename, pieces = batch_export_stream(batch)
            response: HttpResponseBase = StreamingHttpResponse(pieces, content_type="text/csv; charset=utf-8")
        else:
            filename, data = batch_export(batch, fmt=fmt)
            response = HttpResponse(
                data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            )
    except PermissionDenied as error:
        return forbidden(request, str(error))
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("programmes:batch_detail", batch_id=batch.pk)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return cast(HttpResponse, response)  # a streamed CSV is a response too, just not an HttpResponse


# --- The bank's result ---------------------------------------------------------------------------


def _kept_key(batch: Batch) -> str:
    return f"bank_result_{batch.pk}"


def _forget(request: HttpRequest, batch: Batch) -> None:
    kept = request.session.pop(_kept_key(batch), None)
    if kept:
        default_storage.delete(kept["name"])


@never_cache
@runner_required
@require_http_methods(["GET", "POST"])
def batch_result_view(request: HttpRequest, batch_id: int) -> HttpResponse:
    """Upload the bank's result file: first a check of every line, then "apply" imports it."""
    batch = _batch_or_404(request, batch_id)
    if not programme_covered(request.user, batch.cycle.programme):
        return forbidden(request)
    form = ResultForm(request.POST or None, request.FILES or None)
    report: ResultReport | None = None
    status = 200
    if request.method == "POST" and request.POST.get("action") == "apply":
        kept = request.session.get(_kept_key(batch))
        if not kept or not default_storage.exists(kept["name"]):
            messages.error(request, _("Không còn tệp đã kiểm tra; hãy tải tệp kết quả lên lại."))
            return redirect("programmes:batch_result", batch_id=batch.pk)
        try:
            with default_storage.open(kept["name"], "rb") as file:
                report = bank_result_apply(batch, file, kept["filename"], actor=request.user)
        except DomainError as error:
            messages.error(request, str(error))
            return redirect("programmes:batch_result", batch_id=batch.pk)
        _forget(request, batch)
        batch.refresh_from_db()
        form = ResultForm()
    elif request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = bank_result_check(batch, upload, upload.name)
            except DomainError as error:
                form.add_error("file", str(error))
                status = error.status
            else:
                status = 200
                _forget(request, batch)
                suffix = ".xlsx" if upload.name.lower().endswith(".xlsx") else ".csv"
                upload.seek(0)
                name = default_storage.save(
                    f"{RESULTS_FOLDER}/{batch.pk}/{uuid.uuid4().hex}{suffix}", ContentFile(upload.read())
                )
                request.session[_kept_key(batch)] = {"name": name, "filename": upload.name[:200]}
    context = {
        "batch": batch,
        "cycle": batch.cycle,
        "programme": batch.cycle.programme,
        "form": form,
        "report": report,
        "problems": report.problems[:PROBLEMS_SHOWN] if report else [],
        "problem_counts": report.problem_counts() if report else {},
    }
    return render(request, "programmes/batches/result.html", context, status=status)
