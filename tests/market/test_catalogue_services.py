"""Sellers and products through the services: validation, the programme's badge, search text, audit."""

from __future__ import annotations

import unicodedata

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketnoi.accounts.models import Role
from ketnoi.core.errors import DomainError, NotFound, PermissionDenied
from ketnoi.core.models import AuditEntry
from ketnoi.market.data import BANKS
from ketnoi.market.models import Category, Product, Seller
from ketnoi.market.selectors import product_search
from ketnoi.market.services.catalogue import (
    category_sync,
    product_create,
    product_update,
    seller_create,
    seller_member_add,
    seller_update,
    seller_verify,
)
from tests.accounts.factories import user_with_role

from .factories import ProductFactory, SellerFactory, category_get, seller_user

pytestmark = pytest.mark.django_db


def _new_seller(commune, **fields):
    leader = seller_user()
    return seller_create(
        actor=leader,
        leader=leader,
        name="HTX Thổ cẩm Bản Lướt",
        kind=Seller.Kind.COOPERATIVE,
        commune=commune,
        **fields,
    )


def _new_product(seller, **fields):
    values = {
        "name": "Miến tỏi đen",
        "category": category_get("food"),
        "price_vnd": 85_000,
        "unit": "gói 500 g",
        "weight_g": 550,
        "stock": 20,
    }
    values.update(fields)
    return product_create(actor=seller.leader, seller=seller, **values)


# ------------------------------------------------------------------ categories


def test_categories_load_from_data_once_with_both_names():
    # when the categories are loaded twice
    category_sync()
    category_sync()
    # then each is there once, with its Vietnamese and English names
    honey = Category.objects.get(slug="honey")
    assert (honey.name, honey.name_en) == ("Mật ong", "Honey")
    assert Category.objects.filter(slug="honey").count() == 1
    assert {"brocade-textiles", "food", "tea-coffee", "liquor", "handicrafts", "herbs-medicinal"} <= set(
        Category.objects.values_list("slug", flat=True)
    )


def test_the_bank_list_holds_the_documented_bins():
    bins = {bin_ for bin_, _short, _full in BANKS}
    assert {"970436", "970415", "970418", "970405", "970407", "970422", "970416", "970446"} <= bins
    assert all(len(b) == 6 and b.isdigit() for b in bins)


# --------------------------------------------------------------------- sellers


def test_a_seller_gets_a_slug_from_her_folded_name(commune_a):
    # when two groups with the same name register
    first = _new_seller(commune_a, bank_bin="970405", bank_account="7100 2051 23456")
    second = _new_seller(commune_a)
    # then the slugs are ASCII and distinct; the account is kept as digits; no badge yet
    assert first.slug == "htx-tho-cam-ban-luot"
    assert second.slug == "htx-tho-cam-ban-luot-2"
    assert first.bank_account == "7100205123456"
    assert first.verified is False
    assert AuditEntry.objects.filter(action="market.seller_create", object_id=str(first.pk)).exists()


def test_the_leader_must_hold_the_seller_role(commune_a):
    buyer = user_with_role(Role.BUYER)
    with pytest.raises(DomainError):
        seller_create(actor=buyer, leader=buyer, name="Nhóm chị Ơn", kind="individual", commune=commune_a)
    assert not Seller.objects.exists()


@pytest.mark.parametrize(
    ("bank_bin", "account", "field"),
    [
        ("123456", "7100205123456", "bank_bin"),  # not a bank in the list
        ("970405", "12345", "bank_account"),  # too short
        ("970405", "12345678901234567890", "bank_account"),  # 20 digits
        ("970405", "71002ABC", "bank_account"),
        ("", "7100205123456", "bank_bin"),  # account without a bank
    ],
)
def test_a_bad_bank_account_is_refused_and_nothing_saved(commune_a, bank_bin, account, field):
    with pytest.raises(ValidationError) as caught:
        _new_seller(commune_a, bank_bin=bank_bin, bank_account=account)
    assert field in caught.value.message_dict
    assert not Seller.objects.exists()


def test_seller_update_refreshes_her_products_search_text(commune_a, commune_b):
    # given a seller with a product
    seller = SellerFactory(commune=commune_a, name="HTX Mật ong Bắc Hà")
    product = ProductFactory(seller=seller, name="Mật ong bạc hà")
    # when she renames the group and moves
    seller_update(actor=seller.leader, seller=seller, name="HTX Hoa Ban", commune=commune_b)
    # then the product is found by the new name and place, not the old ones
    product.refresh_from_db()
    assert "htx hoa ban" in product.search_folded
    assert "lao cai" in product.search_folded
    assert "son la" not in product.search_folded


