"""Outgoing messages (SMS, Zalo) behind one small adapter.

We cannot reach a carrier from the platform's own machines in development,
so the default ``ConsoleSender`` prints each message and appends it to a
JSON-lines file in the outbox folder, where a person (or a test) can read
it. A provider adapter implements ``send`` and is named in
``KETNOI_NOTIFY_ADAPTER``. Messages go out from a background task, after the
transaction that caused them has committed.
"""

from __future__ import annotations

import json
import sys
import threading
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Message:
    to: str  # E.164
    text: str
    channel: str = "sms"
    at: str = field(default_factory=lambda: timezone.now().isoformat())


class Sender(Protocol):
    def send(self, message: Message) -> None: ...


class ConsoleSender:
    """Prints each message and keeps it in ``<outbox>/messages.jsonl``."""

    _lock = threading.Lock()

    def __init__(self, outbox: Path | None = None) -> None:
        self.outbox = Path(outbox or settings.NOTIFY_OUTBOX)

    def send(self, message: Message) -> None:
        line = json.dumps(asdict(message), ensure_ascii=False)
        with self._lock:
            self.outbox.mkdir(parents=True, exist_ok=True)
            with (self.outbox / "messages.jsonl").open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        print(f"[{message.channel} → {message.to}] {message.text}", file=sys.stdout, flush=True)


class MemorySender:
    """Keeps messages in memory; the test suite reads ``MemorySender.sent``."""

    sent: list[Message] = []

    def send(self, message: Message) -> None:
        MemorySender.sent.append(message)


@cache
def _sender(path: str) -> Sender:
    sender: Sender = import_string(path)()
    return sender


def get_sender() -> Sender:
    return _sender(settings.NOTIFY_ADAPTER)


@task()
def deliver_message(*, to: str, text: str, channel: str = "sms") -> None:
    """Background task: hand one message to the configured adapter."""
    get_sender().send(Message(to=to, text=text, channel=channel))


def message_send(*, to: str, text: str, channel: str = "sms") -> None:
    """Queue a message for ``to`` once the current transaction commits."""
    transaction.on_commit(lambda: deliver_message.enqueue(to=to, text=text, channel=channel))
