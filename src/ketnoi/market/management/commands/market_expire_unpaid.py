"""``manage.py market_expire_unpaid [--now]``: release the stock of unpaid VietQR orders.

Run it from cron every few minutes (``*/5 * * * * manage.py market_expire_unpaid``):
it enqueues ``market.tasks.expire_unpaid_orders`` for the task worker. With
``--now`` it does the work in this process instead and says how many orders
it cancelled. Either way it is idempotent.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ketnoi.market.services.orders import order_expire_unpaid
from ketnoi.market.tasks import expire_unpaid_orders


class Command(BaseCommand):
    help = (
        "Cancel VietQR orders unpaid after their 30 minutes and put their stock back: enqueue the task "
        "(default) or, with --now, do it here."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--now", action="store_true", help="Do the work in this process, not in the worker."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["now"]:
            count = order_expire_unpaid()
            self.stdout.write(f"cancelled {count} unpaid order(s)")
            return
        result = expire_unpaid_orders.enqueue()
        self.stdout.write(f"enqueued {result.id}")
