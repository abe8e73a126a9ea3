"""The 4M demo: partners, a Meet & Match fair in Sơn La, matches in every state, mentoring, two graduates.

Runs after the accounts and market demos (``seed_demo`` follows
INSTALLED_APPS) and goes through the services a person's clicks would call:

* partner profiles for the demo mentor (0900000006) and three more partners,
  and the needs of six cooperatives of Sơn La and Lào Cai;
* a programme "4M Sơn La" (``programmes.programme_create``, a draft: it only
  names the rounds and graduations);
* the fair: registrations validated by the organiser (0900000010), one left
  waiting, meeting requests accepted or declined, and the schedule;
* matches suggested (a round computed, not sent), pending, accepted,
  declined, cancelled and completed;
* Mường Bú's plan with the demo mentor: milestones (one overdue), two sessions
  held and one tomorrow;
* two sellers (Chè Shan tuyết Chiềng Sơn, Mận sấy Mộc Châu) who graduated on
  revenue from their marketplace orders: orders placed, paid, shipped by
  Vietnam Post (signed carrier events) and completed month by month, the
  months written by ``revenue_months_refresh`` (source "orders"), the baseline
  averaged from the orders of the three months before the programme;
* Mường Bú ready to graduate: her orders of the last three months are well
  above her baseline, but nobody has checked yet (the browser test does).

As in the market demo, the only raw writes give orders their past: their
creation time and state changes are moved back to the months they belong to.
Idempotent: when the fair exists the whole part is skipped. Deterministic for
a given day (the months are counted back from today).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TextIO

from django.contrib.auth.hashers import make_password
from django.db.models import Count
from django.utils import timezone

from ketnoi.accounts.demo import DEMO_PASSWORD
from ketnoi.accounts.models import ConsentPurpose, Role, User
from ketnoi.accounts.selectors import user_has_role
from ketnoi.accounts.services import consent_give, role_assign, user_create
from ketnoi.core.errors import DomainError
from ketnoi.core.phone import normalize_phone
from ketnoi.market.demo import demo_data
from ketnoi.market.models import Category, Order, OrderEvent, OrderState, PaymentMethod, Product, Seller
from ketnoi.market.services.cart import cart_add
from ketnoi.market.services.catalogue import product_update
from ketnoi.market.services.orders import CheckoutDetails, order_place, order_transition
from ketnoi.payments.models import Payment
from ketnoi.payments.services import payment_confirm
from ketnoi.places.models import Commune, Province
from ketnoi.programmes.models import Programme
from ketnoi.programmes.services.programmes import programme_create
from ketnoi.shipping.carriers import carrier_secrets, signature_for
from ketnoi.shipping.services import shipment_create, tracking_event_receive

from .models import Event, Match, MeetingRequest, Partner, Registration, SellerNeeds
from .services.events import (
    event_create,
    event_state_set,
    meeting_request_answer,
    meeting_request_send,
    registration_create,
    registration_decide,
    schedule_event,
    slots_build,
)
from .services.matching import match_answer, match_cancel, match_propose
from .services.mentoring import (
    match_complete,
    milestone_done,
    plan_create,
    session_record,
    session_schedule,
)
from .services.needs import partner_profile_save, seller_needs_set
from .services.outcomes import (
    baseline_set,
    current_month,
    graduation_check,
    month_before,
    month_people_set,
    orders_by_month,
    revenue_months_refresh,
)
from .services.rounds import round_compute, round_create, round_send

FAIR_NAME = "Hội chợ Gặp gỡ & Kết nối Sơn La 2026"
PROGRAMME_CODE = "4m-son-la"
ADMIN, ORGANISER, MENTOR = "0900000001", "0900000010", "0900000006"
BUYERS = ("0900000201", "0900000202")  # the market demo's buyers
CARRIER = "vnpost"
STOCK_RESERVE = 10  # what stays on the shelf after the demo's orders, for people trying the shop

MUONG_BU = "HTX Dệt thổ cẩm Mường Bú"
CHIENG_SON = "HTX Chè Shan tuyết Chiềng Sơn"
MOC_CHAU = "Hộ kinh doanh Mận sấy Mộc Châu"
BAC_HA = "HTX Rượu men lá Bắc Hà"
TA_PHIN = "HTX Thảo dược Dao đỏ Tả Phìn"
TU_LE = "Hộ kinh doanh Cốm nếp Tú Lệ"


@dataclass(frozen=True)
class DemoPartner:
    phone: str
    name: str  # for a new account; the demo mentor's exists already
    kind: str
    organisation: str
    offers: tuple[str, ...]
    categories: tuple[str, ...]
    provinces: tuple[str, ...]
    capacity: int
    languages: tuple[str, ...] = ("vi",)
    about: str = ""


DEMO_PARTNERS: tuple[DemoPartner, ...] = (
    DemoPartner(
        MENTOR,
        "Phạm Quốc Bảo",
        Partner.Kind.MENTOR,
        "Tư vấn kinh doanh Quốc Bảo",
        ("ecommerce", "digital_skills", "bookkeeping", "packaging", "buyers"),
        (),
        ("son_la", "lao_cai"),
        4,
        about="Mười năm đưa hàng nông sản, thủ công lên sàn thương mại điện tử; kèm cặp theo từng tháng.",
    ),
    DemoPartner(
        "0900000301",
        "Nguyễn Văn Hùng",
        Partner.Kind.BUYER,
        "Công ty Nông sản sạch Tây Bắc",
        ("buyers", "export"),
        ("tea-coffee", "honey", "fruit-dried", "rice-grains", "liquor"),
        ("son_la", "lao_cai", "ha_noi"),
        3,
        about="Thu mua chè, mật ong, đồ sấy cho chuỗi cửa hàng ở Hà Nội.",
    ),
    DemoPartner(
        "0900000302",
        "Trần Thị Thu",
        Partner.Kind.ECOMMERCE,
        "Sàn Chợ Quê trực tuyến",
        ("ecommerce", "buyers", "digital_skills"),
        (),
        ("son_la", "lao_cai", "thai_nguyen"),
        4,
        about="Sàn bán hàng vùng cao: mở gian hàng, chụp ảnh, giao qua bưu điện.",
    ),
    DemoPartner(
        "0900000303",
        "Lê Thị Mai",
        Partner.Kind.EXPERT,
        "Chuyên gia OCOP và bao bì Lê Mai",
        ("ocop", "packaging"),
        ("tea-coffee", "fruit-dried", "brocade-textiles", "handicrafts"),
        ("son_la",),
        2,
        languages=("vi", "thai"),
        about="Hướng dẫn hồ sơ OCOP 3–4 sao, thiết kế nhãn và bao bì.",
    ),
)

# Each seller's needs: (needs, categories, monthly capacity, languages).
DEMO_NEEDS: dict[str, tuple[tuple[str, ...], tuple[str, ...], str, tuple[str, ...]]] = {
    MUONG_BU: (
        ("ecommerce", "packaging", "buyers"),
        ("brocade-textiles",),
        "60 khăn, 30 túi",
        ("vi", "thai"),
    ),
    CHIENG_SON: (
        ("buyers", "ecommerce", "bookkeeping"),
        ("tea-coffee", "honey"),
        "200 kg chè",
        ("vi", "thai"),
    ),
    MOC_CHAU: (("ocop", "packaging", "buyers"), ("fruit-dried",), "300 kg mận sấy", ("vi", "thai")),
    BAC_HA: (("buyers", "ecommerce"), ("liquor",), "400 chai", ("vi", "hmong")),
    TA_PHIN: (("ecommerce", "digital_skills"), ("herbs-medicinal",), "500 túi lá tắm", ("vi", "dao")),
    TU_LE: (("buyers", "finance"), ("rice-grains",), "1 tấn cốm, gạo nếp", ("vi", "thai")),
}

# Revenue histories: (product key, quantity per order, months back) for each order.
BASELINE_BACK = (8, 7, 6)  # the three months before the programme
UPLIFT_BACK = (4, 3, 2, 1)
GRADUATES: dict[str, tuple[str, int, int, int, int]] = {
    # seller: (product key in the market's demo data, quantity a month before, quantity since,
    #          members benefiting, of whom women)
    CHIENG_SON: ("che-shan-tuyet", 4, 8, 25, 22),
    MOC_CHAU: ("che-o-long", 2, 4, 8, 7),
}
MUONG_BU_PRODUCT = "khan-tho-cam"
MUONG_BU_BASELINE_BACK = (10, 9, 8)
MUONG_BU_READY_BACK = (3, 2, 1)


def _user(phone: str) -> User | None:
    return User.objects.filter(phone=normalize_phone(phone)).first()


def _account(phone: str, name: str, commune: Commune, *, role: str, admin: User) -> User:
    user = _user(phone)
    if user is None:
        user = user_create(phone=phone, display_name=name, home_commune=commune)
        user.password = make_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        for purpose in (ConsentPurpose.ACCOUNT, ConsentPurpose.NOTIFICATIONS):
            consent_give(user=user, purpose=purpose)
    if not user_has_role(user, role):
        role_assign(actor=admin, user=user, role=role)
    return user


def _product(seller: Seller, key: str) -> Product:
    """The seller's product that the market's demo data calls ``key``."""
    names = [p["name"] for s in demo_data()["sellers"] for p in s["products"] if p["key"] == key]
    return Product.objects.get(seller=seller, name=names[0])


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _months_back(count: int) -> date:
    month = current_month()
    for _i in range(count):
        month = month_before(month)
    return month


# --- Partners, needs, the programme ---------------------------------------------------------------


def _partners(
    admin: User, provinces: dict[str, Province], categories: dict[str, Category]
) -> dict[str, Partner]:
    hanoi = Commune.objects.filter(province__codename="ha_noi").order_by("code").first()
    partners = {}
    for spec in DEMO_PARTNERS:
        user = _user(spec.phone) or _account(spec.phone, spec.name, hanoi, role=Role.PARTNER, admin=admin)  # type: ignore[arg-type]
        partners[spec.phone] = partner_profile_save(
            actor=user,
            user=user,
            kind=spec.kind,
            organisation=spec.organisation,
            offers=spec.offers,
            categories=[categories[slug] for slug in spec.categories],
            provinces=[provinces[code] for code in spec.provinces],
            languages=spec.languages,
            capacity=spec.capacity,
            about=spec.about,
        )
    return partners


def _needs(sellers: dict[str, Seller], categories: dict[str, Category]) -> None:
    for name, (needs, cats, capacity, languages) in DEMO_NEEDS.items():
        seller = sellers[name]
        seller_needs_set(
            seller,
            actor=seller.leader,
            needs=needs,
            categories=[categories[slug] for slug in cats],
            monthly_capacity=capacity,
            languages=languages,
        )


def _programme(organiser: User, province: Province) -> Programme | None:
    """The 4M programme of Sơn La (a draft), or ``None`` where the programmes app refuses it."""
    existing = Programme.objects.filter(code=PROGRAMME_CODE).first()
    if existing is not None:
        return existing
    today = timezone.localdate()
    try:
        return programme_create(
            actor=organiser,
            code=PROGRAMME_CODE,
            name="4M Sơn La: gặp gỡ, kết nối, cố vấn, phát triển",
            description=(
                "Kết nối hợp tác xã do phụ nữ dân tộc thiểu số làm chủ với doanh nghiệp, sàn thương mại "
                "điện tử và cố vấn; mỗi hợp tác xã được hỗ trợ 5 triệu đồng làm bao bì và chụp ảnh "
                "sản phẩm; đo doanh thu tăng từ 30 %."
            ),
            sponsor="UNDP và Sở Công Thương Sơn La (dữ liệu mẫu)",
            province=province,
            starts_on=date(today.year - 1, 1, 1),
            ends_on=date(today.year + 1, 12, 31),
            budget_vnd=600_000_000,
            rules={},
            entitlement="per_household",
            amount_vnd=5_000_000,
        )
    except DomainError:
        return None


# --- The fair -------------------------------------------------------------------------------------


def _fair(
    organiser: User, province: Province, sellers: dict[str, Seller], partners: dict[str, Partner]
) -> tuple[Event, Any]:
    event = event_create(
        actor=organiser,
        name=FAIR_NAME,
        kind=Event.Kind.FAIR,
        province=province,
        starts_on=timezone.localdate() + timedelta(days=10),
        tables=4,
        slots=slots_build(first="08:00", minutes=20, count=6, pause=5),
        venue="Nhà văn hoá tỉnh Sơn La, 26 đường Tô Hiệu",
    )
    event_state_set(event, actor=organiser, state=Event.State.REGISTRATION)
    seller_regs = {
        name: registration_create(event, actor=sellers[name].leader, seller=sellers[name])
        for name in (MUONG_BU, CHIENG_SON, MOC_CHAU, BAC_HA, TA_PHIN)
    }
    partner_regs = {
        phone: registration_create(
            event,
            actor=partner.user,
            partner=partner,
            available_slots=[0, 1, 2, 3] if phone == "0900000303" else (),
        )
        for phone, partner in partners.items()
    }
    # A late registration the organiser has not looked at yet.
    registration_create(event, actor=sellers[TU_LE].leader, seller=sellers[TU_LE], note="Đăng ký muộn.")
    for registration in [*seller_regs.values(), *partner_regs.values()]:
        registration_decide(registration, actor=organiser, validate=True)
    event_state_set(event, actor=organiser, state=Event.State.REQUESTS)
    wishes = {
        MUONG_BU: (MENTOR, "0900000302", "0900000303"),
        CHIENG_SON: ("0900000301", "0900000302", MENTOR),
        MOC_CHAU: ("0900000303", "0900000301"),
        BAC_HA: ("0900000301", "0900000302"),
        TA_PHIN: ("0900000302", MENTOR),
    }
    for name, wanted in wishes.items():
        for phone in wanted:
            request = meeting_request_send(
                actor=sellers[name].leader,
                sender=seller_regs[name],
                receiver=partner_regs[phone],
                message="Chị muốn gặp để giới thiệu sản phẩm của hợp tác xã.",
            )
            # The distributor has no room for liquor this season: declining costs nothing.
            accept = not (name == BAC_HA and phone == "0900000301")
            meeting_request_answer(request, actor=partners[phone].user, accept=accept)
    return event, schedule_event(event, actor=organiser, notify=False)


# --- Orders, month by month -----------------------------------------------------------------------

# Hours after placing at which the order reaches each state (events are moved there).
STATE_HOURS = {
    OrderState.PLACED: 0,
    OrderState.AWAITING_PAYMENT: 0,
    OrderState.PAID: 2,
    OrderState.PACKED: 20,
    OrderState.SHIPPED: 26,
    OrderState.DELIVERED: 70,
    OrderState.COMPLETED: 80,
}


def _carrier_event(tracking_code: str, number: int, status: str, location: str, at: datetime) -> None:
    body = json.dumps(
        {
            "event_id": f"demo-4m-{tracking_code}-{number}",
            "tracking_code": tracking_code,
            "status": status,
            "location": location,
            "at": at.isoformat(),
        },
        ensure_ascii=False,
    ).encode()
    secret = carrier_secrets()[CARRIER]
    tracking_event_receive(carrier_code=CARRIER, body=body, signature=signature_for(secret, body))


def _sell(seller: Seller, product: Product, quantity: int, buyer: User, placed_at: datetime) -> Order:
    """One order, paid by VietQR, shipped by Vietnam Post, received and completed; then given its past."""
    stock = Product.objects.values_list("stock", flat=True).get(pk=product.pk)
    if stock < quantity + STOCK_RESERVE:  # she restocks before a big order, as a seller would
        product_update(actor=seller.leader, product=product, stock=stock + quantity + STOCK_RESERVE)
    cart_add(user=buyer, session_key=None, product_id=product.pk, quantity=quantity)
    (order,) = order_place(
        cart=buyer.cart,  # type: ignore[attr-defined]
        buyer=buyer,
        details=CheckoutDetails(
            buyer_name=buyer.display_name,
            buyer_phone=str(buyer.phone),
            commune=buyer.home_commune,  # type: ignore[arg-type]
            delivery_line="Số 12 phố Hàng Bạc",
            payment_method=PaymentMethod.VIETQR,
        ),
    )
    payment_confirm(payment=Payment.objects.get(order=order), actor=seller.leader, via="seller")
    shipment = shipment_create(order=order, carrier_code=CARRIER, actor=seller.leader)
    _carrier_event(shipment.tracking_code, 1, "picked_up", "Bưu cục huyện", placed_at + timedelta(hours=26))
    _carrier_event(shipment.tracking_code, 2, "delivered", "Hà Nội", placed_at + timedelta(hours=70))
    order = order_transition(order=Order.objects.get(pk=order.pk), to=OrderState.COMPLETED, actor=buyer)
    Order.objects.filter(pk=order.pk).update(created_at=placed_at)
    for event in OrderEvent.objects.filter(order=order):
        at = placed_at + timedelta(
            hours=STATE_HOURS.get(OrderState(event.to_state), 0), minutes=event.pk % 50
        )
        OrderEvent.objects.filter(pk=event.pk).update(at=at)
    return order


def _history(seller: Seller, product: Product, buyers: list[User], plan: list[tuple[int, int]]) -> int:
    """For each (back, quantity) of ``plan``, an order placed on the 3rd of the month ``back`` months ago."""
    for number, (back, quantity) in enumerate(plan):
        _sell(
            seller, product, quantity, buyers[number % len(buyers)], _at(_months_back(back).replace(day=3), 9)
        )
    return len(plan)


def _top_up(
    seller: Seller, product: Product, buyers: list[User], months_back: tuple[int, ...], target: int
) -> int:
    """Orders so that each month's revenue from orders reaches ``target`` (she sold more those months)."""
    months = {m.month: m.revenue_vnd for m in orders_by_month(seller)}
    count = 0
    for back in months_back:
        missing = target - months.get(_months_back(back), 0)
        if missing > 0:
            quantity = -(-missing // product.price_vnd)
            _sell(
                seller,
                product,
                quantity,
                buyers[count % len(buyers)],
                _at(_months_back(back).replace(day=4), 10),
            )
            count += 1
    return count


# --- Mentoring ------------------------------------------------------------------------------------


def _mentored(
    seller: Seller, partner: Partner, *, goals: str, sessions: list[tuple[int, str, str]], complete: bool
) -> Match:
    """A match she proposed and the partner accepted, its plan and sessions held ``days`` ago."""
    match = match_propose(actor=seller.leader, seller=seller, partner=partner)
    match = match_answer(match, actor=partner.user, accept=True)
    today = timezone.localdate()
    plan = plan_create(
        match,
        actor=partner.user,
        goals=goals,
        milestones=[
            ("Chụp lại ảnh sản phẩm cho sàn", today - timedelta(days=40)),
            ("Mở gian hàng trên sàn thương mại điện tử", today - timedelta(days=20)),
        ],
    )
    for days, notes, next_steps in sessions:
        session = session_schedule(plan, actor=partner.user, starts_at=_at(today - timedelta(days=days), 9))
        session_record(session, actor=partner.user, notes=notes, next_steps=next_steps)
    for milestone in plan.milestones.all():
        milestone_done(milestone, actor=seller.leader, done_on=milestone.due_on)
    if complete:
        match = match_complete(match, actor=partner.user)
    return match


def _showcase_plan(seller: Seller, partner: Partner) -> Match:
    """Mường Bú and the demo mentor: milestones (one overdue), two sessions held, one tomorrow."""
    match = match_propose(actor=seller.leader, seller=seller, partner=partner)
    match = match_answer(match, actor=partner.user, accept=True)
    today = timezone.localdate()
    plan = plan_create(
        match,
        actor=partner.user,
        goals="Bán khăn piêu và túi thổ cẩm trên sàn thương mại điện tử; làm bao bì quà tặng; "
        "ghi sổ doanh thu hằng tháng.",
        milestones=[
            ("Chụp lại ảnh 5 sản phẩm chính", today - timedelta(days=21)),
            ("Làm mẫu hộp quà cho khăn piêu", today - timedelta(days=3)),
            ("Mở gian hàng trên Sàn Chợ Quê", today + timedelta(days=20)),
        ],
    )
    first = plan.milestones.order_by("due_on").first()
    if first is not None:
        milestone_done(first, actor=seller.leader, done_on=first.due_on)
    for days, notes, next_steps in (
        (
            35,
            "Xem lại giá bán: khăn piêu đang bán thấp hơn chi phí công. Thống nhất giá mới 450.000 đ.",
            "Chị Xuân ghi chi phí từng chiếc khăn trong một tháng.",
        ),
        (
            10,
            "Chụp ảnh khăn ngoài nắng, nền vải trơn; viết câu chuyện ngắn cho từng sản phẩm.",
            "Gửi cố vấn 5 ảnh mới; chọn mẫu hộp quà.",
        ),
    ):
        session = session_schedule(plan, actor=partner.user, starts_at=_at(today - timedelta(days=days), 14))
        session_record(session, actor=partner.user, notes=notes, next_steps=next_steps)
    session_schedule(plan, actor=partner.user, starts_at=_at(today + timedelta(days=1), 14))
    return match


# --- Entry point ----------------------------------------------------------------------------------


def seed(stdout: TextIO) -> None:
    """Create the 4M demo unless the fair exists (``seed_demo`` runs this in a transaction)."""
    if Event.objects.filter(name=FAIR_NAME).exists():
        stdout.write("4M demo: the fair exists already; nothing to add.\n")
        return
    admin, organiser, mentor = _user(ADMIN), _user(ORGANISER), _user(MENTOR)
    sellers = {
        s.name: s for s in Seller.objects.select_related("leader", "commune").filter(name__in=DEMO_NEEDS)
    }
    buyers = [user for user in (_user(phone) for phone in BUYERS) if user is not None]
    if admin is None or organiser is None or mentor is None or len(sellers) < len(DEMO_NEEDS) or not buyers:
        stdout.write(
            "4M demo: the demo accounts or sellers are missing (run the market demo first); skipped.\n"
        )
        return
    provinces = {
        p.codename: p
        for p in Province.objects.filter(codename__in=["son_la", "lao_cai", "ha_noi", "thai_nguyen"])
    }
    categories = {c.slug: c for c in Category.objects.all()}
    son_la, lao_cai = provinces["son_la"], provinces["lao_cai"]

    partners = _partners(admin, provinces, categories)
    _needs(sellers, categories)
    programme = _programme(organiser, son_la)
    event, schedule = _fair(organiser, son_la, sellers, partners)

    # Mentoring, and the two graduates' revenue from their orders.
    can_ship = bool(carrier_secrets().get(CARRIER))
    orders = 0
    graduated = 0
    _showcase_plan(sellers[MUONG_BU], partners[MENTOR])
    for name, partner_phone in ((CHIENG_SON, MENTOR), (MOC_CHAU, "0900000303")):
        seller = sellers[name]
        _mentored(
            seller,
            partners[partner_phone],
            goals="Tìm người mua ổn định ở Hà Nội; bán trên sàn; ghi sổ doanh thu.",
            sessions=[
                (80, "Lập danh sách người mua quen; xem lại giá sỉ và giá lẻ.", "Gửi mẫu cho hai cửa hàng."),
                (
                    50,
                    "Hai cửa hàng ở Hà Nội đặt hàng thử; hướng dẫn giao qua bưu điện.",
                    "Theo dõi đơn hằng tuần.",
                ),
            ],
            complete=True,
        )
        if not can_ship:
            continue
        key, before, since, members, women = GRADUATES[name]
        product = _product(seller, key)
        orders += _history(
            seller,
            product,
            buyers,
            [(back, before) for back in BASELINE_BACK] + [(back, since) for back in UPLIFT_BACK],
        )
        revenue_months_refresh(seller, actor=organiser)
        for back in UPLIFT_BACK:  # the officer writes who benefited; the amounts stay those of the orders
            month_people_set(
                seller,
                _months_back(back),
                actor=organiser,
                members_benefiting=members,
                women_benefiting=women,
                new_channels=["Sàn Chợ Quê trực tuyến"] if back == UPLIFT_BACK[0] else None,
            )
        baseline_set(
            seller, actor=organiser, months=len(BASELINE_BACK), until=_months_back(BASELINE_BACK[-1])
        )
        if graduation_check(seller, programme=programme, actor=organiser) is not None:
            graduated += 1
    if can_ship:
        muong_bu = sellers[MUONG_BU]
        product = _product(muong_bu, MUONG_BU_PRODUCT)
        orders += _history(muong_bu, product, buyers, [(back, 2) for back in MUONG_BU_BASELINE_BACK])
        baseline = baseline_set(
            muong_bu, actor=organiser, months=3, until=_months_back(MUONG_BU_BASELINE_BACK[-1])
        )
        orders += _top_up(muong_bu, product, buyers, MUONG_BU_READY_BACK, baseline.revenue_vnd * 2)

    # Matches in every state: a programme round sent and answered, a proposal called off, a round not sent.
    round_ = round_create(
        actor=organiser, name="Đợt kết nối 1 — Sơn La", province=son_la, programme=programme
    )
    round_compute(round_, actor=organiser)
    round_send(round_, actor=organiser)
    sent = list(
        Match.objects.filter(round=round_).select_related("partner__user", "seller__leader").order_by("pk")
    )
    if sent:
        first = match_answer(sent[0], actor=sent[0].seller.leader, accept=True)
        match_answer(first, actor=sent[0].partner.user, accept=True)
    if len(sent) > 1:
        match_answer(sent[1], actor=sent[1].partner.user, accept=False)
    called_off = match_propose(
        actor=sellers[TU_LE].leader, seller=sellers[TU_LE], partner=partners["0900000301"]
    )
    match_cancel(called_off, actor=sellers[TU_LE].leader, reason="Đã có đơn vị khác thu mua cả vụ.")
    draft = round_create(actor=admin, name="Đợt kết nối 2 — Lào Cai (đang xem xét)", province=lao_cai)
    round_compute(draft, actor=admin)

    states = dict(Match.objects.values_list("state").annotate(n=Count("pk")).order_by("state"))
    stdout.write(
        f"4M demo: {len(partners)} partners, {SellerNeeds.objects.count()} sellers with needs; fair with "
        f"{Registration.objects.filter(event=event).count()} registrations, "
        f"{MeetingRequest.objects.filter(event=event).count()} meeting requests, {schedule.placed} meetings "
        f"scheduled; matches {states}; {orders} orders for revenue; {graduated} graduated.\n"
    )
