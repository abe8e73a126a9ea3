"""Forms of the catalogue and the seller's pages. The rules live in ``services``; forms read input."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ketnoi.core.money import parse_vnd

from .data import bank_choices
from .models import Category, Product, Seller
from .services.catalogue import OCOP_FIRST_YEAR
from .services.photos import MAX_UPLOAD_BYTES

SEARCH_MAX_LENGTH = 100
OCOP_CHOICES = [("", _("Không có OCOP")), ("3", _("3 sao")), ("4", _("4 sao")), ("5", _("5 sao"))]


class SearchInput(forms.TextInput):
    input_type = "search"


class CatalogueFilterForm(forms.Form):
    """The catalogue's search box and filters (GET). Unknown values are dropped, never an error page."""

    q = forms.CharField(
        label=_("Tìm sản phẩm"), required=False, max_length=SEARCH_MAX_LENGTH, widget=SearchInput
    )
    category = forms.ChoiceField(label=_("Nhóm hàng"), required=False)
    province = forms.ChoiceField(label=_("Tỉnh/thành phố"), required=False)
    ocop = forms.ChoiceField(
        label=_("Sao OCOP"),
        required=False,
        choices=[("", _("Tất cả")), ("3", _("Từ 3 sao")), ("4", _("Từ 4 sao")), ("5", _("5 sao"))],
    )

    def __init__(
        self, data: Any, *, categories: list[Category], provinces: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        self.fields["q"].widget.attrs.update(
            {
                "placeholder": _("ví dụ: tho cam, mien toi den"),
                "autocomplete": "off",
                "aria-describedby": "q-help",
            }
        )
        category_field = self.fields["category"]
        assert isinstance(category_field, forms.ChoiceField)
        category_field.choices = [("", _("Mọi nhóm hàng")), *((c.slug, c.name) for c in categories)]
        province_field = self.fields["province"]
        assert isinstance(province_field, forms.ChoiceField)
        province_field.choices = [
            ("", _("Mọi tỉnh/thành phố")),
            *((str(code), name) for code, name in provinces),
        ]

    def filters(self) -> dict[str, Any]:
        """The valid filters (an invalid one is left out)."""
        if not self.is_bound:
            return {"query": "", "category": None, "province": None, "ocop_min": None}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "query": data.get("q") or "",
            "category": data.get("category") or None,
            "province": data.get("province") or None,
            "ocop_min": data.get("ocop") or None,
        }


