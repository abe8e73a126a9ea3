"""The programmes dashboard: planned against paid, failures, reconciliation and open complaints.

Each officer sees her own areas only; the figures come in a fixed number of
queries whatever the number of payments; the tables download as XLSX.
The rows are laid down directly (as the cycle, batch and complaint services
leave them) so that each test says exactly which state it counts.
"""

from __future__ import annotations

import io
import itertools
import re
from datetime import date, timedelta

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from ketnoi.accounts.models import Role
from ketnoi.places.models import Commune
from ketnoi.programmes.dashboards import programme_dashboard
from ketnoi.programmes.models import (
    Batch,
    Channel,
    Cycle,
    Disbursement,
    DisbursementState,
    Enrolment,
    EntitlementKind,
    Grievance,
    Programme,
)
from tests.accounts.factories import user_with_role
from tests.registry.factories import make_household

pytestmark = pytest.mark.django_db

URL = reverse("programmes:dashboard")
XLSX_URL = reverse("programmes:dashboard_xlsx")
AMOUNT = 1_500_000
NO_ACCOUNT = "Tài khoản không tồn tại"
# Session and user (2), the role (1), the areas (2: figures and complaints), the three figures
# queries, the session's renewal (3).
QUERY_BUDGET = 11
_numbers = itertools.count(1)


# --- The world, as the services leave it ----------------------------------------------------------


def _programme(creator, *, province, name="Hỗ trợ khẩn cấp COVID-19", amount=AMOUNT) -> Programme:
    number = next(_numbers)
    return Programme.objects.create(
        code=f"ho-tro-{number}",
        name=name,
        province=province,
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        budget_vnd=1_000_000_000,
        entitlement=EntitlementKind.PER_HOUSEHOLD,
        amount_vnd=amount,
        state=Programme.State.ACTIVE,
        created_by=creator,
    )


def _cycle(programme, *, state=Cycle.State.APPROVED) -> Cycle:
    number = programme.cycles.count() + 1
    return Cycle.objects.create(programme=programme, number=number, name=f"Đợt {number}", state=state)


def _household(commune):
    number = next(_numbers)
    return make_household(commune, contact_phone=f"09123{number:05d}")


def _enrol(cycle, household) -> Enrolment:
    return Enrolment.objects.create(
        cycle=cycle,
        household=household,
        commune=household.commune,
        head_name="Lò Văn Pâng",
        members_count=3,
        classification="poor",
        amount_vnd=cycle.programme.amount_vnd,
    )


def _batch(cycle, preparer, channel=Channel.BANK) -> Batch:
    return Batch.objects.create(
        cycle=cycle, number=cycle.batches.count() + 1, channel=channel, prepared_by=preparer
    )


def _pay(batch, enrolment, state, *, reason="") -> Disbursement:
    return Disbursement.objects.create(
        disbursement_id=f"KN{batch.pk}D{next(_numbers):06d}",
        batch=batch,
        enrolment=enrolment,
        household=enrolment.household,
        commune=enrolment.commune,
        channel=batch.channel,
        amount_vnd=enrolment.amount_vnd,
        state=state,
        failure_reason=reason,
    )


def _grievance(commune, programme, *, days_old, due_in_days=10, state=Grievance.State.OPEN) -> Grievance:
    now = timezone.now()
    return Grievance.objects.create(
        reference=f"PA-{next(_numbers):06d}",
        category=Grievance.Category.NOT_PAID,
        source=Grievance.Source.OFFICER,
        state=state,
        programme=programme,
        commune=commune,
        description="Chưa nhận được tiền đợt 1.",
        created_at=now - timedelta(days=days_old),
        due_at=now + timedelta(days=due_in_days),
    )


@pytest.fixture
def other_son_la(commune_a) -> Commune:
    return Commune.objects.filter(province=commune_a.province).exclude(pk=commune_a.pk).order_by("pk").first()


@pytest.fixture
def officer(commune_a):
    return user_with_role(Role.PROGRAMME_OFFICER, province=commune_a.province)


@pytest.fixture
def covid(officer, commune_a, other_son_la):
    """A Sơn La programme: cycle 1 approved for four households (three in Mường Bú); one paid,
    one failed, one still out with the bank, one not sent yet. Cycle 2 is waiting for approval."""
    programme = _programme(officer, province=commune_a.province)
    cycle = _cycle(programme)
    enrolled = [_enrol(cycle, _household(c)) for c in (commune_a, commune_a, commune_a, other_son_la)]
    batch = _batch(cycle, officer)
    _pay(batch, enrolled[0], DisbursementState.PAID)
    _pay(batch, enrolled[1], DisbursementState.FAILED, reason=NO_ACCOUNT)
    _pay(batch, enrolled[2], DisbursementState.SENT)
    _pay(_batch(cycle, officer, Channel.POST_OFFICE), enrolled[3], DisbursementState.PENDING)
    waiting = _cycle(programme, state=Cycle.State.SUBMITTED)
    _enrol(waiting, enrolled[0].household)
    return programme


