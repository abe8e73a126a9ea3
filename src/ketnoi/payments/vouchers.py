"""E-vouchers: issue a code worth an amount, redeem it once at a verified seller, let it expire.

A voucher code is 11 random Crockford base32 symbols (``secrets``) and one
check symbol (Luhn mod 32), shown in three groups of four (``7K3M-Q9PA-X2DW``) so it can be read
aloud over a counter: no I, L, O or U, and a typed ``O``/``I``/``L`` is read
as ``0``/``1``/``1``. The check symbol catches a mistyped or swapped
character before any look-up, so typos are not counted as guesses. Only a
keyed hash of the code finds a voucher (``code_hash``); the code itself is
kept encrypted (``code_encrypted``) so the beneficiary can see it again on
her page.

Money: whoever issues a voucher has already moved its value into
``vouchers-outstanding`` (``issue_transfer_id``, checked here). Redeeming
posts ``vouchers-outstanding`` → the seller's sales account, key
``voucher-<id>-redeem``, and sends ``signals.voucher_redeemed`` in the same
transaction. Expiring moves no money: ``signals.voucher_expired`` tells the
issuer, who gives the value back to its fund once.

Guessing: every code that passes the check symbol but finds nothing is a
``VoucherAttempt`` of the seller; after ``MAX_WRONG_CODES`` in
``WRONG_CODE_WINDOW`` the seller is refused until the oldest of them ages out.

This module knows nothing of programmes.
"""

from __future__ import annotations

import logging
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from ketnoi.accounts.models import Role
from ketnoi.accounts.selectors import user_has_role
from ketnoi.core.audit import audit_record
from ketnoi.core.errors import DomainError, NotFound, PermissionDenied
from ketnoi.core.money import MAX_VND
from ketnoi.core.phone import normalize_phone
from ketnoi.ledger.models import Account, Posting
from ketnoi.ledger.services import account_open, transfer_post
from ketnoi.market.models import Seller
from ketnoi.registry.citizen_id import decrypt, encrypt

from .models import Voucher, VoucherAttempt
from .selectors import qr_svg
from .services import _sales_account, seller_sales_code
from .signals import voucher_expired, voucher_redeemed

logger = logging.getLogger(__name__)

VOUCHERS_OUTSTANDING = "vouchers-outstanding"
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
CODE_LENGTH = 12  # 11 random symbols (55 bits) and the check symbol
MAX_WRONG_CODES = 10
WRONG_CODE_WINDOW = timedelta(hours=1)
ATTEMPTS_KEPT = timedelta(days=30)  # wrong codes stay this long as a record of guessing, then go
_READ_AS = {"O": "0", "I": "1", "L": "1"}
_SEPARATORS = " -._\u00a0"
_MAX_DISBURSEMENT_ID = 25


# --- Codes ---------------------------------------------------------------------------


def _luhn_sum(symbols: str, *, first_factor: int) -> int:
    """Luhn mod 32 over ``symbols`` from the right, doubling every other one from ``first_factor``."""
    base = len(ALPHABET)
    total, factor = 0, first_factor
    for symbol in reversed(symbols):
        addend = factor * ALPHABET.index(symbol)
        total += addend // base + addend % base
        factor = 3 - factor
    return total


def _check_symbol(body: str) -> str:
    base = len(ALPHABET)
    return ALPHABET[(base - _luhn_sum(body, first_factor=2) % base) % base]


def code_new() -> str:
    """A fresh code, 12 symbols without separators (the last one the check symbol)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH - 1))
    return body + _check_symbol(body)


def code_format(code: str) -> str:
    """``"ABCD1234WXYZ"`` → ``"ABCD-1234-WXYZ"`` (for reading aloud and printing)."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def code_normalize(typed: str) -> str:
    """The code as typed (any case, with spaces or dashes) → its 12 symbols, checked.

    ``DomainError`` (422) when it is empty, the wrong length, has a symbol a
    code never has, or fails the check symbol (a typo). None of these is
    looked up, so none counts as a guess.
    """
    text = "".join(ch for ch in (typed or "").upper() if ch not in _SEPARATORS)
    text = "".join(_READ_AS.get(ch, ch) for ch in text)
    if not text:
        raise DomainError(_("Hãy nhập mã phiếu."), code="voucher_code_required", status=422)
    if len(text) != CODE_LENGTH or any(ch not in ALPHABET for ch in text):
        raise DomainError(
            _("Mã phiếu gồm 12 chữ và số, ví dụ 7K3M-Q9PA-X2DW. Hãy xem lại mã trên phiếu."),
            code="voucher_code_format",
            status=422,
        )
    if _luhn_sum(text, first_factor=1) % len(ALPHABET) != 0:
        raise DomainError(
            _("Mã phiếu có ký tự bị gõ nhầm. Hãy đọc lại từng ký tự với người mua."),
            code="voucher_code_typo",
            status=422,
        )
    return text


