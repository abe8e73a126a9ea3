"""``manage.py poverty_report --by commune|province|ethnicity|head_sex --output report.xlsx|.csv``.

Over the registry's assessments under one standard (default: the national
standard in force today): for one year, or each household's latest. Per
group and for all: households, people, poor, near-poor, middle, not poor,
the share of poor households, and Alkire–Foster H, A, M0 (the standard's
weights and k, households as the unit). A server tool: it reads every
commune; officers see their own area's figures on the dashboard.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from ketnoi.poverty.errors import PovertyInputError
from ketnoi.registry import reports


class Command(BaseCommand):
    help = (
        "Poverty figures of the registry by commune, province, ethnicity or sex of the household head, "
        "written to an .xlsx or .csv file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--by", required=True, help="commune, province, ethnicity or head_sex.")
        parser.add_argument(
            "--standard", default="", help="VN-2022-2025, VN-2027-2030 … (default: the one in force today)."
        )
        parser.add_argument(
            "--year",
            type=int,
            default=None,
            help="Assessments of this year (default: each household's latest).",
        )
        parser.add_argument("--output", type=Path, required=True, help="report.xlsx or report.csv")

    def handle(self, *args: Any, **options: Any) -> None:
        by = options["by"]
        if by not in reports.GROUPINGS:
            raise CommandError(
                _("--by phải là một trong: %(choices)s (nhận được “%(by)s”).")
                % {"choices": ", ".join(reports.GROUPINGS), "by": by}
            )
        output: Path = options["output"]
        kind = output.suffix.lower().lstrip(".")
        if kind not in ("xlsx", "csv"):
            raise CommandError(
                _("Tệp kết quả phải có đuôi .xlsx hoặc .csv (nhận được “%(name)s”).") % {"name": output.name}
            )
        try:
            standard = reports.standard_choose(options["standard"])
        except PovertyInputError as error:
            raise CommandError(str(error)) from None
        frame = reports.latest_per_household(
            reports.assessment_frame(reports.assessments_in(None), standard), options["year"]
        )
        groups, total = reports.figures_by(frame, standard, by)
        headers = reports.headers_for(by)
        rows = [g.as_row() for g in groups] + [total.as_row()]
        try:
            if kind == "xlsx":
                output.write_bytes(reports.workbook_bytes([(standard.code, headers, rows)]))
            else:
                output.write_text(reports.csv_text(headers, rows), encoding="utf-8")
        except OSError as error:
            raise CommandError(
                _("Không ghi được %(name)s: %(error)s") % {"name": output, "error": error}
            ) from None
        self.stdout.write(
            _("%(groups)s nhóm, %(households)s hộ (chuẩn %(standard)s) → %(output)s")
            % {
                "groups": len(groups),
                "households": total.households,
                "standard": standard.code,
                "output": output,
            }
        )
