"""Vietnamese text: NFC on the way in, folding for search.

Phones and keyboards send the same word in different Unicode forms ("hoà"
as one code point or as "a" + combining grave); everything stored is NFC.
Search compares *folded* text: no diacritics, Đ/đ as D/d, lower case, single
spaces, so "Hòa", "hoà" and "hoa" all meet.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# NFD splits "ố" into "o" + marks but leaves "đ" whole: map it by hand.
_LETTERS = str.maketrans({"đ": "d", "Đ": "D", "ð": "d", "Ð": "D"})


def nfc(text: str) -> str:
    """The NFC form of ``text``, with surrounding whitespace removed."""
    return unicodedata.normalize("NFC", text).strip()


def fold(text: str) -> str:
    """Search key for ``text``: lower case, no diacritics, Đ→d, spaces collapsed."""
    decomposed = unicodedata.normalize("NFD", text.translate(_LETTERS))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", bare).strip().casefold()
