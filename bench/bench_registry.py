"""Importing a commune's household roll, and the registry pages' query counts.

Against a throwaway SQLite database (base settings, the communes loaded by
the migrations):

- A generated 100,000-row XLSX roll (one row per person, about 26,000
  households, CCCDs for most adults). ``import_check`` (read, parse,
  validate every household, write nothing) on all of it, as rows per
  second and as a ratio against reading the same file with openpyxl's
  read-only iterator alone (the floor any import pays), in the same run.
- ``import_commit`` (read again, save every good household through
  ``household_create`` in one transaction) on the first 10,000 rows, the
  same way. Commit is measured on a part because ``household_create``'s
  duplicate search scans the members table by birth date (there is no
  index on it): its cost per row grows with the registry, and 100,000 rows
  take far too long. A second commit of the next 10,000 rows runs after
  adding that index to this throwaway database, to show what it would give.
- Peak Python memory (tracemalloc) of a check of 10,000 rows.
- The verification queue and the dashboard of a commune officer: queries
  per page with 100 and with 2,000 households (a third of them assessed)
  in her commune. They must be equal.

``KETNOI_BENCH_IMPORT_ROWS`` and ``KETNOI_BENCH_COMMIT_ROWS`` shrink the
run for a quick look.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import benchlib  # noqa: F401 - puts src/ on the path
from benchlib import best_of, peak_bytes, report

ROWS = int(os.environ.get("KETNOI_BENCH_IMPORT_ROWS", "100000"))
COMMIT_ROWS = min(ROWS // 2, int(os.environ.get("KETNOI_BENCH_COMMIT_ROWS", "10000")))
QUEUE_SIZES = (100, 2000)


def _setup_django(var_dir: str) -> None:
    for key in [k for k in os.environ if k.startswith("KETNOI_") and not k.startswith("KETNOI_BENCH_")]:
        del os.environ[key]  # a KETNOI_DATABASE_URL would send us to another database
    os.environ.update(
        DJANGO_SETTINGS_MODULE="ketnoi.settings.base",
        KETNOI_VAR_DIR=var_dir,
        KETNOI_DEBUG="false",
        KETNOI_LOG_LEVEL="WARNING",
        KETNOI_NOTIFY_ADAPTER="ketnoi.core.notify.MemorySender",
    )
    Path(var_dir, "static").mkdir()
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


FAMILIES = ("Lò", "Cầm", "Quàng", "Lường", "Vì", "Giàng", "Sùng", "Vàng", "Hoàng", "Nông", "Bàn", "Triệu")
MEN = ("Văn Pâng", "Văn Xuân", "A Chứ", "Seo Pao", "Văn Toàn", "Văn Phú", "Văn Sáng", "Đức Minh")
WOMEN = ("Thị Ơn", "Thị Mỷ", "Thị Dợ", "Thị Lan", "Thị Hoa", "Thị Mai", "Thị Xuân", "Thị Nhung")
PEOPLES = ("Thái", "Mông", "Tày", "Dao", "Nùng", "Kinh")


def _roll_rows(
    count: int, rng: random.Random, today: date, *, prefix: str = "HO", households: int | None = None
) -> list[list[object]]:
    """``count`` member rows (or ``households`` whole households) plus the header; 1 to 7 people each."""
    from ketnoi.registry import roll

    keys = [c.key for c in roll.COLUMNS]
    rows: list[list[object]] = [[c.header for c in roll.COLUMNS]]
    serial = 0
    household = 0
    while (household < households) if households is not None else (len(rows) - 1 < count):
        household += 1
        size = rng.choice((1, 2, 3, 3, 4, 4, 5, 6, 7))
        if households is None:
            size = min(size, count - (len(rows) - 1))
        family = rng.choice(FAMILIES)
        facts = {
            "thon": f"Bản {household % 40 + 1}",
            "khu_vuc": "Nông thôn",
            "dien_thoai": "",
            "thu_nhap_12_thang": rng.randrange(5, 120) * 1_000_000,
            "tuong": rng.choice(("Bền chắc", "Bền chắc", "Không bền chắc")),
            "khung": rng.choice(("Bền chắc", "Không bền chắc")),
            "mai": rng.choice(("Bền chắc", "Bền chắc", "Không bền chắc")),
            "dien_tich_m2": rng.randrange(12, 120),
            "nuoc": rng.choice(("Nước máy", "Giếng khoan", "Nước khe", "Nước mưa")),
            "nha_tieu": rng.choice(("Tự hoại", "Bán tự hoại", "Tạm", "Không có")),
            "dung_dien_thoai": rng.choice(("Có", "Có", "Có", "Không")),
            "thiet_bi": rng.choice(("Ti vi", "Ti vi, Điện thoại thông minh", "", "Đài")),
            "thu_gom_rac": rng.choice(("Có", "Không")),
        }
        people = rng.choice(PEOPLES)
        for position in range(size):
            serial += 1
            sex = "male" if (position == 0) == (rng.random() < 0.8) else "female"
            age = rng.randint(22, 70) if position < 2 else rng.randint(0, 20)
            born = date(today.year - age, 1, 1) + timedelta(days=rng.randrange(360))
            if born > today - timedelta(days=30):
                born = today - timedelta(days=30)
            number = ""
            if age >= 16 and rng.random() < 0.8:
                century = (born.year // 100 - 19) * 2 + (1 if sex == "female" else 0)
                number = f"014{century}{born.year % 100:02d}{serial % 1_000_000:06d}"
            member = {
                "ma_ho": f"{prefix}{household:06d}",
                "ho_ten": f"{family} {rng.choice(MEN if sex == 'male' else WOMEN)} {serial}",
                "ngay_sinh": born.strftime("%d/%m/%Y"),
                "gioi_tinh": "Nam" if sex == "male" else "Nữ",
                "quan_he": "Chủ hộ" if position == 0 else ("Vợ/chồng" if position == 1 else "Con"),
                "dan_toc": people,
                "cccd": number,
                "hoc_van": rng.choice(("Tiểu học", "THCS", "THPT", "Nghề")),
                "di_hoc": "Có" if 6 <= age <= 18 else "Không",
                "viec_lam": "Không đi làm" if age < 15 else rng.choice(("Tự làm", "Có hợp đồng", "Làm thuê")),
                "kha_nang_lao_dong": "Có",
                "bhyt": rng.choice(("Có", "Có", "Có", "Không")),
                "khuyet_tat": "Không",
                "suy_dinh_duong": "Không",
                **(facts if position == 0 else {}),
            }
            rows.append([member.get(k, "") for k in keys])
    return rows


def _write_xlsx(rows: list[list[object]], path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Danh sách hộ")
    for values in rows:
        sheet.append(values)
    workbook.save(path)


def _upload(path: Path):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(path.name, path.read_bytes())


def _page_queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm: the first request after sign-in stamps the session
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured)


def _queue_counts(officer, commune, today: date, work: Path) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Queries of the officer's pages with 100, then 2,000 households in her commune."""
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from ketnoi.registry.models import Household
    from ketnoi.registry.services.households import household_assess
    from ketnoi.registry.services.imports import import_check, import_commit

    client = Client()
    client.force_login(officer)
    urls = {"dashboard": reverse("registry:dashboard")}
    with contextlib.suppress(NoReverseMatch):  # the queue page may not be there yet
        urls["queue"] = reverse("registry:household_queue")
    rng = random.Random(7)
    counts: dict[str, int] = {}
    have = 0
    for size in QUEUE_SIZES:
        # Households made by importing; a third assessed (the dashboard reads assessments)
        path = work / f"queue-{size}.xlsx"
        rows = _roll_rows(0, rng, today, prefix=f"Q{size}-", households=size - have)
        _write_xlsx(rows, path)
        batch = import_check(actor=officer, commune=commune, file=_upload(path))
        import_commit(actor=officer, batch=batch)
        extra = Household.objects.filter(commune=commune).order_by("-pk")[: size - have]
        have = Household.objects.filter(commune=commune).count()
        for household in list(extra)[::3]:
            household_assess(household=household, actor=None)
        for name, url in urls.items():
            counts[f"{name}_queries_at_{have}_households"] = _page_queries(client, url)
    return counts


