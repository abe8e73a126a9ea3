import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from ketnoi.core.money import MAX_VND, format_vnd, parse_vnd


def test_vietnamese_display_uses_dots_and_a_no_break_space_before_the_dong_sign():
    assert format_vnd(1_500_000, language="vi") == "1.500.000\u00a0₫"


def test_display_follows_the_active_language():
    with translation.override("vi"):
        assert format_vnd(0) == "0\u00a0₫"
    with translation.override("en"):
        assert format_vnd(1_500_000) == "₫1,500,000"


@pytest.mark.parametrize(
    "typed",
    ["1.500.000", "1,500,000 ₫", "1500000", "1 500 000", "1500000đ", "1.500.000 VND", " 1.500.000\u00a0₫ "],
)
def test_parse_accepts_the_ways_people_type_an_amount(typed):
    assert parse_vnd(typed) == 1_500_000


def test_parse_accepts_whole_numbers_and_the_bounds():
    assert parse_vnd(0) == 0
    assert parse_vnd(MAX_VND) == MAX_VND


@pytest.mark.parametrize("typed", ["abc", "", "1.5tr", "12,5a", "-5", "1.500.000-"])
def test_parse_rejects_what_is_not_an_amount_with_a_message(typed):
    with pytest.raises(ValidationError) as error:
        parse_vnd(typed)

    assert error.value.code == "invalid_amount"
    assert "không hợp lệ" in error.value.messages[0]


@pytest.mark.parametrize("amount", [-1, MAX_VND + 1, str(MAX_VND + 1)])
def test_parse_rejects_negative_and_too_large_amounts(amount):
    with pytest.raises(ValidationError) as error:
        parse_vnd(amount)

    assert error.value.code == "amount_range"
    assert error.value.messages[0] == f"Số tiền phải từ 0 đến {MAX_VND} đồng."
