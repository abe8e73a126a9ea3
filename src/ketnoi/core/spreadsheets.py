"""Reading the first sheet of an uploaded XLSX file, safely.

Officers and sellers upload spreadsheets from Excel, LibreOffice or a bank's
export; a damaged or disguised file must end in one clear message, never a
traceback. Shared by the household-roll import and the bank-statement import.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from typing import IO, Any
from xml.etree.ElementTree import ParseError

import openpyxl
from django.utils.translation import gettext_lazy as _
from openpyxl.utils.exceptions import InvalidFileException

from .errors import DomainError

# What a damaged or disguised file raises inside openpyxl and the zip and XML readers.
UNREADABLE_XLSX = (
    zipfile.BadZipFile,
    InvalidFileException,
    ParseError,
    KeyError,
    OSError,
    ValueError,
    TypeError,
    EOFError,
)


def unreadable_xlsx(*, code: str) -> DomainError:
    return DomainError(
        _("Không mở được tệp Excel này. Hãy mở nó bằng Excel, lưu lại dạng .xlsx rồi tải lên lại."),
        code=code,
    )


def xlsx_rows(file: IO[bytes], *, error_code: str) -> Iterator[tuple[Any, ...]]:
    """The rows of the first sheet as tuples of cell values (read-only, streaming).

    Any failure to read, on opening or half-way through, raises one
    ``DomainError`` with ``error_code``.
    """
    try:
        workbook = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except UNREADABLE_XLSX:
        raise unreadable_xlsx(code=error_code) from None
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some programs write a wrong size; read what is there
        for row in sheet.iter_rows(values_only=True):
            yield tuple(row)
    except UNREADABLE_XLSX:
        raise unreadable_xlsx(code=error_code) from None
    finally:
        workbook.close()