def _textarea(rows: int = 2) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class ProductForm(forms.Form):
    """One short form: what it is, the price, then four guided story questions."""

    name = forms.CharField(
        label=_("Tên sản phẩm"),
        max_length=150,
        help_text=_("Ví dụ: Khăn thổ cẩm dệt tay, Miến tỏi đen 500 g."),
    )
    category = forms.ModelChoiceField(label=_("Nhóm hàng"), queryset=Category.objects.all(), empty_label=None)
    price_vnd = forms.CharField(
        label=_("Giá bán (đồng)"),
        max_length=20,
        help_text=_("Chỉ gõ số, ví dụ 150000 hoặc 150.000."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    unit = forms.CharField(
        label=_("Bán theo"), max_length=30, help_text=_("Ví dụ: chiếc, gói 500 g, chai 500 ml, hộp.")
    )
    stock = forms.IntegerField(
        label=_("Còn bao nhiêu để bán?"),
        min_value=0,
        max_value=100_000,
        initial=1,
        error_messages={
            "invalid": _("Hãy gõ một số, ví dụ 5."),
            "min_value": _("Số lượng trong kho không được âm."),
            "max_value": _("Số lượng lớn quá: tối đa 100.000."),
        },
    )
    weight_g = forms.IntegerField(
        label=_("Nặng bao nhiêu gam khi đóng gói?"),
        min_value=1,
        max_value=100_000,
        help_text=_("Để tính tiền gửi bưu điện. 1 kg = 1000 g."),
        error_messages={
            "invalid": _("Hãy gõ một số, ví dụ 500."),
            "min_value": _("Khối lượng phải lớn hơn 0 gam."),
            "max_value": _("Nặng quá: tối đa 100 kg (100000 g)."),
        },
    )
    ocop_stars = forms.ChoiceField(label=_("Sao OCOP"), choices=OCOP_CHOICES, required=False)
    ocop_year = forms.IntegerField(
        label=_("Năm được chứng nhận OCOP"),
        required=False,
        min_value=OCOP_FIRST_YEAR,
        max_value=2100,
        error_messages={
            "invalid": _("Hãy gõ năm bằng số, ví dụ 2022."),
            "min_value": _("Năm chứng nhận OCOP từ 2018 đến năm nay."),
            "max_value": _("Năm chứng nhận OCOP từ 2018 đến năm nay."),
        },
    )
    story_who = forms.CharField(
        label=_("Ai làm ra sản phẩm?"),
        max_length=500,
        required=False,
        widget=_textarea(),
        help_text=_("Ví dụ: Chị Lò Thị Ơn và 20 chị em trong bản."),
    )
    story_how = forms.CharField(
        label=_("Làm như thế nào?"),
        max_length=500,
        required=False,
        widget=_textarea(),
        help_text=_("Ví dụ: Dệt tay trên khung gỗ, mỗi tấm mất ba ngày."),
    )
    story_from = forms.CharField(
        label=_("Làm từ nguyên liệu gì?"),
        max_length=500,
        required=False,
        widget=_textarea(),
        help_text=_("Ví dụ: Sợi bông tự trồng, nhuộm lá chàm."),
    )
    story_meaning = forms.CharField(
        label=_("Sản phẩm có ý nghĩa gì với bản làng?"),
        max_length=500,
        required=False,
        widget=_textarea(),
        help_text=_("Ví dụ: Hoa văn kể chuyện mùa lúa của người Thái."),
    )
    name_en = forms.CharField(label=_("Tên tiếng Anh (nếu có)"), max_length=150, required=False)
    story_en = forms.CharField(
        label=_("Câu chuyện bằng tiếng Anh (nếu có)"), max_length=3000, required=False, widget=_textarea(3)
    )
    is_active = forms.BooleanField(label=_("Đang bán (hiện trên chợ)"), required=False, initial=True)

    def clean_price_vnd(self) -> int:
        amount = parse_vnd(self.cleaned_data["price_vnd"])
        if amount <= 0:
            raise ValidationError(_("Giá phải lớn hơn 0 đồng."), code="price_not_positive")
        return amount

    def clean_ocop_stars(self) -> int | None:
        value = self.cleaned_data.get("ocop_stars")
        return int(value) if value else None

    def clean_ocop_year(self) -> int | None:
        year = self.cleaned_data.get("ocop_year")
        if year is not None and year > timezone.localdate().year:
            raise ValidationError(_("Năm chứng nhận OCOP từ 2018 đến năm nay."), code="ocop_year_future")
        return year

    def service_values(self) -> dict[str, Any]:
        """``cleaned_data`` as ``product_create``/``product_update`` take it."""
        return dict(self.cleaned_data)


def product_initial(product: Product) -> dict[str, Any]:
    return {
        "name": product.name,
        "category": product.category_id,
        "price_vnd": str(product.price_vnd),
        "unit": product.unit,
        "stock": product.stock,
        "weight_g": product.weight_g,
        "ocop_stars": str(product.ocop_stars or ""),
        "ocop_year": product.ocop_year,
        "story_who": product.story_who,
        "story_how": product.story_how,
        "story_from": product.story_from,
        "story_meaning": product.story_meaning,
        "name_en": product.name_en,
        "story_en": product.story_en,
        "is_active": product.is_active,
    }


class PhotoForm(forms.Form):
    photo = forms.FileField(
        label=_("Chụp hoặc chọn ảnh"),
        help_text=_("Ảnh JPEG, PNG hoặc WebP, tối đa 15 MB. Chụp sản phẩm ở giữa, chỗ sáng."),
        # No ``capture``: the phone then offers both its camera and its gallery.
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    alt_text = forms.CharField(
        label=_("Ảnh chụp gì? (không bắt buộc)"),
        max_length=200,
        required=False,
        help_text=_("Ví dụ: Khăn trải trên bàn, nhìn từ trên xuống."),
    )

    def clean_photo(self) -> Any:
        photo = self.cleaned_data["photo"]
        if photo.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                _("Ảnh quá lớn (tối đa 15 MB). Hãy chụp lại ở cỡ bình thường."), code="too_large"
            )
        return photo


class SellerForm(forms.Form):
    """The seller's profile. The commune is chosen with the commune picker (a radio named ``commune``)."""

    kind = forms.ChoiceField(
        label=_("Bạn bán hàng với tư cách"), choices=Seller.Kind.choices, widget=forms.RadioSelect
    )
    name = forms.CharField(
        label=_("Tên hợp tác xã, hộ kinh doanh hoặc tên của bạn"),
        max_length=150,
        help_text=_("Ví dụ: HTX Thổ cẩm Bản Lướt."),
    )
    commune = forms.IntegerField(
        widget=forms.HiddenInput, error_messages={"required": _("Hãy chọn xã/phường.")}
    )
    village = forms.CharField(label=_("Thôn/bản"), max_length=120, required=False)
    story = forms.CharField(
        label=_("Câu chuyện của nhóm"),
        max_length=4000,
        required=False,
        widget=_textarea(4),
        help_text=_("Nhóm có bao nhiêu người, làm nghề từ bao giờ, vì sao làm."),
    )
    bank_bin = forms.ChoiceField(label=_("Ngân hàng nhận tiền"), required=False)
    bank_account = forms.CharField(
        label=_("Số tài khoản"),
        max_length=25,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    bank_account_name = forms.CharField(label=_("Tên chủ tài khoản"), max_length=100, required=False)
    tax_code = forms.CharField(
        label=_("Mã số thuế (nếu có)"),
        max_length=14,
        required=False,
        help_text=_("10 chữ số, hoặc 10 chữ số - 3 chữ số. Cần để xuất hoá đơn."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    pickup_line = forms.CharField(
        label=_("Địa chỉ bưu điện đến lấy hàng"),
        max_length=200,
        required=False,
        help_text=_("Số nhà, thôn/bản. Chỉ bưu điện và người bán thấy."),
    )
    women_led = forms.BooleanField(label=_("Người đứng đầu là phụ nữ"), required=False)
    ethnic_minority_led = forms.BooleanField(
        label=_("Người đứng đầu là người dân tộc thiểu số"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bank_field = self.fields["bank_bin"]
        assert isinstance(bank_field, forms.ChoiceField)
        bank_field.choices = [("", _("— Chưa có —")), *bank_choices()]


def seller_initial(seller: Seller) -> dict[str, Any]:
    return {
        "kind": seller.kind,
        "name": seller.name,
        "commune": seller.commune_id,
        "village": seller.village,
        "story": seller.story,
        "bank_bin": seller.bank_bin,
        "bank_account": seller.bank_account,
        "bank_account_name": seller.bank_account_name,
        "pickup_line": seller.pickup_line,
        "tax_code": seller.tax_code,
        "women_led": seller.women_led,
        "ethnic_minority_led": seller.ethnic_minority_led,
    }


class SellerVerifyForm(forms.Form):
    verified = forms.TypedChoiceField(
        choices=[("1", _("Xác minh")), ("0", _("Bỏ xác minh"))], coerce=lambda v: v == "1"
    )
    reason = forms.CharField(label=_("Ghi chú (không bắt buộc)"), max_length=500, required=False)
