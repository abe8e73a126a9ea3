"""VietQR (NAPAS 247) payment codes: build and read the EMVCo payload.

The payload is a chain of tag–length–value fields (2-digit id, 2-digit
length, value), as in shared/domain/vietqr.md:

    00 format "01" · 01 "11" static / "12" with an amount · 38 the account
    (00 GUID A000000727, 01 beneficiary: 00 bank BIN, 01 account; 02 service)
    · 53 "704" · 54 amount · 58 "VN" · 62 additional data (08 purpose) · 63 CRC

The purpose (62/08) is what the payer's bank writes on both statements, so it
carries the order reference back for reconciliation. Banks mangle anything
but plain letters and digits, so ``encode`` writes it as upper-case ASCII:
Vietnamese letters folded (``ĐƠN hàng`` → ``DON HANG``), other characters
dropped, spaces collapsed; more than 25 characters after that is an error,
never cut short (a cut reference would not match).
"""

from __future__ import annotations

import re
import unicodedata
from typing import TypedDict

GUID = "A000000727"
SERVICES = ("QRIBFTTA", "QRIBFTTC")  # to an account, to a card
CURRENCY_VND = "704"
COUNTRY = "VN"
STATIC = "11"
DYNAMIC = "12"
PURPOSE_MAX = 25
AMOUNT_MAX_DIGITS = 13  # EMVCo: field 54 holds at most 13 characters
ACCOUNT_MAX = 19

_BIN = re.compile(r"[0-9]{6}")
_ACCOUNT = re.compile(r"[0-9A-Za-z]{1,19}")
_PURPOSE_DROP = re.compile(r"[^A-Z0-9 ]+")
_CRC_HEX = re.compile(r"[0-9A-Fa-f]{4}")


class VietQR(TypedDict):
    bank_bin: str
    account: str
    amount: int | None
    purpose: str | None
    service: str