def code_hash(code: str) -> str:
    """The keyed hash that finds a voucher (HMAC with the site's secret: a leaked table gives no codes)."""
    return salted_hmac("ketnoi.payments.voucher", code, algorithm="sha256").hexdigest()


def voucher_code(voucher: Voucher) -> str:
    """The voucher's code, grouped for reading (decrypted; only for the beneficiary's own page)."""
    return code_format(decrypt(voucher.code_encrypted))


def voucher_qr_svg(code: str) -> SafeString:
    """The code as an inline SVG QR (just the grouped code, which a seller's scanner types for her)."""
    return qr_svg(code_format(code_normalize(code)), title=str(_("Mã QR của phiếu mua hàng")))


# --- Issuing -------------------------------------------------------------------------


@dataclass(frozen=True)
class VoucherRequest:
    """One voucher to issue (see ``voucher_issue``)."""

    disbursement_id: str
    value_vnd: int
    fund_account_code: str
    phone: str
    valid_until: datetime
    issue_transfer_id: int


def voucher_issue(
    *,
    disbursement_id: str,
    value_vnd: int,
    fund_account_code: str,
    phone: str,
    valid_until: datetime,
    issue_transfer_id: int,
) -> tuple[Voucher, str]:
    """Issue one voucher for ``disbursement_id`` and return it with its code (ungrouped).

    See ``vouchers_issue_many``, which this calls with one request.
    """
    request = VoucherRequest(
        disbursement_id=disbursement_id,
        value_vnd=value_vnd,
        fund_account_code=fund_account_code,
        phone=phone,
        valid_until=valid_until,
        issue_transfer_id=issue_transfer_id,
    )
    return vouchers_issue_many([request])[0]


def vouchers_issue_many(
    requests: Sequence[VoucherRequest], *, actor: Any = None
) -> list[tuple[Voucher, str]]:
    """Issue a voucher per request, all or none, and return each with its code, in request order.

    Idempotent per ``disbursement_id``: a voucher already issued for it with
    the same value, fund and transfer is returned with its code (nothing
    written); with other content the call is refused (409). Each request's
    ``issue_transfer_id`` must have put exactly ``value_vnd`` into
    ``vouchers-outstanding`` (no voucher without the money behind it).
    Refused (``DomainError``, nothing written) for a value that is zero,
    negative or too large, a past ``valid_until``, a bad phone or id, an
    unknown fund account. A few queries whatever the number of requests;
    one audit entry. Joins the caller's transaction.
    """
    now = timezone.now()
    cleaned = [_request_clean(request, now=now) for request in requests]
    if not cleaned:
        return []
    ids = [request.disbursement_id for request in cleaned]
    if len(set(ids)) != len(ids):
        raise DomainError(
            _("Một khoản chi được nêu hai lần trong cùng một lần phát phiếu."),
            code="voucher_duplicate_request",
            status=422,
        )
    _funds_check({request.fund_account_code for request in cleaned})
    _backing_check(cleaned)
    with transaction.atomic():
        _vouchers_account()
        existing = {v.disbursement_id: v for v in Voucher.objects.filter(disbursement_id__in=ids)}
        fresh: list[tuple[Voucher, str]] = []
        for request in cleaned:
            if request.disbursement_id in existing:
                _same_or_conflict(existing[request.disbursement_id], request)
                continue
            code = code_new()
            voucher = Voucher(
                disbursement_id=request.disbursement_id,
                code_hash=code_hash(code),
                code_encrypted=encrypt(code),
                value_vnd=request.value_vnd,
                fund_account_code=request.fund_account_code,
                beneficiary_phone=request.phone,
                valid_until=request.valid_until,
                issue_transfer_id=request.issue_transfer_id,
            )
            fresh.append((voucher, code))
        if fresh:
            Voucher.objects.bulk_create([voucher for voucher, _code in fresh])
            audit_record(
                actor=actor,
                action="vouchers_issued",
                changes={
                    "count": (0, len(fresh)),
                    "value_vnd": (0, sum(voucher.value_vnd for voucher, _code in fresh)),
                    "disbursement_ids": (None, [voucher.disbursement_id for voucher, _code in fresh][:50]),
                },
            )
    made = {voucher.disbursement_id: (voucher, code) for voucher, code in fresh}
    return [
        made.get(request.disbursement_id)
        or (existing[request.disbursement_id], decrypt(existing[request.disbursement_id].code_encrypted))
        for request in cleaned
    ]


