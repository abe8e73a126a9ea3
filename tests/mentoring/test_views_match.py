"""Match pages: needs and partner forms, ranked suggestions with reasons, a round both sides accept,
and a partner's pages that never show a cooperative's sensitive data."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from ketnoi.accounts.models import Role
from ketnoi.mentoring.models import Match, Partner, RevenueMonth, Round, SellerNeeds
from ketnoi.mentoring.services.matching import match_propose
from tests.accounts.factories import user_with_role
from tests.market.factories import ProductFactory, SellerFactory, category_get
from tests.mentoring.factories import lao_cai, needs_for, officer_of, partner_build, seller_with_needs, son_la

pytestmark = pytest.mark.django_db

SENSITIVE = (
    "7100205123456",  # bank account
    "HTX NONG SAN BAN LUOT",  # account name
    "do phụ nữ lãnh đạo",
    "dân tộc thiểu số",
    "Ghi chú mật",  # needs notes are for the programme
    "12.345.678",  # revenue
    "12345678",
)


def url(name, *args):
    return reverse(f"mentoring:{name}", args=args)


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def private_seller():
    """A cooperative with everything a partner must not see: flags, bank, revenue, members' phones."""
    member = user_with_role(Role.SELLER, phone="+84912345678")
    seller = SellerFactory(name="HTX Thổ cẩm Bản Lướt", members=[member], tax_code="5500123456")
    needs_for(seller, needs=["buyers"], notes="Ghi chú mật của chương trình")
    ProductFactory(seller=seller, name="Khăn piêu thêu tay")
    RevenueMonth.objects.create(
        seller=seller, month=date(2026, 1, 1), revenue_vnd=12_345_678, source="entered"
    )
    return seller


def assert_nothing_private(body: str, seller) -> None:
    for secret in (*SENSITIVE, "5500123456", "0912345678", "912 345 678", str(seller.leader.phone)[-9:]):
        assert secret not in body, secret


def test_a_partners_pages_never_show_a_cooperatives_sensitive_data(client, private_seller):
    partner = partner_build()
    client.force_login(partner.user)

    suggestions = client.get(url("partner_suggestions", partner.pk))
    profile = client.get(url("partner_seller", partner.pk, private_seller.slug))
    match_propose(actor=partner.user, seller=private_seller, partner=partner)
    home = client.get(url("match_home"))

    for page in (suggestions, profile, home):
        assert page.status_code == 200
        body = text(page)
        assert "HTX Thổ cẩm Bản Lướt" in body
        assert_nothing_private(body, private_seller)
    assert "Khăn piêu thêu tay" in text(profile)  # her products are public
    assert "Tìm người mua" in text(profile)  # and her needs


def test_a_seller_states_needs_and_sees_ranked_partners_with_reasons(client):
    seller = SellerFactory()
    partner_build(organisation="Thổ cẩm Hà Nội", offers=["buyers", "packaging"], languages=["vi", "thai"])
    partner_build(organisation="Chè Lào Cai", provinces=[lao_cai()])
    client.force_login(seller.leader)

    form = client.get(url("needs_edit", seller.slug))
    assert form.status_code == 200 and "Bao bì, thiết kế" in text(form)
    response = client.post(
        url("needs_edit", seller.slug),
        {
            "needs": ["buyers", "packaging"],
            "categories": [category_get("brocade-textiles").pk],
            "monthly_capacity": "100 tấm",
            "languages": ["vi", "thai"],
        },
        follow=True,
    )

    body = text(response)
    assert SellerNeeds.objects.get(seller=seller).needs == ["buyers", "packaging"]
    assert "Thổ cẩm Hà Nội" in body and "Chè Lào Cai" not in body
    assert "Phục vụ tỉnh Sơn La" in body and "Cùng nói Tiếng Thái" in body
    assert "Phù hợp" in body


def test_the_needs_form_refuses_no_need_with_a_message(client):
    seller = SellerFactory()
    client.force_login(seller.leader)

    response = client.post(url("needs_edit", seller.slug), {"needs": [], "monthly_capacity": "x"})

    assert response.status_code == 422
    assert "Hãy chọn ít nhất một việc cần hỗ trợ." in text(response)
    assert not SellerNeeds.objects.exists()


def test_someone_elses_cooperative_is_not_there(client):
    seller = seller_with_needs()
    client.force_login(SellerFactory().leader)
    assert client.get(url("needs_edit", seller.slug)).status_code == 404
    assert client.get(url("seller_suggestions", seller.slug)).status_code == 404
    # an officer of her province may help her
    client.force_login(officer_of(son_la()))
    assert client.get(url("needs_edit", seller.slug)).status_code == 200


