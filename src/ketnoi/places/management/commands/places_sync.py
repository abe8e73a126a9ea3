from django.core.management.base import BaseCommand

from ketnoi.places.divisions import divisions_sync
from ketnoi.places.models import Commune, Province


class Command(BaseCommand):
    help = "Insert or update the provinces and communes from the vietnam-provinces package."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        provinces, communes = divisions_sync(Province, Commune)
        self.stdout.write(f"{provinces} provinces, {communes} communes are up to date.")
