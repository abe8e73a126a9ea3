"""``manage.py grievances_remind [--now]``: the daily reminder about complaints near or past due.

Run it from cron once a day (``0 7 * * * manage.py grievances_remind``): it
enqueues ``programmes.tasks_grievances.remind_grievances`` for the task
worker. With ``--now`` it does the work in this process and says what it
did. Either way an officer gets at most one reminder a day, and resolved
complaints whose 30 days to appeal have passed are closed.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ketnoi.programmes.services.grievance_reminders import grievances_remind
from ketnoi.programmes.tasks_grievances import remind_grievances


class Command(BaseCommand):
    help = (
        "SMS officers about complaints at risk or past their deadline (once a day each) and close "
        "resolved ones past their appeal time: enqueue the task (default) or, with --now, do it here."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--now", action="store_true", help="Do the work in this process, not in the worker."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["now"]:
            outcome = grievances_remind()
            self.stdout.write(f"reminded {outcome.reminded} officer(s), closed {outcome.closed} complaint(s)")
            return
        result = remind_grievances.enqueue()
        self.stdout.write(f"enqueued {result.id}")
