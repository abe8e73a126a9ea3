"""Product photos: only real JPEG/PNG/WebP, no metadata kept, three WebP widths, hints for the seller."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from PIL import Image, ImageFilter

from ketnoi.core.errors import DomainError, NotFound
from ketnoi.core.models import AuditEntry
from ketnoi.market.models import ProductPhoto
from ketnoi.market.services.photos import MAX_UPLOAD_BYTES, photo_add, photo_hint_messages, photo_remove

from .factories import ProductFactory, SellerFactory, image_bytes, seller_user, uploaded

pytestmark = pytest.mark.django_db

SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script></svg>"
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    """Each test stores its photos in its own folder, so it can see every file written."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def product(commune_a):
    return ProductFactory(seller=SellerFactory(commune=commune_a))


def _stored_files(media: Path) -> list[Path]:
    return sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []


def _open(field) -> Image.Image:
    field.open("rb")
    try:
        return Image.open(io.BytesIO(field.read()))
    finally:
        field.close()


def _refused(product, upload, code: str, media: Path) -> DomainError:
    with pytest.raises(DomainError) as caught:
        photo_add(product.seller.leader, product, upload)
    assert caught.value.code == code
    assert not ProductPhoto.objects.exists()
    assert _stored_files(media) == []
    assert str(caught.value)  # a message she can read
    return caught.value


# ------------------------------------------------------------ what is stored


def test_a_phone_photo_is_stored_as_webp_in_three_widths(product):
    # when the seller uploads a 2000 × 1500 JPEG
    photo = photo_add(product.seller.leader, product, uploaded(image_bytes("JPEG", size=(2000, 1500))))
    # then three WebP copies are stored, 320, 640 and 1280 px wide, in proportion
    sizes = {}
    for field in (photo.small, photo.medium, photo.large):
        image = _open(field)
        assert image.format == "WEBP"
        sizes[field.field.name] = image.size
    assert sizes == {"small": (320, 240), "medium": (640, 480), "large": (1280, 960)}
    assert (photo.small_width, photo.small_height) == (320, 240)
    assert photo.position == 0 and photo.alt_text == product.name
    assert AuditEntry.objects.filter(action="market.photo_add", object_id=str(product.pk)).exists()


def test_gps_and_all_exif_are_removed(product):
    # given a phone photo that carries GPS coordinates and the camera's make
    data = image_bytes("JPEG", size=(1600, 1200), gps=True)
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)  # the test photo really has GPS
    # when it is uploaded
    photo = photo_add(product.seller.leader, product, uploaded(data))
    # then no stored copy has any EXIF (no GPS, no make) or other metadata
    for field in (photo.small, photo.medium, photo.large):
        image = _open(field)
        assert dict(image.getexif()) == {}
        assert not {"exif", "xmp", "icc_profile"} & set(image.info)
        field.open("rb")
        raw = field.read()
        field.close()
        assert b"Exif" not in raw and b"PhoneMaker" not in raw


def test_the_exif_orientation_is_applied_before_it_is_dropped(product):
    # given a portrait photo saved sideways with "rotate 90°" in its EXIF (as phones do)
    data = image_bytes("JPEG", size=(1200, 900), orientation=6)
    # when it is uploaded
    photo = photo_add(product.seller.leader, product, uploaded(data))
    # then the stored copies stand upright
    assert _open(photo.large).size == (900, 1200)
    assert (photo.small_width, photo.small_height) == (320, 427)


def test_a_small_photo_is_never_upscaled_and_gets_the_small_hint(product):
    photo = photo_add(
        product.seller.leader, product, uploaded(image_bytes("PNG", size=(500, 400)), "a.png", "image/png")
    )
    assert _open(photo.small).size == (320, 256)
    assert _open(photo.medium).size == (500, 400)
    assert _open(photo.large).size == (500, 400)
    assert "small" in photo.hints


