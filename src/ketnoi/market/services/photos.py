"""Product photos from a phone camera: checked, cleaned, resized, with hints for the seller.

An upload is accepted only when its *content* is a JPEG, PNG or WebP (never
SVG, whatever its name or type says), it is at most 15 MB (checked before
anything is decoded) and at most ~40 megapixels (decompression bombs are
refused from the header, before the pixels are decoded). The EXIF
orientation is applied, then every piece of metadata (EXIF, GPS, XMP, ICC)
is dropped, and the photo is stored as WebP in three widths — 320, 640 and
1280 px, never upscaled — through Django's storage.

Quality hints (too dark, blurry, too small, off-centre) are computed on a
small grey copy and shown to the seller right after the upload; the photo
is saved all the same.
"""

from __future__ import annotations

import io
import uuid
import warnings
from typing import IO, Any

import numpy as np
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from ketnoi.core.audit import audit_record
from ketnoi.core.errors import DomainError, NotFound
from ketnoi.core.text import nfc

from ..models import Product, ProductPhoto
from ..selectors import MAX_PHOTOS, seller_can_edit
from .catalogue import catalogue_changed

MAX_UPLOAD_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 40_000_000
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
WIDTHS = (("small", 320), ("medium", 640), ("large", 1280))
WEBP_QUALITY = {"small": 70, "medium": 75, "large": 78}

# Pillow warns between MAX_IMAGE_PIXELS and twice that and refuses above;
# with the limit set here both are refused (the warning is turned into an error).
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

# Hint thresholds, on a grey copy at most HINT_SIZE px on its long side.
HINT_SIZE = 512
DARK_MEAN = 60.0  # mean luminance 0–255
BLURRY_VARIANCE = 60.0  # variance of the Laplacian
SMALL_SHORT_SIDE = 600  # px, on the original
OFF_CENTRE = 0.22  # distance of the edges' centre of mass from the middle, as a share of the size

PHOTO_HINTS: dict[str, Promise] = {
    "dark": _("Ảnh hơi tối. Hãy chụp ở chỗ sáng, gần cửa sổ hoặc ngoài trời."),
    "blurry": _("Ảnh bị mờ. Hãy giữ chắc tay, chạm vào sản phẩm trên màn hình để lấy nét rồi chụp lại."),
    "small": _("Ảnh nhỏ quá. Hãy chụp bằng camera của điện thoại, không dùng ảnh đã thu nhỏ."),
    "off_centre": _("Sản phẩm bị lệch. Hãy để sản phẩm ở giữa khung hình."),
}


def photo_hint_messages(codes: list[str]) -> list[Promise]:
    """The plain-Vietnamese hints for the codes stored on a photo."""
    return [PHOTO_HINTS[code] for code in codes if code in PHOTO_HINTS]


def _size_of(uploaded_file: Any) -> int:
    size = getattr(uploaded_file, "size", None)
    if isinstance(size, int):
        return size
    stream: IO[bytes] = uploaded_file
    position = stream.tell()
    stream.seek(0, io.SEEK_END)
    end = stream.tell()
    stream.seek(position)
    return end


