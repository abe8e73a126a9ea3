"""What delivery by post costs the buyer: a small weight-based table kept as data.

The fee of one order (one seller's parcel) is the price of the first 500 g
plus a step for each further 500 g or part of it. A parcel that stays in
the seller's province is cheaper than one that crosses provinces. The
figures follow the shape of Vietnam Post's domestic parcel tariff, rounded
so that a buyer can check them by hand; a deployment changes them here.

    weight ≤ 500 g, same province      → 15.000 ₫
    weight 1.2 kg, another province    → 30.000 + 2 × 10.000 = 50.000 ₫
"""

from __future__ import annotations

from dataclasses import dataclass

STEP_G = 500


@dataclass(frozen=True)
class DeliveryRate:
    first_step_vnd: int  # the first 500 g (or less)
    next_step_vnd: int  # each further 500 g or part of it


SAME_PROVINCE = DeliveryRate(first_step_vnd=15_000, next_step_vnd=5_000)
OTHER_PROVINCE = DeliveryRate(first_step_vnd=30_000, next_step_vnd=10_000)


def delivery_fee(*, weight_g: int, same_province: bool) -> int:
    """The fee in đồng for a parcel of ``weight_g`` grams (at least one step)."""
    rate = SAME_PROVINCE if same_province else OTHER_PROVINCE
    steps = max(1, -(-max(0, weight_g) // STEP_G))  # ceiling division
    return rate.first_step_vnd + (steps - 1) * rate.next_step_vnd
