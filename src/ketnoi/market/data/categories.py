"""Product categories as data: (slug, Vietnamese name, English name), in display order.

Loaded into ``market.Category`` by ``category_sync`` (idempotent), which
``seed_demo`` and the test builders call; adding a category is a line here.
"""

from __future__ import annotations

CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("brocade-textiles", "Thổ cẩm & vải dệt", "Brocade & textiles"),
    ("food", "Thực phẩm (miến, tỏi đen…)", "Food (vermicelli, black garlic…)"),
    ("tea-coffee", "Chè & cà phê", "Tea & coffee"),
    ("honey", "Mật ong", "Honey"),
    ("liquor", "Rượu men lá", "Herbal yeast liquor"),
    ("handicrafts", "Thủ công mỹ nghệ", "Handicrafts"),
    ("herbs-medicinal", "Dược liệu & thảo mộc", "Herbs & medicinal plants"),
    ("spices", "Gia vị (mắc khén, thảo quả…)", "Spices (mac khen, black cardamom…)"),
    ("rice-grains", "Gạo & ngũ cốc", "Rice & grains"),
    ("fruit-dried", "Hoa quả & đồ sấy", "Fruit & dried fruit"),
    ("cosmetics-natural", "Mỹ phẩm thiên nhiên", "Natural cosmetics"),
)