def _vouchers_account() -> Account:
    return account_open(
        code=VOUCHERS_OUTSTANDING,
        name="Phiếu mua hàng đã phát, chưa dùng",
        kind=Account.Kind.PROVIDER_CLEARING,
    )


def _request_clean(request: VoucherRequest, *, now: datetime) -> VoucherRequest:
    disbursement_id = request.disbursement_id.strip() if isinstance(request.disbursement_id, str) else ""
    if not disbursement_id or len(disbursement_id) > _MAX_DISBURSEMENT_ID or not disbursement_id.isascii():
        raise DomainError(
            _("Mã khoản chi “%(id)s” không hợp lệ."),
            code="voucher_disbursement_id",
            params={"id": request.disbursement_id},
            status=422,
        )
    value = request.value_vnd
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_VND:
        raise DomainError(
            _("Giá trị phiếu phải là số đồng lớn hơn 0 và không quá %(max)s."),
            code="voucher_value",
            params={"max": MAX_VND},
            status=422,
        )
    if request.valid_until <= now:
        raise DomainError(
            _("Hạn dùng của phiếu phải ở sau thời điểm phát."), code="voucher_valid_until", status=422
        )
    if isinstance(request.issue_transfer_id, bool) or not isinstance(request.issue_transfer_id, int):
        raise DomainError(
            _("Phiếu phải có giao dịch chuyển tiền vào tài khoản phiếu mua hàng."),
            code="voucher_unbacked",
            status=422,
        )
    phone = ""
    if request.phone:
        try:
            phone = normalize_phone(request.phone)
        except ValidationError as error:
            raise DomainError(error.messages[0], code="voucher_phone", status=422) from None
    return VoucherRequest(
        disbursement_id=disbursement_id,
        value_vnd=value,
        fund_account_code=request.fund_account_code,
        phone=phone,
        valid_until=request.valid_until,
        issue_transfer_id=request.issue_transfer_id,
    )


def _funds_check(codes: set[str]) -> None:
    known = set(Account.objects.filter(code__in=codes).values_list("code", flat=True))
    missing = sorted(codes - known)
    if missing:
        raise DomainError(
            _("Không có tài khoản quỹ %(code)s để nhận lại tiền của phiếu."),
            code="voucher_fund_unknown",
            params={"code": missing[0]},
            status=422,
        )


def _backing_check(requests: Sequence[VoucherRequest]) -> None:
    """Each request's transfer put exactly its value into ``vouchers-outstanding``."""
    transfer_ids = {request.issue_transfer_id for request in requests}
    credited: dict[int, int] = {}
    for transfer_id, amount in Posting.objects.filter(
        transfer_id__in=transfer_ids, account__code=VOUCHERS_OUTSTANDING
    ).values_list("transfer_id", "amount_vnd"):
        credited[transfer_id] = credited.get(transfer_id, 0) + amount
    for request in requests:
        if credited.get(request.issue_transfer_id) != request.value_vnd:
            raise DomainError(
                _(
                    "Giao dịch #%(transfer)s không chuyển đúng %(value)s đồng vào tài khoản phiếu mua hàng "
                    "cho khoản %(id)s; phiếu không được phát."
                ),
                code="voucher_unbacked",
                params={
                    "transfer": request.issue_transfer_id,
                    "value": request.value_vnd,
                    "id": request.disbursement_id,
                },
                status=409,
            )


def _same_or_conflict(voucher: Voucher, request: VoucherRequest) -> None:
    same = (
        voucher.value_vnd == request.value_vnd
        and voucher.fund_account_code == request.fund_account_code
        and voucher.issue_transfer_id == request.issue_transfer_id
    )
    if not same:
        raise DomainError(
            _("Khoản %(id)s đã có phiếu với nội dung khác; không phát phiếu thứ hai."),
            code="voucher_conflict",
            params={"id": request.disbursement_id},
            status=409,
        )


# --- Redeeming -----------------------------------------------------------------------