@pytest.mark.parametrize(
    ("fmt", "name", "content_type"), [("PNG", "a.png", "image/png"), ("WEBP", "a.webp", "image/webp")]
)
def test_png_and_webp_are_accepted(product, fmt, name, content_type):
    photo = photo_add(
        product.seller.leader, product, uploaded(image_bytes(fmt, size=(900, 900)), name, content_type)
    )
    assert _open(photo.medium).format == "WEBP"


def test_a_transparent_png_gets_a_white_background(product):
    image = Image.new("RGBA", (800, 800), (0, 0, 0, 0))
    image.paste((200, 30, 30, 255), (200, 200, 600, 600))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    photo = photo_add(product.seller.leader, product, uploaded(buffer.getvalue(), "a.png", "image/png"))
    small = _open(photo.small).convert("RGB")
    assert small.getpixel((2, 2)) == pytest.approx((255, 255, 255), abs=6)


def test_a_file_named_and_typed_wrongly_is_judged_by_its_content(product):
    # a PNG sent as "anh.jpg", image/jpeg: accepted, it is an image
    photo = photo_add(product.seller.leader, product, uploaded(image_bytes("PNG", size=(700, 700))))
    assert photo.pk is not None


# -------------------------------------------------------------- what is refused


def test_an_svg_is_refused(product, media):
    _refused(product, uploaded(SVG, "anh.svg", "image/svg+xml"), "photo_not_image", media)


def test_an_svg_disguised_as_a_jpeg_is_refused(product, media):
    _refused(product, uploaded(SVG, "anh.jpg", "image/jpeg"), "photo_not_image", media)


@pytest.mark.parametrize(
    "data",
    [b"Day khong phai la anh", b"%PDF-1.4\n%...", b"\xff\xd8\xff\xe0broken jpeg", b""],
    ids=["text", "pdf", "broken-jpeg-header", "empty"],
)
def test_a_non_image_is_refused(product, media, data):
    error = _refused(product, uploaded(data), "photo_not_image", media)
    assert "JPEG" in str(error)


def test_a_gif_is_refused(product, media):
    buffer = io.BytesIO()
    Image.new("RGB", (700, 700), (10, 200, 10)).save(buffer, "GIF")
    _refused(product, uploaded(buffer.getvalue(), "a.gif", "image/gif"), "photo_not_image", media)


def test_a_60_mb_photo_is_refused_before_it_is_decoded(product, media):
    # given an upload that reports 60 MB (its bytes are a valid photo: if it were
    # decoded it would be accepted, so a refusal proves the size came first)
    upload = uploaded(image_bytes("JPEG", size=(800, 600)))
    upload.size = 60 * 1024 * 1024
    error = _refused(product, upload, "photo_too_large", media)
    assert error.status == 413


def test_a_file_just_over_15_mb_on_disk_is_refused(product, media):
    # a real temporary file (as Django keeps big uploads), sparse: no 15 MB in memory
    upload = TemporaryUploadedFile("big.jpg", "image/jpeg", 0, None)
    upload.write(image_bytes("JPEG", size=(800, 600)))
    upload.seek(MAX_UPLOAD_BYTES)
    upload.write(b"\0")
    upload.size = upload.tell()
    upload.seek(0)
    _refused(product, upload, "photo_too_large", media)


def test_a_file_like_object_without_a_size_is_measured(product, media):
    # a plain file object: its size comes from seeking to the end, not from reading it
    with tempfile.TemporaryFile() as handle:
        handle.seek(MAX_UPLOAD_BYTES + 10)
        handle.write(b"\0")
        handle.seek(0)
        _refused(product, handle, "photo_too_large", media)


