import pytest
from django.contrib.admin.sites import site
from django.contrib.auth.models import Permission
from django.urls import reverse

from ketnoi.accounts.admin import RoleAssignmentInline
from ketnoi.accounts.models import ConsentPurpose, RoleAssignment, User
from ketnoi.accounts.services import consent_give
from ketnoi.core.models import AuditEntry

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(db):
    return UserFactory(is_staff=True, is_superuser=True, display_name="Quản trị gốc")


def change_form_data(client, user):
    """The change form of ``user`` as the browser would post it back, unchanged."""
    response = client.get(reverse("admin:accounts_user_change", args=[user.pk]))
    assert response.status_code == 200
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form.initial.get(name)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list):
            data[name] = [getattr(v, "pk", v) for v in value]
        elif value is not None:
            data[name] = value
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[f"{management.prefix}-{name}"] = management.initial.get(name, 0)
        for index, inline_form in enumerate(inline.formset.initial_forms):
            data[f"{inline.formset.prefix}-{index}-id"] = inline_form.instance.pk
            data[f"{inline.formset.prefix}-{index}-user"] = user.pk
    return data


def test_user_list_and_change_page_open(client, root, commune_a):
    person = UserFactory(home_commune=commune_a)
    consent_give(user=person, purpose=ConsentPurpose.ACCOUNT)
    client.force_login(root)

    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 200
    page = client.get(reverse("admin:accounts_user_change", args=[person.pk])).content.decode()
    assert "Tạo và dùng tài khoản" in page  # the consent act, read only


def test_role_added_in_the_admin_goes_through_the_service(client, root, commune_a):
    # given a person and an administrator in the admin
    person = UserFactory()
    client.force_login(root)
    data = change_form_data(client, person)

    # when a commune officer role for commune A is added
    data.update(
        {
            "role_assignments-TOTAL_FORMS": 1,
            "role_assignments-0-role": "commune_officer",
            "role_assignments-0-commune": commune_a.pk,
            "role_assignments-0-province": "",
        }
    )
    response = client.post(reverse("admin:accounts_user_change", args=[person.pk]), data)

    # then the role holds with the commune's province, and it is audited
    assert response.status_code == 302, response.context["adminform"].form.errors
    assignment = RoleAssignment.objects.get(user=person)
    assert assignment.province_id == commune_a.province_id
    assert AuditEntry.objects.filter(action="role_assigned", actor=root).exists()


def test_role_without_its_area_is_refused_on_the_form(client, root):
    person = UserFactory()
    client.force_login(root)
    data = change_form_data(client, person)
    data.update({"role_assignments-TOTAL_FORMS": 1, "role_assignments-0-role": "commune_officer"})

    response = client.post(reverse("admin:accounts_user_change", args=[person.pk]), data)

    assert response.status_code == 200
    assert "cần chọn một xã/phường" in response.content.decode()
    assert not RoleAssignment.objects.filter(user=person).exists()


def test_profile_change_in_the_admin_is_audited(client, root):
    person = UserFactory(display_name="Mai")
    client.force_login(root)
    data = change_form_data(client, person)
    data["display_name"] = "Lò Thị Mai"

    response = client.post(reverse("admin:accounts_user_change", args=[person.pk]), data)

    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="user_changed", object_id=str(person.pk))
    assert entry.changes == {"display_name": ["Mai", "Lò Thị Mai"]}


def test_user_created_in_the_admin_is_audited(client, root):
    client.force_login(root)

    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "phone": "0912 345 678",
            "display_name": "Vì Thị Sang",
            "language": "vi",
            "usable_password": "false",
        },
    )

    assert response.status_code == 302
    person = User.objects.get(phone="+84912345678")
    assert not person.has_usable_password()
    assert AuditEntry.objects.filter(action="user_created", object_id=str(person.pk), actor=root).exists()


def test_staff_who_is_not_an_administrator_cannot_add_or_remove_roles(rf):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["change_user", "view_user"]))
    request = rf.get("/")
    request.user = staff
    inline = RoleAssignmentInline(User, site)

    assert not inline.has_add_permission(request)
    assert not inline.has_delete_permission(request)
    assert inline.has_view_permission(request)


def test_role_removed_in_the_admin_goes_through_the_service(client, root, commune_a):
    # given a commune officer
    person = UserFactory()
    RoleAssignment.objects.create(
        user=person, role="commune_officer", province=commune_a.province, commune=commune_a
    )
    client.force_login(root)
    data = change_form_data(client, person)

    # when her role is ticked for deletion
    data["role_assignments-0-DELETE"] = "on"
    response = client.post(reverse("admin:accounts_user_change", args=[person.pk]), data)

    # then it is gone, and the audit trail says who took it away
    assert response.status_code == 302
    assert not RoleAssignment.objects.filter(user=person).exists()
    assert AuditEntry.objects.filter(action="role_revoked", actor=root, object_id=str(person.pk)).exists()


def test_staff_sign_in_to_the_admin_with_the_phone_through_the_same_checks(client, settings):
    # given a staff member whose account locks after two failures
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 2
    UserFactory(is_staff=True, phone="+84912345678")
    login = reverse("admin:login")

    # when she signs in with her phone in national form
    response = client.post(login, {"username": "0912 345 678", "password": PASSWORD})

    # then she is in
    assert response.status_code == 302
    client.logout()

    # and after two wrong passwords even the right one is refused
    for _ in range(2):
        client.post(login, {"username": "0912 345 678", "password": "sai"})
    response = client.post(login, {"username": "0912 345 678", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
