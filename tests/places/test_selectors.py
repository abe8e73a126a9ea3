import unicodedata

import pytest

from ketnoi.core.errors import NotFound
from ketnoi.places.models import Commune, Province
from ketnoi.places.selectors import commune_get, commune_search, province_get, province_list

pytestmark = pytest.mark.django_db

SON_LA = 14


def test_the_country_has_34_provinces_and_3321_communes_after_the_2025_reform():
    # Given the divisions loaded by the data migration
    # When we list them
    provinces = province_list()

    # Then there are the official numbers, under their official codes
    assert len(provinces) == 34
    assert Commune.objects.count() == 3321
    assert {p.code: p.name for p in provinces}[SON_LA] == "Tỉnh Sơn La"
    assert province_get(SON_LA).short_name == "Sơn La"


def test_provinces_are_listed_by_name_as_a_person_reads_it():
    names = [p.short_name for p in province_list()]

    assert names[0] == "An Giang"
    assert names.index("Đà Nẵng") < names.index("Gia Lai")  # Đ sorts with D, not after Z


@pytest.mark.parametrize(
    "typed",
    ["son la", "Sơn La", "SON LA", "  sơn   la ", unicodedata.normalize("NFD", "Sơn La")],
)
def test_every_way_of_typing_son_la_finds_the_province(typed):
    found = province_list(query=typed)

    assert found[0].code == SON_LA


@pytest.mark.parametrize(
    "typed", ["muong bu", "Mường Bú", "MUONG BU", unicodedata.normalize("NFD", "Mường Bú")]
)
def test_every_way_of_typing_a_commune_name_finds_it_first(typed, commune_a):
    found = commune_search(typed)

    assert found[0] == commune_a
    assert found[0].province.short_name == "Sơn La"  # province comes along, no extra query


def test_dak_typed_without_diacritics_finds_communes_named_dak_first():
    # Given "Đắk" typed without its diacritics
    # When searching communes
    found = commune_search("dak", limit=200)

    # Then every commune named Đắk … comes first, then communes of Đắk Lắk province
    named = [c for c in found if "dak" in c.name_folded]
    assert len(named) == Commune.objects.filter(name_folded__contains="dak").count() > 0
    assert found[: len(named)] == named
    assert any(c.name.startswith("Xã Đắk") for c in named)
    assert all(c.province.short_name == "Đắk Lắk" for c in found[len(named) :])


@pytest.mark.parametrize("typed", ["dak nong", "Đắk Nông", "DAK NONG"])
def test_a_province_merged_in_2025_leads_to_the_province_it_joined(typed):
    # Given Đắk Nông, merged into Lâm Đồng on 1 July 2025
    # When a person still types its name
    found = province_list(query=typed)

    # Then she is offered Lâm Đồng, with the name she knows
    assert [p.short_name for p in found] == ["Lâm Đồng"]
    assert found[0].formerly == "Tỉnh Đắk Nông"
    assert commune_search(typed) == []  # no commune carries that name any more


def test_a_name_with_d_stroke_is_found_by_the_folded_and_the_written_form():
    written = commune_search("Đắk", limit=200)
    folded = commune_search("dak", limit=200)

    assert written == folded


def test_words_may_name_the_province_as_well_as_the_commune(commune_b):
    found = commune_search("bac ha lao cai")

    assert found[0] == commune_b


def test_search_within_a_province_returns_only_its_communes(commune_a):
    # Given Sơn La and a word common across the country
    # When searching inside Sơn La
    found = commune_search("muong", province_code=SON_LA, limit=200)

    # Then only communes of Sơn La, and the one we expect among them
    assert found
    assert {c.province_id for c in found} == {SON_LA}
    assert commune_a in found
    assert len(commune_search("muong", limit=200)) > len(found)


def test_a_province_alone_lists_its_communes_and_nothing_lists_nothing():
    assert (
        len(commune_search("", province_code=SON_LA, limit=200))
        == Commune.objects.filter(province_id=SON_LA).count()
    )
    assert commune_search("") == []
    assert commune_search("   ") == []


def test_control_characters_in_a_query_are_word_breaks_not_errors(commune_a):
    assert commune_search("muong\x00bu")[0] == commune_a
    assert commune_search("\x00\t") == []


def test_search_respects_the_limit_and_a_query_matching_nothing():
    assert len(commune_search("xa", limit=5)) == 5
    assert commune_search("zzqx") == []


def test_commune_get_by_official_code(commune_a):
    assert commune_get(commune_a.code) == commune_a
    assert commune_get(str(commune_a.code)) == commune_a


@pytest.mark.parametrize("code", [999999, "abc", "", "-1", "１２"])
def test_commune_get_with_an_unknown_code_says_so_in_vietnamese(code):
    with pytest.raises(NotFound) as error:
        commune_get(code)

    assert error.value.status == 404
    assert error.value.code == "commune_unknown"
    assert "Không có xã/phường nào mang mã" in str(error.value)


def test_province_get_with_an_unknown_code_is_not_found():
    with pytest.raises(NotFound):
        province_get(2)
    assert Province.objects.filter(code=2).count() == 0


def test_searching_is_a_fixed_number_of_queries(django_assert_num_queries):
    with django_assert_num_queries(1):
        communes = commune_search("muong")
        [c.province.name for c in communes]
