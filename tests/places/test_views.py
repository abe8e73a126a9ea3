import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_commune_picker_answers_htmx_with_just_the_list(client, commune_a):
    # Given a form that embeds the picker for its field "home_commune"
    url = reverse("places:commune_search")

    # When a person types "muong bu"
    response = client.get(url, {"q": "muong bu", "name": "home_commune"}, headers={"HX-Request": "true"})

    # Then she sees matching communes as choices, without a whole page around them
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "Xã Mường Bú" in html
    assert f'name="home_commune" value="{commune_a.code}"' in html
    assert "HX-Request" in response["Vary"]


def test_without_javascript_the_picker_is_a_whole_search_page(client):
    response = client.get(reverse("places:commune_search"), {"q": "bắc hà", "province": "15"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert 'name="q"' in html
    assert "Xã Bắc Hà" in html
    assert '<option value="15" selected>' in html


def test_nothing_found_says_so_and_suggests_what_to_do(client):
    response = client.get(reverse("places:commune_search"), {"q": "zzqx"}, headers={"HX-Request": "true"})

    assert "Không tìm thấy xã/phường nào khớp với “zzqx”" in response.content.decode()


def test_a_hostile_field_name_or_province_is_ignored(client):
    response = client.get(
        reverse("places:commune_search"),
        {"q": "muong bu", "name": '"><script>', "province": "x"},
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<script>" not in html
    assert 'name="commune"' in html


def test_a_nul_character_in_the_query_is_harmless(client, commune_a):
    response = client.get(
        reverse("places:commune_search"), {"q": "muong\x00bu"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert "Xã Mường Bú" in response.content.decode()
