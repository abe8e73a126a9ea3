"""CCCD numbers: structure, agreement with birth year and sex, masking, encryption, keyed hash."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from ketnoi.registry import citizen_id

# Sơn La (014), a woman born in 1990.
NUMBER = "014190012345"


def error_code(raw: str) -> str:
    with pytest.raises(ValidationError) as caught:
        citizen_id.parse(raw)
    return caught.value.code


def test_a_well_formed_number_gives_its_province_birth_year_and_sex():
    parsed = citizen_id.parse(NUMBER)

    assert parsed.number == NUMBER
    assert parsed.birth_province_code == "014"
    assert parsed.birth_year == 1990
    assert parsed.sex == "female"


def test_spaces_typed_between_digit_groups_are_ignored():
    assert citizen_id.parse("014 190 012 345").number == NUMBER


@pytest.mark.parametrize(
    ("digit", "year", "sex"),
    [
        ("0", 1985, "male"),
        ("1", 1985, "female"),
        ("2", 2085, "male"),
        ("3", 2085, "female"),
        ("4", 2185, "male"),
        ("5", 2185, "female"),
    ],
)
def test_the_fourth_digit_gives_century_and_sex(digit, year, sex):
    parsed = citizen_id.parse(f"001{digit}85000777")

    assert (parsed.birth_year, parsed.sex) == (year, sex)


@pytest.mark.parametrize("raw", ["01419001234", "0141900123456", "01419001234A", "", "0141-9001-2345"])
def test_anything_but_twelve_digits_is_refused(raw):
    assert error_code(raw) == "cccd_length"


def test_a_province_code_that_does_not_exist_is_refused_with_the_code_in_the_message():
    with pytest.raises(ValidationError) as caught:
        citizen_id.parse("999190012345")

    assert caught.value.code == "cccd_province"
    assert "999" in caught.value.messages[0]


@pytest.mark.parametrize("digit", ["6", "7", "8", "9"])
def test_a_fourth_digit_above_five_is_refused(digit):
    assert error_code(f"014{digit}90012345") == "cccd_century"


def test_a_number_that_agrees_with_birth_year_and_sex_passes():
    citizen_id.check_matches(citizen_id.parse(NUMBER), birth_date=date(1990, 6, 1), sex="female")


def test_a_number_for_another_birth_year_is_refused_with_both_years():
    with pytest.raises(ValidationError) as caught:
        citizen_id.check_matches(citizen_id.parse(NUMBER), birth_date=date(1991, 6, 1), sex="female")

    assert caught.value.code == "cccd_birth_year"
    message = caught.value.messages[0]
    assert "1990" in message
    assert "1991" in message


def test_a_number_for_the_other_sex_is_refused():
    with pytest.raises(ValidationError) as caught:
        citizen_id.check_matches(citizen_id.parse(NUMBER), birth_date=date(1990, 6, 1), sex="male")

    assert caught.value.code == "cccd_sex"


def test_masking_keeps_only_the_province_and_the_last_three_digits():
    masked = citizen_id.parse(NUMBER).masked

    assert masked == "014••••••345"
    assert "19001" not in masked
    assert citizen_id.mask("123") == "•••"


def test_encryption_round_trips_and_never_shows_the_number():
    token = citizen_id.encrypt(NUMBER)

    assert NUMBER not in token
    assert citizen_id.decrypt(token) == NUMBER
    # Fresh randomness each time: equal numbers do not give equal ciphertexts.
    assert citizen_id.encrypt(NUMBER) != token


def test_a_number_encrypted_under_another_key_cannot_be_read(settings):
    token = citizen_id.encrypt(NUMBER)

    settings.FIELD_ENCRYPTION_KEY = "a-completely-different-key"

    with pytest.raises(ValueError, match="no longer configured"):
        citizen_id.decrypt(token)


def test_an_old_key_still_decrypts_during_a_rotation(settings):
    settings.FIELD_ENCRYPTION_KEY = "old-key"
    token = citizen_id.encrypt(NUMBER)

    settings.FIELD_ENCRYPTION_KEY = "new-key"
    settings.FIELD_ENCRYPTION_OLD_KEYS = ["old-key"]

    assert citizen_id.decrypt(token) == NUMBER


def test_the_lookup_hash_is_stable_and_tells_numbers_apart():
    assert citizen_id.lookup_hash(NUMBER) == citizen_id.lookup_hash(NUMBER)
    assert citizen_id.lookup_hash(NUMBER) != citizen_id.lookup_hash("014190012346")
    assert NUMBER not in citizen_id.lookup_hash(NUMBER)


def test_the_lookup_hash_is_keyed(settings):
    settings.FIELD_ENCRYPTION_KEY = "key-one"
    first = citizen_id.lookup_hash(NUMBER)

    settings.FIELD_ENCRYPTION_KEY = "key-two"

    assert citizen_id.lookup_hash(NUMBER) != first
