"""Reads of conversations and reviews, narrowed to what the reader may see.

A conversation is readable by its buyer and by the seller's leader and
members; to anyone else it does not exist (``NotFound``). The buyer's side
and the seller's side each have their own unread messages: those the other
side sent that nobody on this side has opened yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, F, Max, Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from ketnoi.core.errors import NotFound

from .models import Conversation, Message, Order, OrderLine, OrderState, Product, Review
from .selectors import seller_can_edit, sellers_of_user

MESSAGES_ON_PAGE = 100
REVIEWABLE_STATES = (OrderState.DELIVERED, OrderState.COMPLETED)

BUYER_SIDE, SELLER_SIDE = "buyer", "seller"


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def _readable_by(user: Any) -> Q:
    return Q(buyer=user) | Q(seller__in=sellers_of_user(user).values("pk"))


def _unread_for(user: Any) -> Q:
    """Messages of a conversation that ``user``'s side has not read (used inside ``Count``)."""
    from_seller_side = ~Q(messages__sender_id=F("buyer_id"))
    return Q(messages__read_at__isnull=True) & (
        (Q(buyer=user) & from_seller_side) | (~Q(buyer=user) & ~from_seller_side)
    )


def conversation_side(conversation: Conversation, user: Any) -> str:
    """Whether ``user`` writes as the buyer or for the seller in ``conversation``."""
    return BUYER_SIDE if conversation.buyer_id == user.pk else SELLER_SIDE


def conversations_for_user(user: Any) -> QuerySet[Conversation]:
    """Her conversations, latest message first, with ``unread`` and ``last_at`` (one query)."""
    if not _signed_in(user):
        return Conversation.objects.none()
    return (
        Conversation.objects.filter(_readable_by(user))
        .select_related("seller", "buyer", "product", "order")
        .annotate(unread=Count("messages", filter=_unread_for(user)), last_at=Max("messages__sent_at"))
        .order_by(F("last_at").desc(nulls_last=True), "-created_at", "-pk")
    )


def conversation_for_user(*, user: Any, conversation_id: int) -> Conversation:
    """One conversation ``user`` is a party to, with its seller, buyer, product and order."""
    conversation = (
        conversations_for_user(user).filter(pk=conversation_id).first() if _signed_in(user) else None
    )
    if conversation is None:
        raise NotFound(_("Không tìm thấy cuộc trò chuyện này."), code="conversation_not_found")
    return conversation


def conversation_messages(conversation: Conversation) -> list[Message]:
    """The latest messages of ``conversation``, oldest first, with their senders (one query)."""
    latest = list(
        Message.objects.filter(conversation=conversation)
        .select_related("sender")
        .order_by("-sent_at", "-pk")[:MESSAGES_ON_PAGE]
    )
    latest.reverse()
    return latest


def unread_count(user: Any) -> int:
    """How many messages are waiting for ``user`` across her conversations (one query)."""
    if not _signed_in(user):
        return 0
    from_buyer = Q(sender_id=F("conversation__buyer_id"))
    as_buyer = Q(conversation__buyer=user) & ~from_buyer
    as_seller = Q(conversation__seller__in=sellers_of_user(user).values("pk")) & from_buyer
    return Message.objects.filter(read_at__isnull=True).filter(as_buyer | as_seller).count()


def user_is_party(user: Any, conversation: Conversation) -> bool:
    """Whether ``user`` may read and write in ``conversation``."""
    if not _signed_in(user):
        return False
    return conversation.buyer_id == user.pk or seller_can_edit(user, conversation.seller)


# --- Reviews ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductRating:
    average: float | None  # 1 decimal; None without reviews
    count: int


def product_rating(product: Product) -> ProductRating:
    """The product's average stars and number of reviews (one query)."""
    totals = Review.objects.filter(product=product).aggregate(average=Avg("stars"), count=Count("pk"))
    average = totals["average"]
    return ProductRating(
        average=round(float(average), 1) if average is not None else None, count=totals["count"]
    )


def order_for_reviews(*, user: Any, reference: str) -> Order:
    """An order ``user`` bought, with its lines and their reviews (two queries)."""
    if not _signed_in(user):
        raise NotFound(_("Không tìm thấy đơn hàng này."), code="order_not_found")
    order = (
        Order.objects.filter(reference=reference, buyer=user)
        .select_related("seller")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("review").order_by("pk"))
        )
        .first()
    )
    if order is None:
        raise NotFound(_("Không tìm thấy đơn hàng này."), code="order_not_found")
    return order


def line_review(line: OrderLine) -> Review | None:
    """The review of ``line`` (loaded with it by ``order_for_reviews``), or ``None``."""
    try:
        return line.review
    except Review.DoesNotExist:
        return None


def line_for_review(*, user: Any, line_id: int) -> OrderLine:
    """One line of an order ``user`` bought, with its order."""
    line = (
        OrderLine.objects.select_related("order", "product").filter(pk=line_id, order__buyer=user).first()
        if _signed_in(user)
        else None
    )
    if line is None:
        raise NotFound(_("Không tìm thấy sản phẩm này trong đơn của bạn."), code="line_not_found")
    return line


def product_to_ask_about(product_id: int) -> Product:
    """An active product a buyer may ask its seller about, with the seller."""
    product = Product.objects.select_related("seller").filter(pk=product_id, is_active=True).first()
    if product is None:
        raise NotFound(_("Không tìm thấy sản phẩm này."), code="product_not_found")
    return product


def order_to_talk_about(*, user: Any, reference: str) -> Order:
    """An order ``user`` bought or sells, with its seller."""
    order = (
        Order.objects.select_related("seller")
        .filter(Q(buyer=user) | Q(seller__in=sellers_of_user(user).values("pk")), reference=reference)
        .first()
        if _signed_in(user)
        else None
    )
    if order is None:
        raise NotFound(_("Không tìm thấy đơn hàng này."), code="order_not_found")
    return order