def crc16(data: str) -> str:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection) as 4 upper-case hex digits."""
    crc = 0xFFFF
    for byte in data.encode("utf-8"):
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return f"{crc:04X}"


def purpose_text(text: str) -> str:
    """``text`` as banks carry it: upper-case ASCII letters, digits and single spaces."""
    # NFD splits "ỡ" into "o" and its marks; "đ" has no decomposition, so map it first.
    text = text.replace("đ", "d").replace("Đ", "D")
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").upper()
    return " ".join(_PURPOSE_DROP.sub(" ", folded).split())


def _tlv(tag: str, value: str) -> str:
    if len(value) > 99:
        raise ValueError(f"field {tag} is longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


def encode(
    bank_bin: str,
    account: str,
    amount: int | None = None,
    purpose: str | None = None,
    service: str = "QRIBFTTA",
) -> str:
    """The VietQR payload for a transfer to ``account`` at the bank ``bank_bin``.

    With ``amount`` (whole đồng, > 0) the code is dynamic (01 = 12) and the
    payer cannot change the amount; without, static (01 = 11). ``purpose``
    is folded as the module docstring says. Raises ``ValueError`` for a
    bank BIN that is not 6 digits, an account that is not 1–19 letters or
    digits, an amount that is not a positive whole number of at most 13
    digits, a purpose longer than 25 characters, or an unknown service.
    """
    if not isinstance(bank_bin, str) or not _BIN.fullmatch(bank_bin):
        raise ValueError("bank BIN must be 6 digits")
    if not isinstance(account, str) or not _ACCOUNT.fullmatch(account):
        raise ValueError("account must be 1 to 19 letters or digits")
    if service not in SERVICES:
        raise ValueError(f"service must be one of {', '.join(SERVICES)}")
    if amount is not None:
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise ValueError("amount must be a whole number of dong")
        if amount <= 0 or len(str(amount)) > AMOUNT_MAX_DIGITS:
            raise ValueError("amount must be positive and at most 13 digits")
    purpose_value = purpose_text(purpose) if purpose is not None else ""
    if len(purpose_value) > PURPOSE_MAX:
        raise ValueError("purpose must be at most 25 characters")

    beneficiary = _tlv("00", bank_bin) + _tlv("01", account)
    merchant = _tlv("00", GUID) + _tlv("01", beneficiary) + _tlv("02", service)
    parts = [
        _tlv("00", "01"),
        _tlv("01", DYNAMIC if amount is not None else STATIC),
        _tlv("38", merchant),
        _tlv("53", CURRENCY_VND),
    ]
    if amount is not None:
        parts.append(_tlv("54", str(amount)))
    parts.append(_tlv("58", COUNTRY))
    if purpose_value:
        parts.append(_tlv("62", _tlv("08", purpose_value)))
    body = "".join(parts) + "6304"
    return body + crc16(body)


def _fields(data: str, where: str) -> dict[str, str]:
    """Split ``data`` into its TLV fields; a duplicate id or a cut-off field is an error."""
    fields: dict[str, str] = {}
    position = 0
    while position < len(data):
        header = data[position : position + 4]
        if len(header) < 4 or not header.isdigit() or not header.isascii():
            raise ValueError(f"malformed field header at {where} position {position}")
        tag, length = header[:2], int(header[2:])
        value = data[position + 4 : position + 4 + length]
        if len(value) != length:
            raise ValueError(f"field {where}{tag} is cut off")
        if tag in fields:
            raise ValueError(f"field {where}{tag} appears twice")
        fields[tag] = value
        position += 4 + length
    return fields


def _required(fields: dict[str, str], tag: str, where: str = "") -> str:
    if tag not in fields:
        raise ValueError(f"field {where}{tag} is missing")
    return fields[tag]


def decode(payload: str) -> VietQR:
    """Read a VietQR payload; ``ValueError`` unless it is whole, well-formed and a VietQR transfer.

    Checks the CRC (field 63, last), the TLV structure, the mandatory
    fields and their values (format 01, initiation 11/12 agreeing with the
    presence of an amount, GUID A000000727, a 6-digit BIN, an account, a
    known service, currency 704, country VN, an amount of digits only).
    Fields a VietQR payload may carry but this platform does not use (59
    merchant name, 62/01 bill number…) are ignored.
    """
    if not isinstance(payload, str):
        raise ValueError("payload must be text")
    if len(payload) < 8 or payload[-8:-4] != "6304":
        raise ValueError("the CRC field 63 must come last")
    if not _CRC_HEX.fullmatch(payload[-4:]):
        raise ValueError("the CRC must be 4 hexadecimal digits")
    if crc16(payload[:-4]) != payload[-4:].upper():
        raise ValueError("wrong CRC: the code is damaged or was changed")

    fields = _fields(payload[:-8], "")
    if not payload.startswith("000201"):
        raise ValueError("field 00 must come first with value 01")
    initiation = _required(fields, "01")
    if initiation not in (STATIC, DYNAMIC):
        raise ValueError("field 01 must be 11 (static) or 12 (dynamic)")
    if _required(fields, "53") != CURRENCY_VND:
        raise ValueError("field 53 must be 704 (VND)")
    if _required(fields, "58") != COUNTRY:
        raise ValueError("field 58 must be VN")

    merchant = _fields(_required(fields, "38"), "38/")
    if _required(merchant, "00", "38/") != GUID:
        raise ValueError("field 38/00 must be the VietQR GUID A000000727")
    beneficiary = _fields(_required(merchant, "01", "38/"), "38/01/")
    bank_bin = _required(beneficiary, "00", "38/01/")
    if not _BIN.fullmatch(bank_bin):
        raise ValueError("field 38/01/00 must be a 6-digit bank BIN")
    account = _required(beneficiary, "01", "38/01/")
    if not account or len(account) > ACCOUNT_MAX:
        raise ValueError("field 38/01/01 must be an account of 1 to 19 characters")
    service = _required(merchant, "02", "38/")
    if service not in SERVICES:
        raise ValueError("field 38/02 must be a known service: QRIBFTTA or QRIBFTTC")

    amount: int | None = None
    if "54" in fields:
        raw = fields["54"]
        if not (raw.isascii() and raw.isdigit()) or int(raw) == 0:
            raise ValueError("field 54 must be a positive amount in digits only")
        amount = int(raw)
    if initiation == DYNAMIC and amount is None:
        raise ValueError("a dynamic code (01 = 12) must carry an amount (54)")
    if initiation == STATIC and amount is not None:
        raise ValueError("a static code (01 = 11) must not carry an amount (54)")

    purpose: str | None = None
    if "62" in fields:
        extra = _fields(fields["62"], "62/")
        if "08" in extra:
            purpose = extra["08"]
            if len(purpose) > PURPOSE_MAX:
                raise ValueError("field 62/08 must be at most 25 characters")
    return VietQR(bank_bin=bank_bin, account=account, amount=amount, purpose=purpose, service=service)
