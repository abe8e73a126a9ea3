"""The demo people: the nine accounts in the README and cooperative members.

Real communes after the 2025 reform; invented people. Cooperatives are
described here as data — the marketplace turns them into seller records when
it arrives. Every demo password is ``ketnoi-demo``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TextIO

from django.contrib.auth.hashers import make_password

from ketnoi.core.phone import normalize_phone
from ketnoi.places.models import Commune

from .consents import CONSENT_TEXTS
from .models import ConsentPurpose, ConsentRecord, Role, RoleAssignment, User

DEMO_PASSWORD = "ketnoi-demo"  # noqa: S105 - published demo password, development data only


@dataclass(frozen=True)
class DemoAccount:
    phone: str
    name: str
    roles: tuple[str, ...]
    province: str  # codename in vietnam-provinces
    commune: str  # short name of the commune or ward
    scope: str = "none"  # "commune", "province" or "none" for the area of the roles
    what: str = ""


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount(
        "0900000001", "Nguyễn Thu Hà", (Role.ADMINISTRATOR,), "ha_noi", "Ba Đình", what="administrator"
    ),
    DemoAccount(
        "0900000002",
        "Cầm Thị Hương",
        (Role.COMMUNE_OFFICER,),
        "son_la",
        "Mường Bú",
        scope="commune",
        what="commune officer, Xã Mường Bú, Sơn La (commune A)",
    ),
    DemoAccount(
        "0900000003",
        "Hoàng Văn Sình",
        (Role.COMMUNE_OFFICER,),
        "lao_cai",
        "Bắc Hà",
        scope="commune",
        what="commune officer, Xã Bắc Hà, Lào Cai (commune B)",
    ),
    DemoAccount(
        "0900000004",
        "Lò Thị Xuân",
        (Role.SELLER,),
        "son_la",
        "Mường Bú",
        what="seller, leader of the Mường Bú brocade weaving cooperative",
    ),
    DemoAccount("0900000005", "Trần Minh Anh", (Role.BUYER,), "ha_noi", "Hoàn Kiếm", what="buyer"),
    DemoAccount(
        "0900000006",
        "Phạm Quốc Bảo",
        (Role.MENTOR, Role.PARTNER),
        "ho_chi_minh",
        "Bến Thành",
        what="mentor and partner",
    ),
    DemoAccount(
        "0900000007",
        "Sùng Thị Dợ",
        (Role.WORKER,),
        "ha_noi",
        "Ba Đình",
        what="domestic worker (from Lào Cai, working in Hà Nội)",
    ),
    DemoAccount(
        "0900000008",
        "Quàng Thị Lả",
        (Role.HEALTH_WORKER,),
        "son_la",
        "Mường Bú",
        scope="commune",
        what="health worker, Mường Bú commune health station",
    ),
    DemoAccount(
        "0900000009",
        "Đinh Văn Long",
        (Role.DOCTOR,),
        "son_la",
        "Mường Bú",
        scope="province",
        what="doctor, Sơn La provincial hospital",
    ),
    DemoAccount(
        "0900000010",
        "Đinh Văn Toàn",
        (Role.PROGRAMME_OFFICER,),
        "son_la",
        "Mường Bú",
        scope="province",
        what="programme officer, Sơn La (prepares cycles and batches)",
    ),
    DemoAccount(
        "0900000011",
        "Quàng Thị Lan",
        (Role.PROGRAMME_OFFICER,),
        "son_la",
        "Mường Bú",
        scope="province",
        what="programme officer, Sơn La (approves what the other prepared)",
    ),
    DemoAccount(
        "0900000012",
        "Lường Văn Pọm",
        (Role.POST_CLERK,),
        "son_la",
        "Mường Bú",
        scope="commune",
        what="post office clerk, Mường Bú (pays cash against a one-time code)",
    ),
)


@dataclass(frozen=True)
class DemoCooperative:
    name: str
    province: str
    commune: str
    products: str
    members: tuple[tuple[str, str], ...]  # (phone, name); the first is the leader


DEMO_COOPERATIVES: tuple[DemoCooperative, ...] = (
    DemoCooperative(
        "HTX Dệt thổ cẩm Mường Bú",
        "son_la",
        "Mường Bú",
        "thổ cẩm dệt tay của người Thái",
        (("0900000004", "Lò Thị Xuân"), ("0900000101", "Lò Thị Ánh"), ("0900000102", "Cầm Thị Pâng")),
    ),
    DemoCooperative(
        "HTX Chè Shan tuyết Chiềng Sơn",
        "son_la",
        "Chiềng Sơn",
        "chè Shan tuyết, mật ong",
        (("0900000103", "Vì Thị Sang"), ("0900000104", "Lường Thị Hoa")),
    ),
    DemoCooperative(
        "HTX Rượu men lá Bắc Hà",
        "lao_cai",
        "Bắc Hà",
        "rượu men lá, thổ cẩm H'Mông",
        (("0900000105", "Giàng Thị Mỷ"), ("0900000106", "Lù Thị Chử")),
    ),
    DemoCooperative(
        "HTX Miến dong Ba Bể",
        "thai_nguyen",
        "Ba Bể",
        "miến dong, miến tỏi đen",
        (("0900000107", "Hoàng Thị Nhung"), ("0900000108", "Triệu Thị Lan")),
    ),
    DemoCooperative(
        "HTX Cà phê và mật ong Krông Nô",
        "lam_dong",
        "Krông Nô",
        "cà phê, mật ong, hạt điều",
        (("0900000109", "H'Yên Niê"), ("0900000110", "Thị Mai Ka")),
    ),
)


@cache
def _demo_password_hash() -> str:
    return make_password(DEMO_PASSWORD)


def _commune(province: str, short_name: str) -> Commune:
    return Commune.objects.select_related("province").get(province__codename=province, short_name=short_name)


def _ensure_user(phone: str, name: str, commune: Commune, *, staff: bool = False) -> User:
    user = User.objects.filter(phone=normalize_phone(phone)).first()
    if user is None:
        user = User.objects.create_user(
            phone, None, display_name=name, home_commune=commune, is_staff=staff, is_superuser=staff
        )
        # Argon2 is slow on purpose: hash the shared demo password once.
        user.password = _demo_password_hash()
        user.save(update_fields=["password"])
        for purpose in (ConsentPurpose.ACCOUNT, ConsentPurpose.NOTIFICATIONS):
            ConsentRecord.objects.create(
                user=user,
                purpose=purpose,
                action=ConsentRecord.Action.GIVEN,
                text_version=CONSENT_TEXTS[purpose].version,
            )
    return user


def _ensure_role(user: User, role: str, *, commune: Commune, scope: str) -> None:
    """Give ``role`` to ``user`` for her commune, its province, or no area."""
    RoleAssignment.objects.get_or_create(
        user=user,
        role=role,
        province=commune.province if scope in ("commune", "province") else None,
        commune=commune if scope == "commune" else None,
    )


def seed(stdout: TextIO) -> None:
    for account in DEMO_ACCOUNTS:
        commune = _commune(account.province, account.commune)
        user = _ensure_user(account.phone, account.name, commune, staff=Role.ADMINISTRATOR in account.roles)
        for role in account.roles:
            _ensure_role(user, role, commune=commune, scope=account.scope)
    for coop in DEMO_COOPERATIVES:
        commune = _commune(coop.province, coop.commune)
        for phone, name in coop.members:
            user = _ensure_user(phone, name, commune)
            _ensure_role(user, Role.SELLER, commune=commune, scope="none")
    stdout.write(f"Demo accounts: {len(DEMO_ACCOUNTS)}; cooperatives: {len(DEMO_COOPERATIVES)}.")
