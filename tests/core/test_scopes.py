import pytest

from ketnoi.accounts.models import User
from ketnoi.core.scopes import AreaScope, filter_by_scope, scopes_cover
from tests.accounts.factories import UserFactory

A_PROVINCE, A_COMMUNE, OTHER_COMMUNE, B_PROVINCE = 14, 4000, 4001, 15


def test_national_scope_covers_everywhere():
    assert AreaScope().is_national
    assert AreaScope().covers(province_code=B_PROVINCE, commune_code=None)


def test_province_scope_covers_its_communes_only():
    scope = AreaScope(province_code=A_PROVINCE)

    assert scope.covers(province_code=A_PROVINCE, commune_code=OTHER_COMMUNE)
    assert not scope.covers(province_code=B_PROVINCE, commune_code=OTHER_COMMUNE)
    assert not scope.covers(province_code=None, commune_code=None)


def test_commune_scope_covers_that_commune_only():
    scope = AreaScope(province_code=A_PROVINCE, commune_code=A_COMMUNE)

    assert scope.covers(province_code=A_PROVINCE, commune_code=A_COMMUNE)
    assert not scope.covers(province_code=A_PROVINCE, commune_code=OTHER_COMMUNE)
    assert not scope.covers(province_code=A_PROVINCE, commune_code=None)


def test_scopes_cover_any_and_no_scopes_cover_nothing():
    scopes = [
        AreaScope(province_code=A_PROVINCE, commune_code=A_COMMUNE),
        AreaScope(province_code=B_PROVINCE),
    ]

    assert scopes_cover(scopes, province_code=B_PROVINCE, commune_code=1)
    assert not scopes_cover(scopes, province_code=A_PROVINCE, commune_code=OTHER_COMMUNE)
    assert not scopes_cover([], province_code=A_PROVINCE, commune_code=A_COMMUNE)


@pytest.mark.django_db
class TestFilterByScope:
    @pytest.fixture
    def people(self, commune_a, commune_b):
        return {
            "a": UserFactory(display_name="A", home_commune=commune_a),
            "b": UserFactory(display_name="B", home_commune=commune_b),
            "none": UserFactory(display_name="không xã"),
        }

    def names(self, scopes):
        users = filter_by_scope(User.objects.all(), scopes, commune_path="home_commune")
        return sorted(users.values_list("display_name", flat=True))

    def test_commune_scope_keeps_that_commune(self, people, commune_a):
        assert self.names([AreaScope(commune_a.province_id, commune_a.code)]) == ["A"]

    def test_province_scope_keeps_the_province(self, people, commune_b):
        assert self.names([AreaScope(province_code=commune_b.province_id)]) == ["B"]

    def test_several_scopes_add_up(self, people, commune_a, commune_b):
        scopes = [AreaScope(commune_a.province_id, commune_a.code), AreaScope(commune_b.province_id)]
        assert self.names(scopes) == ["A", "B"]

    def test_national_scope_keeps_everyone(self, people):
        assert self.names([AreaScope()]) == ["A", "B", "không xã"]

    def test_no_scope_keeps_nobody(self, people):
        assert self.names([]) == []
