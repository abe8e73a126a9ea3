"""``manage.py learning_load [--check] [--force] [--path DIR] [slug …]``: load courses written as files.

Every course folder named (all of ``content/learning/`` by default) is
checked first; if anything is wrong, every problem is printed with its file,
line and field, nothing is loaded, and the command exits with status 1.
Otherwise each course whose files changed is replaced in one transaction,
keeping learners' answers and progress. ``--check`` only checks. The size
of each course's offline package (lesson text in both languages, pictures
and audio) is printed so trainers keep courses light.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ketnoi.learning.loader import CourseContentError, content_root, courses_load


class Command(BaseCommand):
    help = "Check course files and load the courses that changed (all or nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slugs", nargs="*", help="Only these courses (folder names).")
        parser.add_argument("--check", action="store_true", help="Check the files, load nothing.")
        parser.add_argument(
            "--force", action="store_true", help="Reload even the courses that did not change."
        )
        parser.add_argument(
            "--path", help="The folder holding the course folders (default content/learning)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        root = Path(options["path"]) if options["path"] else content_root()
        try:
            results = courses_load(
                root, options["slugs"], check_only=options["check"], force=options["force"]
            )
        except CourseContentError as error:
            for problem in error.problems:
                self.stderr.write(f"- {problem}")
            raise CommandError(str(error.message) % error.params) from None
        for result in results:
            self.stdout.write(
                f"{result.slug}: {result.status}, {result.lessons} lessons, {result.activities} activities, "
                f"offline package {result.package_bytes / 1024:.0f} KB"
            )
        if options["check"]:
            self.stdout.write(f"checked {len(results)} course(s): no problems, nothing loaded")
