"""Load the official provinces and communes from ``vietnam-provinces``."""

from __future__ import annotations

from typing import Any

from vietnam_provinces import Province as VpProvince
from vietnam_provinces import Ward as VpWard

from ketnoi.core.text import fold

_PREFIXES = ("thành phố ", "tỉnh ", "đặc khu ", "phường ", "xã ")


def short_name(name: str) -> str:
    """``"Tỉnh Sơn La"`` → ``"Sơn La"``; ``"Xã Mường Bú"`` → ``"Mường Bú"``."""
    lowered = name.lower()
    for prefix in _PREFIXES:
        if lowered.startswith(prefix):
            return name[len(prefix) :]
    return name


def divisions_sync(province_model: Any, commune_model: Any) -> tuple[int, int]:
    """Insert or update every province and commune; returns the two counts.

    Takes the model classes so a data migration can pass its historical ones.
    Idempotent: running it again changes only what the package changed.
    """
    provinces = [
        province_model(
            code=int(p.code),
            name=p.name,
            short_name=short_name(p.name),
            division_type=str(p.division_type),
            codename=p.codename,
            phone_code=p.phone_code,
            name_folded=fold(p.name),
        )
        for p in VpProvince.iter_all()
    ]
    communes = [
        commune_model(
            code=int(w.code),
            province_id=int(w.province_code),
            name=w.name,
            short_name=short_name(w.name),
            division_type=str(w.division_type),
            codename=w.codename,
            name_folded=fold(w.name),
        )
        for w in VpWard.iter_all()
    ]
    province_model.objects.bulk_create(
        provinces,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "short_name", "division_type", "codename", "phone_code", "name_folded"],
    )
    commune_model.objects.bulk_create(
        communes,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["province", "name", "short_name", "division_type", "codename", "name_folded"],
    )
    return len(provinces), len(communes)
