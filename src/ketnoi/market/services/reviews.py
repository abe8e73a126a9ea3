"""Reviews: stars and a few words from the buyer, once per order line, after delivery."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from ketnoi.core.audit import audit_record
from ketnoi.core.errors import DomainError, NotFound
from ketnoi.core.text import nfc

from ..models import OrderLine, Review
from ..richtext import MAX_LENGTH, rich_text_clean, rich_text_plain
from ..selectors_talk import REVIEWABLE_STATES


def _already() -> DomainError:
    return DomainError(_("Bạn đã nhận xét sản phẩm này trong đơn này rồi."), code="review_exists", status=409)


def review_create(*, line: OrderLine, author: Any, stars: int, text: str = "") -> Review:
    """``author``'s review of one line of an order she bought, once it is delivered.

    Refused, with nothing written: another buyer's line (``NotFound``),
    before delivery or after a refund (409), a second review of the line
    (409), stars outside 1–5 or text over 2,000 characters
    (``ValidationError``). Text is sanitised (b, i, br) before saving.
    """
    if not getattr(author, "is_authenticated", False) or line.order.buyer_id != author.pk:
        raise NotFound(_("Không tìm thấy sản phẩm này trong đơn của bạn."), code="line_not_found")
    if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
        raise ValidationError({"stars": _("Hãy chọn từ 1 đến 5 sao.")}, code="review_stars")
    typed = nfc(text or "")
    if len(typed) > MAX_LENGTH:
        raise ValidationError(
            {"text": _("Nhận xét dài quá: tối đa 2000 ký tự.")},
            code="review_too_long",
        )
    cleaned = rich_text_clean(typed)
    if not rich_text_plain(cleaned):
        cleaned = ""
    with transaction.atomic():
        locked = OrderLine.objects.select_for_update().select_related("order").get(pk=line.pk)
        if locked.order.state not in REVIEWABLE_STATES:
            raise DomainError(
                _("Bạn nhận xét được sau khi đã nhận hàng."), code="review_before_delivery", status=409
            )
        if Review.objects.filter(line=locked).exists():
            raise _already()
        try:
            with transaction.atomic():
                review = Review.objects.create(
                    line=locked, product_id=locked.product_id, author=author, stars=stars, text=cleaned
                )
        except IntegrityError:
            raise _already() from None
        audit_record(
            actor=author,
            action="market.review_create",
            target=review,
            changes={"stars": (None, stars), "line": (None, locked.pk)},
        )
    return review