def main() -> None:
    var_dir = tempfile.mkdtemp(prefix="ketnoi-bench-")
    try:
        _setup_django(var_dir)
        import openpyxl
        from django.db import connection
        from django.utils import timezone

        from ketnoi.accounts.models import Role, RoleAssignment, User
        from ketnoi.places.models import Commune
        from ketnoi.registry.models import Household
        from ketnoi.registry.services.imports import import_check, import_commit

        commune_a = Commune.objects.select_related("province").get(
            short_name="Mường Bú", province__codename="son_la"
        )
        commune_b = Commune.objects.select_related("province").get(
            short_name="Bắc Hà", province__codename="lao_cai"
        )
        officers = []
        for phone, commune in (("0900000002", commune_a), ("0900000003", commune_b)):
            user = User.objects.create_user(phone, None, display_name="Cán bộ xã")
            RoleAssignment.objects.create(
                user=user, role=Role.COMMUNE_OFFICER, commune=commune, province=commune.province
            )
            officers.append(user)
        today = timezone.localdate()
        work = Path(var_dir, "rolls")
        work.mkdir()

        start = time.perf_counter()
        rows = _roll_rows(ROWS, random.Random(2026), today)
        big = work / "roll.xlsx"
        _write_xlsx(rows, big)
        part = work / "roll-part.xlsx"  # the first COMMIT_ROWS rows: the commit's file
        _write_xlsx(rows[: COMMIT_ROWS + 1], part)
        second = work / "roll-part-2.xlsx"  # the next COMMIT_ROWS rows, other households
        _write_xlsx([rows[0], *rows[COMMIT_ROWS + 1 : 2 * COMMIT_ROWS + 1]], second)
        generate_s = time.perf_counter() - start
        del rows

        def read_only(path: Path) -> int:
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
            count = sum(1 for _ in workbook.worksheets[0].iter_rows(values_only=True))
            workbook.close()
            return count

        batches = []

        def check() -> None:
            batches.append(import_check(actor=officers[0], commune=commune_a, file=_upload(big)))

        t_read, t_check = best_of(1, lambda: read_only(big), check)
        rows_bad = batches[-1].rows_bad

        def commit(path: Path) -> float:
            batch = import_check(actor=officers[0], commune=commune_a, file=_upload(path))
            started = time.perf_counter()
            import_commit(actor=officers[0], batch=batch)
            return time.perf_counter() - started

        (t_read_part,) = best_of(1, lambda: read_only(part))
        t_commit = commit(part)
        # The duplicate search looks members up by birth date; with an index on it:
        with connection.cursor() as cursor:
            cursor.execute("CREATE INDEX bench_member_birth_date ON registry_member (birth_date)")
        t_commit_indexed = commit(second)
        households = Household.objects.filter(commune=commune_a).count()
        check_peak = peak_bytes(
            lambda: import_check(actor=officers[0], commune=commune_a, file=_upload(part))
        )

        figures: dict[str, float | int] = {
            "check_rows": ROWS,
            "check_file_bytes": big.stat().st_size,
            "check_rows_bad": rows_bad,
            "generate_files_s": generate_s,
            "openpyxl_read_only_rows_per_s": ROWS / t_read,
            "check_rows_per_s": ROWS / t_check,
            "check_vs_read_only_ratio": t_check / t_read,
            "commit_rows": COMMIT_ROWS,
            "commit_rows_per_s": COMMIT_ROWS / t_commit,
            "commit_vs_read_only_ratio": t_commit / t_read_part,
            "commit_vs_check_per_row_ratio": (t_commit / COMMIT_ROWS) / (t_check / ROWS),
            "commit_with_birth_date_index_rows_per_s": COMMIT_ROWS / t_commit_indexed,
            "commit_with_birth_date_index_vs_read_only_ratio": t_commit_indexed / t_read_part,
            "households_committed": households,
            f"check_peak_tracemalloc_bytes_{COMMIT_ROWS}_rows": check_peak,
            **_queue_counts(officers[1], commune_b, today, work),
        }
        report(
            "registry",
            figures,
            notes=[
                "SQLite in a temporary folder; one round each (a commit cannot be repeated on the same data)",
                "baseline: openpyxl load_workbook(read_only=True) iterating every row of the same file",
                f"check on {ROWS} rows; commit on the first {COMMIT_ROWS} rows of the same roll",
                "household_create's duplicate search scans the members table by birth date (no index on "
                "it): a commit's cost per row grows with the registry",
                "the second commit runs after adding an index on registry_member.birth_date here",
                "commit: every household through household_create (validation, CCCD encryption and keyed "
                "hash, audit entry, duplicate search) in one transaction",
            ],
        )
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
