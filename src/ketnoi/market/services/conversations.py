"""Buyer and seller talking: opening a conversation, sending a message, reading.

One conversation per buyer, seller and subject (a product or an order).
Only the buyer and the seller's leader and members may read or write in it;
to anyone else it does not exist (``NotFound``). A message is stored as
sanitised rich text (``market.richtext``). The other side is told after the
transaction commits: in the app (unread count), by e-mail through Django's
mail when she has an address, and by SMS through ``core.notify`` — the SMS
only for the first message she has not read yet, so a chat does not become
a stream of paid texts.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ketnoi.accounts.models import User
from ketnoi.core.audit import audit_record
from ketnoi.core.errors import DomainError, NotFound
from ketnoi.core.notify import message_send
from ketnoi.core.text import nfc

from ..models import Conversation, Message, Order, Product
from ..richtext import MAX_LENGTH, rich_text_clean, rich_text_plain
from ..selectors import seller_can_edit
from ..selectors_talk import BUYER_SIDE, conversation_side, user_is_party

_SMS_NEW_MESSAGE = _(
    "Kết Nối: %(name)s nhắn cho bạn về %(subject)s. Mở Kết Nối, mục Tin nhắn để đọc và trả lời."
)
_EMAIL_SUBJECT = _("Tin nhắn mới từ %(name)s về %(subject)s")
_EMAIL_BODY = _("%(name)s viết:\n\n%(text)s\n\nTrả lời trên Kết Nối, mục Tin nhắn: %(path)s")


def _not_found() -> NotFound:
    return NotFound(_("Không tìm thấy cuộc trò chuyện này."), code="conversation_not_found")


def conversation_open(
    *, actor: Any, product: Product | None = None, order: Order | None = None
) -> Conversation:
    """The conversation about ``product`` (the actor is the buyer) or ``order`` (its buyer or seller).

    Exactly one subject. Idempotent: the same people and subject always get
    the same conversation. A seller cannot open one about her own product;
    an order placed without an account has nobody to talk to.
    """
    if (product is None) == (order is None):
        raise DomainError(_("Hãy chọn một sản phẩm hoặc một đơn hàng để hỏi."), code="conversation_subject")
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise _not_found()
    if order is not None:
        if order.buyer_id != actor.pk and not seller_can_edit(actor, order.seller):
            raise NotFound(_("Không tìm thấy đơn hàng này."), code="order_not_found")
        if order.buyer_id is None:
            raise DomainError(
                _("Người mua đặt đơn này không có tài khoản, hãy gọi điện cho họ."),
                code="conversation_no_buyer",
                status=409,
            )
        buyer_id, seller = order.buyer_id, order.seller
        lookup: dict[str, Any] = {"order": order, "product": None}
        subject = f"order {order.reference}"
    else:
        assert product is not None
        if not product.is_active:
            raise NotFound(_("Không tìm thấy sản phẩm này."), code="product_not_found")
        if seller_can_edit(actor, product.seller):
            raise DomainError(
                _("Đây là sản phẩm của bạn: người mua sẽ nhắn cho bạn ở đây."),
                code="conversation_own_product",
            )
        buyer_id, seller = actor.pk, product.seller
        lookup = {"product": product, "order": None}
        subject = f"product {product.pk}"
    with transaction.atomic():
        # The buyer's row serialises two "ask the seller" taps at once into one conversation.
        User.objects.select_for_update().filter(pk=buyer_id).first()
        conversation = Conversation.objects.filter(buyer_id=buyer_id, seller=seller, **lookup).first()
        if conversation is not None:
            return conversation
        conversation = Conversation.objects.create(buyer_id=buyer_id, seller=seller, **lookup)
        audit_record(
            actor=actor,
            action="market.conversation_open",
            target=conversation,
            changes={"subject": (None, subject)},
        )
    return conversation


def _body_clean(body: str) -> str:
    typed = nfc(body or "")
    if len(typed) > MAX_LENGTH:
        raise ValidationError(
            _("Tin nhắn dài quá: tối đa %(max)s ký tự (bạn đã viết %(count)s)."),
            code="message_too_long",
            params={"max": MAX_LENGTH, "count": len(typed)},
        )
    cleaned = rich_text_clean(typed)
    if not rich_text_plain(cleaned):
        raise ValidationError(_("Tin nhắn còn trống. Hãy viết vài chữ."), code="message_empty")
    return cleaned


def message_send_in(*, conversation: Conversation, sender: Any, body: str) -> Message:
    """Add ``sender``'s message to ``conversation`` and tell the other side after commit.

    ``body``: NFC, 1–2000 characters as typed, sanitised (b, i, br) before
    saving; ``ValidationError`` otherwise. Only the parties; ``NotFound``
    for anyone else.
    """
    if not user_is_party(sender, conversation):
        raise _not_found()
    cleaned = _body_clean(body)
    with transaction.atomic():
        locked = (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("seller__leader", "buyer", "product", "order")
            .get(pk=conversation.pk)
        )
        side = conversation_side(locked, sender)
        from_buyer = side == BUYER_SIDE
        waiting = Message.objects.filter(conversation=locked, read_at__isnull=True)
        waiting = waiting.filter(sender=locked.buyer) if from_buyer else waiting.exclude(sender=locked.buyer)
        first_unread = not waiting.exists()
        message = Message.objects.create(
            conversation=locked, sender=sender, body=cleaned, sent_at=timezone.now()
        )
        locked.save(update_fields=["updated_at"])
        audit_record(
            actor=sender, action="market.message_send", target=locked, changes={"message": (None, message.pk)}
        )
        recipient = locked.seller.leader if from_buyer else locked.buyer
        _notify(locked, message, sender=sender, recipient=recipient, sms=first_unread)
    return message


def conversation_mark_read(*, conversation: Conversation, reader: Any) -> int:
    """Mark what the other side sent as read by ``reader``'s side; how many were new.

    Reading is not a change of record, so it leaves no audit entry.
    """
    if not user_is_party(reader, conversation):
        raise _not_found()
    unread = Message.objects.filter(conversation=conversation, read_at__isnull=True)
    if conversation_side(conversation, reader) == BUYER_SIDE:
        unread = unread.exclude(sender_id=conversation.buyer_id)
    else:
        unread = unread.filter(sender_id=conversation.buyer_id)
    return unread.update(read_at=timezone.now())


# --- Telling the other side ----------------------------------------------------------------


def _subject(conversation: Conversation) -> str:
    if conversation.order is not None:
        return gettext("đơn %(reference)s") % {"reference": conversation.order.reference}
    if conversation.product is not None:
        return conversation.product.name
    return conversation.seller.name


def email_address(user: Any) -> str:
    """Where ``user`` reads e-mail, if she gave an address (the account may have none)."""
    return str(getattr(user, "email", "") or "").strip()


def _notify(conversation: Conversation, message: Message, *, sender: Any, recipient: Any, sms: bool) -> None:
    name = conversation.seller.name if conversation_side(conversation, sender) != BUYER_SIDE else str(sender)
    with translation.override(getattr(recipient, "language", None) or settings.LANGUAGE_CODE):
        subject = _subject(conversation)
        params = {"name": name, "subject": subject}
        if sms and recipient.phone:
            message_send(to=recipient.phone, text=str(_SMS_NEW_MESSAGE) % params)
        address = email_address(recipient)
        if address:
            path = reverse("market:talk_detail", args=[conversation.pk])
            email_subject = str(_EMAIL_SUBJECT) % params
            email_body = str(_EMAIL_BODY) % {**params, "text": rich_text_plain(message.body), "path": path}
            transaction.on_commit(
                lambda: email_deliver.enqueue(to=address, subject=email_subject, body=email_body)
            )


@task()
def email_deliver(*, to: str, subject: str, body: str) -> None:
    """Background task: one e-mail through Django's mail (console backend in development)."""
    send_mail(subject=subject[:200], message=body, from_email=None, recipient_list=[to])
