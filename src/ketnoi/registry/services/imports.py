"""Import a household roll from a spreadsheet, and export the households an officer may see.

An import is two steps. ``import_check`` reads every row, builds each
household as ``household_create`` would and validates it the same way
without saving, and stores the file with a report of every bad row by line.
``import_commit`` reads the stored file again and saves every good
household in one transaction; a batch commits once. The format (columns,
how values are read) is in ``registry.roll``; a blank template comes from
``import_template``.

Files: XLSX (the first sheet) or CSV in UTF-8 (with or without BOM; comma,
semicolon or tab). Other encodings (Windows-1258, TCVN3) are refused with a
message saying to save as UTF-8: guessing them garbles Vietnamese names.
"""

from __future__ import annotations

import codecs
import csv
import io
import secrets
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import IO, Any

import openpyxl
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.base import File
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ketnoi.core.audit import audit_record
from ketnoi.core.errors import DomainError, NotFound
from ketnoi.core.scopes import scopes_cover
from ketnoi.core.spreadsheets import xlsx_rows
from ketnoi.core.text import fold
from ketnoi.places.models import Commune

from .. import citizen_id, roll
from ..ethnicity import ethnic_group_name
from ..labels import classification_label
from ..models import (
    Assessment,
    Household,
    HouseholdSource,
    ImportBatch,
    Member,
)
from ..selectors import households_for_officer, officer_scopes
from .households import (
    HouseholdInput,
    MemberInput,
    household_create,
    household_fill,
    member_fill,
    members_check,
)

MAX_IMPORT_BYTES = 20 * 1024 * 1024  # a commune's roll is well under 5 MB; 20 leaves room
MAX_IMPORT_ROWS = 200_000  # members; the largest commune has about 60,000 people
MAX_REPORT_ENTRIES = 1000  # beyond this the officer fixes what she sees and checks again
HEADER_SEARCH_ROWS = 10  # a title or a note may sit above the header row
MIN_KNOWN_HEADERS = 3

XLSX = "xlsx"
CSV = "csv"
CONTENT_TYPES = {
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    CSV: "text/csv; charset=utf-8",
}

_FIELD_HEADERS = {column.field: column.header for column in roll.COLUMNS if column.field}


# --- Reading a file -------------------------------------------------------------------


def _file_kind(filename: str) -> str:
    name = filename.lower()
    if name.endswith(".xlsx"):
        return XLSX
    if name.endswith(".csv"):
        return CSV
    raise DomainError(
        _("Chỉ nhận tệp Excel .xlsx hoặc .csv. Nếu tệp là .xls, hãy mở bằng Excel và lưu lại dạng .xlsx."),
        code="import_file_type",
    )


def _size_of(file: Any) -> int:
    size = getattr(file, "size", None)
    if size is None:
        position = file.tell()
        file.seek(0, io.SEEK_END)
        size = file.tell()
        file.seek(position)
    return int(size)


def _size_check(file: Any) -> None:
    if _size_of(file) > MAX_IMPORT_BYTES:
        raise DomainError(
            _("Tệp quá lớn: tối đa %(max)s MB. Hãy chia danh sách thành nhiều tệp, mỗi tệp vài thôn/bản."),
            code="import_too_large",
            params={"max": MAX_IMPORT_BYTES // (1024 * 1024)},
            status=413,
        )


def _xlsx_rows(file: IO[bytes]) -> Iterator[tuple[int, tuple[Any, ...]]]:
    yield from enumerate(xlsx_rows(file, error_code="import_unreadable"), start=1)


def _csv_rows(file: IO[bytes]) -> Iterator[tuple[int, tuple[Any, ...]]]:
    text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
    line = 0
    try:
        first = text.readline()
        counts = {d: first.count(d) for d in (",", ";", "\t")}
        delimiter = max(counts, key=lambda d: counts[d])
        reader = csv.reader(_chain([first], text), delimiter=delimiter)
        for line, row in enumerate(reader, start=1):
            yield line, tuple(row)
    except UnicodeDecodeError:
        raise DomainError(
            _(
                "Tệp CSV không ở dạng UTF-8 (lỗi gần dòng %(line)s). Trong Excel chọn Lưu thành → "
                "“CSV UTF-8”, hoặc tải lên tệp .xlsx."
            ),
            code="import_encoding",
            params={"line": line + 1},
        ) from None
    except csv.Error as error:
        raise DomainError(
            _("Tệp CSV bị lỗi ở dòng %(line)s: %(error)s"),
            code="import_unreadable",
            params={"line": line + 1, "error": str(error)},
        ) from None
    finally:
        text.detach()


def _chain(first: list[str], rest: Iterable[str]) -> Iterator[str]:
    yield from first
    yield from rest


def _rows(file: IO[bytes], kind: str) -> Iterator[tuple[int, tuple[Any, ...]]]:
    return _xlsx_rows(file) if kind == XLSX else _csv_rows(file)


# --- Analysing the rows ------------------------------------------------------------------


@dataclass
class Issue:
    line: int
    reason: str
    level: str = "error"  # or "warning"
    household: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"line": self.line, "level": self.level, "reason": self.reason, "household": self.household}


