"""Background work of the 4M cycle (Django's tasks framework, database backend).

``send_reminders`` texts both sides the day before a mentoring session and
once a milestone is overdue. A scheduler runs ``manage.py mentoring_remind``
(cron: hourly, ``0 * * * *``), which enqueues it for the ``db_worker``. It
is idempotent: each reminder is sent once, however often it runs.
"""

from __future__ import annotations

from django.tasks import task

from .services.reminders import reminders_send


@task()
def send_reminders() -> dict[str, int]:
    """Send the reminders due now; how many sessions, milestones and messages."""
    sent = reminders_send()
    return {"sessions": sent.sessions, "milestones": sent.milestones, "messages": sent.messages}
