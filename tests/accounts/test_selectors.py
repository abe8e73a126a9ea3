import pytest
from django.contrib.auth.models import AnonymousUser

from ketnoi.accounts import consents, selectors, services
from ketnoi.accounts.consents import ConsentText
from ketnoi.accounts.models import ConsentPurpose, Role
from ketnoi.core.scopes import AreaScope
from ketnoi.places.models import Commune

from .factories import UserFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def commune_a2(commune_a):
    """Another commune in commune A's province."""
    return (
        Commune.objects.filter(province=commune_a.province).exclude(pk=commune_a.pk).order_by("code").first()
    )


def names(queryset):
    return sorted(queryset.values_list("display_name", flat=True))


# --- Roles and scopes ------------------------------------------------------------


def test_user_roles_lists_her_roles_with_their_areas(commune_a):
    user = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)
    user_with_role(Role.SELLER)  # someone else's role

    roles = selectors.user_roles(user)

    assert [(r.role, r.commune, r.province) for r in roles] == [
        (Role.COMMUNE_OFFICER, commune_a, commune_a.province)
    ]


def test_user_has_role():
    seller = user_with_role(Role.SELLER)

    assert selectors.user_has_role(seller, Role.BUYER, Role.SELLER)
    assert not selectors.user_has_role(seller, Role.ADMINISTRATOR)
    assert not selectors.user_has_role(AnonymousUser(), Role.SELLER)


def test_inactive_user_has_no_role_and_no_scope(commune_a):
    officer = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a, is_active=False)

    assert not selectors.user_has_role(officer, Role.COMMUNE_OFFICER)
    assert selectors.user_scopes(officer) == []


def test_user_scopes_per_role_level(commune_a, commune_b):
    officer = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)
    doctor = user_with_role(Role.DOCTOR, province=commune_b.province)
    administrator = user_with_role(Role.ADMINISTRATOR)
    seller = user_with_role(Role.SELLER)

    assert selectors.user_scopes(officer) == [
        AreaScope(province_code=commune_a.province_id, commune_code=commune_a.code)
    ]
    assert selectors.user_scopes(doctor) == [AreaScope(province_code=commune_b.province_id)]
    assert selectors.user_scopes(administrator) == [AreaScope()]
    assert selectors.user_scopes(seller) == []
    assert selectors.user_scopes(AnonymousUser()) == []


def test_user_scopes_only_for_the_roles_asked(commune_a, commune_b):
    # given a health worker in A who is also a commune officer in B
    user = user_with_role(Role.HEALTH_WORKER, commune=commune_a)
    services.role_assign(
        actor=user_with_role(Role.ADMINISTRATOR), user=user, role=Role.COMMUNE_OFFICER, commune=commune_b
    )

    # then as an officer she covers B only
    assert selectors.user_scopes(user, roles=[Role.COMMUNE_OFFICER]) == [
        AreaScope(province_code=commune_b.province_id, commune_code=commune_b.code)
    ]
    assert len(selectors.user_scopes(user)) == 2


# --- People in an area ------------------------------------------------------------


def test_commune_officer_sees_only_the_people_of_her_commune(officer_a, person_a, person_b, commune_a2):
    UserFactory(display_name="Người xã bên", home_commune=commune_a2)

    assert names(selectors.people_in_area(officer_a)) == sorted([person_a.display_name])


def test_officer_of_commune_b_never_sees_commune_a(commune_b, person_a, person_b):
    officer_b = user_with_role(Role.COMMUNE_OFFICER, commune=commune_b)

    people = selectors.people_in_area(officer_b)

    assert person_a not in people
    assert list(people) == [person_b]


def test_programme_officer_sees_the_whole_province(commune_a, commune_a2, person_a, person_b):
    officer = user_with_role(Role.PROGRAMME_OFFICER, province=commune_a.province)
    neighbour = UserFactory(display_name="Người xã bên", home_commune=commune_a2)

    assert names(selectors.people_in_area(officer)) == sorted([person_a.display_name, neighbour.display_name])


def test_administrator_sees_everyone_with_a_home_commune(person_a, person_b):
    administrator = user_with_role(Role.ADMINISTRATOR)
    UserFactory(display_name="Chưa khai xã")

    assert names(selectors.people_in_area(administrator)) == sorted(
        [person_a.display_name, person_b.display_name]
    )


def test_roles_that_are_not_officers_see_nobody(commune_a, person_a):
    health_worker = user_with_role(Role.HEALTH_WORKER, commune=commune_a)
    seller = user_with_role(Role.SELLER, home_commune=commune_a)

    assert list(selectors.people_in_area(health_worker)) == []
    assert list(selectors.people_in_area(seller)) == []
    assert list(selectors.people_in_area(AnonymousUser())) == []


def test_inactive_people_are_not_listed(officer_a, person_a, commune_a):
    UserFactory(display_name="Đã khoá", home_commune=commune_a, is_active=False)

    assert list(selectors.people_in_area(officer_a)) == [person_a]


# --- Consent ----------------------------------------------------------------------


def test_consents_current_covers_every_purpose_with_its_text():
    user = UserFactory()
    services.consent_give(user=user, purpose=ConsentPurpose.NOTIFICATIONS)
    services.consent_give(user=user, purpose=ConsentPurpose.LOCATION)
    services.consent_withdraw(user=user, purpose=ConsentPurpose.LOCATION)

    states = {s.purpose: s for s in selectors.consents_current(user)}

    assert list(states) == list(ConsentPurpose.values)
    assert states["notifications"].given
    assert states["notifications"].given_version == consents.CONSENT_TEXTS["notifications"].version
    assert states["notifications"].text == consents.CONSENT_TEXTS["notifications"].text
    assert not states["location"].given and states["location"].changed_at is not None
    assert not states["account"].given and states["account"].changed_at is None


def test_consent_to_old_words_needs_renewal(monkeypatch):
    user = UserFactory()
    services.consent_give(user=user, purpose=ConsentPurpose.ACCOUNT)

    monkeypatch.setitem(consents.CONSENT_TEXTS, ConsentPurpose.ACCOUNT, ConsentText("2099-01", "Mới."))

    state = selectors.consent_current(user, ConsentPurpose.ACCOUNT)
    assert state.given and state.needs_renewal
    assert selectors.user_has_consented(user, ConsentPurpose.ACCOUNT)


def test_consents_current_is_one_query(django_assert_num_queries):
    user = UserFactory()
    for purpose in ConsentPurpose.values:
        services.consent_give(user=user, purpose=purpose)

    with django_assert_num_queries(1):
        selectors.consents_current(user)
