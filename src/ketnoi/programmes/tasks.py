"""Background work of the programmes app (Django's tasks framework, database backend).

``batch_send_task`` sends a disbursement batch (``services.batches.batch_send``).
``batch_start`` queues it; ``manage.py worker`` runs it, and every half lease
queues again any batch whose worker died (``batches_resume``). Running it
twice, or after a crash, never pays anyone twice: see ``batch_send``.
"""

from __future__ import annotations

from datetime import datetime

from django.tasks import task

from .services.batches import batch_send, chunk_size_default


@task()
def batch_send_task(batch_id: int, lease: str | None = None, chunk_size: int | None = None) -> str:
    """Send batch ``batch_id`` holding the lease ``lease`` (ISO time, the token it was queued with);
    the batch's state when this worker stops."""
    batch = batch_send(
        batch_id,
        chunk_size=chunk_size or chunk_size_default(),
        lease=datetime.fromisoformat(lease) if lease else None,
    )
    return str(batch.state)
