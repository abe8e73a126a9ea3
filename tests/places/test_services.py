import unicodedata
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ketnoi.places.geo import GeoPoint, plus_code_decode, plus_code_encode, plus_code_full, plus_code_shorten
from ketnoi.places.models import Address
from ketnoi.places.services import LINE_MAX_LENGTH, address_create

pytestmark = pytest.mark.django_db

# Real places: Mường Bú (Sơn La), Hoàn Kiếm lake (Hà Nội), Bến Thành (HCM City), Phú Quốc.
POINTS = [(21.3725, 103.9532), (21.0285, 105.8542), (10.7725, 106.6980), (10.2899, 103.9840)]


def test_an_address_in_a_known_commune_is_saved_in_nfc_with_its_plus_code(commune_a):
    # Given a village line typed in decomposed form, and a point in the commune
    line = unicodedata.normalize("NFD", "  Bản Nà Sản  ")

    # When the address is created
    address = address_create(commune_code=commune_a.code, line=line, latitude=21.3725, longitude=103.9532)

    # Then it is stored clean, with the point's plus code
    address.refresh_from_db()
    assert address.commune == commune_a
    assert address.line == "Bản Nà Sản"
    assert address.latitude == Decimal("21.372500")
    assert address.plus_code == plus_code_encode(21.3725, 103.9532)
    assert str(address) == "Bản Nà Sản, Xã Mường Bú, Tỉnh Sơn La"


def test_an_address_without_a_point_has_no_plus_code(commune_b):
    address = address_create(commune_code=str(commune_b.code), line="Thôn Na Hối")

    assert address.latitude is None
    assert address.plus_code == ""


@pytest.mark.parametrize("code", [999999, "abc", "", None, "3847; DROP TABLE"])
def test_an_unknown_commune_code_is_refused_with_a_clear_message_and_nothing_saved(code):
    # Given a commune code that names no commune
    # When creating an address with it
    with pytest.raises(ValidationError) as error:
        address_create(commune_code=code, line="Bản Nà Sản")

    # Then the person is told which field is wrong, and nothing is saved
    messages = error.value.message_dict
    assert "Không có xã/phường nào mang mã" in messages["commune_code"][0]
    assert Address.objects.count() == 0


def test_a_line_longer_than_the_column_is_refused(commune_a):
    with pytest.raises(ValidationError) as error:
        address_create(commune_code=commune_a.code, line="x" * (LINE_MAX_LENGTH + 1))

    assert "tối đa 200 ký tự" in error.value.message_dict["line"][0]
    assert Address.objects.count() == 0


def test_a_line_that_fits_only_once_composed_is_accepted(commune_a):
    # 200 characters in NFC are 400 code points in NFD: the stored form is what counts
    line = unicodedata.normalize("NFD", "ố" * LINE_MAX_LENGTH)

    address = address_create(commune_code=commune_a.code, line=line)

    assert len(address.line) == LINE_MAX_LENGTH


@pytest.mark.parametrize(
    ("latitude", "longitude", "message"),
    [
        (48.8566, 2.3522, "nằm ngoài Việt Nam"),  # Paris
        (103.9532, 21.3725, "nằm ngoài"),  # latitude and longitude swapped
        (21.3725, None, "Cần cả vĩ độ và kinh độ"),
        ("hai mươi", 103.9, "phải là số"),
        ("NaN", 103.9, "phải là số"),
    ],
)
def test_a_point_outside_viet_nam_or_half_given_is_refused(commune_a, latitude, longitude, message):
    with pytest.raises(ValidationError) as error:
        address_create(commune_code=commune_a.code, line="", latitude=latitude, longitude=longitude)

    assert message in error.value.message_dict["latitude"][0]
    assert Address.objects.count() == 0


def test_every_problem_is_reported_at_once():
    with pytest.raises(ValidationError) as error:
        address_create(commune_code=1, line="x" * 500, latitude=0, longitude=0)

    assert set(error.value.message_dict) == {"commune_code", "line", "latitude"}


@pytest.mark.parametrize(("latitude", "longitude"), POINTS)
def test_a_plus_code_survives_a_round_trip(latitude, longitude):
    # Given the plus code of a point
    code = plus_code_encode(latitude, longitude)

    # When it is decoded and the centre encoded again
    centre = plus_code_decode(code)

    # Then the same code comes back, and the centre is within the 14 m square
    assert plus_code_encode(centre.latitude, centre.longitude) == code
    assert abs(centre.latitude - latitude) < 0.000125
    assert abs(centre.longitude - longitude) < 0.000125


@pytest.mark.parametrize(("latitude", "longitude"), POINTS)
def test_a_short_code_is_recovered_near_a_reference_point(latitude, longitude):
    # Given a code shortened for someone at the point itself
    code = plus_code_encode(latitude, longitude)
    short = plus_code_shorten(code, near=GeoPoint(latitude, longitude))
    assert len(short) == len(code) - 4

    # When it is read out and recovered from a reference some 20 km away
    reference = GeoPoint(latitude + 0.15, longitude - 0.12)

    # Then it names the same square
    assert plus_code_full(short, near=reference) == code
    assert plus_code_decode(short, near=reference) == plus_code_decode(code)


def test_a_short_code_without_a_reference_is_refused_with_a_message():
    with pytest.raises(ValidationError) as error:
        plus_code_decode("2VH3+CM")

    assert error.value.code == "plus_code_short"
    assert "rút gọn" in error.value.messages[0]


@pytest.mark.parametrize("code", ["", "hello", "7PH72VH3", "7PH72VH3+CM" * 3, "7PH7 2VH3+C!"])
def test_a_malformed_plus_code_is_refused_with_a_message(code):
    with pytest.raises(ValidationError) as error:
        plus_code_decode(code)

    assert error.value.code == "plus_code_invalid"
    assert "không phải là mã địa chỉ số hợp lệ" in error.value.messages[0]


def test_a_plus_code_is_read_whatever_the_case_and_spacing():
    assert plus_code_full(" 7ph72vh3+cm ") == "7PH72VH3+CM"
