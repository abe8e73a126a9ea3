"""The marketplace's reference data: product categories and Vietnamese banks."""

from .banks import BANKS, bank_choices, bank_name
from .categories import CATEGORIES

__all__ = ["BANKS", "CATEGORIES", "bank_choices", "bank_name"]
