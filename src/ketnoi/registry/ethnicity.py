"""Viet Nam's 54 ethnic groups, with their official codes, as data."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

_DATA = Path(__file__).parent / "data" / "ethnic_groups.json"


@cache
def ethnic_groups() -> tuple[tuple[str, str], ...]:
    """``(code, name)`` pairs, "01" Kinh … "54" Rơ-măm."""
    groups = json.loads(_DATA.read_text(encoding="utf-8"))["groups"]
    return tuple((g["code"], g["name"]) for g in groups)


def ethnic_group_name(code: str) -> str:
    return dict(ethnic_groups()).get(code, code)