@dataclass
class ParsedHousehold:
    key: str
    lines: list[int] = field(default_factory=list)
    values: dict[str, tuple[int, Any]] = field(default_factory=dict)  # field → (line, value)
    members: list[tuple[int, MemberInput | None]] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    unreadable: set[str] = field(default_factory=set)  # household fields with a cell that could not be read
    data: HouseholdInput | None = None

    def error(self, line: int, reason: str) -> None:
        self.errors.append(Issue(line, reason, household=self.key))

    @property
    def ok(self) -> bool:
        return not self.errors and self.data is not None


@dataclass
class Analysis:
    households: list[ParsedHousehold]
    warnings: list[Issue]
    orphan_errors: list[Issue]  # rows that belong to no household (no key)
    rows_total: int

    @property
    def good(self) -> list[ParsedHousehold]:
        return [h for h in self.households if h.ok]

    @property
    def rows_ok(self) -> int:
        return sum(len(h.lines) for h in self.good)

    def issues(self) -> list[Issue]:
        found = [*self.orphan_errors, *self.warnings]
        for household in self.households:
            found.extend(household.errors)
        return sorted(found, key=lambda i: (i.line, i.level != "error"))


def _header_row(
    rows: Iterator[tuple[int, tuple[Any, ...]]],
) -> tuple[int, roll.HeaderMatch]:
    """Find the header row among the first few; refuse the file when columns are missing."""
    first_nonblank: tuple[int, tuple[Any, ...]] | None = None
    for line, row in rows:
        if all(roll.is_blank(v) for v in row):
            if line >= HEADER_SEARCH_ROWS:
                break
            continue
        first_nonblank = first_nonblank or (line, row)
        if roll.known_headers(row) >= MIN_KNOWN_HEADERS:
            match = roll.headers_match(row)
            _columns_check(line, match)
            return line, match
        if line >= HEADER_SEARCH_ROWS:
            break
    if first_nonblank is None:
        raise DomainError(_("Tệp không có dữ liệu."), code="import_empty")
    line, row = first_nonblank
    match = roll.headers_match(row)
    _columns_check(line, match)
    return line, match  # unreachable: a row with fewer than 3 known headers lacks required ones


def _columns_check(line: int, match: roll.HeaderMatch) -> None:
    if match.duplicated:
        raise DomainError(
            _("Dòng tiêu đề (dòng %(line)s) có cột trùng tên: %(columns)s. Mỗi cột chỉ được có một lần."),
            code="import_columns",
            params={"line": line, "columns": ", ".join(match.duplicated)},
        )
    missing = match.missing
    if not missing:
        return
    expected = ", ".join(f"“{c.header}” ({c.key})" for c in missing)
    if match.unknown:
        raise DomainError(
            _(
                "Tệp thiếu cột bắt buộc: %(missing)s. Tệp có cột không nhận ra: %(unknown)s — nếu đã đổi "
                "tên cột, hãy đặt lại đúng tên như tệp mẫu."
            ),
            code="import_columns",
            params={"missing": expected, "unknown": ", ".join(f"“{u}”" for u in match.unknown)},
        )
    raise DomainError(
        _("Tệp thiếu cột bắt buộc: %(missing)s. Hãy dùng tệp mẫu."),
        code="import_columns",
        params={"missing": expected},
    )