@pytest.fixture
def bac_ha(commune_b):
    """A Lào Cai programme, outside the Sơn La officers' areas: one household paid."""
    creator = user_with_role(Role.PROGRAMME_OFFICER, province=commune_b.province)
    programme = _programme(creator, province=commune_b.province, name="Tài trợ hợp tác xã do phụ nữ làm chủ")
    cycle = _cycle(programme)
    _pay(_batch(cycle, creator), _enrol(cycle, _household(commune_b)), DisbursementState.PAID)
    return programme


def _page(client, user, **params) -> str:
    client.force_login(user)
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.content.decode()


def _rows(page: str, testid: str) -> list[list[str]]:
    """The cells of each row marked ``testid``, tags stripped."""
    rows = re.findall(rf'<tr data-testid="{testid}">(.*?)</tr>', page, flags=re.S)
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        for row in rows
    ]


# --- What an officer sees --------------------------------------------------------------------------


def test_a_province_officer_sees_planned_against_paid_for_her_programmes(
    client, officer, covid, bac_ha, commune_a, other_son_la
):
    page = _page(client, officer)

    # Cycle 2 waits for approval: its household is not planned yet. Lào Cai is not hers.
    assert _rows(page, "programme-row") == [
        ["Hỗ trợ khẩn cấp COVID-19", "4", "6.000.000\xa0₫", "1", "1.500.000\xa0₫", "1", "67%"]
    ]
    assert bac_ha.name not in page
    communes = {row[0]: row for row in _rows(page, "commune-row")}
    assert set(communes) == {commune_a.name, other_son_la.name}
    # Mường Bú: 3 planned, 1 paid, nothing waiting, 1 failed, 2 of 3 sent have an outcome.
    assert communes[commune_a.name][1:] == [
        "3",
        "4.500.000\xa0₫",
        "1",
        "1.500.000\xa0₫",
        "0",
        "1",
        "67%",
        "0",
    ]
    # The other commune's payment is prepared, not sent: nothing to reconcile yet.
    assert communes[other_son_la.name][5:8] == ["1", "0", "—"]
    assert '<svg class="chart"' in page


def test_the_figures_add_up_in_the_totals(officer, covid):
    board = programme_dashboard(officer)

    assert (board.total.planned_households, board.total.planned_vnd) == (4, 4 * AMOUNT)
    assert (board.total.paid_households, board.total.paid_vnd) == (1, AMOUNT)
    assert (board.total.sent, board.total.failed, board.total.waiting) == (3, 1, 1)
    assert board.total.paid_share == 0.25
    assert board.total.reconciled_share == pytest.approx(2 / 3)
    assert board.total.unpaid_vnd == 3 * AMOUNT


def test_a_commune_officer_sees_only_her_commune(client, covid, commune_a, other_son_la):
    commune_officer = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)

    page = _page(client, commune_officer)

    assert [row[0] for row in _rows(page, "commune-row")] == [commune_a.name]
    assert other_son_la.name not in page
    assert _rows(page, "programme-row")[0][1:3] == ["3", "4.500.000\xa0₫"]


def test_an_administrator_sees_every_province_with_communes_named_with_their_province(
    client, covid, bac_ha, commune_a, commune_b
):
    admin = user_with_role(Role.ADMINISTRATOR)

    page = _page(client, admin)

    labels = [row[0] for row in _rows(page, "commune-row")]
    assert f"{commune_a.name}, {commune_a.province.name}" in labels
    assert f"{commune_b.name}, {commune_b.province.name}" in labels
    assert len(_rows(page, "programme-row")) == 2


def test_failures_are_counted_by_reason(client, officer, covid, commune_a):
    cycle = covid.cycles.get(number=1)
    retry = _batch(cycle, officer)
    for _ in range(2):
        _pay(
            retry,
            _enrol(cycle, _household(commune_a)),
            DisbursementState.FAILED,
            reason="Sai tên chủ tài khoản",
        )

    page = _page(client, officer)

    assert _rows(page, "failure-row") == [
        [covid.name, "Sai tên chủ tài khoản", "2", "3.000.000\xa0₫"],
        [covid.name, NO_ACCOUNT, "1", "1.500.000\xa0₫"],
    ]


def test_open_complaints_are_counted_by_how_long_they_have_waited(
    client, officer, covid, commune_a, commune_b
):
    _grievance(commune_a, covid, days_old=1)
    _grievance(commune_a, covid, days_old=10)
    _grievance(commune_a, covid, days_old=40, due_in_days=-25)  # past its deadline
    _grievance(commune_a, None, days_old=20)  # not about one programme
    _grievance(commune_a, covid, days_old=3, state=Grievance.State.RESOLVED)
    _grievance(commune_b, None, days_old=2)  # Lào Cai: not hers

    page = _page(client, officer)

    # 0–7 days, 8–30 days, over 30 days, overdue, all.
    assert _rows(page, "grievance-row") == [
        [covid.name, "1", "1", "1", "1", "3"],
        ["Không gắn chương trình", "0", "1", "0", "0", "1"],
    ]
    assert "<strong>4</strong> phản ánh chưa giải quyết" in page
    # The commune table counts them too.
    assert {row[0]: row[-1] for row in _rows(page, "commune-row")}[commune_a.name] == "4"


