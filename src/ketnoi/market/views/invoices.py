"""The printable invoice of an order, for its buyer and its seller only (``/orders/<reference>/invoice/``).

The seller issues it here (once; the number is taken then); afterwards
both see the same copy, built from the data stored when it was issued.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from ketnoi.core.errors import DomainError, NotFound

from ..services.invoices import invoice_can_issue, invoice_for_user, invoice_issue


class InvoiceForm(forms.Form):
    buyer_company = forms.CharField(
        label=_("Tên đơn vị mua hàng (nếu có)"),
        required=False,
        max_length=200,
        help_text=_("Chỉ ghi khi người mua cần hoá đơn mang tên cơ quan, công ty."),
    )
    buyer_tax_code = forms.CharField(label=_("Mã số thuế người mua (nếu có)"), required=False, max_length=14)
    buyer_address = forms.CharField(
        label=_("Địa chỉ trên hoá đơn (nếu khác địa chỉ giao hàng)"), required=False, max_length=300
    )


@login_required
@require_http_methods(["GET", "POST"])
def invoice_view(request: HttpRequest, reference: str) -> HttpResponse:
    """The invoice (printable), or — for the seller, before it exists — the form that issues it."""
    try:
        order, invoice, is_seller = invoice_for_user(user=request.user, reference=reference)
    except NotFound as error:
        raise Http404(str(error)) from None
    form = InvoiceForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not is_seller:
            raise Http404(_("Không tìm thấy đơn hàng này."))
        status = 400
        if form.is_valid():
            try:
                invoice = invoice_issue(order=order, actor=request.user, **form.cleaned_data)
            except DomainError as error:
                form.add_error(None, str(error))
                status = error.status
            else:
                messages.success(
                    request, _("Đã lập hoá đơn số %(number)s.") % {"number": invoice.data["number_text"]}
                )
                return redirect("market:invoice", reference=order.reference)
    context = {
        "order": order,
        "invoice": invoice,
        "data": invoice.data if invoice is not None else None,
        "is_seller": is_seller,
        "can_issue": is_seller and invoice is None and invoice_can_issue(order),
        "form": form,
    }
    return render(request, "market/invoices/invoice.html", context, status=status)