def _open_checked(uploaded_file: Any) -> Image.Image:
    """The image, header read and checked (format, pixel count), not yet decoded."""
    if _size_of(uploaded_file) > MAX_UPLOAD_BYTES:
        raise DomainError(
            _("Ảnh quá lớn (tối đa 15 MB). Hãy chụp lại ở cỡ bình thường."),
            code="photo_too_large",
            status=413,
        )
    uploaded_file.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(uploaded_file, formats=sorted(ACCEPTED_FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DomainError(
            _("Ảnh có quá nhiều điểm ảnh. Hãy chụp lại ở cỡ bình thường."), code="photo_too_many_pixels"
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise DomainError(
            _("Tệp này không phải ảnh JPEG, PNG hoặc WebP. Hãy chọn một ảnh chụp sản phẩm."),
            code="photo_not_image",
        ) from None
    if image.format not in ACCEPTED_FORMATS:  # belt and braces: open() was told the formats
        raise DomainError(
            _("Tệp này không phải ảnh JPEG, PNG hoặc WebP. Hãy chọn một ảnh chụp sản phẩm."),
            code="photo_not_image",
        )
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise DomainError(
            _("Ảnh có quá nhiều điểm ảnh. Hãy chụp lại ở cỡ bình thường."), code="photo_too_many_pixels"
        )
    if width < 1 or height < 1:
        raise DomainError(_("Ảnh bị hỏng. Hãy chọn ảnh khác."), code="photo_broken")
    return image


def _decoded_rgb(image: Image.Image) -> Image.Image:
    """The first frame, upright (EXIF orientation applied), in RGB, with no metadata attached."""
    # A JPEG can be decoded at 1/2, 1/4 or 1/8 scale for free; ask for at
    # least the largest width kept, so a 12 MP photo never fully decodes.
    image.draft("RGB", (WIDTHS[-1][1], WIDTHS[-1][1]))
    try:
        image.seek(0)
        image.load()
        upright = ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise DomainError(_("Ảnh bị hỏng. Hãy chọn ảnh khác."), code="photo_broken") from None
    if upright.mode in ("RGBA", "LA", "P", "PA"):
        rgba = upright.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        upright = background
    elif upright.mode != "RGB":
        upright = upright.convert("RGB")
    upright.info = {}
    return upright


def photo_quality_hints(image: Image.Image, *, original_size: tuple[int, int]) -> list[str]:
    """Codes of what could be better in this photo: ``dark``, ``blurry``, ``small``, ``off_centre``."""
    hints: list[str] = []
    grey = image.convert("L")
    grey.thumbnail((HINT_SIZE, HINT_SIZE), Image.Resampling.BILINEAR)
    a = np.asarray(grey, dtype=np.float32)
    if float(a.mean()) < DARK_MEAN:
        hints.append("dark")
    if a.shape[0] >= 3 and a.shape[1] >= 3:
        laplacian = a[:-2, 1:-1] + a[2:, 1:-1] + a[1:-1, :-2] + a[1:-1, 2:] - 4.0 * a[1:-1, 1:-1]
        if float(laplacian.var()) < BLURRY_VARIANCE:
            hints.append("blurry")
        edges = np.abs(laplacian)
        total = float(edges.sum())
        if total > 0:
            rows, cols = edges.shape
            cy = float((edges.sum(axis=1) * np.arange(rows)).sum()) / total / max(rows - 1, 1)
            cx = float((edges.sum(axis=0) * np.arange(cols)).sum()) / total / max(cols - 1, 1)
            if ((cx - 0.5) ** 2 + (cy - 0.5) ** 2) ** 0.5 > OFF_CENTRE:
                hints.append("off_centre")
    if min(original_size) < SMALL_SHORT_SIDE:
        hints.append("small")
    return hints


def photo_upload_hints(uploaded_file: Any) -> tuple[list[str], tuple[int, int]]:
    """The quality hint codes of an uploaded photo and its size, with the same checks as a product photo.

    Refused like a product photo (``DomainError``): too large, not an image,
    too many pixels, broken. The photo is not kept.
    """
    image = _open_checked(uploaded_file)
    original_size = image.size
    try:
        upright = _decoded_rgb(image)
    finally:
        image.close()
    try:
        return photo_quality_hints(upright, original_size=original_size), original_size
    finally:
        upright.close()


def _webp(image: Image.Image, width: int, quality: int) -> tuple[bytes, int, int]:
    if image.width > width:
        height = max(1, round(image.height * width / image.width))
        resized = image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    else:
        resized = image
    resized.info = {}
    buffer = io.BytesIO()
    resized.save(buffer, "WEBP", quality=quality, method=4)
    return buffer.getvalue(), resized.width, resized.height


def photo_add(actor: Any, product: Product, uploaded_file: Any, *, alt_text: str = "") -> ProductPhoto:
    """Check, clean and store one photo of ``product``; the saved photo carries its hint codes.

    ``actor`` must be the seller's leader or a member (``None``: the system,
    for demo data). Refuses (``DomainError``, nothing stored) a file over
    15 MB, anything that is not a JPEG/PNG/WebP by content, an image over
    ~40 MP, a broken image, and a ninth photo.
    """
    if actor is not None and not seller_can_edit(actor, product.seller):
        raise NotFound(_("Không tìm thấy sản phẩm này."), code="product_not_found")
    if product.photos.count() >= MAX_PHOTOS:
        raise DomainError(_("Mỗi sản phẩm có tối đa 8 ảnh."), code="photo_limit", status=409)
    image = _open_checked(uploaded_file)
    original_size = image.size
    try:
        upright = _decoded_rgb(image)
    finally:
        image.close()
    hints = photo_quality_hints(upright, original_size=original_size)
    encoded = {field: _webp(upright, width, WEBP_QUALITY[field]) for field, width in WIDTHS}
    upright.close()
    return _photo_store(actor, product, encoded, hints=hints, alt_text=alt_text)


@transaction.atomic
def _photo_store(
    actor: Any,
    product: Product,
    encoded: dict[str, tuple[bytes, int, int]],
    *,
    hints: list[str],
    alt_text: str,
) -> ProductPhoto:
    locked = Product.objects.select_for_update().get(pk=product.pk)
    existing = list(ProductPhoto.objects.filter(product=locked).values_list("position", flat=True))
    if len(existing) >= MAX_PHOTOS:
        raise DomainError(_("Mỗi sản phẩm có tối đa 8 ảnh."), code="photo_limit", status=409)
    photo = ProductPhoto(
        product=locked,
        position=max(existing, default=-1) + 1,
        alt_text=nfc(alt_text)[:200] or locked.name[:200],
        hints=hints,
    )
    stem = f"{locked.pk}-{uuid.uuid4().hex[:12]}"
    written: list[Any] = []
    try:
        for field, (data, width, _height) in encoded.items():
            file_field = getattr(photo, field)
            # The width is in the name: the page's srcset reads it (``selectors.photo_sources``).
            file_field.save(f"{stem}-{width}w.webp", ContentFile(data), save=False)
            written.append(file_field)
        _data, photo.small_width, photo.small_height = encoded["small"]
        photo.save()
    except BaseException:
        for file_field in written:
            file_field.storage.delete(file_field.name)
        raise
    audit_record(
        actor=actor,
        action="market.photo_add",
        target=locked,
        changes={"photo": (None, photo.pk), "hints": (None, hints)},
    )
    catalogue_changed()
    return photo


@transaction.atomic
def photo_remove(*, actor: Any, photo: ProductPhoto) -> None:
    """Delete a photo and its files; only the seller's leader or members may."""
    product = Product.objects.select_related("seller").get(pk=photo.product_id)
    if not seller_can_edit(actor, product.seller):
        raise NotFound(_("Không tìm thấy ảnh này."), code="photo_not_found")
    names = [photo.small.name, photo.medium.name, photo.large.name]
    storage = photo.small.storage
    photo_id = photo.pk
    photo.delete()
    audit_record(
        actor=actor, action="market.photo_remove", target=product, changes={"photo": (photo_id, None)}
    )
    catalogue_changed()

    def delete_files() -> None:
        for name in names:
            if name:
                storage.delete(name)

    transaction.on_commit(delete_files)
