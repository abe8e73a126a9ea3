"""The posted result of a review round as a PDF to print and pin up (fpdf2).

Vietnamese needs a Unicode font: DejaVu Sans, from Debian's
``fonts-dejavu-core``, looked for in ``settings.KETNOI_PDF_FONT_DIR``
(default ``/usr/share/fonts/truetype/dejavu``). The PDF carries only the
``PublicRow`` columns: head of household, village, result.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace

from .models import ReviewRound, RoundState
from .selectors_review import PUBLIC_RESULT_LABELS, PublicRow, public_totals

DEFAULT_FONT_DIR = "/usr/share/fonts/truetype/dejavu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
FAMILY = "DejaVu"


# fontTools logs every glyph it keeps when fpdf2 subsets a font: noise in the server log.
logging.getLogger("fontTools").setLevel(logging.WARNING)


class PdfFontMissing(ImproperlyConfigured):
    """The Unicode font for PDFs is not installed where the settings say."""


def font_dir() -> Path:
    return Path(getattr(settings, "KETNOI_PDF_FONT_DIR", DEFAULT_FONT_DIR))


def _font_paths() -> dict[str, Path]:
    folder = font_dir()
    paths = {style: folder / name for style, name in FONT_FILES.items()}
    missing = [str(path) for path in paths.values() if not path.is_file()]
    if missing:
        raise PdfFontMissing(
            f"PDF font not found: {', '.join(missing)}. Install Debian's fonts-dejavu-core "
            "or set KETNOI_PDF_FONT_DIR to a folder holding DejaVuSans.ttf and DejaVuSans-Bold.ttf."
        )
    return paths


def _para(pdf: FPDF, text: str, *, height: float = 6, align: str = "L") -> None:
    """A paragraph across the page, the cursor left at the start of the next line."""
    pdf.multi_cell(0, height, text, align=align, new_x="LMARGIN", new_y="NEXT")


class _ResultPdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, size=8)
        self.cell(0, 5, f"{self.footer_text}  ·  {self.page_no()}/{{nb}}", align="C")


def result_pdf(
    *, round: ReviewRound, rows: Sequence[PublicRow], public_url: str, compress: bool = True
) -> bytes:
    """The posted list of ``round`` as PDF bytes; ``compress=False`` leaves the streams readable."""
    paths = _font_paths()
    pdf = _ResultPdf(orientation="portrait", unit="mm", format="A4")
    pdf.set_compression(compress)
    for style, path in paths.items():
        pdf.add_font(FAMILY, style=style, fname=str(path))
    pdf.set_title(_("Kết quả rà soát hộ nghèo, hộ cận nghèo năm %(year)s") % {"year": round.year})
    pdf.footer_text = f"{round.commune.name} — {round.year}"
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()

    pdf.set_font(FAMILY, style="B", size=14)
    _para(
        pdf,
        _("DANH SÁCH KẾT QUẢ RÀ SOÁT HỘ NGHÈO, HỘ CẬN NGHÈO NĂM %(year)s") % {"year": round.year},
        height=7,
        align="C",
    )
    pdf.set_font(FAMILY, size=11)
    _para(pdf, f"{round.commune.name}, {round.commune.province.name}", align="C")
    _para(pdf, _("Chuẩn nghèo áp dụng: %(standard)s") % {"standard": round.standard}, align="C")
    pdf.ln(3)
    if round.state == RoundState.RECOGNISED:
        status = _("Kết quả đã được xã/phường công nhận.")
    else:
        assert round.objections_until is not None
        status = _(
            "Mọi người có thể gửi ý kiến đến hết ngày %(date)s, "
            "tại Ủy ban nhân dân xã/phường hoặc tại: %(url)s"
        ) % {"date": round.objections_until.strftime("%d/%m/%Y"), "url": public_url}
    _para(pdf, status)
    pdf.ln(3)

    _para(pdf, "; ".join(f"{label}: {count}" for label, count in public_totals(list(rows))))
    pdf.ln(2)

    pdf.set_font(FAMILY, size=10)
    with pdf.table(
        col_widths=(12, 62, 50, 56),
        text_align=("RIGHT", "LEFT", "LEFT", "LEFT"),
        headings_style=FontFace(emphasis="BOLD"),
        line_height=6,
    ) as table:
        heading = table.row()
        for title in (_("STT"), _("Họ tên chủ hộ"), _("Thôn/bản"), _("Kết quả")):
            heading.cell(title)
        for row in rows:
            line = table.row()
            line.cell(str(row.number))
            line.cell(row.head_name)
            line.cell(row.village or "—")
            line.cell(str(PUBLIC_RESULT_LABELS[row.classification]))
    return bytes(pdf.output())
