"""What the programmes have planned and paid, where, and what is still wrong: the dashboard's figures.

Every figure is read inside the viewer's areas (``access.programme_scopes``:
a commune officer her communes, a programme officer her province, an
administrator the country), by the commune frozen on each enrolment,
payment and complaint. Three grouped queries make the whole dashboard
(and two for the viewer's areas), however many households and payments
there are:

- planned: the entitlements enrolled in cycles that were approved;
- payments: counts and sums per programme, commune, state and failure reason;
- complaints still open, counted by how long they have waited.

A household is counted once per cycle: "households paid" is the number of
payments received, so that it compares with "households planned".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ketnoi.core.scopes import AreaScope, scope_q

from .access import programme_scopes
from .models import Cycle, Disbursement, DisbursementState, Enrolment, Grievance
from .selectors_grievances import AGE_BUCKETS
from .services.grievance_rules import ACTIVE_STATES, grievance_visibility_q

# Cycles whose list was approved: their entitlements are what the programme plans to pay.
PLANNED_CYCLE_STATES = (Cycle.State.APPROVED, Cycle.State.CLOSED)
# Payments that left the programme: reconciled once the bank, post office or seller said paid or failed.
SENT_STATES = (DisbursementState.SENT, DisbursementState.PAID, DisbursementState.FAILED)
# How long an open complaint has waited: the complaints queue's buckets, with their labels.
AGE_LABELS: dict[str, Any] = {"0_7": _("0–7 ngày"), "8_30": _("8–30 ngày"), "over_30": _("Trên 30 ngày")}
AGE_KEYS: tuple[str, ...] = tuple(key for key, _first, _last in AGE_BUCKETS)
NO_PROGRAMME = 0  # complaints not about one programme are grouped under this key
Row = Mapping[str, Any]  # one grouped row of a figures query


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class PaymentFigures:
    """Planned against paid for one programme, one commune, or all of them."""

    key: Any
    label: str
    planned_households: int = 0
    planned_vnd: int = 0
    paid_households: int = 0
    paid_vnd: int = 0
    sent: int = 0  # payments that left: still out, paid or failed
    failed: int = 0
    failed_vnd: int = 0
    waiting: int = 0  # payments prepared, not sent yet
    open_grievances: int = 0

    @property
    def paid_share(self) -> float | None:
        """Share of the planned money that reached households."""
        return _ratio(self.paid_vnd, self.planned_vnd)

    @property
    def reconciled_share(self) -> float | None:
        """Share of the payments sent whose outcome (paid or failed) is known."""
        return _ratio(self.paid_households + self.failed, self.sent)

    @property
    def unpaid_vnd(self) -> int:
        return max(0, self.planned_vnd - self.paid_vnd)

    def add(self, other: PaymentFigures) -> None:
        self.planned_households += other.planned_households
        self.planned_vnd += other.planned_vnd
        self.paid_households += other.paid_households
        self.paid_vnd += other.paid_vnd
        self.sent += other.sent
        self.failed += other.failed
        self.failed_vnd += other.failed_vnd
        self.waiting += other.waiting
        self.open_grievances += other.open_grievances


@dataclass(frozen=True)
class FailureReason:
    programme: str
    reason: str
    payments: int
    amount_vnd: int


@dataclass
class GrievanceAges:
    """Open complaints of one programme (or of none) by how long they have waited."""

    key: Any
    label: str
    by_age: list[int] = field(default_factory=lambda: [0] * len(AGE_KEYS))
    overdue: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_age)


@dataclass(frozen=True)
class ProgrammeChoice:
    code: str
    name: str


@dataclass
class Dashboard:
    programmes: list[PaymentFigures]  # always every programme in the viewer's areas
    communes: list[PaymentFigures]  # of the chosen programme, or of all
    total: PaymentFigures  # of the chosen programme, or of all
    failures: list[FailureReason]
    grievances: list[GrievanceAges]
    grievances_total: GrievanceAges
    choices: list[ProgrammeChoice]
    chosen: ProgrammeChoice | None


def _age_counts(now: datetime) -> dict[str, Count]:
    """``age_<key>``: open complaints filed that many whole days ago, as the complaints queue counts them."""
    counts: dict[str, Count] = {}
    for key, first, last in AGE_BUCKETS:
        condition = Q(created_at__lte=now - timedelta(days=first))
        if last is not None:
            condition &= Q(created_at__gt=now - timedelta(days=last + 1))
        counts[f"age_{key}"] = Count("id", filter=condition)
    return counts


def _planned_rows(scopes: Sequence[AreaScope]) -> list[Row]:
    return list(
        Enrolment.objects.filter(scope_q(scopes), cycle__state__in=PLANNED_CYCLE_STATES)
        .values(
            "cycle__programme_id",
            "cycle__programme__code",
            "cycle__programme__name",
            "commune_id",
            "commune__name",
            "commune__province__name",
        )
        .annotate(households=Count("id"), amount=Sum("amount_vnd"))
        .order_by()
    )


def _payment_rows(scopes: Sequence[AreaScope]) -> list[Row]:
    return list(
        Disbursement.objects.filter(scope_q(scopes))
        .values(
            "batch__cycle__programme_id",
            "batch__cycle__programme__code",
            "batch__cycle__programme__name",
            "commune_id",
            "commune__name",
            "commune__province__name",
            "state",
            "failure_reason",
        )
        .annotate(payments=Count("id"), amount=Sum("amount_vnd"))
        .order_by()
    )


def _grievance_rows(visible: Q, now: datetime) -> list[Row]:
    return list(
        Grievance.objects.filter(visible, state__in=ACTIVE_STATES)
        .values(
            "programme_id",
            "programme__code",
            "programme__name",
            "commune_id",
            "commune__name",
            "commune__province__name",
        )
        .annotate(overdue=Count("id", filter=Q(due_at__lt=now)), **_age_counts(now))
        .order_by()
    )


def _commune_label(row: Row, several_provinces: bool) -> str:
    name = str(row["commune__name"])
    return f"{name}, {row['commune__province__name']}" if several_provinces else name


def _figures(table: dict[Any, PaymentFigures], key: Any, label: str) -> PaymentFigures:
    if key not in table:
        table[key] = PaymentFigures(key=key, label=label)
    return table[key]


def _sorted(table: dict[Any, PaymentFigures]) -> list[PaymentFigures]:
    return sorted(table.values(), key=lambda f: (f.label.casefold(), str(f.key)))


def programme_dashboard(
    user: Any, *, programme_code: str | None = None, now: datetime | None = None
) -> Dashboard:
    """Planned vs paid, failures and open complaints in ``user``'s areas.

    Complaints are those she may see (``grievance_visibility_q``: reports of
    abuse only at province level).
    ``programme_code`` narrows the communes, failures and complaints to one
    programme (the programmes table always lists them all); an unknown code
    or one outside the areas is ignored (``chosen`` is then ``None``).
    Five queries, whatever the amount of data.
    """
    now = now or timezone.now()
    scopes = programme_scopes(user)
    planned = _planned_rows(scopes)
    payments = _payment_rows(scopes)
    grievances = _grievance_rows(grievance_visibility_q(user), now)

    names: dict[int, ProgrammeChoice] = {}
    for row in planned:
        names[row["cycle__programme_id"]] = ProgrammeChoice(
            row["cycle__programme__code"], row["cycle__programme__name"]
        )
    for row in payments:
        names[row["batch__cycle__programme_id"]] = ProgrammeChoice(
            row["batch__cycle__programme__code"], row["batch__cycle__programme__name"]
        )
    for row in grievances:
        if row["programme_id"] is not None:
            names[row["programme_id"]] = ProgrammeChoice(row["programme__code"], row["programme__name"])
    chosen_id = next((pk for pk, choice in names.items() if choice.code == programme_code), None)
    provinces = {row["commune__province__name"] for row in [*planned, *payments, *grievances]}
    several_provinces = len(provinces) > 1

    by_programme: dict[Any, PaymentFigures] = {}
    by_commune: dict[Any, PaymentFigures] = {}
    failures: dict[tuple[str, str], list[int]] = {}

    def shown(programme_id: int | None) -> bool:
        """Whether the communes, failures and complaints tables count this programme's rows."""
        return chosen_id is None or programme_id == chosen_id

    def rows_for(programme_id: int | None, commune_row: Row) -> tuple[PaymentFigures, ...]:
        """The programme's row, plus the commune's when the commune table shows that programme."""
        label = names[programme_id].name if programme_id in names else str(_("Không gắn chương trình"))
        programme = _figures(by_programme, programme_id or NO_PROGRAMME, label)
        if not shown(programme_id):
            return (programme,)
        commune = _figures(
            by_commune, commune_row["commune_id"], _commune_label(commune_row, several_provinces)
        )
        return (programme, commune)

    for row in planned:
        for figures in rows_for(row["cycle__programme_id"], row):
            figures.planned_households += row["households"]
            figures.planned_vnd += row["amount"] or 0
    for row in payments:
        state, count, amount = row["state"], row["payments"], row["amount"] or 0
        programme_id = row["batch__cycle__programme_id"]
        for figures in rows_for(programme_id, row):
            if state in SENT_STATES:
                figures.sent += count
            if state == DisbursementState.PAID:
                figures.paid_households += count
                figures.paid_vnd += amount
            elif state == DisbursementState.FAILED:
                figures.failed += count
                figures.failed_vnd += amount
            elif state == DisbursementState.PENDING:
                figures.waiting += count
        if state == DisbursementState.FAILED and shown(programme_id):
            reason = row["failure_reason"] or str(_("Không rõ lý do"))
            entry = failures.setdefault((by_programme[programme_id].label, reason), [0, 0])
            entry[0] += count
            entry[1] += amount

    ages: dict[Any, GrievanceAges] = {}
    for row in grievances:
        programme_id = row["programme_id"]
        for figures in rows_for(programme_id, row):
            figures.open_grievances += sum(row[f"age_{key}"] for key in AGE_KEYS)
        if not shown(programme_id):
            continue
        key = programme_id or NO_PROGRAMME
        label = by_programme[key].label
        one = ages.setdefault(key, GrievanceAges(key=key, label=label))
        for index, age_key in enumerate(AGE_KEYS):
            one.by_age[index] += row[f"age_{age_key}"]
        one.overdue += row["overdue"]

    communes = _sorted(by_commune)
    total = PaymentFigures(key=None, label=str(_("Tổng cộng")))
    for commune in communes:
        total.add(commune)
    grievances_total = GrievanceAges(key=None, label=str(_("Tổng cộng")))
    for one_age in ages.values():
        grievances_total.by_age = [
            a + b for a, b in zip(grievances_total.by_age, one_age.by_age, strict=True)
        ]
        grievances_total.overdue += one_age.overdue
    programmes = [f for f in _sorted(by_programme) if f.key != NO_PROGRAMME]
    return Dashboard(
        programmes=programmes,
        communes=communes,
        total=total,
        failures=[
            FailureReason(programme, reason, count, amount)
            for (programme, reason), (count, amount) in sorted(
                failures.items(), key=lambda item: (item[0][0], -item[1][0], item[0][1])
            )
        ],
        grievances=sorted(ages.values(), key=lambda a: (a.key == NO_PROGRAMME, a.label.casefold())),
        grievances_total=grievances_total,
        choices=sorted(names.values(), key=lambda c: c.name.casefold()),
        chosen=names.get(chosen_id) if chosen_id is not None else None,
    )


