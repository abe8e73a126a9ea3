"""The seller's own pages: profile, listing a product from a phone, photos with hints, and nobody else's."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ketnoi.accounts.models import Role
from ketnoi.market.models import Product, ProductPhoto, Seller
from tests.accounts.factories import user_with_role

from .factories import (
    ProductFactory,
    SellerFactory,
    category_get,
    image_bytes,
    photo_build,
    seller_user,
    uploaded,
)

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def seller(commune_a):
    return SellerFactory(commune=commune_a, name="HTX Dệt Bản Lướt")


def _product_form(**changes) -> dict:
    data = {
        "name": "Khăn thổ cẩm Thái",
        "category": category_get("brocade-textiles").pk,
        "price_vnd": "350.000",
        "unit": "chiếc",
        "stock": "5",
        "weight_g": "300",
        "story_who": "Chị Lò Thị Ơn",
        "story_how": "Dệt tay ba ngày",
        "story_from": "Sợi bông nhuộm chàm",
        "story_meaning": "Hoa văn mùa lúa",
        "ocop_stars": "",
        "ocop_year": "",
        "name_en": "",
        "story_en": "",
    }
    data.update(changes)
    return data


# ------------------------------------------------------------ getting in


def test_a_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("market:sell_home"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_buyer_is_told_the_page_is_for_sellers(client):
    client.force_login(user_with_role(Role.BUYER))
    response = client.get(reverse("market:sell_home"))
    assert response.status_code == 403 and "dành cho người bán" in response.content.decode()


def test_a_new_seller_is_asked_for_her_profile_then_registers(client, commune_a):
    # given a woman with the seller role and no group yet
    user = seller_user()
    client.force_login(user)
    response = client.get(reverse("market:sell_home"))
    assert response.status_code == 302 and response["Location"] == reverse("market:sell_profile_new")
    page = client.get(reverse("market:sell_profile_new"))
    assert "Nhận tiền chuyển khoản (VietQR)" in page.content.decode()
    # when she fills in her group and picks her commune
    response = client.post(
        reverse("market:sell_profile_new"),
        {
            "kind": "cooperative",
            "name": "HTX Thổ cẩm Mường Bú",
            "commune": commune_a.code,
            "village": "Bản Lướt",
            "bank_bin": "970405",
            "bank_account": "7100 205 123 456",
            "women_led": "on",
        },
    )
    # then her seller exists, led by her, and she goes on to list a product
    seller = Seller.objects.get()
    assert (seller.leader, seller.commune, seller.women_led, seller.verified) == (
        user,
        commune_a,
        True,
        False,
    )
    assert response["Location"] == reverse("market:sell_product_new", args=[seller.slug])


def test_a_bad_bank_account_in_the_profile_is_shown_and_nothing_saved(client, commune_a):
    client.force_login(seller_user())
    response = client.post(
        reverse("market:sell_profile_new"),
        {
            "kind": "individual",
            "name": "Chị Ơn",
            "commune": commune_a.code,
            "bank_bin": "970405",
            "bank_account": "12",
        },
    )
    assert response.status_code == 400
    assert "Số tài khoản gồm 6 đến 19 chữ số." in response.content.decode()
    assert not Seller.objects.exists()


def test_the_profile_needs_a_commune(client):
    client.force_login(seller_user())
    response = client.post(reverse("market:sell_profile_new"), {"kind": "individual", "name": "Chị Ơn"})
    assert response.status_code == 400 and "Hãy chọn xã/phường." in response.content.decode()


# ------------------------------------------------------- listing a product


def test_a_seller_lists_a_product_in_one_form_then_adds_a_photo_and_sees_hints(client, seller):
    client.force_login(seller.leader)
    # the form asks the guided story questions
    page = client.get(reverse("market:sell_product_new", args=[seller.slug])).content.decode()
    for question in (
        "Ai làm ra sản phẩm?",
        "Làm như thế nào?",
        "Làm từ nguyên liệu gì?",
        "ý nghĩa gì với bản làng?",
    ):
        assert question in page
    # when she saves the form, with the price typed the Vietnamese way
    response = client.post(reverse("market:sell_product_new", args=[seller.slug]), _product_form())
    product = Product.objects.get()
    assert (product.name, product.price_vnd, product.stock, product.seller) == (
        "Khăn thổ cẩm Thái",
        350_000,
        5,
        seller,
    )
    assert response["Location"] == reverse("market:sell_product_photos", args=[product.slug])
    # and uploads a dark photo from the phone's camera
    dark = uploaded(image_bytes("JPEG", size=(1600, 1200), color=(20, 15, 10)))
    response = client.post(
        reverse("market:sell_product_photos", args=[product.slug]), {"photo": dark}, follow=True
    )
    # then the photo is saved and the hint shows right away, in plain Vietnamese
    html = response.content.decode()
    assert ProductPhoto.objects.filter(product=product).count() == 1
    assert 'data-testid="photo-hints"' in html and "Ảnh hơi tối" in html
    # and the product is in the catalogue with its photo
    catalogue = client.get(reverse("market:product_list"), {"q": "tho cam"}).content.decode()
    assert "Khăn thổ cẩm Thái" in catalogue and product.photos.get().small.url in catalogue


def test_a_good_photo_is_praised(client, seller):
    product = ProductFactory(seller=seller)
    client.force_login(seller.leader)
    response = client.post(
        reverse("market:sell_product_photos", args=[product.slug]),
        {"photo": uploaded(image_bytes("JPEG", size=(1600, 1200)))},
        follow=True,
    )
    html = response.content.decode()
    assert "Ảnh rõ và sáng, tốt lắm!" in html and 'data-testid="photo-hints"' not in html


@pytest.mark.parametrize(
    ("upload", "message", "status"),
    [
        (
            uploaded(b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "a.svg", "image/svg+xml"),
            "không phải ảnh JPEG, PNG hoặc WebP",
            400,
        ),
        (uploaded(b"hello", "a.txt", "text/plain"), "không phải ảnh JPEG, PNG hoặc WebP", 400),
    ],
    ids=["svg", "text"],
)
def test_a_refused_upload_says_why_and_saves_nothing(client, seller, upload, message, status):
    product = ProductFactory(seller=seller)
    client.force_login(seller.leader)
    response = client.post(reverse("market:sell_product_photos", args=[product.slug]), {"photo": upload})
    assert response.status_code == status
    assert message in response.content.decode()
    assert not ProductPhoto.objects.exists()


def test_a_photo_over_15_mb_is_refused_by_the_form():
    upload = uploaded(image_bytes("JPEG", size=(640, 480)))
    upload.size = 60 * 1024 * 1024
    from ketnoi.market.forms_catalogue import PhotoForm

    form = PhotoForm(data={}, files={"photo": upload})
    assert not form.is_valid() and "tối đa 15 MB" in str(form.errors["photo"])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"price_vnd": "0"}, "Giá phải lớn hơn 0 đồng."),
        ({"price_vnd": "-5000"}, "không hợp lệ"),
        ({"price_vnd": "abc"}, "không hợp lệ"),
        ({"stock": "-1"}, "Số lượng trong kho không được âm."),
        ({"weight_g": "0"}, "Khối lượng phải lớn hơn 0 gam."),
        ({"ocop_stars": "4", "ocop_year": ""}, "Hãy nhập năm được chứng nhận OCOP."),
        ({"ocop_stars": "4", "ocop_year": "2017"}, "Năm chứng nhận OCOP từ 2018 đến năm nay."),
        ({"ocop_stars": "4", "ocop_year": "2999"}, "Năm chứng nhận OCOP từ 2018 đến năm nay."),
        ({"ocop_stars": "", "ocop_year": "2022"}, "Hãy chọn số sao OCOP, hoặc xoá năm chứng nhận."),
        ({"name": ""}, "bắt buộc"),
    ],
)
def test_bad_product_input_is_explained_and_nothing_saved(client, seller, changes, message):
    client.force_login(seller.leader)
    response = client.post(reverse("market:sell_product_new", args=[seller.slug]), _product_form(**changes))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Có chỗ chưa đúng" in html and message in html
    assert not Product.objects.exists()


def test_a_seller_edits_her_product_and_can_hide_it(client, seller):
    product = ProductFactory(seller=seller, name="Khăn cũ")
    client.force_login(seller.leader)
    page = client.get(reverse("market:sell_product_edit", args=[product.slug])).content.decode()
    assert 'value="Khăn cũ"' in page
    response = client.post(
        reverse("market:sell_product_edit", args=[product.slug]),
        _product_form(name="Khăn mới", price_vnd="400000"),
    )  # is_active left unticked: hidden
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.name, product.price_vnd, product.is_active) == ("Khăn mới", 400_000, False)
    assert client.get(reverse("market:product_detail", args=[product.slug])).status_code == 404
    home = client.get(reverse("market:sell_home")).content.decode()
    assert "Khăn mới" in home and "Đang ẩn" in home


def test_script_typed_by_a_seller_is_shown_as_text_on_her_pages(client, seller):
    client.force_login(seller.leader)
    client.post(
        reverse("market:sell_product_new", args=[seller.slug]),
        _product_form(name=f"Khăn {XSS}", story_who=XSS),
    )
    product = Product.objects.get()
    assert product.name == f"Khăn {XSS}"  # stored as typed
    for url in (
        reverse("market:sell_home"),
        reverse("market:sell_product_edit", args=[product.slug]),
        reverse("market:sell_product_photos", args=[product.slug]),
        reverse("market:product_detail", args=[product.slug]),
    ):
        html = client.get(url).content.decode()
        assert XSS not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# ------------------------------------------------------- nobody else's


@pytest.mark.parametrize("who", ["another_seller", "an_officer", "a_buyer"])
def test_someone_elses_product_is_not_found(client, seller, commune_a, who):
    product = ProductFactory(seller=seller, name="Khăn của chị Ơn", price_vnd=250_000)
    photo = photo_build(product)
    user = {
        "another_seller": lambda: SellerFactory(commune=commune_a).leader,
        "an_officer": lambda: user_with_role(Role.COMMUNE_OFFICER, commune=commune_a),
        "a_buyer": lambda: user_with_role(Role.BUYER),
    }[who]()
    client.force_login(user)
    slug = product.slug
    assert client.get(reverse("market:sell_product_edit", args=[slug])).status_code == 404
    assert (
        client.post(
            reverse("market:sell_product_edit", args=[slug]), _product_form(price_vnd="1")
        ).status_code
        == 404
    )
    assert client.get(reverse("market:sell_product_photos", args=[slug])).status_code == 404
    upload = uploaded(image_bytes("JPEG", size=(640, 480)))
    assert (
        client.post(reverse("market:sell_product_photos", args=[slug]), {"photo": upload}).status_code == 404
    )
    assert client.post(reverse("market:sell_photo_delete", args=[slug, photo.pk])).status_code == 404
    assert client.get(reverse("market:sell_product_new", args=[seller.slug])).status_code == 404
    assert client.get(reverse("market:sell_profile_edit", args=[seller.slug])).status_code == 404
    product.refresh_from_db()
    assert (product.name, product.price_vnd, product.photos.count()) == ("Khăn của chị Ơn", 250_000, 1)


def test_a_member_of_the_group_may_edit_its_products(client, seller):
    member = seller_user()
    seller.members.add(member)
    product = ProductFactory(seller=seller)
    client.force_login(member)
    response = client.post(
        reverse("market:sell_product_edit", args=[product.slug]), _product_form(is_active="on")
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.name == "Khăn thổ cẩm Thái"


def test_a_photo_id_of_another_product_is_not_found(client, seller):
    mine = ProductFactory(seller=seller)
    theirs = photo_build(ProductFactory(seller=SellerFactory(commune=seller.commune)))
    client.force_login(seller.leader)
    assert client.post(reverse("market:sell_photo_delete", args=[mine.slug, theirs.pk])).status_code == 404
    assert ProductPhoto.objects.filter(pk=theirs.pk).exists()


def test_a_seller_deletes_her_photo(client, seller):
    product = ProductFactory(seller=seller)
    photo = photo_build(product)
    client.force_login(seller.leader)
    response = client.post(reverse("market:sell_photo_delete", args=[product.slug, photo.pk]), follow=True)
    assert "Đã xoá ảnh." in response.content.decode()
    assert not ProductPhoto.objects.exists()


def test_the_sell_pages_are_light(client, seller):
    import gzip

    for _ in range(10):
        photo_build(ProductFactory(seller=seller))
    client.force_login(seller.leader)
    for url in (reverse("market:sell_home"), reverse("market:sell_product_new", args=[seller.slug])):
        assert len(gzip.compress(client.get(url).content)) < 50 * 1024