def test_only_her_leader_or_members_may_update_a_seller(commune_a):
    seller = SellerFactory(commune=commune_a)
    stranger = seller_user()
    with pytest.raises(NotFound):
        seller_update(actor=stranger, seller=seller, name="Bị đổi tên")
    member = seller_user()
    seller_member_add(actor=seller.leader, seller=seller, member=member)
    seller_update(actor=member, seller=seller, village="Bản Mới")
    seller.refresh_from_db()
    assert (seller.name.startswith("HTX"), seller.village) == (True, "Bản Mới")


# --------------------------------------------------------------- the badge


@pytest.mark.parametrize(
    "officer_role",
    ["commune_officer_a", "programme_officer_of_province", "administrator"],
)
def test_a_covering_officer_grants_and_withdraws_the_badge(commune_a, officer_role):
    # given an unverified seller in commune A and an officer who covers it
    seller = SellerFactory(commune=commune_a)
    officer = {
        "commune_officer_a": lambda: user_with_role(Role.COMMUNE_OFFICER, commune=commune_a),
        "programme_officer_of_province": lambda: user_with_role(
            Role.PROGRAMME_OFFICER, province=commune_a.province
        ),
        "administrator": lambda: user_with_role(Role.ADMINISTRATOR),
    }[officer_role]()
    # when she verifies the seller
    seller_verify(officer, seller)
    # then the badge is on, signed and recorded
    seller.refresh_from_db()
    assert seller.verified and seller.verified_by == officer and seller.verified_at is not None
    assert AuditEntry.objects.filter(action="market.seller_verify", object_id=str(seller.pk)).count() == 1
    # and she can withdraw it
    seller_verify(officer, seller, verified=False, reason="Không còn sản xuất")
    seller.refresh_from_db()
    assert not seller.verified and seller.verified_by is None
    assert AuditEntry.objects.get(action="market.seller_unverify").reason == "Không còn sản xuất"


@pytest.mark.parametrize(
    "who", ["officer_of_commune_b", "programme_officer_elsewhere", "the_seller", "a_buyer"]
)
def test_nobody_else_can_grant_the_badge(commune_a, commune_b, who):
    seller = SellerFactory(commune=commune_a)
    actor = {
        "officer_of_commune_b": lambda: user_with_role(Role.COMMUNE_OFFICER, commune=commune_b),
        "programme_officer_elsewhere": lambda: user_with_role(
            Role.PROGRAMME_OFFICER, province=commune_b.province
        ),
        "the_seller": lambda: seller.leader,
        "a_buyer": lambda: user_with_role(Role.BUYER),
    }[who]()
    with pytest.raises(PermissionDenied):
        seller_verify(actor, seller)
    seller.refresh_from_db()
    assert seller.verified is False
    assert not AuditEntry.objects.filter(action="market.seller_verify").exists()


def test_seller_update_cannot_set_the_badge(commune_a):
    seller = SellerFactory(commune=commune_a)
    with pytest.raises(TypeError):
        seller_update(actor=seller.leader, seller=seller, verified=True)
    seller.refresh_from_db()
    assert seller.verified is False


# -------------------------------------------------------------------- products


def test_a_product_is_stored_in_nfc_with_its_search_text(commune_a):
    # given a seller, and a name typed in decomposed form (as some keyboards send it)
    seller = SellerFactory(commune=commune_a, name="HTX Nông sản Mường Bú")
    decomposed = unicodedata.normalize("NFD", "Miến tỏi đen")
    # when she lists it
    product = _new_product(seller, name=decomposed, story_how=unicodedata.normalize("NFD", "Ủ tỏi 60 ngày"))
    # then it is stored in NFC and searchable by its folded words, names first
    product.refresh_from_db()
    assert product.name == "Miến tỏi đen" and unicodedata.is_normalized("NFC", product.story_how)
    assert product.slug == "mien-toi-den"
    assert product.search_folded.startswith("# mien toi den |")
    assert "u toi 60 ngay" in product.search_folded
    assert list(product_search("mien")) == [product]  # the first word too
    assert "htx nong san muong bu" in product.search_folded and "son la" in product.search_folded
    assert AuditEntry.objects.filter(action="market.product_create", object_id=str(product.pk)).exists()


