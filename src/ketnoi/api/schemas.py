"""Pieces every app's API schemas share: clean text types and the error body.

Text arrives from phones in NFC or NFD and with stray spaces; ``NfcStr``
stores what the rest of the platform expects (NFC, trimmed). Lengths are
checked *after* normalising, so a name typed in decomposed form is not
refused for being "too long" when its stored form fits.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, cast

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from ninja import Schema
from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from ketnoi.core.text import nfc


def lazy(message: str | Promise) -> str:
    """A lazy translation where ninja's signature says ``str`` (summaries, descriptions).

    It stays lazy, so the schema and the docs page render it in the reader's
    language. Write ``lazy(_("…"))`` so ``makemessages`` still finds the text.
    """
    return cast(str, message)


def _no_nul(value: str) -> str:
    # PostgreSQL refuses NUL in text columns; refuse it here with a message
    # instead of failing later with a server error.
    if "\x00" in value:
        raise PydanticCustomError("nul_character", "Text must not contain the NUL character.")
    return value


def _nfc_trimmed(value: str) -> str:
    return nfc(_no_nul(value))


def _nfc_untrimmed(value: str) -> str:
    return unicodedata.normalize("NFC", _no_nul(value))


# A text value in NFC with surrounding whitespace removed. Give every field a
# maximum: ``Annotated[NfcStr, Field(max_length=120)]``.
NfcStr = Annotated[str, AfterValidator(_nfc_trimmed)]

# A secret typed by a person: NFC (as the sign-in page receives it) but with
# spaces kept, because a password may begin or end with one.
Password = Annotated[str, AfterValidator(_nfc_untrimmed), Field(min_length=1, max_length=128)]

PhoneText = Annotated[NfcStr, Field(min_length=1, max_length=32, examples=["0912 345 678"])]


class FieldErrorOut(Schema):
    field: str = Field(description=lazy(_("Đường dẫn tới trường, ví dụ `phone` hay `items.0.name`.")))
    location: str = Field(description=lazy(_("Trường nằm ở đâu: body, query, path hoặc header.")))
    message: str
    code: str


class ErrorOut(Schema):
    """The body of every error the API returns."""

    detail: str = Field(description=lazy(_("Điều gì chưa đúng, bằng ngôn ngữ đã chọn (Accept-Language).")))
    code: str = Field(description=lazy(_("Mã lỗi cố định cho máy đọc, ví dụ `bad_credentials`.")))
    errors: list[FieldErrorOut] = Field(default_factory=list)


# The errors any operation may answer with; merge into ``response=``.
COMMON_ERRORS: dict[int, type[ErrorOut]] = {400: ErrorOut, 422: ErrorOut}
AUTH_ERRORS: dict[int, type[ErrorOut]] = {**COMMON_ERRORS, 401: ErrorOut, 403: ErrorOut}
