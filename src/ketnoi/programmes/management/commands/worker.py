"""``manage.py worker``: the background-task worker, which also resumes batches whose worker died.

It is django-tasks-db's ``db_worker`` (every option passes through) plus a
thread that calls ``batches_resume`` when the worker starts and then every
half lease (``PROGRAMMES_BATCH_LEASE_SECONDS`` / 2): a disbursement batch
still "sending" after its worker was killed is queued again and finished by
this one. The thread uses its own database connection, closed after each
round, so a database restart or a dropped connection costs one round.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from django.db import connection
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from ketnoi.programmes.services.batches import batches_resume, lease_seconds

logger = logging.getLogger(__name__)


def _resume_forever(stop: threading.Event, every: float) -> None:
    while True:
        try:
            batches_resume()
        except Exception:  # a bad round must not end the thread: the next one tries again
            logger.exception("Resuming disbursement batches failed; trying again in %.1f s.", every)
        finally:
            connection.close()
        if stop.wait(every):
            return


class Command(DbWorkerCommand):
    help = "Run the background-task worker and resume disbursement batches whose worker stopped."

    def handle(self, *args: Any, **options: Any) -> None:
        # With --reload the parent process only watches files; the child (DJANGO_AUTORELOAD_ENV) works.
        works_here = not options.get("reload") or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true"
        stop = threading.Event()
        if works_here:
            thread = threading.Thread(
                target=_resume_forever,
                args=(stop, max(lease_seconds() / 2, 0.1)),
                name="batches-resume",
                daemon=True,
            )
            thread.start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
