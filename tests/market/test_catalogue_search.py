"""Searching the catalogue: typing without diacritics, ranking, filters."""

from __future__ import annotations

import unicodedata

import pytest

from ketnoi.market.selectors import product_search, search_words

from .factories import ProductFactory, SellerFactory, category_get, photo_build

pytestmark = pytest.mark.django_db


def _names(queryset) -> list[str]:
    return [p.name for p in queryset]


@pytest.fixture
def market(commune_a, commune_b):
    """A brocade scarf and black-garlic vermicelli in Sơn La, honey and tea in Lào Cai."""
    son_la = SellerFactory(commune=commune_a, name="HTX Dệt Bản Lướt", village="Bản Lướt")
    lao_cai = SellerFactory(commune=commune_b, name="HTX Nông sản Bắc Hà", village="Thôn Na Hối")
    return {
        "scarf": ProductFactory(
            seller=son_la,
            name="Khăn thổ cẩm Thái",
            category=category_get("brocade-textiles"),
            ocop_stars=4,
            ocop_year=2021,
        ),
        "vermicelli": ProductFactory(
            seller=son_la, name="Miến tỏi đen", category=category_get("food"), story_how="Ủ tỏi đen 60 ngày"
        ),
        "honey": ProductFactory(
            seller=lao_cai,
            name="Mật ong bạc hà",
            category=category_get("honey"),
            ocop_stars=3,
            ocop_year=2020,
        ),
        "tea": ProductFactory(
            seller=lao_cai,
            name="Chè Shan tuyết",
            category=category_get("tea-coffee"),
            story_meaning="Lá chè hái trên cây cổ thụ, gói trong khăn thổ cẩm",
        ),
    }


def test_typing_without_diacritics_finds_brocade(market):
    assert _names(product_search("tho cam"))[0] == "Khăn thổ cẩm Thái"


def test_typing_without_diacritics_finds_black_garlic_vermicelli(market):
    assert _names(product_search("mien toi den")) == ["Miến tỏi đen"]


@pytest.mark.parametrize(
    "query", ["THỔ CẨM", "Thổ Cẩm", unicodedata.normalize("NFD", "thổ cẩm"), "  tho   cam "]
)
def test_any_case_spacing_or_unicode_form_finds_the_same(market, query):
    assert _names(product_search(query))[0] == "Khăn thổ cẩm Thái"


def test_every_typed_word_must_match(market):
    assert _names(product_search("mien toi trang")) == []
    assert _names(product_search("mat ong")) == ["Mật ong bạc hà"]


def test_words_in_the_story_seller_or_place_also_find_a_product(market):
    assert _names(product_search("u toi")) == ["Miến tỏi đen"]  # the story
    assert set(_names(product_search("bac ha"))) == {"Mật ong bạc hà", "Chè Shan tuyết"}  # name and commune
    assert set(_names(product_search("son la"))) == {"Khăn thổ cẩm Thái", "Miến tỏi đen"}  # the province


def test_name_matches_rank_before_story_matches(market):
    # given the tea's story mentions brocade, and the scarf's name is brocade
    found = _names(product_search("tho cam"))
    # then the scarf comes first, the tea after
    assert found == ["Khăn thổ cẩm Thái", "Chè Shan tuyết"]


def test_the_whole_phrase_in_a_name_ranks_first(commune_a):
    seller = SellerFactory(commune=commune_a)
    ProductFactory(seller=seller, name="Tỏi đen và miến")  # both words, not as a phrase
    ProductFactory(seller=seller, name="Miến tỏi đen")
    assert _names(product_search("mien toi"))[0] == "Miến tỏi đen"


def test_filters_by_category_province_and_ocop(market, commune_b):
    assert _names(product_search(category="honey")) == ["Mật ong bạc hà"]
    assert set(_names(product_search(province=commune_b.province_id))) == {"Mật ong bạc hà", "Chè Shan tuyết"}
    assert set(_names(product_search(ocop_min=3))) == {"Khăn thổ cẩm Thái", "Mật ong bạc hà"}
    assert _names(product_search(ocop_min="4")) == ["Khăn thổ cẩm Thái"]
    assert _names(product_search("bac ha", category="tea-coffee")) == ["Chè Shan tuyết"]


def test_bad_filter_values_are_ignored(market):
    assert len(_names(product_search(province="abc", ocop_min="x"))) == 4


def test_hidden_products_and_inactive_sellers_are_not_found(market):
    # when the scarf is hidden, only the tea (brocade in its story) is found
    market["scarf"].is_active = False
    market["scarf"].save()
    assert _names(product_search("tho cam")) == ["Chè Shan tuyết"]
    # when the tea and honey seller stops selling, neither is found
    market["honey"].seller.is_active = False
    market["honey"].seller.save()
    assert _names(product_search("tho cam")) == []
    assert _names(product_search("mat ong")) == []


def test_words_match_at_their_start_only(market):
    # "ong" is inside "trong" and "mat" inside "mất" in the stories: neither counts
    assert _names(product_search("mat ong")) == ["Mật ong bạc hà"]
    # the start of a word is enough, so a buyer may stop typing early
    assert _names(product_search("mie toi")) == ["Miến tỏi đen"]


def test_search_words_ignore_punctuation_and_like_wildcards():
    assert search_words("Miến, tỏi-đen!") == ["mien", "toi", "den"]
    assert search_words("%_ 100%") == ["100"]
    assert len(search_words(" ".join(f"w{i}" for i in range(20)))) == 8


def test_wildcards_do_not_match_everything(market):
    assert _names(product_search("%")) != [] and len(_names(product_search("%"))) == 4  # no word: all
    assert _names(product_search("%%% zzz")) == []


def test_each_result_carries_its_first_photo(market):
    photo_build(market["scarf"])
    photo_build(market["scarf"])
    found = list(product_search("tho cam"))
    first = market["scarf"].photos.order_by("position").first()
    assert found[0].photo_small == first.small.name
    assert found[1].photo_small is None