def seller_may_redeem(user: Any, seller: Seller) -> bool:
    """Whether ``user`` takes vouchers for ``seller``: its leader, or a member holding the seller role."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if seller.leader_id == user.pk:
        return True
    return seller.members.filter(pk=user.pk).exists() and user_has_role(user, Role.SELLER)


def voucher_check(*, code: str, seller: Seller, actor: Any) -> Voucher:
    """The issued, unexpired voucher with ``code``, as ``actor`` at ``seller`` would redeem it.

    Writes nothing but a ``VoucherAttempt`` when the code finds nothing. The
    same refusals as ``voucher_redeem``; the page shows the value before the
    seller confirms.
    """
    now = timezone.now()
    _seller_check(seller, actor)
    _guessing_check(seller, now=now)
    voucher = _find(code_normalize(code), seller=seller, now=now)
    _usable_check(voucher, now=now)
    return voucher


def voucher_redeem(*, code: str, seller: Seller, actor: Any) -> Voucher:
    """Take the voucher with ``code`` at ``seller``: its value goes to the seller, once.

    ``actor`` is the seller's leader or a member with the seller role; the
    seller must be verified and active (``PermissionDenied`` otherwise).
    Refused (``DomainError``, nothing changes): a mistyped code; a code that
    finds nothing (counted: after ``MAX_WRONG_CODES`` in an hour the seller is
    refused for a while); a voucher already used ("already used on … at …"),
    expired or cancelled. On success, in one transaction: posts
    ``voucher-<id>-redeem`` (vouchers-outstanding → seller's sales account),
    marks the voucher redeemed, records the audit entry and sends
    ``voucher_redeemed`` (a receiver that raises undoes it all). Holds a row
    lock on the voucher. A wrong code's attempt is written even though an
    error is raised; do not wrap this in a transaction that rolls back on it.
    """
    now = timezone.now()
    _seller_check(seller, actor)
    _guessing_check(seller, now=now)
    found = _find(code_normalize(code), seller=seller, now=now)
    with transaction.atomic():
        voucher = Voucher.objects.select_for_update().get(pk=found.pk)
        _usable_check(voucher, now=now)
        _sales_account(seller)
        transfer = transfer_post(
            idempotency_key=f"voucher-{voucher.pk}-redeem",
            postings=[
                (VOUCHERS_OUTSTANDING, -voucher.value_vnd),
                (seller_sales_code(seller.pk), voucher.value_vnd),
            ],
            memo=f"Phiếu {voucher.disbursement_id} dùng tại {seller.name}"[:500],
            actor=actor,
        )
        # Conditional on the state, so that two counters can never both take it,
        # whatever the database's locking (the ledger key alone would let a
        # second identical redemption replay the first transfer).
        won = Voucher.objects.filter(pk=voucher.pk, state=Voucher.State.ISSUED).update(
            state=Voucher.State.REDEEMED,
            redeemed_at=now,
            redeemed_at_seller=seller,
            redeemed_by=actor,
            redeem_transfer_id=transfer.pk,
            updated_at=now,
        )
        if not won:
            raise DomainError(_("Phiếu này vừa được dùng ở nơi khác."), code="voucher_used", status=409)
        voucher.refresh_from_db()
        audit_record(
            actor=actor,
            action="voucher_redeemed",
            target=voucher,
            changes={
                "state": (Voucher.State.ISSUED, Voucher.State.REDEEMED),
                "redeemed_at_seller": (None, seller.pk),
                "value_vnd": (None, voucher.value_vnd),
            },
        )
        voucher_redeemed.send(
            sender=Voucher,
            voucher=voucher,
            disbursement_id=voucher.disbursement_id,
            transfer_id=transfer.pk,
            seller=seller,
            actor=actor,
        )
    return voucher


def _seller_check(seller: Seller, actor: Any) -> None:
    if not seller_may_redeem(actor, seller):
        raise PermissionDenied(
            _("Chỉ người đại diện hoặc thành viên bán hàng của %(seller)s mới nhận phiếu được."),
            code="voucher_not_seller",
            params={"seller": seller.name},
        )
    if not seller.verified:
        raise PermissionDenied(
            _("%(seller)s chưa được chương trình xác minh nên chưa nhận phiếu mua hàng được."),
            code="voucher_seller_unverified",
            params={"seller": seller.name},
        )
    if not seller.is_active:
        raise PermissionDenied(
            _("%(seller)s đang tạm ngừng bán nên chưa nhận phiếu mua hàng được."),
            code="voucher_seller_inactive",
            params={"seller": seller.name},
        )


def _wrong_codes(seller: Seller, *, now: datetime) -> list[datetime]:
    return list(
        VoucherAttempt.objects.filter(seller=seller, at__gt=now - WRONG_CODE_WINDOW)
        .order_by("-at")
        .values_list("at", flat=True)[:MAX_WRONG_CODES]
    )


def _guessing_check(seller: Seller, *, now: datetime) -> None:
    recent = _wrong_codes(seller, now=now)
    if len(recent) >= MAX_WRONG_CODES:
        raise _locked(free_at=recent[-1] + WRONG_CODE_WINDOW, now=now)


def _locked(*, free_at: datetime, now: datetime) -> DomainError:
    minutes = max(1, math.ceil((free_at - now).total_seconds() / 60))
    return DomainError(
        _(
            "Cửa hàng đã nhập sai mã phiếu %(max)s lần trong một giờ nên tạm thời không nhận phiếu. "
            "Hãy thử lại sau %(minutes)s phút."
        ),
        code="voucher_guessing",
        params={"max": MAX_WRONG_CODES, "minutes": minutes},
        status=429,
    )


def _find(code: str, *, seller: Seller, now: datetime) -> Voucher:
    """The voucher with ``code``; else count the wrong code against ``seller`` and refuse."""
    voucher = Voucher.objects.select_related("redeemed_at_seller").filter(code_hash=code_hash(code)).first()
    if voucher is not None:
        return voucher
    VoucherAttempt.objects.create(seller=seller, at=now)
    recent = _wrong_codes(seller, now=now)
    left = MAX_WRONG_CODES - len(recent)
    if left <= 0:
        raise _locked(free_at=recent[-1] + WRONG_CODE_WINDOW, now=now)
    raise NotFound(
        _("Không có phiếu nào với mã này. Hãy kiểm tra lại; cửa hàng còn %(left)s lần thử trong giờ này."),
        code="voucher_unknown",
        params={"left": left},
    )


def _day(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y") if moment else ""


def _usable_check(voucher: Voucher, *, now: datetime) -> None:
    if voucher.state == Voucher.State.REDEEMED:
        seller = voucher.redeemed_at_seller
        raise DomainError(
            _("Phiếu này đã được dùng ngày %(date)s tại %(seller)s."),
            code="voucher_used",
            params={
                "date": timezone.localtime(voucher.redeemed_at).strftime("%d/%m/%Y %H:%M")
                if voucher.redeemed_at
                else "",
                "seller": seller.name if seller is not None else "",
            },
            status=409,
        )
    if voucher.state == Voucher.State.CANCELLED:
        raise DomainError(_("Phiếu này đã bị huỷ nên không dùng được."), code="voucher_cancelled", status=409)
    if voucher.state == Voucher.State.EXPIRED or voucher.valid_until <= now:
        raise DomainError(
            _("Phiếu này đã hết hạn ngày %(date)s nên không dùng được nữa."),
            code="voucher_expired",
            params={"date": _day(voucher.valid_until)},
            status=409,
        )


# --- Expiring ------------------------------------------------------------------------


def vouchers_expire(*, now: datetime | None = None) -> int:
    """Mark every issued voucher past its ``valid_until`` expired; return how many.

    One short transaction per voucher: the state changes, the audit entry is
    written and ``voucher_expired`` is sent together (the issuer gives the
    value back to its fund in its receiver). A voucher whose receiver raises
    stays issued and is tried again next run (logged). A voucher redeemed at
    the same moment is left alone. Safe to run again and from two places.
    Wrong-code attempts older than ``ATTEMPTS_KEPT`` are let go here too.
    """
    moment = now or timezone.now()
    VoucherAttempt.objects.filter(at__lt=moment - ATTEMPTS_KEPT).delete()
    due = list(
        Voucher.objects.filter(state=Voucher.State.ISSUED, valid_until__lte=moment)
        .order_by("valid_until", "pk")
        .values_list("pk", flat=True)
    )
    expired = 0
    for pk in due:
        try:
            with transaction.atomic():
                changed = Voucher.objects.filter(
                    pk=pk, state=Voucher.State.ISSUED, valid_until__lte=moment
                ).update(state=Voucher.State.EXPIRED, updated_at=timezone.now())
                if not changed:
                    continue
                voucher = Voucher.objects.get(pk=pk)
                audit_record(
                    actor=None,
                    action="voucher_expired",
                    target=voucher,
                    changes={"state": (Voucher.State.ISSUED, Voucher.State.EXPIRED)},
                )
                voucher_expired.send(sender=Voucher, voucher=voucher, disbursement_id=voucher.disbursement_id)
        except DomainError as error:
            logger.warning("Voucher %s could not expire: %s", pk, error)
            continue
        expired += 1
    return expired


# --- Reading -------------------------------------------------------------------------


def vouchers_for_disbursements(disbursement_ids: Sequence[str]) -> dict[str, Voucher]:
    """The vouchers of these disbursements, by disbursement id (one query)."""
    return {
        voucher.disbursement_id: voucher
        for voucher in Voucher.objects.filter(disbursement_id__in=list(disbursement_ids)).select_related(
            "redeemed_at_seller"
        )
    }