def test_html_in_a_product_is_stored_as_typed(commune_a):
    seller = SellerFactory(commune=commune_a)
    product = _new_product(seller, name="<b>Mật ong</b>", story_who="<script>alert('x')</script>")
    product.refresh_from_db()
    assert product.name == "<b>Mật ong</b>"
    assert product.story_who == "<script>alert('x')</script>"


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"price_vnd": 0}, "price_vnd"),
        ({"price_vnd": -5000}, "price_vnd"),
        ({"stock": -1}, "stock"),
        ({"weight_g": 0}, "weight_g"),
        ({"ocop_stars": 4}, "ocop_year"),  # stars without a year
        ({"ocop_stars": 2, "ocop_year": 2022}, "ocop_stars"),
        ({"ocop_stars": 6, "ocop_year": 2022}, "ocop_stars"),
        ({"ocop_year": 2022}, "ocop_stars"),  # a year without stars
        ({"ocop_stars": 3, "ocop_year": 2017}, "ocop_year"),  # before the programme
        ({"ocop_stars": 3, "ocop_year": timezone.localdate().year + 1}, "ocop_year"),  # the future
        ({"name": ""}, "name"),
        ({"unit": "x" * 31}, "unit"),
    ],
)
def test_bad_product_values_are_refused_and_nothing_is_saved(commune_a, fields, error_field):
    seller = SellerFactory(commune=commune_a)
    with pytest.raises(ValidationError) as caught:
        _new_product(seller, **fields)
    assert error_field in caught.value.message_dict
    assert not Product.objects.exists()
    assert not AuditEntry.objects.filter(action="market.product_create").exists()


def test_ocop_stars_with_a_valid_year_are_kept(commune_a):
    seller = SellerFactory(commune=commune_a)
    product = _new_product(seller, ocop_stars=4, ocop_year=2018)
    assert (product.ocop_stars, product.ocop_year) == (4, 2018)


def test_product_update_changes_fields_keeps_the_slug_and_records_what_changed(commune_a):
    seller = SellerFactory(commune=commune_a)
    product = _new_product(seller)
    # when she renames it and changes the price
    product_update(actor=seller.leader, product=product, name="Miến dong tỏi đen", price_vnd=90_000)
    # then the link stays the same, the search follows, the change is recorded
    product.refresh_from_db()
    assert (product.slug, product.price_vnd) == ("mien-toi-den", 90_000)
    assert product.search_folded.startswith("# mien dong toi den |")
    entry = AuditEntry.objects.get(action="market.product_update")
    assert entry.changes["price_vnd"] == [85_000, 90_000]


def test_a_bad_update_changes_nothing(commune_a):
    seller = SellerFactory(commune=commune_a)
    product = _new_product(seller)
    with pytest.raises(ValidationError):
        product_update(actor=seller.leader, product=product, price_vnd=0, name="Đổi tên")
    product.refresh_from_db()
    assert (product.name, product.price_vnd) == ("Miến tỏi đen", 85_000)


def test_someone_elses_product_cannot_be_changed(commune_a):
    seller = SellerFactory(commune=commune_a)
    product = _new_product(seller)
    other_seller = SellerFactory(commune=commune_a)
    with pytest.raises(NotFound):
        product_update(actor=other_seller.leader, product=product, price_vnd=1)
    with pytest.raises(NotFound):
        product_create(
            actor=other_seller.leader,
            seller=seller,
            name="Hàng giả",
            category=category_get(),
            price_vnd=1000,
            unit="chiếc",
            weight_g=10,
        )
    product.refresh_from_db()
    assert product.price_vnd == 85_000
    assert Product.objects.count() == 1


@pytest.mark.parametrize(
    ("tax_code", "ok"), [("0101234567", True), ("0101234567-001", True), ("12345", False)]
)
def test_a_tax_code_has_ten_or_thirteen_digits(commune_a, tax_code, ok):
    if ok:
        assert _new_seller(commune_a, tax_code=tax_code).tax_code == tax_code
    else:
        with pytest.raises(ValidationError) as caught:
            _new_seller(commune_a, tax_code=tax_code)
        assert "tax_code" in caught.value.message_dict
