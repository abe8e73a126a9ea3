from datetime import timedelta

from django.core.management.base import BaseCommand

from ketnoi.registry.services.imports import import_batches_purge


class Command(BaseCommand):
    help = "Discard household-roll uploads that were checked but never committed (their files hold CCCDs)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--older-than-hours", type=int, default=24)

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        purged = import_batches_purge(older_than=timedelta(hours=options["older_than_hours"]))
        self.stdout.write(f"{purged} unfinished import(s) discarded and their files deleted.")