@pytest.mark.parametrize("side", [9_000, 7_000], ids=["81-megapixels", "49-megapixels"])
def test_a_decompression_bomb_is_refused(product, media, side):
    # given a tiny file that claims a huge picture (1-bit PNG compresses to almost nothing)
    buffer = io.BytesIO()
    Image.new("1", (side, side), 0).save(buffer, "PNG")
    assert len(buffer.getvalue()) < MAX_UPLOAD_BYTES
    _refused(product, uploaded(buffer.getvalue(), "bomb.png", "image/png"), "photo_too_many_pixels", media)


def test_a_ninth_photo_is_refused(product, media):
    for _ in range(8):
        photo_add(product.seller.leader, product, uploaded(image_bytes("JPEG", size=(640, 480))))
    with pytest.raises(DomainError) as caught:
        photo_add(product.seller.leader, product, uploaded(image_bytes("JPEG", size=(640, 480))))
    assert caught.value.code == "photo_limit"
    assert product.photos.count() == 8
    assert len(_stored_files(media)) == 8 * 3


def test_only_the_sellers_people_may_add_or_remove_photos(product, media):
    stranger = seller_user()
    with pytest.raises(NotFound):
        photo_add(stranger, product, uploaded(image_bytes("JPEG", size=(640, 480))))
    assert _stored_files(media) == []
    photo = photo_add(product.seller.leader, product, uploaded(image_bytes("JPEG", size=(640, 480))))
    with pytest.raises(NotFound):
        photo_remove(actor=stranger, photo=photo)
    assert ProductPhoto.objects.filter(pk=photo.pk).exists()


def test_removing_a_photo_deletes_its_files(product, media, django_capture_on_commit_callbacks):
    photo = photo_add(product.seller.leader, product, uploaded(image_bytes("JPEG", size=(640, 480))))
    assert len(_stored_files(media)) == 3
    with django_capture_on_commit_callbacks(execute=True):
        photo_remove(actor=product.seller.leader, photo=photo)
    assert not ProductPhoto.objects.exists()
    assert _stored_files(media) == []


# ------------------------------------------------------------------ the hints


def _hints_for(product, data: bytes) -> list[str]:
    return photo_add(product.seller.leader, product, uploaded(data)).hints


def test_a_sharp_bright_centred_photo_gets_no_hint(product):
    assert _hints_for(product, image_bytes("JPEG", size=(1600, 1200))) == []


def test_a_dark_photo_gets_the_dark_hint(product):
    hints = _hints_for(product, image_bytes("JPEG", size=(1600, 1200), color=(25, 20, 15)))
    assert "dark" in hints
    assert "Ảnh hơi tối" in str(photo_hint_messages(hints)[0])


def test_a_blurry_photo_gets_the_blurry_hint(product):
    sharp = Image.open(io.BytesIO(image_bytes("JPEG", size=(1600, 1200))))
    buffer = io.BytesIO()
    sharp.filter(ImageFilter.GaussianBlur(12)).save(buffer, "JPEG")
    hints = _hints_for(product, buffer.getvalue())
    assert "blurry" in hints and "dark" not in hints
    assert any("mờ" in str(m) for m in photo_hint_messages(hints))


def test_a_subject_in_the_corner_gets_the_off_centre_hint(product):
    image = Image.new("RGB", (1600, 1200), (200, 170, 120))
    for x in range(1200, 1560, 24):
        for y in range(860, 1180, 24):
            image.paste((20, 20, 20), (x, y, x + 12, y + 12))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    assert "off_centre" in _hints_for(product, buffer.getvalue())


def test_a_photo_with_hints_is_still_saved(product):
    photo = photo_add(
        product.seller.leader,
        product,
        uploaded(image_bytes("JPEG", size=(400, 300), color=(10, 10, 10), pattern=False)),
    )
    assert set(photo.hints) >= {"dark", "small"}
    assert ProductPhoto.objects.filter(pk=photo.pk).exists()


def test_an_upload_object_from_django_works_too(product):
    upload = SimpleUploadedFile("a.webp", image_bytes("WEBP", size=(700, 700)), content_type="image/webp")
    assert photo_add(product.seller.leader, product, upload).pk
