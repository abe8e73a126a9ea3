"""Where a request came from, for lock-out counting and the audit trail."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address, or ``None`` when it cannot be told.

    Only ``REMOTE_ADDR`` is trusted by default: ``X-Forwarded-For`` is written
    by the client and anyone could rotate it to dodge the lock-out by
    address. Behind a reverse proxy, set ``TRUSTED_PROXY_COUNT`` to the number
    of proxies in front of the app; the address that many hops from the right
    of ``X-Forwarded-For`` (the one the outermost proxy saw) is then used.
    """
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    candidate = request.META.get("REMOTE_ADDR", "")
    if proxies > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= proxies:
            candidate = hops[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None
