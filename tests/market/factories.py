"""Shared builders for marketplace tests: sellers, products, photos and image files.

Every market test module imports from here (the catalogue owns it). Builders
write through the ORM for speed but keep derived fields (folded names, the
search text, slugs) exactly as the services would; tests of the services
themselves call the services.

    seller = SellerFactory(commune=commune_a)              # a cooperative, leader holds the seller role
    product = ProductFactory(seller=seller, stock=5)       # search text filled in
    photo = photo_build(product)                           # three WebP widths in storage

Builders retire the cached catalogue list (``catalogue_changed``) as the
services do. A test that changes a product with ``.save()`` and then opens
``/products/`` must call ``catalogue_changed()`` itself.
    data = image_bytes("JPEG", size=(1200, 900), gps=True) # a phone photo with GPS EXIF
"""

from __future__ import annotations

import io
import itertools

import factory
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from ketnoi.accounts.models import Role
from ketnoi.core.text import fold
from ketnoi.market.models import Category, Product, ProductPhoto, Seller
from ketnoi.market.services.catalogue import catalogue_changed, category_sync, product_search_text
from ketnoi.places.models import Commune
from tests.accounts.factories import user_with_role

_counter = itertools.count(1)


def default_commune() -> Commune:
    """Xã Mường Bú, Sơn La — the same place as the ``commune_a`` fixture."""
    return Commune.objects.select_related("province").get(name="Xã Mường Bú", province__codename="son_la")


def category_get(slug: str = "brocade-textiles") -> Category:
    """A category from market/data/categories.py, loading them all on first use."""
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        category_sync()
        category = Category.objects.get(slug=slug)
    return category


def seller_user(**user_fields):
    """A user holding the seller role."""
    return user_with_role(Role.SELLER, **user_fields)


class SellerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Seller
        skip_postgeneration_save = True

    kind = Seller.Kind.COOPERATIVE
    name = factory.Sequence(lambda n: f"HTX Nông sản Bản Lướt {n}")
    name_folded = factory.LazyAttribute(lambda o: fold(o.name)[:150])
    slug = factory.Sequence(lambda n: f"htx-nong-san-ban-luot-{n}")
    leader = factory.LazyFunction(seller_user)
    commune = factory.LazyFunction(default_commune)
    village = "Bản Lướt"
    story = "Chúng tôi là 25 chị em người Thái làm nghề theo cách của bà, mẹ."
    women_led = True
    ethnic_minority_led = True
    bank_bin = "970405"  # Agribank
    bank_account = "7100205123456"
    bank_account_name = "HTX NONG SAN BAN LUOT"
    pickup_line = "Bản Lướt"

    @factory.post_generation
    def members(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.members.add(*extracted)
        if create:
            catalogue_changed()  # as the services do: no cached catalogue page outlives it


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        skip_postgeneration_save = True

    seller = factory.SubFactory(SellerFactory)
    category = factory.LazyFunction(category_get)
    name = factory.Sequence(lambda n: f"Khăn dệt tay {n}")
    name_en = factory.Sequence(lambda n: f"Hand-woven scarf {n}")
    slug = factory.Sequence(lambda n: f"khan-det-tay-{n}")
    price_vnd = 250_000
    unit = "chiếc"
    stock = 10
    weight_g = 300
    story_who = "Chị Lò Thị Ơn và các chị em trong bản."
    story_how = "Dệt tay trên khung gỗ, mỗi chiếc mất ba ngày."
    story_from = "Sợi bông tự trồng, nhuộm chàm."
    story_meaning = "Hoa văn kể chuyện mùa lúa của người Thái."
    is_active = True

    @factory.post_generation
    def _search(obj, create, extracted, **kwargs):
        """Fill ``search_folded`` as ``product_create`` does."""
        if create:
            obj.search_folded = product_search_text(obj)
            Product.objects.filter(pk=obj.pk).update(search_folded=obj.search_folded)
            catalogue_changed()


# ---------------------------------------------------------------- image files


def image_bytes(
    fmt: str = "JPEG",
    *,
    size: tuple[int, int] = (1200, 900),
    color: tuple[int, int, int] = (180, 120, 60),
    gps: bool = False,
    orientation: int | None = None,
    pattern: bool = True,
) -> bytes:
    """An encoded image: a flat colour with a sharp-edged square in the middle.

    ``pattern`` draws the square (a sharp, centred subject, so no blurry or
    off-centre hint); ``gps`` adds an EXIF GPS block and a camera make, as
    a phone would; ``orientation`` sets the EXIF orientation tag.
    """
    image = Image.new("RGB", size, color)
    if pattern:
        w, h = size
        box = (w // 3, h // 3, 2 * w // 3, 2 * h // 3)
        image.paste((250, 250, 250), box)
        # a checker inside the square gives plenty of sharp edges
        step = max(4, min(w, h) // 40)
        for x in range(box[0], box[2], 2 * step):
            for y in range(box[1], box[3], 2 * step):
                image.paste((20, 20, 20), (x, y, min(x + step, box[2]), min(y + step, box[3])))
    buffer = io.BytesIO()
    save_kwargs: dict = {}
    if fmt in {"JPEG", "WEBP", "PNG"} and (gps or orientation):
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        if orientation:
            exif[0x0112] = orientation
        if gps:
            exif[0x8825] = {  # GPSInfo IFD
                1: "N",
                2: (21.0, 19.0, 30.0),
                3: "E",
                4: (103.0, 54.0, 12.0),
            }
        save_kwargs["exif"] = exif
    image.save(buffer, fmt, **save_kwargs)
    return buffer.getvalue()


def uploaded(data: bytes, name: str = "anh.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    """``data`` as a browser upload."""
    return SimpleUploadedFile(name, data, content_type=content_type)


def photo_build(
    product: Product, *, position: int | None = None, alt_text: str = "", hints=None
) -> ProductPhoto:
    """A stored photo of ``product`` in three small WebP widths, without the upload checks.

    Use ``photo_add`` when the test is about uploading.
    """
    if position is None:
        position = product.photos.count()
    photo = ProductPhoto(
        product=product, position=position, alt_text=alt_text or product.name, hints=hints or []
    )
    n = next(_counter)
    for field, width in (("small", 320), ("medium", 640), ("large", 1280)):
        buffer = io.BytesIO()
        Image.new("RGB", (width, width * 3 // 4), (120, 90, 60)).save(buffer, "WEBP", quality=40)
        getattr(photo, field).save(
            f"p{product.pk}-{n}-{width}w.webp", ContentFile(buffer.getvalue()), save=False
        )
    photo.small_width, photo.small_height = 320, 240
    photo.save()
    catalogue_changed()
    return photo