def test_a_partner_creates_her_profile_and_bad_capacity_is_refused(client):
    user = user_with_role(Role.PARTNER)
    client.force_login(user)
    data = {
        "kind": "ecommerce",
        "organisation": "Sàn Chợ Phiên",
        "offers": ["ecommerce", "digital_skills"],
        "provinces": [son_la().pk],
        "languages": ["vi"],
        "capacity": 0,
        "active": "on",
    }

    refused = client.post(url("partner_new"), data)
    assert refused.status_code == 422
    assert not Partner.objects.exists()

    data["capacity"] = 20
    response = client.post(url("partner_new"), data)
    partner = Partner.objects.get()
    assert response.url == url("partner_suggestions", partner.pk)
    assert (partner.capacity, partner.kind, partner.user) == (20, "ecommerce", user)
    page = client.get(url("partner_edit", partner.pk))
    assert page.status_code == 200 and 'value="Sàn Chợ Phiên"' in text(page)
    # another partner cannot open it
    client.force_login(user_with_role(Role.PARTNER))
    assert client.get(url("partner_edit", partner.pk)).status_code == 404
    client.force_login(SellerFactory().leader)
    assert client.get(url("partner_new")).status_code == 403


def test_a_programme_round_proposes_matches_that_both_sides_accept(client):
    sellers = [seller_with_needs(name=f"HTX Số {i}") for i in range(3)]
    partner = partner_build(organisation="Công ty Thu mua Sơn La", capacity=2)
    officer = officer_of(son_la())

    # The officer opens a round, computes it, drops one suggestion and sends the rest
    client.force_login(officer)
    client.post(url("round_list"), {"name": "Đợt tháng 3", "province": son_la().pk})
    round_ = Round.objects.get()
    response = client.post(url("round_compute", round_.pk), follow=True)
    assert "Đã tính: 2 cặp" in text(response)
    page = client.get(url("round_detail", round_.pk))
    assert text(page).count('name="drop"') == 2
    assert "Công ty Thu mua Sơn La" in text(page)
    first, second = round_.matches.order_by("pk")
    client.post(url("round_drop", round_.pk), {"drop": [first.pk]})
    response = client.post(url("round_send", round_.pk), follow=True)
    assert "Đã gửi 1 đề xuất" in text(response)
    second.refresh_from_db()
    assert second.state == Match.State.PENDING

    # Both sides accept from their pages
    seller = next(s for s in sellers if s.pk == second.seller_id)
    client.force_login(seller.leader)
    home = client.get(url("match_home"))
    assert "Công ty Thu mua Sơn La" in text(home)
    client.post(url("match_answer", second.pk), {"answer": "accept"})
    client.force_login(partner.user)
    response = client.post(url("match_answer", second.pk), {"answer": "accept"}, follow=True)
    assert "Hai bên đã đồng ý" in text(response)
    second.refresh_from_db()
    assert second.state == Match.State.ACCEPTED


def test_nobody_else_may_answer_or_see_a_match(client):
    seller = seller_with_needs()
    partner = partner_build()
    match = match_propose(actor=partner.user, seller=seller, partner=partner)

    client.force_login(user_with_role(Role.PARTNER))
    assert client.post(url("match_answer", match.pk), {"answer": "accept"}).status_code == 404
    client.force_login(officer_of(lao_cai()))
    assert client.get(url("round_list")).status_code == 200
    assert client.post(url("match_cancel", match.pk)).status_code == 404
    match.refresh_from_db()
    assert (match.state, match.seller_answer) == ("pending", "")


def test_rounds_are_for_programme_staff(client):
    client.force_login(SellerFactory().leader)
    assert client.get(url("round_list")).status_code == 403
    round_ = Round.objects.create(name="Đợt", province=son_la(), created_by=officer_of(son_la()))
    client.force_login(officer_of(lao_cai()))
    assert client.get(url("round_detail", round_.pk)).status_code == 404


def test_suggestion_pages_cost_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    partner = partner_build(capacity=20)
    for i in range(15):
        seller = seller_with_needs(name=f"HTX {i}")
        ProductFactory(seller=seller)
    client.force_login(partner.user)
    with django_assert_max_num_queries(24):
        page = client.get(url("partner_suggestions", partner.pk))
    assert text(page).count("Đề xuất kết nối") == 10