def _cell(row: tuple[Any, ...], position: int) -> Any:
    return row[position] if position < len(row) else None


def _analyse(file: IO[bytes], kind: str, *, commune: Commune, validate: bool) -> Analysis:
    """Parse every row and group members into households; validate each when ``validate``."""
    rows = _rows(file, kind)
    header_line, match = _header_row(rows)
    warnings: list[Issue] = []
    if match.unknown:
        warnings.append(
            Issue(
                header_line,
                gettext("Các cột sau không dùng đến và sẽ bị bỏ qua: %(columns)s.")
                % {"columns": ", ".join(f"“{u}”" for u in match.unknown)},
                level="warning",
            )
        )
    positions = match.positions
    key_position = positions[roll.KEY.key]
    household_columns = [(c, positions[c.key]) for c in roll.HOUSEHOLD_COLUMNS if c.key in positions]
    member_columns = [(c, positions[c.key]) for c in roll.MEMBER_COLUMNS if c.key in positions]
    households: dict[str, ParsedHousehold] = {}
    orphans: list[Issue] = []
    total = 0
    for line, row in rows:
        if all(roll.is_blank(v) for v in row):
            continue
        total += 1
        if total > MAX_IMPORT_ROWS:
            raise DomainError(
                _("Tệp có hơn %(max)s dòng. Hãy chia thành nhiều tệp."),
                code="import_too_many_rows",
                params={"max": MAX_IMPORT_ROWS},
            )
        key = roll.parse_text(_cell(row, key_position))
        if not key:
            orphans.append(Issue(line, gettext("Thiếu “Mã hộ”: mỗi dòng phải ghi mã hộ của người đó.")))
            continue
        household = households.get(key)
        if household is None:
            household = households[key] = ParsedHousehold(key)
        household.lines.append(line)
        _read_household_cells(household, line, row, household_columns)
        household.members.append((line, _read_member(household, line, row, member_columns)))
    if total == 0:
        raise DomainError(_("Tệp chỉ có dòng tiêu đề, chưa có hộ nào."), code="import_empty")
    parsed = list(households.values())
    _members_in_two_households(parsed)
    today = timezone.localdate()
    for household in parsed:
        _household_input(household, commune)
        if validate:
            _household_validate(household, commune, today=today)
    if validate:
        warnings.extend(_already_registered(parsed))
    return Analysis(households=parsed, warnings=warnings, orphan_errors=orphans, rows_total=total)


def _read_household_cells(
    household: ParsedHousehold, line: int, row: tuple[Any, ...], columns: list[tuple[roll.Column, int]]
) -> None:
    """Household facts may be on every row of the household or on one; they must agree."""
    for column, position in columns:
        raw = _cell(row, position)
        if roll.is_blank(raw):
            continue
        try:
            value = column.parse(raw)
        except roll.CellError as error:
            household.error(line, f"{column.header}: {error.message}")
            household.unreadable.add(column.field)
            continue
        seen = household.values.get(column.field)
        if seen is None:
            household.values[column.field] = (line, value)
        elif seen[1] != value:
            household.error(
                line,
                gettext("%(column)s: khác với dòng %(first)s của cùng hộ %(key)s; một hộ chỉ có một giá trị.")
                % {"column": column.header, "first": seen[0], "key": household.key},
            )


def _read_member(
    household: ParsedHousehold, line: int, row: tuple[Any, ...], columns: list[tuple[roll.Column, int]]
) -> MemberInput | None:
    values: dict[str, Any] = {}
    ok = True
    for column, position in columns:
        raw = _cell(row, position)
        if roll.is_blank(raw):
            if column.required:
                household.error(line, gettext("Thiếu “%(column)s”.") % {"column": column.header})
                ok = False
            continue
        try:
            values[column.field] = column.parse(raw)
        except roll.CellError as error:
            household.error(line, f"{column.header}: {error.message}")
            ok = False
    return MemberInput(**values) if ok else None


