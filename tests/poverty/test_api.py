"""``/api/v1/poverty``: a public calculator, rate-limited, and the standards as JSON."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import override_settings

from ketnoi.poverty import standards

from .helpers import MPI, VN_2022, VN_2027, deprivations, first

API = "/api/v1/poverty"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Each test starts with no requests counted against its address."""
    cache.clear()
    yield
    cache.clear()


def post(client, body, **headers):
    return client.post(f"{API}/assess", body, content_type="application/json", headers=headers)


def test_anyone_can_assess_a_household_without_signing_in(client):
    response = post(
        client,
        {
            "standard": VN_2022,
            "area": "rural",
            "income_per_capita_vnd": 1_500_000,
            "deprivations": deprivations(VN_2022, "employment", "latrine", "telecom"),
        },
    )

    assert response.status_code == 200
    assert response.json() == {
        "classification": "poor",
        "deprivation_count": 3,
        "deprived": ["employment", "latrine", "telecom"],
        "standard": VN_2022,
        "standard_version": standards.get(VN_2022).version,
        "income_line_vnd": 1_500_000,
        "score": 0.25,
        "severe": False,
    }


def test_auto_with_a_date_picks_the_2027_standard(client):
    response = post(
        client,
        {
            "standard": "auto",
            "on": "2027-01-01",
            "area": "urban",
            "income_per_capita_vnd": 2_800_001,
            "deprivations": first(VN_2027, 4),
        },
    )

    assert response.status_code == 200
    assert (response.json()["standard"], response.json()["classification"]) == (VN_2027, "not_poor")


def test_the_mpi_answers_vulnerable_and_needs_no_income(client):
    response = post(
        client,
        {"standard": MPI, "deprivations": deprivations(MPI, "nutrition", "cooking_fuel", "sanitation")},
    )

    assert response.status_code == 200
    assert response.json()["classification"] == "vulnerable"
    assert response.json()["income_line_vnd"] is None
    assert response.json()["severe"] is False


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        ({"standard": "VN-2016-2020"}, "unknown_standard", "Không có chuẩn nghèo “VN-2016-2020”"),
        (
            {"deprivations": {**deprivations(VN_2022), "electricity": True}},
            "unknown_indicator",
            "electricity",
        ),
        ({"deprivations": first(VN_2027, 0)}, "unknown_indicator", "waste_treatment"),
        ({"area": None}, "invalid_area", "rural"),
        ({"on": "2031-01-01", "standard": "auto"}, "no_standard_in_force", "01/01/2031"),
    ],
)
def test_bad_input_gets_a_400_in_vietnamese(client, change, code, words):
    body = {
        "standard": VN_2022,
        "area": "rural",
        "income_per_capita_vnd": 1,
        "deprivations": first(VN_2022, 0),
    }

    response = post(client, {**body, **change})

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert words in response.json()["detail"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"income_per_capita_vnd": -1}, "income_per_capita_vnd"),
        ({"income_per_capita_vnd": "nhiều"}, "income_per_capita_vnd"),
        ({"area": "city"}, "area"),
        ({"deprivations": {"telecom": "có lẽ"}}, "deprivations.telecom"),
        ({"deprivations": None}, "deprivations"),
    ],
)
def test_malformed_fields_get_a_422_naming_the_field(client, change, field):
    body = {
        "standard": VN_2022,
        "area": "rural",
        "income_per_capita_vnd": 1,
        "deprivations": first(VN_2022, 0),
    }

    response = post(client, {**body, **change})

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert field in [e["field"] for e in response.json()["errors"]]
    assert response.json()["detail"].startswith("Dữ liệu gửi lên chưa đúng")


@override_settings(POVERTY_ASSESS_RATE="3/min")
def test_too_many_requests_from_one_address_get_a_429_in_the_readers_language(client):
    body = {
        "standard": VN_2022,
        "area": "rural",
        "income_per_capita_vnd": 1,
        "deprivations": first(VN_2022, 0),
    }

    answers = [post(client, body).status_code for _ in range(3)]
    throttled = post(client, body)
    # A forged X-Forwarded-For does not buy more requests (no proxy is trusted by default)
    forged = post(client, body, **{"X-Forwarded-For": "203.0.113.9"})
    english = post(client, body, **{"Accept-Language": "en"})
    other_address = client.post(
        f"{API}/assess", body, content_type="application/json", REMOTE_ADDR="198.51.100.7"
    )

    assert answers == [200, 200, 200]
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "throttled"
    assert throttled.json()["detail"] == "Bạn gửi quá nhiều yêu cầu. Hãy thử lại sau ít phút."
    assert int(throttled["Retry-After"]) > 0
    assert forged.status_code == 429
    assert english.status_code == 429 and english["Content-Language"] == "en"
    assert other_address.status_code == 200


def test_the_standards_are_listed_with_indicators_lines_and_validity(client):
    response = client.get(f"{API}/standards")

    assert response.status_code == 200
    assert "max-age" in response["Cache-Control"]
    listed = {s["code"]: s for s in response.json()}
    assert list(listed) == [VN_2022, VN_2027, MPI]
    old, new = listed[VN_2022], listed[VN_2027]
    assert (old["valid_from"], old["valid_to"]) == ("2022-01-01", "2026-12-31")
    assert old["income_lines"] == [
        {"area": "rural", "poor_line_vnd": 1_500_000, "middle_upper_vnd": 2_250_000},
        {"area": "urban", "poor_line_vnd": 2_000_000, "middle_upper_vnd": 3_000_000},
    ]
    assert [line["middle_upper_vnd"] for line in new["income_lines"]] == [None, None]
    assert old["cutoff"]["min_deprivations"] == 3 and old["cutoff"]["k_fraction"] == "1/4"
    assert [i["code"] for i in new["indicators"]][-1] == "waste_treatment"
    floor = next(i for i in old["indicators"] if i["code"] == "floor_area")
    assert floor["weight_fraction"] == "1/12"
    assert floor["label"] == "Diện tích nhà ở bình quân đầu người"
    today = standards.today()
    assert [s["in_force"] for s in listed.values()] == [s.in_force_on(today) for s in standards.all()]


def test_one_standard_by_code_in_english_and_an_unknown_one_is_404(client):
    response = client.get(f"{API}/standards/{MPI}", headers={"Accept-Language": "en"})
    missing = client.get(f"{API}/standards/VN-1999")

    assert response.status_code == 200
    assert response.json()["title"] == "Global Multidimensional Poverty Index (MPI, OPHI/UNDP)"
    child_mortality = next(i for i in response.json()["indicators"] if i["code"] == "child_mortality")
    assert child_mortality["derived_from_facts"] is False
    assert missing.status_code == 404
    assert missing.json()["code"] == "unknown_standard"
