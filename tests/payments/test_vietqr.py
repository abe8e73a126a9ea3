"""VietQR payloads: the vectors of shared/domain/vietqr.md, every way a payload can be wrong, round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketnoi.payments import vietqr

ACB_STATIC = "00020101021138530010A0000007270123000697041601092576788590208QRIBFTTA53037045802VN6304AE9F"


def with_crc(body: str) -> str:
    """``body`` (ending in "6304") sealed with its right CRC: to test checks other than the CRC's."""
    return body + vietqr.crc16(body)


# --- The vectors ----------------------------------------------------------------------------


def test_crc_of_the_check_string_is_29b1():
    assert vietqr.crc16("123456789") == "29B1"


def test_acb_static_example_encodes_to_the_documented_string():
    assert vietqr.encode("970416", "257678859") == ACB_STATIC


def test_acb_static_example_decodes_back():
    assert vietqr.decode(ACB_STATIC) == {
        "bank_bin": "970416",
        "account": "257678859",
        "amount": None,
        "purpose": None,
        "service": "QRIBFTTA",
    }


def test_an_amount_makes_the_code_dynamic_and_the_purpose_goes_in_62_08():
    # Given an order of 250,000 đ to an Agribank account, reference DH7KQ2M4TX
    payload = vietqr.encode("970405", "7100205123456", 250_000, "DH7KQ2M4TX")

    # Then point of initiation is 12, 54 holds the amount, 62/08 the reference, and the CRC is last
    assert payload.startswith("000201" + "010212")
    assert "5406250000" in payload
    assert "62140810DH7KQ2M4TX" in payload
    assert payload[-8:-4] == "6304"
    assert payload[-4:] == vietqr.crc16(payload[:-4])
    assert vietqr.decode(payload)["amount"] == 250_000


def test_a_card_transfer_uses_qribfttc():
    payload = vietqr.encode("970436", "9704366614951234", service="QRIBFTTC")
    assert vietqr.decode(payload)["service"] == "QRIBFTTC"


def test_vietnamese_purpose_is_folded_to_upper_case_ascii():
    payload = vietqr.encode("970405", "7100205123456", 10_000, "  Đơn hàng  dh7kq2m4tx!  ")
    assert vietqr.decode(payload)["purpose"] == "DON HANG DH7KQ2M4TX"
    assert payload.isascii()


# --- What encode refuses --------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("97041", "257678859"),  # BIN of 5 digits
        ("97041A", "257678859"),  # BIN not digits
        ("970416", ""),  # no account
        ("970416", "1" * 20),  # account longer than 19
        ("970416", "2576-78859"),  # punctuation in the account
        ("970416", "257678859", 0),  # zero amount
        ("970416", "257678859", -5),  # negative amount
        ("970416", "257678859", 10**13),  # 14 digits
        ("970416", "257678859", True),  # a bool is not an amount
        ("970416", "257678859", 1.5),  # nor a float
        ("970416", "257678859", 1000, "X" * 26),  # purpose longer than 25
    ],
)
def test_encode_refuses_bad_input(args):
    with pytest.raises(ValueError):
        vietqr.encode(*args)


def test_encode_refuses_an_unknown_service():
    with pytest.raises(ValueError, match="service"):
        vietqr.encode("970416", "257678859", service="QRPUSH")


# --- What decode refuses --------------------------------------------------------------------


def test_decode_refuses_a_wrong_crc():
    with pytest.raises(ValueError, match="CRC"):
        vietqr.decode(ACB_STATIC[:-4] + "AE9E")


def test_decode_refuses_a_changed_digit_even_with_the_old_crc():
    tampered = ACB_STATIC.replace("257678859", "257678858")
    with pytest.raises(ValueError, match="CRC"):
        vietqr.decode(tampered)


