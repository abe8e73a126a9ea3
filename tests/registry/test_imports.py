"""Importing a household roll: dry run, a report by line, commit of the good households, export."""

from __future__ import annotations

import csv
import io
import unicodedata
from datetime import timedelta

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone

from ketnoi.accounts.models import Role
from ketnoi.core.errors import DomainError, NotFound
from ketnoi.registry.models import Household, HouseholdSource, ImportBatch, Member
from ketnoi.registry.services import imports
from ketnoi.registry.services.imports import (
    households_export,
    import_batches_purge,
    import_check,
    import_commit,
    import_discard,
    import_summary,
    import_template,
)
from tests.accounts.factories import user_with_role

from .factories import make_household, member_input
from .roll_files import HEADERS, csv_file, family, row, table, xlsx_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer_a(commune_a):
    return user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)


@pytest.fixture
def officer_b(commune_b):
    return user_with_role(Role.COMMUNE_OFFICER, commune=commune_b)


def _errors(batch: ImportBatch) -> list[dict]:
    return [e for e in batch.report if e["level"] == "error"]


def _error_lines(batch: ImportBatch) -> set[int]:
    return {e["line"] for e in _errors(batch)}


# --- A good file -------------------------------------------------------------------


def test_a_good_file_is_checked_without_saving_then_committed_whole(officer_a, commune_a):
    # Given a roll of three households, nine people, one CCCD among them
    rows = family("HO01", surname="Lò") + family("HO02", surname="Cầm") + family("HO03", surname="Quàng")
    rows[0]["cccd"] = "014085001234"
    upload = xlsx_file(table(rows))

    # When the officer checks it
    batch = import_check(actor=officer_a, commune=commune_a, file=upload)

    # Then nothing is saved yet, and the report counts every row as good
    assert Household.objects.count() == 0
    assert (batch.state, batch.rows_total, batch.rows_ok, batch.rows_bad) == ("checked", 9, 9, 0)
    assert import_summary(batch) == {"households_ok": 3, "households_bad": 0}
    assert _errors(batch) == []

    # When she commits it
    committed = import_commit(actor=officer_a, batch=batch)

    # Then the three households are saved from the file, registered by her, waiting for verification
    assert committed.state == "committed"
    households = Household.objects.filter(commune=commune_a)
    assert households.count() == 3
    assert set(households.values_list("source", "registered_by", "status")) == {
        (HouseholdSource.IMPORT, officer_a.pk, "submitted")
    }
    assert Member.objects.filter(household__commune=commune_a).count() == 9
    head = Member.objects.get(citizen_id_masked__startswith="014")
    assert head.full_name == "Lò Văn Pâng"
    assert "014085001234" not in head.citizen_id_encrypted  # encrypted at rest
    assert head.citizen_id_masked == "014••••••234"


