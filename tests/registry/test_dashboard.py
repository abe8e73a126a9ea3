"""The officers' dashboard: each officer sees her area's figures, drawn without JavaScript."""

from __future__ import annotations

import io
import re
from datetime import date

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ketnoi.accounts.models import Role
from ketnoi.places.models import Commune
from ketnoi.registry.models import Assessment
from tests.accounts.factories import user_with_role

from .factories import make_household

pytestmark = pytest.mark.django_db

STANDARD = "VN-2022-2025"
URL = reverse("registry:dashboard")


def _assessed(commune, classification: str, deprived: list[str], *, year: int = 2025):
    household = make_household(commune)
    Assessment.objects.create(
        household=household,
        year=year,
        standard=STANDARD,
        standard_version="1",
        assessed_on=date(year, 10, 15),
        income_per_capita_vnd=1_000_000,
        deprived=deprived,
        deprivation_count=len(deprived),
        classification=classification,
    )
    return household


@pytest.fixture
def figures(commune_a, commune_b):
    _assessed(commune_a, "poor", ["employment", "latrine", "water_source", "telecom"])
    _assessed(commune_a, "not_poor", [])
    _assessed(commune_a, "near_poor", ["latrine"], year=2024)
    _assessed(commune_b, "poor", ["employment", "latrine", "water_source"])


def _page(client, user, **params) -> str:
    client.force_login(user)
    response = client.get(URL, {"standard": STANDARD, **params})
    assert response.status_code == 200
    return response.content.decode()


def _area_rows(page: str) -> list[str]:
    return re.findall(r'<tr data-testid="area-row"><th scope="row">([^<]+)</th>', page)


def test_a_commune_officer_sees_only_her_commune(client, figures, commune_a, commune_b):
    officer = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)

    page = _page(client, officer, year=2025)

    assert _area_rows(page) == [commune_a.name]
    assert commune_b.name not in page
    assert "<strong>2</strong> hộ đã rà soát" in page


def test_a_province_officer_sees_the_communes_of_her_province(client, figures, commune_a, commune_b):
    other_in_son_la = Commune.objects.filter(province=commune_a.province).exclude(pk=commune_a.pk).first()
    _assessed(other_in_son_la, "near_poor", ["latrine"])
    officer = user_with_role(Role.PROGRAMME_OFFICER, province=commune_a.province)

    page = _page(client, officer, year=2025)

    assert sorted(_area_rows(page)) == sorted([commune_a.name, other_in_son_la.name])
    assert commune_b.name not in page


def test_an_administrator_sees_every_province(client, figures, commune_a, commune_b):
    administrator = user_with_role(Role.ADMINISTRATOR)

    page = _page(client, administrator, year=2025)

    assert sorted(_area_rows(page)) == sorted([commune_a.province.name, commune_b.province.name])


def test_the_charts_are_accessible_svg_without_inline_styles_or_scripts(client, figures, commune_a):
    officer = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)

    page = _page(client, officer)

    charts = re.findall(r"<svg .*?</svg>", page, flags=re.S)
    assert len(charts) == 3
    for chart in charts:
        assert 'role="img"' in chart
        assert re.search(r"<title id=\"[^\"]+\">[^<]+</title><desc id=\"[^\"]+\">[^<]+</desc>", chart)
        assert "<text" in chart
    assert " style=" not in page
    assert "<script>" not in page  # only the site's own script file, loaded by src
    assert len(page.encode()) < 50 * 1024


def test_the_trend_shows_each_year(client, figures, commune_a):
    officer = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)

    page = _page(client, officer)

    trend = page[page.index('data-testid="trend"') :]
    assert re.findall(r'<th scope="row">(\d{4})</th>', trend) == ["2024", "2025"]


def test_the_contributions_of_the_indicators_add_up_to_100_percent(client, figures, commune_a):
    officer = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)

    page = _page(client, officer, year=2025)

    table = page[page.index('data-testid="contribution"') : page.index('id="trend"')]
    shares = [float(v.replace(",", ".")) for v in re.findall(r'<td class="num">([\d,]+)%</td>', table)]
    assert len(shares) == 12
    assert sum(shares) == pytest.approx(100, abs=0.5)
    assert max(shares) == pytest.approx(25.0)  # 1 of the 4 deprivations of the only poor household


def test_an_officer_without_results_gets_a_plain_message(client, commune_b):
    officer = user_with_role(Role.COMMUNE_OFFICER, commune=commune_b)

    page = _page(client, officer)

    assert 'data-testid="no-figures"' in page


def test_the_query_count_does_not_grow_with_the_data(client, commune_a):
    officer = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)
    client.force_login(officer)
    client.get(URL)  # the first request after signing in stamps the session
    _assessed(commune_a, "poor", ["employment", "latrine", "water_source"])
    with CaptureQueriesContext(connection) as few:
        client.get(URL)

    for year in (2023, 2024, 2025):
        for _ in range(6):
            _assessed(commune_a, "near_poor", ["latrine"], year=year)
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)

    assert response.status_code == 200
    assert [q["sql"][:60] for q in many.captured_queries] == [q["sql"][:60] for q in few.captured_queries]


def test_the_dashboard_in_a_fixed_number_of_queries(
    client, figures, commune_a, django_assert_max_num_queries
):
    officer = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)
    client.force_login(officer)

    with django_assert_max_num_queries(10):
        client.get(URL)


def test_the_numbers_download_as_xlsx(client, figures, commune_a):
    officer = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)
    client.force_login(officer)

    response = client.get(reverse("registry:dashboard_xlsx"), {"standard": STANDARD, "year": 2025})

    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    assert workbook.sheetnames == ["Theo địa bàn", "Đóng góp chỉ số", "Theo năm"]
    by_area = list(workbook["Theo địa bàn"].iter_rows(values_only=True))
    assert by_area[1][:4] == (commune_a.name, 2, 6, 1)
    assert [r[0] for r in workbook["Theo năm"].iter_rows(values_only=True)][1:] == [2024, 2025]


def test_an_unknown_standard_is_not_found(client, commune_a):
    officer = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)
    client.force_login(officer)

    assert client.get(URL, {"standard": "VN-1999"}).status_code == 404


def test_only_officers_open_the_dashboard(client, commune_a):
    client.force_login(user_with_role(Role.SELLER, commune=commune_a))
    assert client.get(URL).status_code == 403

    client.logout()
    assert client.get(URL).status_code == 302
