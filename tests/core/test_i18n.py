"""Vietnamese first, English by switch: the catalogue is complete and in use."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

CATALOGUE = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES" / "django.po"


def test_the_english_catalogue_translates_every_message():
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "gettext's msgfmt is needed to compile the catalogues"

    result = subprocess.run(  # noqa: S603 - fixed arguments
        [msgfmt, "--check", "--statistics", "-o", "/dev/null", str(CATALOGUE)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "fuzzy" not in result.stderr
    assert "untranslated" not in result.stderr


@pytest.mark.django_db
def test_home_page_is_vietnamese_by_default_and_english_on_request(client):
    vietnamese = client.get("/")
    english = client.get("/", headers={"accept-language": "en"})

    assert '<html lang="vi">' in vietnamese.text
    assert "bán hàng, tìm việc, nhận hỗ trợ" in vietnamese.text
    assert '<html lang="en">' in english.text
    assert "sell, find work, get support" in english.text