def test_commit_saves_all_households_or_none(officer_a, commune_a, monkeypatch):
    # Given a checked roll of three households
    rows = family("HO01", surname="Lò") + family("HO02", surname="Cầm") + family("HO03", surname="Quàng")
    batch = import_check(actor=officer_a, commune=commune_a, file=xlsx_file(table(rows)))
    real_create = imports.household_create
    calls = []

    def failing_third(**kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise DatabaseError("the disk is full")
        return real_create(**kwargs)

    monkeypatch.setattr(imports, "household_create", failing_third)

    # When the database fails while the third household is being saved
    with pytest.raises(DatabaseError):
        import_commit(actor=officer_a, batch=batch)

    # Then the first two are not left behind: one transaction, all or nothing
    assert Household.objects.count() == 0
    batch.refresh_from_db()
    assert batch.state == "checked"


def test_a_batch_commits_only_once(officer_a, commune_a):
    batch = import_check(actor=officer_a, commune=commune_a, file=xlsx_file(table(family("HO01"))))
    import_commit(actor=officer_a, batch=batch)

    with pytest.raises(DomainError) as raised:
        import_commit(actor=officer_a, batch=batch)

    assert raised.value.status == 409
    assert Household.objects.count() == 1


def test_a_discarded_batch_saves_nothing_and_cannot_be_committed(officer_a, commune_a):
    batch = import_check(actor=officer_a, commune=commune_a, file=xlsx_file(table(family("HO01"))))

    import_discard(actor=officer_a, batch=batch)

    with pytest.raises(DomainError):
        import_commit(actor=officer_a, batch=batch)
    assert Household.objects.count() == 0


# --- Bad rows ------------------------------------------------------------------------


def test_bad_rows_are_reported_by_line_and_only_good_households_are_committed(officer_a, commune_a):
    # Given a roll where HO02's head was born in the future (line 5)
    # and HO03's head has a negative income and a floor area of 0 (line 8)
    rows = family("HO01", surname="Lò") + family("HO02", surname="Cầm") + family("HO03", surname="Quàng")
    rows[3]["ngay_sinh"] = "01/01/2090"
    rows[6]["thu_nhap_12_thang"] = "-5000000"
    rows[6]["dien_tich_m2"] = "0"
    upload = xlsx_file(table(rows))

    # When it is checked
    batch = import_check(actor=officer_a, commune=commune_a, file=upload)

    # Then each bad row is named by its line (the header is line 1) with its reason
    assert [(e["line"], e["household"], e["reason"]) for e in _errors(batch)] == [
        (5, "HO02", "Ngày sinh: Ngày sinh không thể ở tương lai."),
        (8, "HO03", "Thu nhập 12 tháng (đồng): Thu nhập không thể là số âm."),
        (8, "HO03", "Diện tích nhà (m²): Diện tích nhà phải lớn hơn 0."),
    ]
    assert (batch.rows_ok, batch.rows_bad) == (3, 6)
    assert import_summary(batch) == {"households_ok": 1, "households_bad": 2}
    assert Household.objects.count() == 0  # a dry run saves nothing

    # When the officer commits, only the good household is saved
    import_commit(actor=officer_a, batch=batch)
    assert list(
        Household.objects.values_list("members__full_name", flat=True).order_by("members__birth_date")
    ) == [
        "Lò Văn Pâng",
        "Cầm Thị Ơn Lò",
        "Lò Thị Mai",
    ]


def test_cells_that_cannot_be_read_are_reported_in_plain_words(officer_a, commune_a):
    rows = family("HO01")
    rows[0].update(gioi_tinh="Không rõ", ngay_sinh="31/02/1985", dan_toc="Sao Hỏa")
    rows[1].update(quan_he="Hàng xóm", bhyt="có lẽ")
    rows[2].update(cccd="12345")

    batch = import_check(actor=officer_a, commune=commune_a, file=xlsx_file(table(rows)))

    text = " | ".join(f"{e['line']}: {e['reason']}" for e in _errors(batch))
    assert "2: Giới tính: “Không rõ” không phải là giới tính" in text
    assert "2: Ngày sinh: Ngày “31/02/1985” không có trên lịch" in text
    assert "2: Dân tộc: Không biết dân tộc “Sao Hỏa”" in text
    assert "3: Quan hệ với chủ hộ: “Hàng xóm”" in text
    assert "3: Có BHYT: “có lẽ”: hãy ghi Có hoặc Không." in text
    assert "4: Số CCCD phải có đúng 12 chữ số." in text


def test_a_cccd_that_contradicts_birth_year_or_sex_is_refused_on_its_line(officer_a, commune_a):
    rows = family("HO01")
    rows[1]["cccd"] = "014085001234"  # a man born in 1985; she is a woman born in 1988

    batch = import_check(actor=officer_a, commune=commune_a, file=xlsx_file(table(rows)))

    (error,) = _errors(batch)
    assert error["line"] == 3
    assert "năm sinh 1985" in error["reason"]


def test_a_household_without_a_head_is_refused(officer_a, commune_a):
    rows = family("HO01")
    rows[0]["quan_he"] = "Chồng"

    batch = import_check(actor=officer_a, commune=commune_a, file=xlsx_file(table(rows)))

    assert any("đúng một chủ hộ" in e["reason"] and e["line"] == 2 for e in _errors(batch))
    assert batch.rows_ok == 0


def test_a_member_in_two_households_is_an_error_on_both_lines(officer_a, commune_a):
    # Given the same person (same CCCD) listed in HO01 (line 3) and HO02 (line 6)
    rows = family("HO01", surname="Lò") + family("HO02", surname="Cầm")
    rows[1]["cccd"] = "014188001234"  # Cầm Thị Ơn Lò, a woman born 1988
    rows[4].update(cccd="014188001234", ho_ten="Cầm Thị Ơn Lò")

    batch = import_check(actor=officer_a, commune=commune_a, file=xlsx_file(table(rows)))

    lines = {e["line"] for e in _errors(batch) if "nhiều hộ" in e["reason"]}
    assert lines == {3, 6}
    assert batch.rows_ok == 0


def test_the_same_name_and_birth_date_without_cccd_in_two_households_is_an_error(officer_a, commune_a):
    rows = family("HO01", surname="Lò") + family("HO02", surname="Cầm")
    rows[5].update(ho_ten="Lò Thị Mai")  # the child of HO01 again, same birth date

    batch = import_check(actor=officer_a, commune=commune_a, file=xlsx_file(table(rows)))

    assert {e["line"] for e in _errors(batch) if "cùng họ tên, cùng ngày sinh" in e["reason"]} == {4, 7}


def test_household_facts_that_differ_between_its_rows_are_an_error(officer_a, commune_a):
    rows = family("HO01")
    rows[2]["thu_nhap_12_thang"] = "20.000.000"  # the child's row gives another income

    batch = import_check(actor=officer_a, commune=commune_a, file=xlsx_file(table(rows)))

    (error,) = _errors(batch)
    assert error["line"] == 4
    assert "khác với dòng 2" in error["reason"]


def test_a_row_without_a_household_key_is_reported(officer_a, commune_a):
    rows = [*family("HO01"), row("", ho_ten="Vì Văn Lạc", ngay_sinh="01/01/1970")]

    batch = import_check(actor=officer_a, commune=commune_a, file=xlsx_file(table(rows)))

    assert [(e["line"], "Mã hộ" in e["reason"]) for e in _errors(batch)] == [(5, True)]
    assert (batch.rows_ok, batch.rows_bad) == (3, 1)


# --- Columns --------------------------------------------------------------------------


def test_missing_columns_are_one_file_error_naming_them_and_nothing_is_stored(officer_a, commune_a):
    headers = [h for h in HEADERS if h not in ("Ngày sinh", "Khu vực")]

    with pytest.raises(DomainError) as raised:
        import_check(actor=officer_a, commune=commune_a, file=xlsx_file(table(family("HO01"), headers)))

    message = str(raised.value)
    assert "thiếu cột bắt buộc" in message
    assert "“Ngày sinh” (ngay_sinh)" in message
    assert "“Khu vực” (khu_vuc)" in message
    assert ImportBatch.objects.count() == 0


def test_a_renamed_column_is_named_as_unknown_beside_the_missing_one(officer_a, commune_a):
    headers = ["Ngày tháng sinh nhật" if h == "Ngày sinh" else h for h in HEADERS]

    with pytest.raises(DomainError) as raised:
        import_check(actor=officer_a, commune=commune_a, file=xlsx_file(table(family("HO01"), headers)))

    message = str(raised.value)
    assert "“Ngày sinh” (ngay_sinh)" in message
    assert "“Ngày tháng sinh nhật”" in message
    assert "đổi tên" in message


def test_extra_columns_are_a_warning_and_the_rows_still_import(officer_a, commune_a):
    headers = [*HEADERS, "Ghi chú của thôn"]
    rows = family("HO01")
    rows[0]["Ghi chú của thôn"] = "hộ mới tách"

    batch = import_check(actor=officer_a, commune=commune_a, file=xlsx_file(table(rows, headers)))

    assert batch.rows_ok == 3
    (warning,) = [e for e in batch.report if e["level"] == "warning"]
    assert warning["line"] == 1
    assert "“Ghi chú của thôn”" in warning["reason"]


def test_headers_without_diacritics_in_any_case_and_order_are_read(officer_a, commune_a):
    # Given the officer's own sheet: a title above, headers typed without marks, columns reordered
    keys = [c.key for c in imports.roll.COLUMNS]
    shouted = [k.replace("_", " ").upper() for k in reversed(keys)]
    rows = family("HO01")
    body = [[r.get(k, "") for k in reversed(keys)] for r in rows]
    upload = xlsx_file([["DANH SÁCH HỘ GIA ĐÌNH XÃ MƯỜNG BÚ NĂM 2026"], [], shouted, *body])

    batch = import_check(actor=officer_a, commune=commune_a, file=upload)

    assert (batch.rows_ok, batch.rows_bad) == (3, 0)
    import_commit(actor=officer_a, batch=batch)
    assert Household.objects.get().members.count() == 3


# --- Files ----------------------------------------------------------------------------


def test_a_50_mb_file_is_refused_before_it_is_read(officer_a, commune_a):
    upload = SimpleUploadedFile("danh-sach.xlsx", b"\0" * (50 * 1024 * 1024))

    with pytest.raises(DomainError) as raised:
        import_check(actor=officer_a, commune=commune_a, file=upload)

    assert raised.value.status == 413
    assert "Tệp quá lớn: tối đa 20 MB" in str(raised.value)
    assert ImportBatch.objects.count() == 0


def test_a_file_that_is_not_a_spreadsheet_is_refused_with_what_to_do(officer_a, commune_a):
    with pytest.raises(DomainError) as wrong_type:
        import_check(
            actor=officer_a, commune=commune_a, file=SimpleUploadedFile("danh-sach.xls", b"\xd0\xcf")
        )
    with pytest.raises(DomainError) as broken:
        import_check(
            actor=officer_a, commune=commune_a, file=SimpleUploadedFile("danh-sach.xlsx", b"not a zip")
        )

    assert ".xlsx" in str(wrong_type.value)
    assert "Không mở được tệp Excel" in str(broken.value)


def test_nfd_text_is_stored_in_nfc(officer_a, commune_a):
    # Given a CSV typed on a keyboard that sends decomposed letters, headers included
    rows = family("HO01")
    headers = [unicodedata.normalize("NFD", h) for h in HEADERS]
    cells = [[unicodedata.normalize("NFD", str(v)) for v in r] for r in table(rows)[1:]]
    upload = csv_file([headers, *cells])

    batch = import_check(actor=officer_a, commune=commune_a, file=upload)
    import_commit(actor=officer_a, batch=batch)

    names = set(Member.objects.values_list("full_name", flat=True))
    assert names == {"Lò Văn Pâng", "Cầm Thị Ơn Lò", "Lò Thị Mai"}
    assert all(unicodedata.is_normalized("NFC", n) for n in names)


def test_csv_from_excel_with_bom_and_semicolons_is_read(officer_a, commune_a):
    upload = csv_file(table(family("HO01")), delimiter=";", bom=True)

    batch = import_check(actor=officer_a, commune=commune_a, file=upload)

    assert (batch.rows_ok, batch.rows_bad) == (3, 0)


def test_csv_in_another_encoding_is_refused_with_how_to_save_it(officer_a, commune_a):
    text = "\n".join(",".join(str(v) for v in r) for r in table(family("HO01")))
    upload = SimpleUploadedFile("danh-sach.csv", text.encode("cp1258", errors="replace"))  # Windows-1258

    with pytest.raises(DomainError) as raised:
        import_check(actor=officer_a, commune=commune_a, file=upload)

    assert "UTF-8" in str(raised.value)


def test_a_cccd_typed_as_a_number_gets_its_leading_zeros_back(officer_a, commune_a):
    # Hà Nội's codes start with 001: Excel turns "001085001234" into 1085001234
    rows = family("HO01")
    rows[0]["cccd"] = 1085001234

    batch = import_check(actor=officer_a, commune=commune_a, file=xlsx_file(table(rows)))
    import_commit(actor=officer_a, batch=batch)

    assert Member.objects.get(relation="head").citizen_id_masked == "001••••••234"


def test_the_template_imports_as_it_is(officer_a, commune_a):
    upload = SimpleUploadedFile("mau.xlsx", import_template())

    batch = import_check(actor=officer_a, commune=commune_a, file=upload)

    assert (batch.rows_total, batch.rows_ok) == (2, 2)


# --- Areas ----------------------------------------------------------------------------


def test_an_officer_cannot_import_into_another_commune(officer_b, commune_a):
    with pytest.raises(NotFound):
        import_check(actor=officer_b, commune=commune_a, file=xlsx_file(table(family("HO01"))))

    assert ImportBatch.objects.count() == 0


def test_an_officer_cannot_open_or_commit_another_communes_batch(client, officer_a, officer_b, commune_a):
    batch = import_check(actor=officer_a, commune=commune_a, file=xlsx_file(table(family("HO01"))))
    client.force_login(officer_b)

    page = client.get(reverse("registry:import_batch", args=[batch.pk]))
    commit = client.post(reverse("registry:import_commit", args=[batch.pk]))

    assert (page.status_code, commit.status_code) == (404, 404)
    with pytest.raises(NotFound):
        import_commit(actor=officer_b, batch=batch)
    assert Household.objects.count() == 0


def _export_rows(officer, fmt="csv", **kwargs) -> list[dict[str, str]]:
    export = households_export(actor=officer, format=fmt, **kwargs)
    body = b"".join(export.chunks)
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    return [dict(zip(values[0], (("" if v is None else str(v)) for v in r), strict=True)) for r in values[1:]]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_export_holds_only_the_officers_households_with_cccds_masked(
    officer_a, commune_a, commune_b, fmt
):
    # Given a household in each commune, with a CCCD in commune A
    mine = make_household(commune_a, members=[member_input(citizen_id="014085001234")])
    theirs = make_household(commune_b, members=[member_input(full_name="Giàng A Chứ")])

    rows = _export_rows(officer_a, fmt)

    assert {r["Mã hồ sơ"] for r in rows} == {mine.reference}
    assert theirs.reference not in str(rows)
    assert rows[0]["Số CCCD"] == "014••••••234"
    assert "014085001234" not in str(rows)
    assert rows[0]["Dân tộc"] == "Thái"


def test_an_export_of_another_commune_is_refused(officer_b, commune_a):
    make_household(commune_a)

    with pytest.raises(NotFound):
        households_export(actor=officer_b, format="csv", commune=commune_a)
    assert _export_rows(officer_b) == []


def test_the_export_imports_back_into_the_same_columns(officer_a, commune_a):
    make_household(commune_a)
    rows = _export_rows(officer_a)
    headers = list(rows[0])
    upload = csv_file([headers, *[[r[h] for h in headers] for r in rows]])

    batch = import_check(actor=officer_a, commune=commune_a, file=upload)

    assert (batch.rows_ok, batch.rows_bad) == (3, 0)
    assert any("sẽ bị bỏ qua" in e["reason"] for e in batch.report if e["level"] == "warning")


# --- Pages ----------------------------------------------------------------------------


def test_upload_check_and_commit_through_the_pages(client, officer_a, commune_a):
    client.force_login(officer_a)
    rows = family("HO01", surname="Lò") + family("HO02", surname="Cầm")
    rows[3]["ngay_sinh"] = "01/01/2090"

    form = client.get(reverse("registry:import"))
    sent = client.post(
        reverse("registry:import"), {"commune": commune_a.code, "file": xlsx_file(table(rows))}
    )
    report = client.get(sent["Location"])

    assert form.status_code == 200
    assert sent.status_code == 302
    page = report.content.decode()
    assert "tương lai" in page
    assert Household.objects.count() == 0
    commit_url = reverse("registry:import_commit", args=[ImportBatch.objects.get().pk])
    done = client.post(commit_url, follow=True)
    assert "Đã lưu 1 hộ; 1 hộ có lỗi không được lưu." in done.content.decode()
    assert Household.objects.count() == 1


def test_the_upload_page_names_a_file_level_error(client, officer_a, commune_a):
    client.force_login(officer_a)
    headers = [h for h in HEADERS if h != "Ngày sinh"]

    response = client.post(
        reverse("registry:import"),
        {"commune": commune_a.code, "file": xlsx_file(table(family("HO01"), headers))},
    )

    assert response.status_code == 400
    assert "“Ngày sinh” (ngay_sinh)" in response.content.decode()


def test_an_officer_of_b_cannot_choose_commune_a_on_the_upload_page(client, officer_b, commune_a):
    client.force_login(officer_b)

    response = client.post(
        reverse("registry:import"), {"commune": commune_a.code, "file": xlsx_file(table(family("HO01")))}
    )

    assert response.status_code == 400
    assert ImportBatch.objects.count() == 0


def test_the_export_and_template_downloads(client, officer_a, commune_a):
    make_household(commune_a)
    client.force_login(officer_a)

    csv_response = client.get(reverse("registry:households_export", args=["csv"]))
    template = client.get(reverse("registry:import_template"))
    other = client.get(reverse("registry:households_export", args=["pdf"]))

    assert csv_response.status_code == 200
    assert "attachment" in csv_response["Content-Disposition"]
    assert "Lò Văn Pâng" in b"".join(csv_response.streaming_content).decode("utf-8-sig")
    assert template.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(template.content)).sheetnames == ["Danh sách hộ", "Hướng dẫn"]
    assert other.status_code == 404


