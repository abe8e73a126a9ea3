from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def platform(request: HttpRequest) -> dict[str, Any]:
    """What every page needs to know about the platform itself."""
    return {"PLATFORM_NAME": "Kết Nối", "PRODUCTION": settings.PRODUCTION}
