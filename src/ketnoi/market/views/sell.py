"""The seller's own pages under ``/sell/``: her products, her profile, a product's form and photos.

Built for a phone: one short form per step. Only a seller's leader and
members reach its products; for anyone else they do not exist (404).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketnoi.accounts.models import Role
from ketnoi.accounts.permissions import forbidden
from ketnoi.accounts.selectors import user_has_role, user_home_commune
from ketnoi.core.errors import DomainError, NotFound
from ketnoi.places.models import Commune
from ketnoi.places.selectors import commune_search, province_list

from ..forms_catalogue import PhotoForm, ProductForm, SellerForm, product_initial, seller_initial
from ..models import Product, ProductPhoto, Seller
from ..selectors import (
    MAX_PHOTOS,
    categories,
    photo_url,
    product_for_editor,
    products_of_seller_for_editor,
    seller_for_editor,
    sellers_of_user,
)
from ..services.catalogue import product_create, product_update, seller_create, seller_update
from ..services.photos import photo_add, photo_hint_messages, photo_remove

PICKER_LIMIT = 20


def _not_found(error: NotFound) -> Http404:
    return Http404(str(error))


@login_required
@require_GET
def sell_home_view(request: HttpRequest) -> HttpResponse:
    """Her sellers and their products, with what to do next."""
    sellers = list(sellers_of_user(request.user))
    if not sellers:
        if not user_has_role(request.user, Role.SELLER):
            return forbidden(
                request, _("Trang này dành cho người bán. Hãy nhờ cán bộ xã cấp vai trò người bán.")
            )
        return redirect("market:sell_profile_new")
    groups = []
    for seller in sellers:
        products = list(products_of_seller_for_editor(seller))
        for product in products:
            product.card_photo = photo_url(product.photo_small)  # type: ignore[attr-defined]
        groups.append((seller, products))
    return render(request, "market/sell/home.html", {"groups": groups})


def _commune_picker_context(request: HttpRequest, chosen_code: Any) -> dict[str, Any]:
    query = request.GET.get("q", "")[:100]
    province = request.GET.get("province") or ""
    province_code = int(province) if province.isdigit() else None
    chosen = None
    if chosen_code:
        chosen = Commune.objects.select_related("province").filter(pk=chosen_code).first()
    return {
        "query": query,
        "province": province_code,
        "provinces": province_list(),
        "communes": commune_search(query, province_code=province_code, limit=PICKER_LIMIT)
        if query.strip()
        else [],
        "chosen": chosen,
    }


def _seller_values(form: SellerForm) -> dict[str, Any]:
    values = dict(form.cleaned_data)
    commune = Commune.objects.filter(pk=values.pop("commune")).first()
    if commune is None:
        raise ValidationError({"commune": _("Hãy chọn xã/phường.")})
    values["commune"] = commune
    return values


@login_required
@require_http_methods(["GET", "POST"])
def sell_profile_new_view(request: HttpRequest) -> HttpResponse:
    """A seller-role user describes her cooperative, business or herself, once."""
    if not user_has_role(request.user, Role.SELLER):
        return forbidden(request, _("Trang này dành cho người bán. Hãy nhờ cán bộ xã cấp vai trò người bán."))
    if request.method == "POST":
        form = SellerForm(request.POST)
        if form.is_valid():
            try:
                values = _seller_values(form)
                seller = seller_create(
                    actor=request.user,
                    leader=request.user,
                    name=values.pop("name"),
                    kind=values.pop("kind"),
                    commune=values.pop("commune"),
                    **values,
                )
            except ValidationError as error:
                form.add_error(None, error)
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request, _("Đã lưu thông tin người bán. Bây giờ hãy đăng sản phẩm đầu tiên.")
                )
                return redirect("market:sell_product_new", seller_slug=seller.slug)
        chosen: Any = request.POST.get("commune")
    else:
        home = user_home_commune(request.user)
        form = SellerForm(initial={"kind": Seller.Kind.COOPERATIVE, "commune": home.pk if home else None})
        chosen = home.pk if home else None
    context = {"form": form, "seller": None, **_commune_picker_context(request, chosen)}
    return render(request, "market/sell/profile.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def sell_profile_edit_view(request: HttpRequest, seller_slug: str) -> HttpResponse:
    try:
        seller = seller_for_editor(request.user, seller_slug)
    except NotFound as error:
        raise _not_found(error) from None
    if request.method == "POST":
        form = SellerForm(request.POST)
        if form.is_valid():
            try:
                seller_update(actor=request.user, seller=seller, **_seller_values(form))
            except ValidationError as error:
                form.add_error(None, error)
            except NotFound as error:
                raise _not_found(error) from None
            else:
                messages.success(request, _("Đã lưu thông tin người bán."))
                return redirect("market:sell_home")
        chosen: Any = request.POST.get("commune")
    else:
        form = SellerForm(initial=seller_initial(seller))
        chosen = seller.commune_id
    context = {"form": form, "seller": seller, **_commune_picker_context(request, chosen)}
    return render(request, "market/sell/profile.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def sell_product_new_view(request: HttpRequest, seller_slug: str) -> HttpResponse:
    """List a product in one short form; then add photos."""
    try:
        seller = seller_for_editor(request.user, seller_slug)
    except NotFound as error:
        raise _not_found(error) from None
    if request.method == "POST":
        form = ProductForm(request.POST)
        if form.is_valid():
            values = form.service_values()
            values.pop("is_active", None)
            try:
                product = product_create(
                    actor=request.user,
                    seller=seller,
                    name=values.pop("name"),
                    category=values.pop("category"),
                    price_vnd=values.pop("price_vnd"),
                    unit=values.pop("unit"),
                    weight_g=values.pop("weight_g"),
                    stock=values.pop("stock"),
                    **values,
                )
            except ValidationError as error:
                form.add_error(None, error)
            except NotFound as error:
                raise _not_found(error) from None
            else:
                messages.success(request, _("Đã đăng sản phẩm. Bây giờ hãy thêm ảnh."))
                return redirect("market:sell_product_photos", slug=product.slug)
    else:
        first = categories()[:1]
        form = ProductForm(initial={"category": first[0].pk if first else None, "stock": 1})
    context = {"form": form, "seller": seller, "product": None}
    return render(request, "market/sell/product_form.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def sell_product_edit_view(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        product = product_for_editor(request.user, slug)
    except NotFound as error:
        raise _not_found(error) from None
    if request.method == "POST":
        form = ProductForm(request.POST)
        if form.is_valid():
            try:
                product_update(actor=request.user, product=product, **form.service_values())
            except ValidationError as error:
                form.add_error(None, error)
            except NotFound as error:
                raise _not_found(error) from None
            else:
                messages.success(request, _("Đã lưu sản phẩm."))
                return redirect("market:sell_home")
    else:
        form = ProductForm(initial=product_initial(product))
    context = {"form": form, "seller": product.seller, "product": product}
    return render(request, "market/sell/product_form.html", context, status=400 if form.errors else 200)


def _photos_context(product: Product, form: PhotoForm, new_id: int | None) -> dict[str, Any]:
    photos = []
    new_photo = None
    for photo in product.photos.all():
        item = {"photo": photo, "url": photo_url(photo.small.name), "hints": photo_hint_messages(photo.hints)}
        photos.append(item)
        if photo.pk == new_id:
            new_photo = item
    return {
        "product": product,
        "form": form,
        "photos": photos,
        "new_photo": new_photo,
        "can_add": len(photos) < MAX_PHOTOS,
        "max_photos": MAX_PHOTOS,
    }


@login_required
@require_http_methods(["GET", "POST"])
def sell_product_photos_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Add a photo; the quality hints for it show right after the upload."""
    try:
        product = product_for_editor(request.user, slug)
    except NotFound as error:
        raise _not_found(error) from None
    status = 200
    if request.method == "POST":
        form = PhotoForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                photo = photo_add(
                    request.user, product, form.cleaned_data["photo"], alt_text=form.cleaned_data["alt_text"]
                )
            except NotFound as error:
                raise _not_found(error) from None
            except DomainError as error:
                form.add_error("photo", str(error))
                status = error.status if error.status in (409, 413) else 400
            else:
                if photo.hints:
                    messages.warning(request, _("Đã lưu ảnh. Xem gợi ý bên dưới để ảnh đẹp hơn."))
                else:
                    messages.success(request, _("Đã lưu ảnh. Ảnh rõ và sáng, tốt lắm!"))
                return redirect(f"{request.path}?new={photo.pk}")
        else:
            status = 400
    else:
        form = PhotoForm()
    new_raw = request.GET.get("new", "")
    context = _photos_context(product, form, int(new_raw) if new_raw.isdigit() else None)
    return render(request, "market/sell/photos.html", context, status=status)


@login_required
@require_POST
def sell_photo_delete_view(request: HttpRequest, slug: str, photo_id: int) -> HttpResponse:
    try:
        product = product_for_editor(request.user, slug)
    except NotFound as error:
        raise _not_found(error) from None
    photo = ProductPhoto.objects.filter(pk=photo_id, product=product).first()
    if photo is None:
        raise Http404(str(_("Không tìm thấy ảnh này.")))
    try:
        photo_remove(actor=request.user, photo=photo)
    except NotFound as error:
        raise _not_found(error) from None
    messages.success(request, _("Đã xoá ảnh."))
    return redirect("market:sell_product_photos", slug=product.slug)