def _members_in_two_households(households: list[ParsedHousehold]) -> None:
    """A person belongs to one household: the same CCCD, or the same name and birth date
    (without two different CCCDs to tell them apart), in two households is an error on each line."""
    by_number: dict[str, list[tuple[ParsedHousehold, int]]] = defaultdict(list)
    by_person: dict[tuple[str, date], list[tuple[ParsedHousehold, int, str]]] = defaultdict(list)
    for household in households:
        for line, member in household.members:
            if member is None:
                continue
            if member.citizen_id:
                by_number[member.citizen_id].append((household, line))
            by_person[(fold(member.full_name), member.birth_date)].append(
                (household, line, member.citizen_id)
            )
    for number, places in by_number.items():
        if len({h.key for h, _line in places}) > 1:
            where = ", ".join(f"{h.key} (dòng {line})" for h, line in places)
            for household, line in places:
                household.error(
                    line,
                    gettext(
                        "Cùng một số CCCD (%(masked)s) có trong nhiều hộ: %(where)s. "
                        "Một người chỉ thuộc một hộ."
                    )
                    % {"masked": citizen_id.mask(number), "where": where},
                )
    for (_name, _born), entries in by_person.items():
        if len({h.key for h, _line, _n in entries}) < 2:
            continue
        numbers = [n for _h, _line, n in entries]
        if all(numbers) and len(set(numbers)) == len(numbers):
            continue  # two people with the same name and birthday, told apart by their CCCDs
        if all(numbers) and len(set(numbers)) == 1:
            continue  # already reported above
        where = ", ".join(f"{h.key} (dòng {line})" for h, line, _n in entries)
        for household, line, _n in entries:
            household.error(
                line,
                gettext(
                    "Người này (cùng họ tên, cùng ngày sinh) có trong nhiều hộ: %(where)s. "
                    "Một người chỉ thuộc một hộ; nếu là hai người khác nhau, hãy ghi số CCCD của từng người."
                )
                % {"where": where},
            )


def _household_input(household: ParsedHousehold, commune: Commune) -> None:
    first = household.lines[0]
    for column in roll.HOUSEHOLD_COLUMNS:
        if (
            column.required
            and column.field not in household.values
            and column.field not in household.unreadable
        ):
            household.error(
                first,
                gettext("Hộ %(key)s thiếu “%(column)s” (ghi ở dòng của chủ hộ).")
                % {"key": household.key, "column": column.header},
            )
    if household.errors or any(m is None for _line, m in household.members):
        return
    values = {name: value for name, (_line, value) in household.values.items()}
    household.data = HouseholdInput(
        commune_code=commune.code,
        members=[m for _line, m in household.members if m is not None],
        **values,
    )


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        found: list[str] = []
        for name, messages in error.message_dict.items():
            label = _FIELD_HEADERS.get(name)
            found.extend(f"{label}: {m}" if label and name != NON_FIELD_ERRORS else m for m in messages)
        return found
    return list(error.messages)


def _household_validate(household: ParsedHousehold, commune: Commune, *, today: date) -> None:
    """The checks ``household_create`` makes before it saves, without saving.

    Every member that could be read is checked, even when another row of the
    household is wrong, so that one pass reports all that needs fixing. The
    commune was checked once for the whole file, so it is left out of
    ``full_clean`` (it would cost a query per household).
    """
    row = Household(commune=commune, source=HouseholdSource.IMPORT)
    for line, member_data in household.members:
        if member_data is None:
            continue
        try:
            member = member_fill(member_data, Member(household=row), today=today)
            member.full_clean(exclude=["household", "name_folded"])
        except ValidationError as error:
            for message in _messages(error):
                household.error(line, message)
    data = household.data
    if data is None:
        return
    first = household.lines[0]
    try:
        household_fill(data, row)
        row.full_clean(exclude=["reference", "commune"])
    except ValidationError as error:
        for message in _messages(error):
            household.error(
                first, gettext("Hộ %(key)s: %(error)s") % {"key": household.key, "error": message}
            )
    try:
        members_check(data.members)
    except ValidationError as error:
        for message in _messages(error):
            household.error(
                first, gettext("Hộ %(key)s: %(error)s") % {"key": household.key, "error": message}
            )
    if household.errors:
        household.data = None