def test_people_without_an_officer_role_cannot_import_or_export(client, commune_a):
    seller = user_with_role(Role.SELLER, commune=commune_a)
    client.force_login(seller)

    assert client.get(reverse("registry:import")).status_code == 403
    assert client.get(reverse("registry:households_export", args=["csv"])).status_code == 403


def test_a_checked_batch_left_uncommitted_is_purged_with_its_file(
    officer_a, commune_a, django_capture_on_commit_callbacks
):
    # Given a checked roll from two days ago, never committed, and one from a minute ago
    old = import_check(actor=officer_a, commune=commune_a, file=xlsx_file(table(family("HO01"))))
    ImportBatch.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    recent = import_check(actor=officer_a, commune=commune_a, file=xlsx_file(table(family("HO02"))))
    storage, old_name = old.file.storage, old.file.name
    assert storage.exists(old_name)

    # When the hourly purge runs
    with django_capture_on_commit_callbacks(execute=True):
        purged = import_batches_purge()

    # Then only the old batch is discarded, its file with the CCCDs is gone, and it cannot commit
    assert purged == 1
    assert ImportBatch.objects.get(pk=old.pk).state == ImportBatch.State.DISCARDED
    assert ImportBatch.objects.get(pk=recent.pk).state == ImportBatch.State.CHECKED
    assert not storage.exists(old_name)
    with pytest.raises(DomainError):
        import_commit(actor=officer_a, batch=old)
    assert Household.objects.count() == 0
