import unicodedata

import pytest

from ketnoi.core.text import fold, nfc


def test_nfc_joins_combining_marks_into_one_code_point():
    decomposed = unicodedata.normalize("NFD", "Hòa Bình")
    assert decomposed != "Hòa Bình"
    assert nfc(decomposed) == "Hòa Bình"


@pytest.mark.parametrize("spelling", ["hoà", "hòa", "hoa", "HOÀ", unicodedata.normalize("NFD", "hòa")])
def test_every_spelling_of_hoa_folds_to_the_same_key(spelling):
    assert fold(spelling) == "hoa"


def test_fold_maps_d_with_stroke_which_nfd_does_not_decompose():
    assert fold("Đắk Nông") == "dak nong"
    assert fold("đường  Điện Biên") == "duong dien bien"
