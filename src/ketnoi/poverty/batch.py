"""Assess a CSV file of households (behind ``manage.py poverty_assess``).

Input: ``household_id``, ``area`` (rural/urban), ``income_per_capita_vnd``
(whole đồng) and one 0/1 column per indicator of the standard; other columns
are ignored, a UTF-8 byte-order mark (Excel writes one) is fine, names and
values are trimmed, ``area`` is case-insensitive. Output: ``household_id``,
``classification``, ``deprivation_count``, in input order.

- A column the standard needs and the file lacks: ``PovertyInputError``
  naming them all, before anything is written.
- A bad row is *rejected* with its line number and every reason, and the
  others are still assessed. Line numbers are physical lines with the header
  as line 1 (a quoted value spanning lines would shift them; IDs and numbers
  never do). A line that is entirely empty is skipped, not rejected.
- The output is written to a temporary file beside it and renamed into place
  at the end, so a failure never leaves half a file.

Polars reads the file in streaming batches: memory stays flat, and a
million rows take a few seconds.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from django.utils.translation import gettext_lazy as _

from . import standards as _standards
from .engine import AREA, AREA_DTYPE, INCOME, classification_expressions, count_expression, required_columns
from .errors import PovertyInputError
from .facts import Area
from .standards import Standard

HOUSEHOLD_ID = "household_id"
OUTPUT_COLUMNS = (HOUSEHOLD_ID, "classification", "deprivation_count")
_LINE = "__line"
_REASON = "__reason"
_OK = "__ok"
_SHOWN = 40  # characters of a bad value quoted back in a reason


@dataclass(frozen=True, slots=True)
class RejectedRow:
    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class CsvReport:
    standard: str
    standard_version: str
    assessed: int
    rejected: tuple[RejectedRow, ...]


def csv_assess(source: Path, output: Path, *, standard: str | Standard) -> CsvReport:
    """Assess every good row of ``source`` into ``output`` and report the rejected rows."""
    chosen = _standards.resolve(standard)
    source, output = Path(source), Path(output)
    if not source.is_file():
        raise PovertyInputError(
            _("Không tìm thấy tệp %(path)s."), code="file_not_found", params={"path": source}
        )
    if output.resolve() == source.resolve():
        raise PovertyInputError(_("Tệp kết quả phải khác tệp đầu vào."), code="output_is_input")
    if not output.parent.is_dir():
        raise PovertyInputError(
            _("Không có thư mục %(path)s để ghi kết quả."),
            code="output_dir_missing",
            params={"path": output.parent},
        )

    needed = [HOUSEHOLD_ID, *required_columns(chosen)]
    scan = pl.scan_csv(
        source,
        infer_schema=False,  # every value as text: each is checked and parsed here, row by row
        truncate_ragged_lines=True,
        row_index_name=_LINE,
        row_index_offset=2,
    )
    names = _read(lambda: scan.collect_schema().names())
    renamed = {name: name.strip().lstrip("\ufeff") for name in names if name != _LINE}
    missing = [c for c in needed if c not in renamed.values()]
    if missing:
        raise PovertyInputError(
            _("Tệp thiếu cột mà chuẩn %(standard)s cần: %(columns)s. Không có kết quả nào được ghi."),
            code="missing_columns",
            params={"standard": chosen.code, "columns": ", ".join(missing)},
        )
    source_of = {new: old for old, new in renamed.items()}
    # Polars reads an empty field as null, so a blank line is a row of nulls: skipped.
    rows = scan.filter(pl.any_horizontal([pl.col(source_of[c]).is_not_null() for c in needed])).select(
        pl.col(_LINE), *[pl.col(source_of[c]).str.strip_chars().alias(c) for c in needed]
    )
    # Cheap checks on every row; the reasons, as text, only for the rows that fail.
    checked = rows.with_columns(pl.all_horizontal(_checks(chosen)).alias(_OK))

    good = (
        checked.filter(pl.col(_OK))
        .with_columns(_parsed(chosen))
        .with_columns(count_expression(chosen))
        .with_columns(classification_expressions(chosen))
        .select(OUTPUT_COLUMNS)
    )
    rejected = checked.filter(~pl.col(_OK)).select(_LINE, _reasons(chosen))
    temporary = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    try:
        _written, bad, total = _read(
            lambda: pl.collect_all(
                [good.sink_csv(temporary, lazy=True), rejected, rows.select(pl.len())], engine="streaming"
            )
        )
        os.replace(temporary, output)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
    rejects = tuple(RejectedRow(line=line, reason=reason) for line, reason in bad.iter_rows())
    return CsvReport(
        standard=chosen.code,
        standard_version=chosen.version,
        assessed=int(total.item()) - len(rejects),
        rejected=rejects,
    )


def _valid(standard: Standard) -> dict[str, pl.Expr]:
    """Per column, whether a (trimmed) value is acceptable; never null."""
    present = {c: pl.col(c).is_not_null() & (pl.col(c) != "") for c in (HOUSEHOLD_ID, INCOME)}
    valid = {HOUSEHOLD_ID: present[HOUSEHOLD_ID]}
    if standard.is_national:
        income = pl.col(INCOME).cast(pl.Int64, strict=False)
        valid[INCOME] = (income >= 0).fill_null(False)
        valid[AREA] = pl.col(AREA).str.to_lowercase().is_in([a.value for a in Area]).fill_null(False)
    for code in standard.codes:
        valid[code] = pl.col(code).is_in(["0", "1"]).fill_null(False)
    return valid


def _checks(standard: Standard) -> list[pl.Expr]:
    return list(_valid(standard).values())


def _reasons(standard: Standard) -> pl.Expr:
    """Every problem of a row, joined with "; " (for rows that have at least one)."""

    def quoted(template: object, column: str) -> pl.Expr:
        # A translated template with one %(value)s, filled with the (shortened) bad value.
        text = str(template).replace("{", "{{").replace("}", "}}").replace("%(value)s", "{}")
        return pl.format(text, pl.col(column).fill_null("").str.slice(0, _SHOWN))

    valid = _valid(standard)
    problems = [pl.when(~valid[HOUSEHOLD_ID]).then(pl.lit(str(_("thiếu household_id"))))]
    if standard.is_national:
        income = pl.col(INCOME).cast(pl.Int64, strict=False)
        present = pl.col(INCOME).is_not_null() & (pl.col(INCOME) != "")
        problems += [
            pl.when(~present).then(pl.lit(str(_("thiếu thu nhập (income_per_capita_vnd)")))),
            pl.when(present & income.is_null()).then(
                quoted(_("thu nhập “%(value)s” không phải số nguyên đồng"), INCOME)
            ),
            pl.when(income < 0).then(quoted(_("thu nhập “%(value)s” là số âm"), INCOME)),
            pl.when(~valid[AREA]).then(quoted(_("khu vực “%(value)s” không phải rural hoặc urban"), AREA)),
        ]
    for code in standard.codes:
        template = _("%(code)s phải là 0 hoặc 1, không phải “%(value)s”") % {
            "code": code,
            "value": "%(value)s",
        }
        problems.append(pl.when(~valid[code]).then(quoted(template, code)))
    return pl.concat_list(problems).list.drop_nulls().list.join("; ").alias(_REASON)


def _parsed(standard: Standard) -> list[pl.Expr]:
    flags = [(pl.col(code) == "1").cast(pl.UInt8).alias(code) for code in standard.codes]
    if not standard.is_national:
        return flags
    return [
        *flags,
        pl.col(INCOME).cast(pl.Int64, strict=False),
        pl.col(AREA).str.to_lowercase().cast(AREA_DTYPE),
    ]


def _read[T](run: Callable[[], T]) -> T:
    """Run a Polars read, turning its errors into a message for the person who gave the file."""
    try:
        return run()
    except pl.exceptions.PolarsError as error:
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        if "utf-8" in detail.lower() or "utf8" in detail.lower():
            raise PovertyInputError(
                _("Tệp không phải văn bản UTF-8. Trong Excel, hãy lưu lại với kiểu “CSV UTF-8”."),
                code="not_utf8",
            ) from None
        raise PovertyInputError(
            _("Không đọc được tệp CSV: %(detail)s"), code="unreadable_csv", params={"detail": detail}
        ) from None
