"""Every write to the ledger: open accounts, post and reverse transfers; and the balance checks.

No other app writes ledger tables; they call these. Amounts are whole đồng,
positive into an account and negative out of it, and a transfer's postings
sum to zero. Each transfer carries an idempotency key chosen by the caller
(an order reference, a disbursement id, a bank's ``Idempotency-Key``): the
same key with the same content returns the first transfer and writes
nothing; the same key with other content is refused (``IdempotencyConflict``).

``transfers_post_many`` posts many transfers in one call (a disbursement
batch, a bank file), with the same rules and all or nothing.

Concurrency: in one transaction a transfer first inserts its own row (the
unique key makes a concurrent request with the same key wait, then fail and
return the winner), then locks the accounts it touches in order of their
code (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE``
already serialises writers), checks the not-negative rule on the locked
balances, and writes the postings and the cached balances. The database's
CHECK constraint on the balance is the last line of defence.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import batched
from json.encoder import encode_basestring as _json_string
from typing import Any

from django.db import IntegrityError, OperationalError, connection, models, transaction
from django.db.models import BigIntegerField, Count, F, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ketnoi.core.audit import audit_record
from ketnoi.core.errors import DomainError, NotFound
from ketnoi.core.money import MAX_VND
from ketnoi.core.text import nfc

from .models import Account, Posting, Transfer

MAX_KEY_LENGTH = 200
MAX_MEMO_LENGTH = 500
MAX_CODE_LENGTH = 80
MAX_NAME_LENGTH = 200

# Printable ASCII (space to tilde), not starting or ending with a space: what
# survives an HTTP header unchanged.
_KEY = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")
_CODE = re.compile(r"[-a-zA-Z0-9_]+")
_NOT_NEGATIVE_CONSTRAINT = "ledger_account_not_negative_unless_allowed"
# Tries of a transfer refused at the start by a busy SQLite database (see ``_post``).
LOCKED_ATTEMPTS = 3


class IdempotencyConflict(DomainError):
    """The idempotency key was already used for a transfer with other content."""

    status = 409


# --- Accounts ---------------------------------------------------------------


def account_open(
    *, code: str, name: str, kind: str, may_go_negative: bool = False, actor: Any = None
) -> Account:
    """The account ``code``, opened now if it does not exist yet (idempotent by code).

    An existing account is returned as it is; asking for it with another
    ``kind`` or ``may_go_negative`` is refused (409) rather than ignored.
    """
    if not isinstance(code, str) or not _CODE.fullmatch(code) or len(code) > MAX_CODE_LENGTH:
        raise DomainError(
            _("Mã tài khoản “%(code)s” không hợp lệ: chỉ chữ không dấu, số, “-” và “_”, tối đa 80 ký tự."),
            code="invalid_account_code",
            params={"code": code},
            status=422,
        )
    clean_name = nfc(name) if isinstance(name, str) else ""
    if not clean_name or len(clean_name) > MAX_NAME_LENGTH:
        raise DomainError(
            _("Tên tài khoản phải có từ 1 đến 200 ký tự."), code="invalid_account_name", status=422
        )
    if kind not in Account.Kind.values:
        raise DomainError(
            _("Loại tài khoản “%(kind)s” không có."),
            code="invalid_account_kind",
            params={"kind": kind},
            status=422,
        )
    with transaction.atomic():
        account, created = Account.objects.get_or_create(
            code=code, defaults={"name": clean_name, "kind": kind, "may_go_negative": bool(may_go_negative)}
        )
        if created:
            audit_record(
                actor=actor,
                action="ledger_account_opened",
                target=account,
                changes={"kind": (None, kind), "may_go_negative": (None, account.may_go_negative)},
            )
    if account.kind != kind or account.may_go_negative != bool(may_go_negative):
        raise DomainError(
            _("Tài khoản %(code)s đã có với loại hoặc quy định số dư khác."),
            code="account_mismatch",
            params={"code": code},
            status=409,
        )
    return account


def account_balance(code: str) -> int:
    """The balance of account ``code`` in đồng (its cached balance; ``balances_check`` guards it)."""
    balance = Account.objects.filter(code=code).values_list("balance_vnd", flat=True).first()
    if balance is None:
        raise NotFound(_("Không có tài khoản %(code)s."), code="account_not_found", params={"code": code})
    return balance


# --- Transfers --------------------------------------------------------------


def transfer_post(
    *, idempotency_key: str, postings: Iterable[tuple[str, int]], memo: str = "", actor: Any = None
) -> Transfer:
    """Post a transfer: ``postings`` are ``(account code, signed amount in đồng)`` summing to zero.

    Refused, with nothing written: fewer than two accounts, a zero or
    non-integer amount, a sum other than zero, an unknown account (422); an
    account that may not go negative would (409); the key already used for
    other content (``IdempotencyConflict``, 409). A retry with the same key
    and content returns the first transfer, also when two arrive at once.
    May run inside the caller's transaction.
    """
    key = _clean_key(idempotency_key)
    lines = _clean_postings(postings)
    return _post(key=key, lines=lines, memo=_clean_memo(memo), actor=actor, reverses=None)


def transfer_reverse(
    *, transfer: Transfer, idempotency_key: str, actor: Any = None, memo: str = ""
) -> Transfer:
    """Post the reversal of ``transfer``: the same postings with opposite signs.

    A transfer is reversed at most once, and a reversal is not reversed
    (409). Idempotent by key like ``transfer_post``; the not-negative rule
    applies (money already spent from an account cannot be taken back).
    """
    key = _clean_key(idempotency_key)
    if transfer.reverses_id is not None:
        raise DomainError(
            _("Giao dịch #%(id)s là một giao dịch đảo ngược; không đảo ngược nó được."),
            code="reversal_of_reversal",
            params={"id": transfer.pk},
            status=409,
        )
    lines = [(code, -amount) for code, amount in _lines_of(transfer)]
    clean_memo = _clean_memo(memo) or f"Đảo ngược giao dịch #{transfer.pk}"
    return _post(key=key, lines=lines, memo=clean_memo, actor=actor, reverses=transfer)


def _post(
    *, key: str, lines: list[tuple[str, int]], memo: str, actor: Any, reverses: Transfer | None
) -> Transfer:
    digest = content_hash(lines, memo, reverses_id=reverses.pk if reverses is not None else None)
    # SQLite keeps no queue of writers: one that sleeps while others commit
    # can wait past busy_timeout and be refused at BEGIN IMMEDIATE ("database
    # is locked") before anything was written. Starting again is safe (the
    # key makes it so); inside a caller's transaction the caller decides.
    attempts = 1 if transaction.get_connection().in_atomic_block else LOCKED_ATTEMPTS
    for attempt in range(1, attempts + 1):
        try:
            return _post_once(key=key, digest=digest, lines=lines, memo=memo, actor=actor, reverses=reverses)
        except OperationalError as error:
            if attempt == attempts or "database is locked" not in str(error):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _post_once(
    *, key: str, digest: str, lines: list[tuple[str, int]], memo: str, actor: Any, reverses: Transfer | None
) -> Transfer:
    try:
        with transaction.atomic():
            return _write(key=key, digest=digest, lines=lines, memo=memo, actor=actor, reverses=reverses)
    except IntegrityError as error:
        # Lost a race: a concurrent request with the same key committed first
        # (PostgreSQL makes ours wait on the unique index, then fail), or a
        # concurrent reversal of the same transfer did; or, should the checks
        # above ever miss, the database refused a negative balance.
        winner = Transfer.objects.filter(idempotency_key=key).first()
        if winner is not None:
            return _replay(winner, digest)
        if reverses is not None and Transfer.objects.filter(reverses=reverses).exists():
            raise _already_reversed(reverses) from error
        if _NOT_NEGATIVE_CONSTRAINT in str(error):
            raise DomainError(
                _("Một tài khoản không được âm sẽ bị âm; giao dịch không được ghi."),
                code="insufficient_funds",
                status=409,
            ) from error
        raise


def _write(
    *, key: str, digest: str, lines: list[tuple[str, int]], memo: str, actor: Any, reverses: Transfer | None
) -> Transfer:
    # A retry of a transfer already committed: answer with it, write nothing.
    existing = Transfer.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return _replay(existing, digest)
    if reverses is not None and Transfer.objects.filter(reverses=reverses).exists():
        raise _already_reversed(reverses)

    # The transfer row first: its unique key makes a concurrent request with
    # the same key wait here and then fail (``_post`` answers it), and the
    # account rows locked below stay locked for less time.
    author = actor if getattr(actor, "is_authenticated", False) else None
    transfer = Transfer.objects.create(
        idempotency_key=key, content_hash=digest, memo=memo, created_by=author, reverses=reverses
    )
    audit_record(
        actor=actor,
        action="ledger_transfer_reversed" if reverses is not None else "ledger_transfer_posted",
        target=transfer,
        changes={
            "postings": (None, [[code, amount] for code, amount in lines]),
            "memo": (None, memo),
            **({"reverses": (None, reverses.pk)} if reverses is not None else {}),
        },
        reason=memo,
    )

    codes = sorted({code for code, _amount in lines})
    # Locked in code order, so two transfers over the same accounts never deadlock.
    accounts = {
        a.code: a for a in Account.objects.select_for_update().filter(code__in=codes).order_by("code")
    }
    missing = [code for code in codes if code not in accounts]
    if missing:
        raise DomainError(
            _("Không có tài khoản: %(codes)s."),
            code="unknown_account",
            params={"codes": ", ".join(missing)},
            status=422,
        )
    deltas: dict[str, int] = defaultdict(int)
    for code, amount in lines:
        deltas[code] += amount
    for code in codes:
        account = accounts[code]
        if account.balance_vnd + deltas[code] < 0 and not account.may_go_negative:
            raise DomainError(
                _("Tài khoản %(code)s không đủ tiền: số dư %(balance)s đồng, cần %(needed)s đồng."),
                code="insufficient_funds",
                params={"code": code, "balance": account.balance_vnd, "needed": -deltas[code]},
                status=409,
            )
    Posting.objects.bulk_create(
        [Posting(transfer=transfer, account=accounts[code], amount_vnd=amount) for code, amount in lines]
    )
    _balances_add({accounts[code].pk: delta for code, delta in deltas.items() if delta})
    return transfer


def _balances_add(deltas: dict[int, int]) -> None:
    """Add ``deltas`` (account id → đồng) to the cached balances, in one statement.

    Each balance becomes ``balance_vnd + delta`` in the database, never a
    value computed in Python. Plain SQL: this is the ledger's hottest
    statement, and building it through the ORM (``Case``/``When``) cost
    more than running it.
    """
    if not deltas:
        return
    table = connection.ops.quote_name(Account._meta.db_table)
    whens = " ".join("WHEN %s THEN %s" for _ in deltas)
    marks = ", ".join("%s" for _ in deltas)
    params: list[int] = [value for pk, delta in deltas.items() for value in (pk, delta)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET balance_vnd = balance_vnd + CASE id {whens} ELSE 0 END "  # noqa: S608 - names from _meta, values as parameters
            f"WHERE id IN ({marks})",
            [*params, *deltas],
        )


def _replay(existing: Transfer, digest: str) -> Transfer:
    if existing.content_hash != digest:
        raise IdempotencyConflict(
            _("Khoá chống trùng “%(key)s” đã dùng cho một giao dịch khác (#%(id)s)."),
            code="idempotency_conflict",
            params={"key": existing.idempotency_key, "id": existing.pk},
        )
    return existing


def _already_reversed(transfer: Transfer) -> DomainError:
    return _already_reversed_id(transfer.pk)


def _already_reversed_id(pk: int | None) -> DomainError:
    return DomainError(
        _("Giao dịch #%(id)s đã được đảo ngược rồi."), code="already_reversed", params={"id": pk}, status=409
    )


def _lines_of(transfer: Transfer) -> list[tuple[str, int]]:
    return list(transfer.postings.order_by("id").values_list("account__code", "amount_vnd"))


def content_hash(lines: Iterable[tuple[str, int]], memo: str, *, reverses_id: int | None = None) -> str:
    """SHA-256 of the canonical content: postings sorted by account then amount, the memo (NFC).

    The canonical text is the compact JSON ``{"memo":…,"postings":[[code,amount],…],"reverses":…}``
    (keys sorted, UTF-8 unescaped), written out here rather than by ``json.dumps``, which took
    three times as long: a batch hashes a million of them. Stored hashes depend on it byte for byte.
    """
    postings = ",".join(f"[{_json_string(code)},{int(amount)}]" for code, amount in sorted(lines))
    canonical = f'{{"memo":{_json_string(memo)},"postings":[{postings}]'
    if reverses_id is not None:
        canonical += f',"reverses":{int(reverses_id)}'
    return hashlib.sha256(f"{canonical}}}".encode()).hexdigest()


# --- Many transfers at once -------------------------------------------------

# Keys, ids or codes per IN (…) query: under SQLite's smallest variable limit
# (999 in old builds) and small enough to keep PostgreSQL's plans simple.
_CHUNK = 900


@dataclass(frozen=True)
class TransferRequest:
    """One transfer for ``transfers_post_many``: ``postings``, or ``reverses_id`` to post its negation."""

    idempotency_key: str
    postings: tuple[tuple[str, int], ...] = ()  # (account code, signed đồng), summing to zero
    memo: str = ""
    reverses_id: int | None = None  # set instead of postings: reverse that transfer


@dataclass
class _Planned:
    key: str
    lines: list[tuple[str, int]]
    memo: str
    reverses_id: int | None
    digest: str = ""


def transfers_post_many(
    requests: Sequence[TransferRequest],
    *,
    actor: Any = None,
    audit_target: models.Model | None = None,
    audit_action: str = "ledger_transfers_posted",
) -> dict[str, int]:
    """Post many transfers at once, all or none; the id of each, by idempotency key.

    Every request is checked as ``transfer_post`` (or ``transfer_reverse``
    for one with ``reverses_id``) checks it, and one refusal refuses the
    whole call, with nothing written. A key already posted with the same
    content answers with its transfer and writes nothing (also when the same
    key comes twice in the call); with other content the call is refused
    (``IdempotencyConflict``, 409). The not-negative rule is checked on the
    sum of the whole call. One audit entry (``audit_action`` on
    ``audit_target``) records the call, when it wrote anything. Joins the
    caller's transaction; a concurrent call that posted some of the same keys
    first makes this one start again and answer those keys from the ledger.
    Rows are written in bulk: ten thousand transfers take a fraction of a
    second on SQLite.
    """
    planned = _clean_requests(requests)
    if not planned:
        return {}
    attempts = 1 if transaction.get_connection().in_atomic_block else LOCKED_ATTEMPTS
    posted_before = -1
    while True:
        posted: list[int] = []  # how many of the keys this try found posted already
        try:
            with transaction.atomic():
                return _write_many(
                    planned, actor=actor, audit_target=audit_target, audit_action=audit_action, posted=posted
                )
        except IntegrityError as error:
            # Lost a race: a concurrent call committed some of the same keys
            # (or reversed the same transfer) after our reads. Read again: they
            # replay now. With several overlapping calls a try can lose again,
            # but then it saw more keys posted than the try before; one that
            # saw no more lost no race, and its error is not ours to hide.
            if not posted or posted[0] <= posted_before:
                if _NOT_NEGATIVE_CONSTRAINT in str(error):
                    raise DomainError(
                        _("Một tài khoản không được âm sẽ bị âm; giao dịch không được ghi."),
                        code="insufficient_funds",
                        status=409,
                    ) from error
                raise
            posted_before = posted[0]
        except OperationalError as error:
            # SQLite refused BEGIN IMMEDIATE to a writer kept waiting (see ``_post``).
            attempts -= 1
            if attempts <= 0 or "database is locked" not in str(error):
                raise


def _clean_requests(requests: object) -> list[_Planned]:
    if isinstance(requests, (str, bytes)) or not isinstance(requests, Iterable):
        raise _invalid_request()
    planned: list[_Planned] = []
    for request in requests:
        if not isinstance(request, TransferRequest):
            raise _invalid_request()
        key = _clean_key(request.idempotency_key)
        memo = _clean_memo(request.memo)
        if request.reverses_id is None:
            planned.append(
                _Planned(key=key, lines=_clean_postings(request.postings), memo=memo, reverses_id=None)
            )
            continue
        reverses_id = request.reverses_id
        if isinstance(reverses_id, bool) or not isinstance(reverses_id, int) or request.postings:
            raise _invalid_request()
        planned.append(
            _Planned(
                key=key, lines=[], memo=memo or f"Đảo ngược giao dịch #{reverses_id}", reverses_id=reverses_id
            )
        )
    return planned


def _invalid_request() -> DomainError:
    return DomainError(
        _("Mỗi yêu cầu là một giao dịch: các bút toán, hoặc số của giao dịch cần đảo ngược."),
        code="invalid_request",
        status=422,
    )


def _write_many(
    planned: list[_Planned],
    *,
    actor: Any,
    audit_target: models.Model | None,
    audit_action: str,
    posted: list[int],
) -> dict[str, int]:
    originals = _reversed_originals(planned)
    for plan in planned:
        if plan.reverses_id is not None:
            plan.lines = [(code, -amount) for code, amount in originals[plan.reverses_id][1]]
        plan.digest = content_hash(plan.lines, plan.memo, reverses_id=plan.reverses_id)

    # The same key twice in one call is one transfer, if it is the same transfer.
    by_key: dict[str, _Planned] = {}
    for plan in planned:
        first = by_key.setdefault(plan.key, plan)
        if first.digest != plan.digest:
            raise IdempotencyConflict(
                _("Khoá chống trùng “%(key)s” có hai lần với nội dung khác nhau."),
                code="idempotency_conflict",
                params={"key": plan.key},
            )

    # Keys already posted: replay (same content) or refuse (other content).
    ids: dict[str, int] = {}
    keys = list(by_key)
    for key, (pk, digest) in _transfers_by_key(keys).items():
        if digest != by_key[key].digest:
            raise IdempotencyConflict(
                _("Khoá chống trùng “%(key)s” đã dùng cho một giao dịch khác (#%(id)s)."),
                code="idempotency_conflict",
                params={"key": key, "id": pk},
            )
        ids[key] = pk
    posted.append(len(ids))
    # Sorted by key: two calls inserting overlapping keys wait for each other, never in a circle.
    new = sorted((plan for key, plan in by_key.items() if key not in ids), key=lambda plan: plan.key)
    if not new:
        return ids

    _reversals_check([plan for plan in new if plan.reverses_id is not None], originals)

    author = actor if getattr(actor, "is_authenticated", False) else None
    new_ids = _transfers_insert(new, author_id=author.pk if author is not None else None)

    deltas: dict[str, int] = defaultdict(int)
    for plan in new:
        for code, amount in plan.lines:
            deltas[code] += amount
    accounts = _accounts_lock(sorted(deltas))
    for code in sorted(deltas):
        _id, balance, may_go_negative = accounts[code]
        if balance + deltas[code] < 0 and not may_go_negative:
            raise DomainError(
                _("Tài khoản %(code)s không đủ tiền: số dư %(balance)s đồng, cần %(needed)s đồng."),
                code="insufficient_funds",
                params={"code": code, "balance": balance, "needed": -deltas[code]},
                status=409,
            )

    _rows_insert(
        Posting,
        ["transfer", "account", "amount_vnd"],
        [(new_ids[plan.key], accounts[code][0], amount) for plan in new for code, amount in plan.lines],
    )
    nonzero = [(accounts[code][0], delta) for code, delta in deltas.items() if delta]
    for start in range(0, len(nonzero), _CHUNK // 3):
        _balances_add(dict(nonzero[start : start + _CHUNK // 3]))

    audit_record(
        actor=actor,
        action=audit_action,
        target=audit_target,
        changes={
            "count": (None, len(new)),
            "total_vnd": (None, sum(amount for plan in new for _code, amount in plan.lines if amount > 0)),
            "first_key": (None, new[0].key),
            "last_key": (None, new[-1].key),
        },
    )
    ids.update(new_ids)
    return ids


def _transfers_insert(new: list[_Planned], *, author_id: int | None) -> dict[str, int]:
    """Insert the transfer rows of ``new``; their ids by key."""
    created_at = Transfer._meta.get_field("created_at").get_db_prep_value(timezone.now(), connection)
    rows = [(plan.key, plan.digest, plan.memo, created_at, author_id, plan.reverses_id) for plan in new]
    fields = ["idempotency_key", "content_hash", "memo", "created_at", "created_by", "reverses"]
    if connection.features.can_return_rows_from_bulk_insert:  # PostgreSQL, SQLite 3.35+
        return dict(_rows_insert(Transfer, fields, rows, returning=["idempotency_key", "id"]))
    _rows_insert(Transfer, fields, rows)
    return {key: pk for key, (pk, _digest) in _transfers_by_key([plan.key for plan in new]).items()}


def _transfers_by_key(keys: list[str]) -> dict[str, tuple[int, str]]:
    """The transfers posted under ``keys``: key → (id, content hash); a query per chunk of keys.

    Plain SQL: the ORM spent longer preparing a few hundred keys for ``IN (…)`` than the database
    spent finding them.
    """
    quote = connection.ops.quote_name
    found: dict[str, tuple[int, str]] = {}
    with connection.cursor() as cursor:
        for chunk in batched(keys, _CHUNK, strict=False):
            cursor.execute(
                f"SELECT idempotency_key, id, content_hash FROM {quote(Transfer._meta.db_table)} "  # noqa: S608 - names from _meta, values as parameters
                f"WHERE idempotency_key IN ({', '.join('%s' for _ in chunk)})",
                chunk,
            )
            found.update((key, (pk, digest)) for key, pk, digest in cursor.fetchall())
    return found


def _rows_insert(
    model: type[models.Model],
    fields: list[str],
    rows: list[tuple[Any, ...]],
    *,
    returning: list[str] | None = None,
) -> list[tuple[Any, ...]]:
    """``INSERT`` ``rows`` into ``model``'s table, up to a thousand per statement; the
    ``returning`` columns of each row inserted (in no particular order), when asked.

    Plain SQL, values always as parameters: the ORM's ``bulk_create`` spent
    ten times longer building model instances and SQL than the database
    spent writing them, and one multi-row ``VALUES`` costs half of
    ``executemany`` of the same rows on SQLite. Portable (SQLite, PostgreSQL).
    """
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(_column(model, name)) for name in fields)
    one_row = f"({', '.join('%s' for _ in fields)})"
    per_statement = max(1, min(1000, (connection.features.max_query_params or 30_000) // len(fields)))
    tail = f" RETURNING {', '.join(quote(_column(model, name)) for name in returning)}" if returning else ""
    returned: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            part = rows[start : start + per_statement]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([one_row] * len(part))}{tail}",  # noqa: S608 - names from _meta
                [value for row in part for value in row],
            )
            if returning:
                returned.extend(cursor.fetchall())
    return returned


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.column:  # pragma: no cover - a programming error
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field.column


def _reversed_originals(planned: list[_Planned]) -> dict[int, tuple[int | None, list[tuple[str, int]]]]:
    """The transfers that requests reverse: id → (what it reverses itself, its postings); 422 if unknown."""
    wanted = sorted({plan.reverses_id for plan in planned if plan.reverses_id is not None})
    originals: dict[int, tuple[int | None, list[tuple[str, int]]]] = {}
    for chunk in batched(wanted, _CHUNK, strict=False):
        rows = (
            Posting.objects.filter(transfer_id__in=chunk)
            .order_by("id")
            .values_list("transfer_id", "transfer__reverses_id", "account__code", "amount_vnd")
        )
        for transfer_id, reverses_id, code, amount in rows:
            originals.setdefault(transfer_id, (reverses_id, []))[1].append((code, amount))
    missing = [pk for pk in wanted if pk not in originals]
    if missing:
        raise DomainError(
            _("Không có giao dịch: %(ids)s."),
            code="unknown_transfer",
            params={"ids": ", ".join(f"#{pk}" for pk in missing)},
            status=422,
        )
    return originals


def _reversals_check(
    reversals: list[_Planned], originals: dict[int, tuple[int | None, list[tuple[str, int]]]]
) -> None:
    """Refuse (409) reversing a reversal, or a transfer reversed already or twice in this call."""
    seen: set[int] = set()
    for plan in reversals:
        pk = plan.reverses_id
        assert pk is not None
        if originals[pk][0] is not None:
            raise DomainError(
                _("Giao dịch #%(id)s là một giao dịch đảo ngược; không đảo ngược nó được."),
                code="reversal_of_reversal",
                params={"id": pk},
                status=409,
            )
        if pk in seen:
            raise _already_reversed_id(pk)
        seen.add(pk)
    for chunk in batched(sorted(seen), _CHUNK, strict=False):
        reversed_already = Transfer.objects.filter(reverses_id__in=chunk).order_by("reverses_id").first()
        if reversed_already is not None:
            raise _already_reversed_id(reversed_already.reverses_id)


def _accounts_lock(codes: list[str]) -> dict[str, tuple[int, int, bool]]:
    """Lock ``codes`` in code order: code → (id, balance, may go negative); 422 naming unknown codes."""
    accounts: dict[str, tuple[int, int, bool]] = {}
    for chunk in batched(codes, _CHUNK, strict=False):
        rows = (
            Account.objects.select_for_update()
            .filter(code__in=chunk)
            .order_by("code")
            .values_list("code", "id", "balance_vnd", "may_go_negative")
        )
        for code, pk, balance, may_go_negative in rows:
            accounts[code] = (pk, balance, may_go_negative)
    missing = [code for code in codes if code not in accounts]
    if missing:
        shown = ", ".join(missing[:20]) + (f" (+{len(missing) - 20})" if len(missing) > 20 else "")
        raise DomainError(
            _("Không có tài khoản: %(codes)s."), code="unknown_account", params={"codes": shown}, status=422
        )
    return accounts


# --- Input ------------------------------------------------------------------


def _clean_key(key: object) -> str:
    if not isinstance(key, str) or len(key) > MAX_KEY_LENGTH or not _KEY.fullmatch(key):
        raise DomainError(
            _(
                "Khoá chống trùng (Idempotency-Key) phải có từ 1 đến 200 ký tự ASCII in được, "
                "không bắt đầu hay kết thúc bằng dấu cách."
            ),
            code="invalid_idempotency_key",
            status=400,
        )
    return key


def _clean_memo(memo: object) -> str:
    if not isinstance(memo, str) or "\x00" in memo:
        raise DomainError(_("Nội dung giao dịch không hợp lệ."), code="invalid_memo", status=422)
    clean = nfc(memo)
    if len(clean) > MAX_MEMO_LENGTH:
        raise DomainError(_("Nội dung giao dịch dài quá: tối đa 500 ký tự."), code="invalid_memo", status=422)
    return clean


def _clean_postings(postings: object) -> list[tuple[str, int]]:
    if isinstance(postings, (str, bytes)) or not isinstance(postings, Iterable):
        raise _invalid_posting()
    lines: list[tuple[str, int]] = []
    for item in postings:
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise _invalid_posting()
        code, amount = item
        if not isinstance(code, str) or not code:
            raise _invalid_posting()
        # bool is an int to Python, never an amount here.
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise DomainError(
                _("Số tiền của tài khoản %(code)s phải là một số nguyên đồng."),
                code="invalid_amount",
                params={"code": code},
                status=422,
            )
        if amount == 0:
            raise DomainError(
                _("Số tiền của tài khoản %(code)s bằng 0: bỏ bút toán này đi."),
                code="zero_amount",
                params={"code": code},
                status=422,
            )
        if abs(amount) > MAX_VND:
            raise DomainError(
                _("Số tiền của tài khoản %(code)s quá lớn: tối đa %(max)s đồng."),
                code="amount_range",
                params={"code": code, "max": MAX_VND},
                status=422,
            )
        lines.append((code, int(amount)))
    if len({code for code, _amount in lines}) < 2:
        raise DomainError(_("Một giao dịch cần ít nhất hai tài khoản."), code="too_few_postings", status=422)
    total = sum(amount for _code, amount in lines)
    if total != 0:
        raise DomainError(
            _("Tổng các bút toán phải bằng 0, đang lệch %(total)s đồng."),
            code="unbalanced",
            params={"total": total},
            status=422,
        )
    return lines


def _invalid_posting() -> DomainError:
    return DomainError(
        _("Mỗi bút toán gồm một mã tài khoản và một số tiền."), code="invalid_posting", status=422
    )


# --- Checks -----------------------------------------------------------------


@dataclass(frozen=True)
class BalanceMismatch:
    code: str
    cached_vnd: int
    postings_vnd: int

    @property
    def difference_vnd(self) -> int:
        return self.cached_vnd - self.postings_vnd


def balances_check() -> list[BalanceMismatch]:
    """Accounts whose cached balance differs from the sum of their postings (none when all is well).

    One aggregate query over every posting: a check for a command or a test,
    not for a page.
    """
    rows = (
        Account.objects.annotate(
            posted=Coalesce(Sum("postings__amount_vnd"), Value(0), output_field=BigIntegerField())
        )
        .exclude(balance_vnd=F("posted"))
        .order_by("code")
        .values_list("code", "balance_vnd", "posted")
    )
    return [
        BalanceMismatch(code=code, cached_vnd=cached, postings_vnd=posted) for code, cached, posted in rows
    ]


def transfers_check() -> list[int]:
    """Ids of transfers whose postings do not sum to zero or touch fewer than two rows (none when well)."""
    return list(
        Transfer.objects.annotate(
            total=Coalesce(Sum("postings__amount_vnd"), Value(0), output_field=BigIntegerField()),
            lines=Count("postings"),
        )
        .exclude(total=0, lines__gte=2)
        .order_by("id")
        .values_list("id", flat=True)
    )