def _already_registered(households: list[ParsedHousehold]) -> list[Issue]:
    """Warn about people whose CCCD is already in the registry (they will be flagged, not refused)."""
    lines_by_hash: dict[str, list[int]] = defaultdict(list)
    for household in households:
        if not household.ok:
            continue
        for line, member in household.members:
            if member is not None and member.citizen_id:
                lines_by_hash[citizen_id.lookup_hash(member.citizen_id)].append(line)
    hashes = list(lines_by_hash)
    known: set[str] = set()
    for start in range(0, len(hashes), 500):
        chunk = hashes[start : start + 500]
        known.update(
            Member.objects.filter(citizen_id_hash__in=chunk).values_list("citizen_id_hash", flat=True)
        )
    message = gettext(
        "Số CCCD này đã có trong sổ hộ. Hộ vẫn được nhập, và cán bộ sẽ xem xét trường hợp nghi trùng."
    )
    return [Issue(line, message, level="warning") for h in known for line in lines_by_hash[h]]


def _report(analysis: Analysis) -> list[dict[str, Any]]:
    issues = analysis.issues()
    entries = [i.as_json() for i in issues[:MAX_REPORT_ENTRIES]]
    if len(issues) > MAX_REPORT_ENTRIES:
        entries.append(
            Issue(
                issues[MAX_REPORT_ENTRIES].line,
                gettext("… và %(n)s lỗi khác. Hãy sửa các lỗi trên rồi kiểm tra lại tệp.")
                % {"n": len(issues) - MAX_REPORT_ENTRIES},
            ).as_json()
        )
    good = len(analysis.good)
    summary = {
        "line": 0,
        "level": "summary",
        "reason": "",
        "household": "",
        "households_ok": good,
        "households_bad": len(analysis.households) - good,
    }
    return [summary, *entries]


# --- The services --------------------------------------------------------------------


def _commune_check(actor: Any, commune: Commune) -> None:
    if not scopes_cover(officer_scopes(actor), province_code=commune.province_id, commune_code=commune.code):
        raise NotFound(_("Không tìm thấy xã/phường này trong địa bàn của bạn."), code="commune_not_found")


def import_batch_for_officer(*, user: Any, batch_id: int) -> ImportBatch:
    """A batch of a commune in ``user``'s areas; ``NotFound`` otherwise."""
    batch = ImportBatch.objects.select_related("commune__province", "uploaded_by").filter(pk=batch_id).first()
    if batch is None or not scopes_cover(
        officer_scopes(user), province_code=batch.commune.province_id, commune_code=batch.commune_id
    ):
        raise NotFound(_("Không tìm thấy lần nhập này trong địa bàn của bạn."), code="import_not_found")
    return batch


def import_summary(batch: ImportBatch) -> dict[str, int]:
    """Households that will be (or were) saved and skipped, from the batch's report."""
    summary: dict[str, Any] = next((e for e in batch.report if e.get("level") == "summary"), {})
    return {
        "households_ok": summary.get("households_ok", 0),
        "households_bad": summary.get("households_bad", 0),
    }


def import_check(*, actor: Any, commune: Commune, file: Any, ip_address: str | None = None) -> ImportBatch:
    """Dry run: read ``file`` (an upload with ``.name``), report every bad row, save no household.

    Raises ``NotFound`` when ``commune`` is outside ``actor``'s areas and
    ``DomainError`` for a file that cannot be used at all (too large, wrong
    type, columns missing); then nothing is stored. Otherwise the file is
    kept (under a random name) for ``import_commit``.
    """
    _commune_check(actor, commune)
    filename = str(getattr(file, "name", "") or "")
    kind = _file_kind(filename)
    _size_check(file)
    file.seek(0)
    analysis = _analyse(file, kind, commune=commune, validate=True)
    file.seek(0)
    report = _report(analysis)
    with transaction.atomic():
        batch = ImportBatch(
            commune=commune,
            uploaded_by=actor,
            filename=filename.rsplit("/", 1)[-1][:200],
            rows_total=analysis.rows_total,
            rows_ok=analysis.rows_ok,
            rows_bad=analysis.rows_total - analysis.rows_ok,
            report=report,
        )
        # A random name: the file holds CCCDs in clear until it is committed or discarded.
        batch.file.save(f"{secrets.token_urlsafe(18)}.{kind}", File(file), save=False)
        batch.save()
        audit_record(
            actor=actor,
            action="import_checked",
            target=batch,
            changes={"rows": (None, batch.rows_total), "rows_bad": (None, batch.rows_bad)},
            ip_address=ip_address,
        )
    return batch


