"""The ledger part of ``/api/v1`` (under ``/ledger``), for payment partners and bank adapters.

Only administrators' and programme officers' tokens are let in: no token
is 401, any other role 403 (checked before the body is read). A transfer is
posted with an ``Idempotency-Key`` header; a retry with the same key and the
same body answers exactly like the first call (201, the same transfer), so a
partner may retry after a timeout without moving money twice.
"""

from datetime import datetime
from typing import Annotated

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Header, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate
from pydantic import ConfigDict, StrictInt

from ketnoi.accounts.models import User
from ketnoi.api.schemas import AUTH_ERRORS, ErrorOut, NfcStr, lazy
from ketnoi.api.security import TokenBearer
from ketnoi.core.errors import DomainError, PermissionDenied
from ketnoi.core.money import MAX_VND

from .models import Account, Transfer
from .selectors import account_get, account_list, transfer_postings, user_may_use_ledger
from .services import MAX_MEMO_LENGTH, transfer_post

ACCOUNTS_PAGE_SIZE = 50
MAX_POSTINGS = 100


class LedgerBearer(TokenBearer):
    """A live token whose holder is an administrator or a programme officer."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = super().authenticate(request, token)
        if user is not None and not user_may_use_ledger(user):
            raise PermissionDenied(
                _("Chỉ quản trị viên và cán bộ chương trình mới dùng được sổ cái."), code="permission_denied"
            )
        return user


router = Router(tags=["ledger"], auth=LedgerBearer())


# --- Schemas ----------------------------------------------------------------


class PostingIn(Schema):
    model_config = ConfigDict(extra="forbid")

    account: Annotated[str, Field(min_length=1, max_length=80, examples=["buyers-external"])]
    amount_vnd: Annotated[StrictInt, Field(ge=-MAX_VND, le=MAX_VND, examples=[150000])] = Field(
        description=lazy(_("Số nguyên đồng, khác 0: dương là tiền vào tài khoản, âm là tiền ra."))
    )


class TransferIn(Schema):
    model_config = ConfigDict(extra="forbid")

    postings: list[PostingIn] = Field(
        min_length=2,
        max_length=MAX_POSTINGS,
        description=lazy(_("Các bút toán; tổng số tiền phải bằng 0.")),
    )
    memo: Annotated[NfcStr, Field(max_length=MAX_MEMO_LENGTH)] = ""


class PostingOut(Schema):
    account: str
    amount_vnd: int


class TransferOut(Schema):
    id: int
    postings: list[PostingOut]
    memo: str
    created_at: datetime


class AccountOut(Schema):
    code: str
    name: str
    kind: str = Field(
        description=lazy(_("Loại tài khoản, ví dụ `seller_receivable`, `carrier_cod`, `fees`."))
    )
    balance_vnd: int
    may_go_negative: bool


def _transfer_out(transfer: Transfer) -> TransferOut:
    return TransferOut(
        id=transfer.pk,
        postings=[
            PostingOut(account=code, amount_vnd=amount) for code, amount in transfer_postings(transfer)
        ],
        memo=transfer.memo,
        created_at=transfer.created_at,
    )


# --- Operations -------------------------------------------------------------


@router.post(
    "/transfers",
    response={201: TransferOut, **AUTH_ERRORS, 409: ErrorOut},
    summary=lazy(_("Ghi một giao dịch vào sổ cái")),
    description=lazy(
        _(
            "Các bút toán `{account, amount_vnd}` có tổng bằng 0. Bắt buộc có tiêu đề `Idempotency-Key` "
            "(1–200 ký tự ASCII): gửi lại cùng khoá và cùng nội dung thì nhận lại đúng giao dịch đã ghi "
            "(201, cùng `id`) và không ghi thêm; cùng khoá mà nội dung khác thì 409. Thứ tự các bút toán "
            "không làm nội dung khác đi. Tổng khác 0, số tiền bằng 0 hay tài khoản không có: 422. Tài khoản "
            "không được âm mà sẽ bị âm: 409, không ghi gì."
        )
    ),
)
def transfer_create(
    request: HttpRequest,
    payload: TransferIn,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description=lazy(
                _("Bắt buộc: 1–200 ký tự ASCII in được, mỗi giao dịch một khoá. Thiếu thì 400.")
            ),
        ),
    ] = None,
) -> Status[TransferOut]:
    if not idempotency_key:
        raise DomainError(
            _("Thiếu tiêu đề Idempotency-Key: mỗi giao dịch cần một khoá chống trùng."),
            code="idempotency_key_missing",
            status=400,
        )
    transfer = transfer_post(
        idempotency_key=idempotency_key,
        postings=[(p.account, p.amount_vnd) for p in payload.postings],
        memo=payload.memo,
        actor=request.auth,  # type: ignore[attr-defined]
    )
    return Status(201, _transfer_out(transfer))


@router.get(
    "/accounts",
    response={200: list[AccountOut], **AUTH_ERRORS},
    summary=lazy(_("Các tài khoản sổ cái và số dư")),
    description=lazy(_("Theo mã tài khoản; lọc theo loại bằng `kind`. Chia trang: `page`, `page_size`.")),
)
@paginate(PageNumberPagination, page_size=ACCOUNTS_PAGE_SIZE, max_page_size=200)
def accounts(request: HttpRequest, kind: Account.Kind | None = None) -> QuerySet[Account]:
    return account_list(kind=kind)


@router.get(
    "/accounts/{code}",
    response={200: AccountOut, **AUTH_ERRORS, 404: ErrorOut},
    summary=lazy(_("Một tài khoản sổ cái")),
)
def account_detail(request: HttpRequest, code: str) -> Account:
    return account_get(code)