def test_decode_accepts_a_lower_case_crc():
    assert vietqr.decode(ACB_STATIC[:-4] + ACB_STATIC[-4:].lower())["account"] == "257678859"


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("", "CRC"),  # empty
        ("000201010211", "CRC"),  # no CRC field at all
        ("0002010102113853" + "6304", "cut off"),  # 38 says 53 characters, none follow
        (
            "00020101021138530010A0000007270123000697041601092576788590208QRIBFTTA5303704"
            + "5802VN"
            + "X"
            + "6304",
            "header",
        ),
        ("00020201021138530010A0000007270123000697041601092576788590208QRIBFTTA53037045802VN6304", "00"),
        ("00020101021338530010A0000007270123000697041601092576788590208QRIBFTTA53037045802VN6304", "01"),
        ("00020101021138530010A0000007280123000697041601092576788590208QRIBFTTA53037045802VN6304", "GUID"),
        ("00020101021138530010A000000727012300069704AB01092576788590208QRIBFTTA53037045802VN6304", "BIN"),
        ("00020101021138530010A0000007270123000697041601092576788590208QRIBFTTX53037045802VN6304", "service"),
        ("00020101021138530010A0000007270123000697041601092576788590208QRIBFTTA53038405802VN6304", "704"),
        ("00020101021138530010A0000007270123000697041601092576788590208QRIBFTTA53037045802US6304", "VN"),
        ("00020101021138530010A0000007270123000697041601092576788590208QRIBFTTA5802VN6304", "53"),
        ("00020101021138530010A0000007270123000697041601092576788590208QRIBFTTA5303704" + "6304", "58"),
        ("000201010211530370458" + "02VN6304", "38"),
        ("00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA53037045802VN6304", "amount"),
        (
            "00020101021138530010A0000007270123000697041601092576788590208QRIBFTTA5303704540410005802VN6304",
            "static",
        ),
        (
            "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA530370454041E035802VN6304",
            "digits",
        ),
        (
            "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA53037045401"
            + "05802VN6304",
            "positive",
        ),
        (
            "00020101021138530010A0000007270123000697041601092576788590208QRIBFTTA53037045802VN5802VN6304",
            "twice",
        ),
        (
            "00020101021138530010A0000007270123000697041601092576788590208QRIBFTTA53037045802VN"
            + "6230"
            + "0826"
            + "X" * 26
            + "6304",
            "25",
        ),
    ],
)
def test_decode_refuses_a_malformed_payload(body, why):
    # A right CRC, so that what is refused is the field named in ``why``
    payload = with_crc(body) if body else body
    with pytest.raises(ValueError, match=why):
        vietqr.decode(payload)


def test_decode_refuses_text_after_the_crc():
    with pytest.raises(ValueError):
        vietqr.decode(ACB_STATIC + "00")


def test_decode_refuses_what_is_not_text():
    with pytest.raises(ValueError):
        vietqr.decode(None)  # type: ignore[arg-type]


def test_decode_ignores_fields_it_does_not_use():
    # Given a payload with a merchant name (59) and a bill number (62/01) besides the purpose
    body = (
        "00020101021238570010A00000072701270006970405011371002051234560208QRIBFTTA"
        "530370454062500005802VN5912HTX BAN LUOT"
        "6224" + "0106HD0001" + "0810DH7KQ2M4TX" + "6304"
    )
    decoded = vietqr.decode(with_crc(body))
    assert decoded["purpose"] == "DH7KQ2M4TX"
    assert decoded["amount"] == 250_000


# --- Round trips ----------------------------------------------------------------------------

bins = st.from_regex(r"[0-9]{6}", fullmatch=True)
accounts = st.from_regex(r"[0-9A-Za-z]{1,19}", fullmatch=True)
amounts = st.none() | st.integers(min_value=1, max_value=10**13 - 1)
# A purpose as encode writes it: upper-case ASCII words, single spaces, at most 25 characters.
purposes = st.none() | st.from_regex(r"[A-Z0-9]{1,8}( [A-Z0-9]{1,8}){0,2}", fullmatch=True).filter(
    lambda p: len(p) <= vietqr.PURPOSE_MAX
)
services = st.sampled_from(vietqr.SERVICES)


@given(bank_bin=bins, account=accounts, amount=amounts, purpose=purposes, service=services)
def test_decode_of_encode_gives_back_the_input(bank_bin, account, amount, purpose, service):
    payload = vietqr.encode(bank_bin, account, amount, purpose, service)
    assert vietqr.decode(payload) == {
        "bank_bin": bank_bin,
        "account": account,
        "amount": amount,
        "purpose": purpose,
        "service": service,
    }


@given(purpose=st.text(max_size=40))
def test_any_purpose_is_either_refused_or_carried_as_short_upper_case_ascii(purpose):
    try:
        payload = vietqr.encode("970416", "257678859", 1000, purpose)
    except ValueError:
        return
    carried = vietqr.decode(payload)["purpose"]
    assert carried is None or (carried.isascii() and carried == carried.upper() and len(carried) <= 25)


@given(
    position=st.integers(min_value=0, max_value=len(ACB_STATIC) - 1), char=st.sampled_from("0123456789ABCDEF")
)
def test_any_single_changed_character_is_refused(position, char):
    changed = ACB_STATIC[:position] + char + ACB_STATIC[position + 1 :]
    if changed == ACB_STATIC:
        return
    with pytest.raises(ValueError):
        vietqr.decode(changed)
