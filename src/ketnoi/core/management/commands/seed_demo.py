"""Create the demo world: ``manage.py seed_demo`` (idempotent).

Each app that has a demo adds it in ``ketnoi/<app>/demo.py`` as a function
``seed(stdout)``; they run in the order of INSTALLED_APPS, so an app's demo
can rely on those it depends on.
"""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Create the demo accounts and the demo world (safe to run again)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when the database already has users."
        )

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        if options["if_empty"] and get_user_model().objects.exists():
            self.stdout.write("The database already has data; demo data not loaded.")
            return
        for config in apps.get_app_configs():
            module_name = f"{config.name}.demo"
            if not config.name.startswith("ketnoi.") or find_spec(module_name) is None:
                continue
            with transaction.atomic():
                import_module(module_name).seed(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
