"""``manage.py poverty_assess``: good rows assessed, bad rows reported by line, nothing half-written."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from ketnoi.poverty import standards

from .helpers import VN_2022, VN_2027

CODES_2022 = standards.get(VN_2022).codes
HEADER = ["household_id", "area", "income_per_capita_vnd", *CODES_2022]


def line(household_id: str, area: str, income: str, deprived: int = 0, **values: str) -> list[str]:
    """A row deprived in the first ``deprived`` indicators, with ``values`` overriding any column."""
    flags = ["1" if i < deprived else "0" for i in range(len(CODES_2022))]
    row = dict(zip(HEADER, [household_id, area, income, *flags], strict=True))
    row.update(values)
    return [row[c] for c in HEADER]


def write(path: Path, rows: list[list[str]], header: list[str] = HEADER, bom: bool = False) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *rows])
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8"))
    return path


def run(source: Path, output: Path, standard: str = VN_2022) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "poverty_assess", str(source), "--standard", standard, "--output", str(output), stdout=out, stderr=err
    )
    return out.getvalue(), err.getvalue()


def results(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_every_row_is_classified_in_input_order(tmp_path):
    source = write(
        tmp_path / "in.csv",
        [
            line("H1", "rural", "1500000", 3),
            line("H2", "rural", "1500000", 2),
            line("H3", "urban", "2000001", 5),
            line("H4", "urban", "3000001", 0),
        ],
    )

    stdout, stderr = run(source, tmp_path / "out.csv")

    assert results(tmp_path / "out.csv") == [
        {"household_id": "H1", "classification": "poor", "deprivation_count": "3"},
        {"household_id": "H2", "classification": "near_poor", "deprivation_count": "2"},
        {"household_id": "H3", "classification": "middle", "deprivation_count": "5"},
        {"household_id": "H4", "classification": "not_poor", "deprivation_count": "0"},
    ]
    assert "4 dòng đã đánh giá, 0 dòng bị loại" in stdout
    assert stderr == ""


def test_bad_rows_are_reported_by_line_and_the_rest_assessed(tmp_path):
    # Given a file with four bad rows among good ones (line 1 is the header)
    source = write(
        tmp_path / "in.csv",
        [
            line("H1", "rural", "1400000", 3),  # line 2
            line("H2", "rural", "một triệu", 3),  # line 3: income not a number
            line("H3", "urban", "-5", 0),  # line 4: negative income
            line("H4", "city", "100", 0),  # line 5: area
            line("H5", "rural", "100", 0, telecom="2"),  # line 6: indicator not 0/1
            line("", "rural", "100", 0),  # line 7: no household_id
            line("H8", "URBAN ", " 2000000 ", 3),  # line 8: fine once trimmed
        ],
    )

    # When it is assessed
    with pytest.raises(CommandError) as caught:
        run(source, tmp_path / "out.csv")

    # Then the command ends with status 3, the good rows are written, the bad ones reported
    assert caught.value.returncode == 3
    assert [r["household_id"] for r in results(tmp_path / "out.csv")] == ["H1", "H8"]
    assert results(tmp_path / "out.csv")[1]["classification"] == "poor"


def test_the_report_names_each_line_and_reason(tmp_path, capsys):
    source = write(
        tmp_path / "in.csv",
        [
            line("H1", "rural", "1400000", 3),
            line("H2", "rural", "abc", 3, latrine="x"),
            line("", "city", "-1", 0),
        ],
    )
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError):
        call_command(
            "poverty_assess", str(source), "--output", str(tmp_path / "o.csv"), stdout=out, stderr=err
        )

    report = err.getvalue().splitlines()
    assert report == [
        "Dòng 3: thu nhập “abc” không phải số nguyên đồng; latrine phải là 0 hoặc 1, không phải “x”.",
        "Dòng 4: thiếu household_id; thu nhập “-1” là số âm; khu vực “city” không phải rural hoặc urban.",
    ]
    assert "1 dòng đã đánh giá, 2 dòng bị loại" in out.getvalue()


def test_a_missing_column_is_named_and_no_output_is_written(tmp_path):
    header = [c for c in HEADER if c not in ("latrine", "income_per_capita_vnd")]
    source = write(tmp_path / "in.csv", [["H1", "rural", *["0"] * 10]], header=header)

    with pytest.raises(CommandError) as caught:
        run(source, tmp_path / "out.csv")

    assert caught.value.returncode == 1
    assert "income_per_capita_vnd" in str(caught.value) and "latrine" in str(caught.value)
    assert not (tmp_path / "out.csv").exists()
    assert list(tmp_path.iterdir()) == [source]  # no temporary file left either


def test_the_new_standard_needs_its_own_columns(tmp_path):
    source = write(tmp_path / "in.csv", [line("H1", "rural", "1", 0)])

    with pytest.raises(CommandError, match="waste_treatment"):
        run(source, tmp_path / "out.csv", standard=VN_2027)


def test_a_byte_order_mark_extra_columns_and_blank_lines_are_fine(tmp_path):
    source = write(
        tmp_path / "in.csv",
        [[*line("H1", "rural", "1500000", 3), "ghi chú"], [], [*line("H2", "urban", "1", 0), "x"]],
        header=[*HEADER, "notes"],
        bom=True,
    )
    assert source.read_bytes().startswith(b"\xef\xbb\xbfhousehold_id")

    stdout, _ = run(source, tmp_path / "out.csv")

    assert [r["household_id"] for r in results(tmp_path / "out.csv")] == ["H1", "H2"]
    assert "2 dòng đã đánh giá, 0 dòng bị loại" in stdout


def test_auto_uses_the_standard_in_force_today(tmp_path):
    header = [*HEADER, "waste_treatment"]  # columns for either national standard
    source = write(tmp_path / "in.csv", [[*line("H1", "rural", "1", 0), "0"]], header=header)

    stdout, _ = run(source, tmp_path / "out.csv", standard="auto")

    assert f"chuẩn {standards.in_force().code}" in stdout


def test_an_unknown_standard_or_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="VN-1999"):
        run(write(tmp_path / "in.csv", []), tmp_path / "out.csv", standard="VN-1999")
    with pytest.raises(CommandError, match="Không tìm thấy tệp"):
        run(tmp_path / "nope.csv", tmp_path / "out.csv")


def test_a_file_that_is_not_utf8_is_refused_with_advice(tmp_path):
    source = tmp_path / "in.csv"
    source.write_bytes(",".join(HEADER).encode() + b"\nH\xe0,rural,1," + b",".join([b"0"] * 12) + b"\n")

    with pytest.raises(CommandError, match="UTF-8"):
        run(source, tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()


def test_the_exit_status_seen_by_a_shell_script(tmp_path):
    good = write(tmp_path / "good.csv", [line("H1", "rural", "1", 0)])
    bad = write(tmp_path / "bad.csv", [line("H1", "rural", "1", 0), line("H2", "mars", "1", 0)])
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "poverty_assess"]
    env = {"DJANGO_SETTINGS_MODULE": "ketnoi.settings.test", "PATH": "/usr/bin:/bin"}

    ok = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [*manage, str(good), "--output", str(tmp_path / "o1.csv")], capture_output=True, env=env
    )
    partial = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [*manage, str(bad), "--output", str(tmp_path / "o2.csv")], capture_output=True, env=env
    )

    assert ok.returncode == 0, ok.stderr
    assert partial.returncode == 3
    assert "Dòng 3:" in partial.stderr.decode()
    assert (tmp_path / "o2.csv").read_text().count("\n") == 2  # header and H1
