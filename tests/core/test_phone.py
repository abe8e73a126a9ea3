import pytest
from django.core.exceptions import ValidationError

from ketnoi.core.phone import PhoneFormField, format_phone, normalize_phone


@pytest.mark.parametrize(
    "typed",
    [
        "0912345678",
        "0912 345 678",
        "0912.345.678",
        "0912-345-678",
        "+84912345678",
        "+84 912 345 678",
        " 0912345678 ",
    ],
)
def test_national_international_and_spaced_forms_give_e164(typed):
    assert normalize_phone(typed) == "+84912345678"


@pytest.mark.parametrize(
    ("typed", "code", "message"),
    [
        ("", "phone_required", "Hãy nhập số điện thoại."),
        ("+1 650 253 0000", "phone_foreign", "Chỉ nhận số điện thoại Việt Nam (+84)."),
        ("024 3825 3536", "phone_not_mobile", "Hãy dùng số di động để nhận tin nhắn."),
        ("0" * 40, "phone_too_long", "Số điện thoại quá dài."),
        ("abc", "phone_invalid", "“abc” không phải là số điện thoại. Ví dụ đúng: 0912 345 678."),
        ("091234", "phone_invalid", "Số điện thoại “091234” không đúng"),
    ],
)
def test_bad_numbers_are_refused_with_a_message(typed, code, message):
    with pytest.raises(ValidationError) as error:
        normalize_phone(typed)

    assert error.value.code == code
    assert error.value.messages[0].startswith(message)


def test_a_landline_is_accepted_where_sms_is_not_needed():
    assert normalize_phone("024 3825 3536", mobile_only=False) == "+842438253536"


def test_display_in_national_form():
    assert format_phone("+84912345678") == "0912 345 678"
    assert format_phone("not a number") == "not a number"


def test_form_field_answers_e164_and_asks_for_a_phone_keyboard():
    field = PhoneFormField()

    assert field.clean("0912 345 678") == "+84912345678"
    assert field.widget.attrs["inputmode"] == "tel"
    with pytest.raises(ValidationError):
        field.clean("abc")