def test_choosing_a_programme_narrows_the_communes_but_lists_every_programme(
    client, officer, covid, commune_a, other_son_la
):
    vouchers = _programme(
        officer, province=commune_a.province, name="Phiếu mua hàng cho hộ nghèo", amount=500_000
    )
    cycle = _cycle(vouchers)
    _pay(
        _batch(cycle, officer, Channel.VOUCHER), _enrol(cycle, _household(commune_a)), DisbursementState.PAID
    )

    page = _page(client, officer, programme=vouchers.code)

    assert [row[0] for row in _rows(page, "programme-row")] == [covid.name, vouchers.name]
    assert _rows(page, "commune-row") == [
        [commune_a.name, "1", "500.000\xa0₫", "1", "500.000\xa0₫", "0", "0", "100%", "0"]
    ]
    assert "no-failures" in page
    assert f'<option value="{vouchers.code}" selected>' in page


def test_a_programme_outside_her_areas_cannot_be_chosen(client, officer, covid, bac_ha):
    page = _page(client, officer, programme=bac_ha.code)

    assert bac_ha.name not in page
    assert len(_rows(page, "commune-row")) == 2  # every programme of hers, as without a choice


def test_an_officer_with_nothing_yet_is_told_so(client, officer):
    page = _page(client, officer)

    assert 'data-testid="no-figures"' in page


def test_the_dashboard_is_for_officers_only(client, covid, commune_a):
    seller = user_with_role(Role.SELLER)
    client.force_login(seller)

    assert client.get(URL).status_code == 403
    assert client.get(XLSX_URL).status_code == 403
    client.logout()
    assert client.get(URL).status_code == 302


def test_the_tables_download_as_xlsx_one_sheet_each(client, officer, covid, commune_a):
    _grievance(commune_a, covid, days_old=1)
    client.force_login(officer)

    response = client.get(XLSX_URL, {"programme": covid.code})

    assert response.status_code == 200
    assert f"so-lieu-chi-tra-{covid.code}.xlsx" in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    assert workbook.sheetnames == [
        "Theo chương trình",
        "Theo xã",
        "Không chi được",
        "Phản ánh chưa giải quyết",
    ]
    programmes = list(workbook["Theo chương trình"].iter_rows(values_only=True))
    assert programmes[1][:5] == (covid.name, 4, 6_000_000, 1, 1_500_000)
    communes = list(workbook["Theo xã"].iter_rows(values_only=True))
    assert communes[-1][:3] == ("Tổng cộng", 4, 6_000_000)
    failures = list(workbook["Không chi được"].iter_rows(values_only=True))
    assert failures[1] == (covid.name, NO_ACCOUNT, 1, 1_500_000)
    complaints = list(workbook["Phản ánh chưa giải quyết"].iter_rows(values_only=True))
    assert complaints[1] == (covid.name, 1, 0, 0, 0, 1)


# --- A fixed number of queries ---------------------------------------------------------------------


def _more(officer, communes, *, programmes: int, households: int) -> None:
    """``programmes`` more programmes, each paying ``households`` households in every commune."""
    for _ in range(programmes):
        programme = _programme(officer, province=communes[0].province)
        cycle = _cycle(programme)
        batch = _batch(cycle, officer)
        for commune in communes:
            for index in range(households):
                state = (DisbursementState.PAID, DisbursementState.FAILED, DisbursementState.SENT)[index % 3]
                _pay(batch, _enrol(cycle, _household(commune)), state, reason="Lỗi" if index % 3 == 1 else "")
            _grievance(commune, programme, days_old=index)


@pytest.mark.parametrize(("programmes", "households"), [(1, 1), (3, 4)])
def test_the_dashboard_and_its_xlsx_in_a_fixed_number_of_queries(
    client, officer, commune_a, other_son_la, django_assert_max_num_queries, programmes, households
):
    _more(officer, [commune_a, other_son_la], programmes=programmes, households=households)
    client.force_login(officer)

    with django_assert_max_num_queries(QUERY_BUDGET):
        page = client.get(URL)
    with django_assert_max_num_queries(QUERY_BUDGET):
        client.get(XLSX_URL)

    assert len(_rows(page.content.decode(), "programme-row")) == programmes


def test_a_commune_officer_does_not_count_reports_of_abuse(client, covid, commune_a):
    """Reports of abuse go to the province only (they may be about the commune's own staff)."""
    _grievance(commune_a, covid, days_old=1)
    Grievance.objects.filter(pk=_grievance(commune_a, covid, days_old=2).pk).update(
        category=Grievance.Category.ABUSE
    )
    commune_officer = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)
    province_officer = user_with_role(Role.PROGRAMME_OFFICER, province=commune_a.province)

    assert programme_dashboard(commune_officer).grievances_total.total == 1
    assert programme_dashboard(province_officer).grievances_total.total == 2
