"""Text folding and phone parsing, the two things every search and sign-in goes through.

- ``fold`` over 100,000 Vietnamese names (NFC and NFD mixed, as phones send
  them) against ``unicodedata.normalize("NFC", s).lower()`` on the same names.
- ``normalize_phone`` per call against ``phonenumbers.parse`` alone, which it
  wraps: the ratio is what our checks and formatting add.
"""

from __future__ import annotations

import random
import unicodedata

import benchlib  # noqa: F401 - puts src/ on the path
import phonenumbers
from benchlib import best_of, peak_bytes, report

from ketnoi.core.phone import normalize_phone
from ketnoi.core.text import fold

NAMES = 100_000
PHONES = 20_000
ROUNDS = 5


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Syllables of Kinh, Thái, H'Mông, Dao, Tày and Mường names.
FAMILY = _words(
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý "
    "Lò Cầm Quàng Lường Vì Sùng Giàng Vàng Mùa Thào Hầu Triệu Bàn Đinh Hà Nông Ma"
)
MIDDLE = _words("Thị Văn Đức Ngọc Thu Minh Thanh Hồng Kim Xuân Mỹ Quốc")
GIVEN = _words(
    "Xuân Hương Hà Hoà Hòa Mỷ Dợ Lả Pâng Ánh Sang Hoa Chử Nhung Lan Mai Súa Chứ Dế "
    "Sình Long Bảo Anh Thuỷ Thủy Tuyết Huệ Nguyệt Ngân Ngọc Phượng Quỳnh Sứ Tráng Đào "
    "Yến Ỷ Lự Khểnh Ường Ơn Ưng Ớt Nở Thắm Duyên Giang Hạnh Khuê Liên Loan Nhàn Oanh"
)
# Mobile prefixes after the 0 (Viettel, VinaPhone, MobiFone and others).
PREFIXES = _words("90 91 93 94 96 97 98 32 33 34 35 36 37 38 39 70 76 77 78 79 81 82 83 84 85 86 88 89")


def _names(rng: random.Random) -> list[str]:
    names = []
    for _ in range(NAMES):
        parts = [rng.choice(FAMILY)]
        parts += [rng.choice(MIDDLE) for _ in range(rng.choice((0, 1, 1, 2)))]
        parts.append(rng.choice(GIVEN))
        name = " ".join(parts)
        if rng.random() < 0.5:
            name = unicodedata.normalize("NFD", name)  # as some keyboards send it
        if rng.random() < 0.1:
            name = name.upper()
        names.append(name)
    return names


def _phones(rng: random.Random) -> list[str]:
    phones = []
    while len(phones) < PHONES:
        prefix = rng.choice(PREFIXES)
        rest = f"{rng.randrange(10_000_000):07d}"
        digits = f"0{prefix}{rest}"
        shape = rng.randrange(4)
        text = (
            digits,
            f"{digits[:4]} {digits[4:7]} {digits[7:]}",
            f"+84 {prefix} {rest[:3]} {rest[3:]}",
            f"{digits[:3]}.{digits[3:6]}.{digits[6:]}",
        )[shape]
        if phonenumbers.is_valid_number(phonenumbers.parse(text, "VN")):
            phones.append(text)
    return phones


def main() -> None:
    rng = random.Random(2026)
    names = _names(rng)
    phones = _phones(rng)

    def baseline_names() -> list[str]:
        return [unicodedata.normalize("NFC", s).lower() for s in names]

    def fold_names() -> list[str]:
        return [fold(s) for s in names]

    def baseline_phones() -> list[object]:
        return [phonenumbers.parse(p, "VN") for p in phones]

    def normalize_phones() -> list[str]:
        return [normalize_phone(p) for p in phones]

    assert fold(unicodedata.normalize("NFD", "LÒ THỊ XUÂN")) == "lo thi xuan"
    t_nfc, t_fold = best_of(ROUNDS, baseline_names, fold_names)
    t_parse, t_phone = best_of(ROUNDS, baseline_phones, normalize_phones)

    report(
        "text",
        {
            "names": NAMES,
            "fold_vs_nfc_lower_ratio": t_fold / t_nfc,
            "fold_ns_per_name": t_fold / NAMES * 1e9,
            "nfc_lower_ns_per_name": t_nfc / NAMES * 1e9,
            "fold_peak_tracemalloc_bytes": peak_bytes(fold_names),
            "nfc_lower_peak_tracemalloc_bytes": peak_bytes(baseline_names),
            "phones": PHONES,
            "normalize_phone_vs_parse_ratio": t_phone / t_parse,
            "normalize_phone_us_per_call": t_phone / PHONES * 1e6,
            "phonenumbers_parse_us_per_call": t_parse / PHONES * 1e6,
            "normalize_phone_peak_tracemalloc_bytes": peak_bytes(normalize_phones),
        },
        notes=[f"best of {ROUNDS} interleaved rounds; ratios > 1 mean slower than the baseline"],
    )


if __name__ == "__main__":
    main()