def import_commit(*, actor: Any, batch: ImportBatch, ip_address: str | None = None) -> ImportBatch:
    """Save every good household of a checked batch, all in one transaction; bad rows stay out.

    Idempotent: a batch that is already committed (or discarded) is refused
    with a 409 and nothing more is saved. Each household goes through
    ``household_create(source="import")``, with ``actor`` as who registered it.
    """
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().select_related("commune__province").get(pk=batch.pk)
        _commune_check(actor, locked.commune)
        if locked.state != ImportBatch.State.CHECKED:
            raise DomainError(
                _("Lần nhập này đã được lưu hoặc đã huỷ; không lưu lại lần nữa."),
                code="import_done",
                status=409,
            )
        kind = _file_kind(locked.file.name or "")
        try:
            stored = locked.file.open("rb")
        except OSError:
            raise DomainError(
                _("Không còn tệp của lần nhập này. Hãy tải tệp lên và kiểm tra lại."), code="import_file_gone"
            ) from None
        with stored:
            analysis = _analyse(stored, kind, commune=locked.commune, validate=True)
        good = analysis.good
        if not good:
            raise DomainError(
                _("Không có hộ nào hợp lệ để lưu. Hãy sửa tệp rồi kiểm tra lại."), code="import_nothing"
            )
        for household in good:
            assert household.data is not None
            try:
                household_create(actor=actor, data=household.data, source=HouseholdSource.IMPORT)
            except (ValidationError, DomainError) as error:
                # The same checks passed a moment ago: refuse the whole batch rather than save part of it.
                reason = "; ".join(_messages(error)) if isinstance(error, ValidationError) else str(error)
                raise DomainError(
                    _("Dòng %(line)s (hộ %(key)s): %(error)s. Chưa lưu hộ nào; hãy kiểm tra lại tệp."),
                    code="import_failed",
                    params={"line": household.lines[0], "key": household.key, "error": reason},
                ) from None
        locked.state = ImportBatch.State.COMMITTED
        locked.committed_at = timezone.now()
        locked.rows_total = analysis.rows_total
        locked.rows_ok = analysis.rows_ok
        locked.rows_bad = analysis.rows_total - analysis.rows_ok
        locked.report = _report(analysis)
        locked.save()
        audit_record(
            actor=actor,
            action="import_committed",
            target=locked,
            changes={"households": (None, len(good)), "rows": (None, locked.rows_ok)},
            ip_address=ip_address,
        )
        _file_drop_after_commit(locked)
    return locked


def import_discard(*, actor: Any, batch: ImportBatch, ip_address: str | None = None) -> ImportBatch:
    """Drop a checked batch and its file; nothing of it is saved."""
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().select_related("commune__province").get(pk=batch.pk)
        _commune_check(actor, locked.commune)
        if locked.state != ImportBatch.State.CHECKED:
            raise DomainError(_("Lần nhập này đã được lưu hoặc đã huỷ."), code="import_done", status=409)
        locked.state = ImportBatch.State.DISCARDED
        locked.save(update_fields=["state", "updated_at"])
        audit_record(actor=actor, action="import_discarded", target=locked, ip_address=ip_address)
        _file_drop_after_commit(locked)
    return locked


def import_batches_purge(*, older_than: timedelta = timedelta(hours=24)) -> int:
    """Discard checked batches nobody committed within ``older_than``; returns how many.

    Their uploaded files hold citizen ID numbers in clear, so they must not
    linger: run ``manage.py registry_purge_imports`` from a scheduler (hourly).
    """
    cutoff = timezone.now() - older_than
    purged = 0
    for batch_id in ImportBatch.objects.filter(
        state=ImportBatch.State.CHECKED, created_at__lt=cutoff
    ).values_list("pk", flat=True):
        with transaction.atomic():
            locked = (
                ImportBatch.objects.select_for_update()
                .filter(pk=batch_id, state=ImportBatch.State.CHECKED)
                .first()
            )
            if locked is None:
                continue
            locked.state = ImportBatch.State.DISCARDED
            locked.save(update_fields=["state", "updated_at"])
            audit_record(actor=None, action="import_purged", target=locked, reason="not committed in time")
            _file_drop_after_commit(locked)
            purged += 1
    return purged


