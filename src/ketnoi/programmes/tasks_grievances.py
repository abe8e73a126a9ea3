"""Background work of complaints (Django's tasks framework, database backend).

A scheduler runs ``manage.py grievances_remind`` once a day (cron:
``0 7 * * *``, morning in Viet Nam), which enqueues ``remind_grievances``;
the ``db_worker`` process runs it. It is idempotent per day.
"""

from __future__ import annotations

from django.tasks import task

from .services.grievance_reminders import grievances_remind


@task()
def remind_grievances() -> dict[str, int]:
    """SMS officers about at-risk and breached complaints; close those past their appeal time."""
    outcome = grievances_remind()
    return {"reminded": outcome.reminded, "closed": outcome.closed}
