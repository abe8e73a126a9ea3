"""The catalogue part of ``/api/v1``: public product search and product detail, no sign-in needed.

Only public fields leave: never the seller's women-led or ethnic-minority-led
flags, bank details or pickup address.
"""

from typing import Annotated

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from ketnoi.api.schemas import COMMON_ERRORS, ErrorOut, NfcStr, lazy

from .forms_catalogue import SEARCH_MAX_LENGTH
from .models import Product, Seller
from .selectors import (
    PhotoView,
    categories,
    photo_url,
    photo_view,
    product_for_page,
    product_search,
    product_story,
)

router = Router(tags=["products"], auth=None)

PRODUCTS_PAGE_SIZE = 24


class SellerRef(Schema):
    name: str
    slug: str
    verified: bool = Field(description=lazy(_("Chương trình đã xác minh người bán này.")))
    village: str
    commune: str
    province: str

    @staticmethod
    def resolve_commune(obj: Seller) -> str:
        return obj.commune.name

    @staticmethod
    def resolve_province(obj: Seller) -> str:
        return obj.commune.province.name


class ProductItemOut(Schema):
    name: str = Field(examples=["Khăn thổ cẩm Thái"])
    name_en: str
    slug: str
    price_vnd: int = Field(description=lazy(_("Giá, số nguyên đồng.")))
    unit: str = Field(examples=["chiếc"])
    category: str = Field(description=lazy(_("Mã nhóm hàng, ví dụ `brocade-textiles`.")))
    ocop_stars: int | None
    province: str
    seller: SellerRef
    photo: str | None = Field(description=lazy(_("Địa chỉ ảnh nhỏ (WebP, rộng 320 px), hoặc null.")))

    @staticmethod
    def resolve_category(obj: Product) -> str:
        return obj.category.slug

    @staticmethod
    def resolve_province(obj: Product) -> str:
        return obj.seller.commune.province.name

    @staticmethod
    def resolve_photo(obj: Product) -> str | None:
        if hasattr(obj, "photo_small"):  # annotated by the search
            return photo_url(obj.photo_small)
        first = next(iter(obj.photos.all()), None)  # prefetched on the detail
        return photo_url(first.small.name) if first else None


class PhotoOut(Schema):
    src: str
    srcset: str
    width: int
    height: int
    alt: str


class ProductOut(ProductItemOut):
    stock: int
    weight_g: int
    ocop_year: int | None
    story: str = Field(description=lazy(_("Câu chuyện sản phẩm, ghép từ các câu trả lời của người bán.")))
    story_en: str
    photos: list[PhotoOut]

    @staticmethod
    def resolve_story(obj: Product) -> str:
        return product_story(obj)

    @staticmethod
    def resolve_photos(obj: Product) -> list[PhotoView]:
        return [photo_view(photo) for photo in obj.photos.all()]


class ProductFilter(Schema):
    q: Annotated[NfcStr, Field(max_length=SEARCH_MAX_LENGTH)] = Field(
        "", description=lazy(_("Các từ cần tìm, có dấu hay không dấu: `tho cam`, `miến tỏi đen`."))
    )
    category: Annotated[NfcStr, Field(max_length=60)] | None = Field(
        None, description=lazy(_("Mã nhóm hàng, ví dụ `honey`."))
    )
    province: int | None = Field(None, ge=1, description=lazy(_("Mã tỉnh/thành phố, ví dụ 14 (Sơn La).")))
    ocop_min: int | None = Field(None, ge=3, le=5, description=lazy(_("Chỉ sản phẩm OCOP từ số sao này.")))


class CategoryOut(Schema):
    slug: str
    name: str
    name_en: str


@router.get(
    "",
    response={200: list[ProductItemOut], **COMMON_ERRORS},
    summary=lazy(_("Tìm sản phẩm")),
    description=lazy(
        _(
            "Sản phẩm đang bán có mọi từ đã gõ trong tên, câu chuyện, tên người bán hoặc nơi làm "
            "(có dấu hay không dấu đều được); khớp tên trước. Lọc theo `category`, `province`, "
            "`ocop_min`. Chia trang: `page`."
        )
    ),
)
@paginate(PageNumberPagination, page_size=PRODUCTS_PAGE_SIZE, max_page_size=100)
def products_list(request: HttpRequest, filters: Query[ProductFilter]) -> QuerySet[Product]:
    return product_search(
        filters.q, category=filters.category, province=filters.province, ocop_min=filters.ocop_min
    )


@router.get(
    "/categories",
    response={200: list[CategoryOut]},
    summary=lazy(_("Các nhóm hàng")),
)
def categories_list(request: HttpRequest) -> list[CategoryOut]:
    return [CategoryOut(slug=c.slug, name=c.name, name_en=c.name_en) for c in categories()]


@router.get(
    "/{slug}",
    response={200: ProductOut, 404: ErrorOut},
    summary=lazy(_("Một sản phẩm")),
    description=lazy(_("Giá, kho, câu chuyện, ảnh và người bán của một sản phẩm đang bán.")),
)
def product_detail(request: HttpRequest, slug: str) -> Product:
    return product_for_page(slug)
