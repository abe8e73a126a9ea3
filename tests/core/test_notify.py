import pytest
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from ketnoi.core.notify import MemorySender, deliver_message, message_send

# The worker runs in its own transactions, as in production: the test's
# changes must be committed for it to see them.
# serialized_rollback puts back the provinces and communes that the flush
# after a transactional test would otherwise wipe for the tests after it.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)


def test_message_is_queued_after_commit_and_a_worker_delivers_it():
    # given a message sent inside a transaction
    with transaction.atomic():
        message_send(to="+84912345678", text="Đơn hàng của bạn đã được giao.")
        # then nothing is queued while the transaction is open
        assert not DBTaskResult.objects.exists()

    # and after commit the task waits in the database
    task = DBTaskResult.objects.get()
    assert task.task_path == deliver_message.module_path
    assert task.status == "READY"
    assert MemorySender.sent == []

    # when a worker runs
    run_worker()

    # then the message reached the sender, and the task is done
    assert [(m.to, m.text, m.channel) for m in MemorySender.sent] == [
        ("+84912345678", "Đơn hàng của bạn đã được giao.", "sms")
    ]
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_message_of_a_rolled_back_transaction_is_never_sent():
    with pytest.raises(RuntimeError), transaction.atomic():
        message_send(to="+84912345678", text="Không được gửi.")
        raise RuntimeError("the change failed")

    run_worker()

    assert not DBTaskResult.objects.exists()
    assert MemorySender.sent == []