def _file_drop_after_commit(batch: ImportBatch) -> None:
    """The uploaded file holds CCCDs in clear: delete it once its rows are saved or dropped."""
    storage, name = batch.file.storage, batch.file.name
    transaction.on_commit(lambda: storage.delete(name) if name else None)


# --- The template ----------------------------------------------------------------------


def import_template() -> bytes:
    """A blank roll (XLSX): the header row, two example rows, and a sheet that explains each column."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Danh sách hộ"
    sheet.append([c.header for c in roll.COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    example = {c.key: c.example for c in roll.COLUMNS}
    sheet.append([example[c.key] for c in roll.COLUMNS])
    second = {
        **{c.key: "" for c in roll.HOUSEHOLD_COLUMNS},
        "ma_ho": "HO001",
        "ho_ten": "Lò Văn Pâng",
        "ngay_sinh": "12/04/1987",
        "gioi_tinh": "Nam",
        "quan_he": "Chồng",
        "dan_toc": "Thái",
        "cccd": "",
        "hoc_van": "Tiểu học",
        "di_hoc": "Không",
        "viec_lam": "Làm thuê",
        "kha_nang_lao_dong": "Có",
        "bhyt": "Có",
        "khuyet_tat": "Không",
        "suy_dinh_duong": "Không",
    }
    sheet.append([second[c.key] for c in roll.COLUMNS])
    for position, column in enumerate(roll.COLUMNS, start=1):
        letter = get_column_letter(position)
        sheet.column_dimensions[letter].width = max(12, len(column.header) + 2)
        if column.key in ("cccd", "dien_thoai", "ma_ho"):
            for row in range(2, 2001):  # as text, so Excel keeps leading zeros
                sheet[f"{letter}{row}"].number_format = "@"
    sheet.freeze_panes = "A2"
    guide = workbook.create_sheet("Hướng dẫn")
    guide.append(["Cột", "Tên khác được nhận", "Bắt buộc", "Thuộc", "Ví dụ"])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for column in roll.COLUMNS:
        guide.append(
            [
                column.header,
                column.key,
                "Có" if column.required else "Không",
                "Hộ (ghi ít nhất ở dòng chủ hộ)" if column.household else "Từng người",
                column.example,
            ]
        )
    guide.append([])
    guide.append(["Mỗi dòng là một người. Những người cùng hộ ghi cùng Mã hộ."])
    guide.append(
        ["Ngày ghi ngày/tháng/năm, ví dụ 05/03/1990. Thu nhập là tổng của cả hộ trong 12 tháng, bằng đồng."]
    )
    guide.append(["Tệp CSV phải lưu dạng UTF-8 (Excel: Lưu thành → CSV UTF-8)."])
    for letter, width in zip("ABCDE", (28, 22, 10, 30, 30), strict=True):
        guide.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- Export ------------------------------------------------------------------------------


EXPORT_PREFIX_HEADERS = ("Mã hồ sơ", "Xã/phường", "Tỉnh/thành phố", "Trạng thái", "Phân loại", "Năm", "Chuẩn")
EXPORT_CHUNK = 500


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content_type: str
    chunks: Iterator[bytes]


def _short(label: Any) -> str:
    return str(label).split("(")[0].strip()


def _export_rows(households: Iterable[Household]) -> Iterator[list[Any]]:
    """One row per member, columns as in the import template after a few of the household's own.

    Labels are Vietnamese whatever the page language, so the file imports back.
    """
    for household in households:
        with translation.override("vi"):
            rows = list(_household_rows(household))
        yield from rows


def _household_rows(household: Household) -> Iterator[list[Any]]:
    yes, no = "Có", "Không"
    latest = max(household.assessments.all(), key=lambda a: (a.year, a.assessed_on, a.pk), default=None)
    prefix = [
        household.reference,
        household.commune.name,
        household.commune.province.name,
        str(household.get_status_display()),
        classification_label(latest.classification) if latest else "",
        latest.year if latest else "",
        latest.standard if latest else "",
    ]
    facts = {
        "thon": household.address_line,
        "khu_vuc": str(household.get_area_display()),
        "dien_thoai": household.contact_phone,
        "thu_nhap_12_thang": household.income_12m_vnd,
        "tuong": _short(household.get_walls_display()),
        "khung": _short(household.get_frame_display()),
        "mai": _short(household.get_roof_display()),
        "dien_tich_m2": float(household.floor_area_m2),
        "nuoc": str(household.get_water_source_display()),
        "nha_tieu": str(household.get_latrine_display()),
        "dung_dien_thoai": yes if household.uses_telecom else no,
        "thiet_bi": ", ".join(roll.DEVICE_LABELS.get(d, d) for d in household.devices),
        "thu_gom_rac": yes if household.waste_collected_or_treated else no,
    }
    for member in household.members.all():
        values = {
            "ma_ho": household.reference,
            "ho_ten": member.full_name,
            "ngay_sinh": member.birth_date.strftime("%d/%m/%Y"),
            "gioi_tinh": str(member.get_sex_display()),
            "quan_he": str(member.get_relation_display()),
            "dan_toc": ethnic_group_name(member.ethnic_group),
            "cccd": member.citizen_id_masked,  # never the number itself
            "hoc_van": str(member.get_education_display()),
            "di_hoc": yes if member.attending_school else no,
            "viec_lam": _short(member.get_work_display()),
            "kha_nang_lao_dong": yes if member.able_to_work else no,
            "bhyt": yes if member.has_health_insurance else no,
            "khuyet_tat": yes if member.has_disability else no,
            "suy_dinh_duong": yes if member.stunted_or_underweight else no,
            **facts,
        }
        yield [*prefix, *(values[c.key] for c in roll.COLUMNS if c.key != "ma_ho")]


def _export_headers() -> list[str]:
    return [*EXPORT_PREFIX_HEADERS, *(c.header for c in roll.COLUMNS if c.key != "ma_ho")]


def _csv_chunks(rows: Iterator[list[Any]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield codecs.BOM_UTF8  # so that Excel reads the file as UTF-8
    writer.writerow(_export_headers())
    for count, row in enumerate(rows, start=1):
        writer.writerow(row)
        if count % EXPORT_CHUNK == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _xlsx_chunks(rows: Iterator[list[Any]]) -> Iterator[bytes]:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Danh sách hộ")
    sheet.append(_export_headers())
    for row in rows:
        sheet.append(row)
    with tempfile.TemporaryFile() as spool:
        workbook.save(spool)
        spool.seek(0)
        while chunk := spool.read(64 * 1024):
            yield chunk


def households_export(
    *, actor: Any, format: str = XLSX, commune: Commune | None = None, ip_address: str | None = None
) -> ExportFile:
    """The households ``actor`` may see (optionally one commune of them), one row per member.

    A ``commune`` outside ``actor``'s areas raises ``NotFound``.
    CCCDs are masked. Rows are read in chunks and written as they come, so a
    province's list does not sit in memory. The export is in the audit trail.
    """
    if format not in CONTENT_TYPES:
        raise DomainError(_("Chỉ xuất được tệp .xlsx hoặc .csv."), code="export_format")
    households = households_for_officer(actor)
    if commune is not None:
        _commune_check(actor, commune)
        households = households.filter(commune=commune)
    households = households.prefetch_related(
        Prefetch("members", queryset=Member.objects.order_by("birth_date", "id")),
        Prefetch("assessments", queryset=Assessment.objects.order_by("-year", "standard")),
    ).order_by("commune__province_id", "commune_id", "reference")
    audit_record(
        actor=actor,
        action="households_exported",
        changes={"format": (None, format), "commune": (None, commune.code if commune else None)},
        ip_address=ip_address,
    )
    rows = _export_rows(households.iterator(chunk_size=EXPORT_CHUNK))
    chunks = _xlsx_chunks(rows) if format == XLSX else _csv_chunks(rows)
    stamp = timezone.localdate().strftime("%Y%m%d")
    return ExportFile(
        filename=f"ho-gia-dinh-{stamp}.{format}",
        content_type=CONTENT_TYPES[format],
        chunks=chunks,
    )