def age_labels() -> list[Any]:
    """The labels of the age buckets, in order."""
    return [AGE_LABELS.get(key, key) for key in AGE_KEYS]


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def dashboard_sheets(board: Dashboard) -> Iterable[tuple[str, list[Any], list[list[Any]]]]:
    """The dashboard's tables as ``(sheet title, headers, rows)``, one sheet per table."""
    money_headers = [
        _("Hộ dự kiến"),
        _("Tiền dự kiến (đồng)"),
        _("Hộ đã nhận"),
        _("Tiền đã chi (đồng)"),
        _("Tỷ lệ đã chi"),
        _("Khoản đã chuyển đi"),
        _("Khoản không chi được"),
        _("Tiền không chi được (đồng)"),
        _("Tỷ lệ đã đối soát"),
        _("Khoản chờ chuyển"),
        _("Phản ánh chưa giải quyết"),
    ]

    def money_row(f: PaymentFigures) -> list[Any]:
        return [
            f.planned_households,
            f.planned_vnd,
            f.paid_households,
            f.paid_vnd,
            _percent(f.paid_share),
            f.sent,
            f.failed,
            f.failed_vnd,
            _percent(f.reconciled_share),
            f.waiting,
            f.open_grievances,
        ]

    age_headers = age_labels()
    return [
        (
            str(_("Theo chương trình")),
            [_("Chương trình"), *money_headers],
            [[f.label, *money_row(f)] for f in board.programmes],
        ),
        (
            str(_("Theo xã")),
            [_("Xã/phường"), *money_headers],
            [[f.label, *money_row(f)] for f in [*board.communes, board.total]],
        ),
        (
            str(_("Không chi được")),
            [_("Chương trình"), _("Lý do"), _("Số khoản"), _("Số tiền (đồng)")],
            [[f.programme, f.reason, f.payments, f.amount_vnd] for f in board.failures],
        ),
        (
            str(_("Phản ánh chưa giải quyết")),
            [_("Chương trình"), *age_headers, _("Quá hạn"), _("Tổng")],
            [[a.label, *a.by_age, a.overdue, a.total] for a in [*board.grievances, board.grievances_total]],
        ),
    ]
