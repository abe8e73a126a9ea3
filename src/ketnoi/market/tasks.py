"""Background work of the marketplace (Django's tasks framework, database backend).

``expire_unpaid_orders`` cancels VietQR orders left unpaid past their 30
minutes and puts their stock back. A scheduler runs ``manage.py
market_expire_unpaid`` every few minutes (cron: ``*/5 * * * *``), which
enqueues it; the ``db_worker`` process runs it. It is idempotent, so an
overlapping or repeated run does no harm.
"""

from __future__ import annotations

from django.tasks import task

from .services.orders import order_expire_unpaid


@task()
def expire_unpaid_orders() -> int:
    """Cancel the VietQR orders whose reservation has run out; how many were cancelled."""
    return order_expire_unpaid()
