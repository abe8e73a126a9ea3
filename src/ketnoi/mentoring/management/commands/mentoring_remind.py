"""``manage.py mentoring_remind [--now]``: SMS reminders of mentoring sessions and overdue milestones.

Run it from cron every hour (``0 * * * * manage.py mentoring_remind``): it
enqueues ``mentoring.tasks.send_reminders`` for the task worker. With
``--now`` it does the work in this process and says what it sent. Either
way each reminder goes out once.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ketnoi.mentoring.services.reminders import reminders_send
from ketnoi.mentoring.tasks import send_reminders


class Command(BaseCommand):
    help = (
        "Text both sides the day before a mentoring session and when a milestone is overdue (each once): "
        "enqueue the task (default) or, with --now, do it here."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--now", action="store_true", help="Do the work in this process, not in the worker."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["now"]:
            sent = reminders_send()
            self.stdout.write(
                f"reminded {sent.sessions} session(s) and {sent.milestones} overdue milestone(s): "
                f"{sent.messages} message(s)"
            )
            return
        result = send_reminders.enqueue()
        self.stdout.write(f"enqueued {result.id}")
