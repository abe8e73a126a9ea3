"""``manage.py poverty_assess IN.csv --standard VN-2022-2025 --output OUT.csv``.

Exit status: 0 when every row was assessed; 3 when some rows were rejected
(each reported on stderr with its line number and reasons; the good rows are
in the output all the same); 1 when nothing could be done (unknown standard,
a column missing, unreadable file): a message and no output file. A script
can tell "partly done" from "done" without reading the messages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from ketnoi.poverty.batch import csv_assess
from ketnoi.poverty.errors import PovertyInputError

EXIT_ROWS_REJECTED = 3


class Command(BaseCommand):
    help = (
        "Classify every household of a CSV file (household_id, area, income_per_capita_vnd and one 0/1 "
        "column per indicator) under a poverty standard; write household_id, classification, "
        "deprivation_count. Exit 0: all rows assessed; 3: some rows rejected (listed on stderr); "
        "1: nothing written."
    )
    requires_system_checks: list[str] = []  # a data tool: it needs the standards, not the database

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", type=Path, help="The households, as CSV (UTF-8, with or without BOM).")
        parser.add_argument(
            "--standard",
            default="auto",
            help="VN-2022-2025, VN-2027-2030, GLOBAL-MPI, or auto (the national standard in force today).",
        )
        parser.add_argument("--output", type=Path, required=True, help="Where to write the results (CSV).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = csv_assess(options["source"], options["output"], standard=options["standard"])
        except PovertyInputError as error:
            raise CommandError(str(error)) from None
        for row in report.rejected:
            self.stderr.write(_("Dòng %(line)s: %(reason)s.") % {"line": row.line, "reason": row.reason})
        self.stdout.write(
            _(
                "%(assessed)s dòng đã đánh giá, %(rejected)s dòng bị loại "
                "(chuẩn %(standard)s, phiên bản %(version)s)."
            )
            % {
                "assessed": report.assessed,
                "rejected": len(report.rejected),
                "standard": report.standard,
                "version": report.standard_version,
            }
        )
        if report.rejected:
            raise CommandError(
                _("%(count)s dòng bị loại; các dòng còn lại đã được ghi vào %(output)s.")
                % {"count": len(report.rejected), "output": options["output"]},
                returncode=EXIT_ROWS_REJECTED,
            )
