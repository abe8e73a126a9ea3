from __future__ import annotations

import factory

from ketnoi.accounts.models import Role, RoleAssignment, User

PASSWORD = "mat-khau-an-toan-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    phone = factory.Sequence(lambda n: f"+8491{n:07d}")
    display_name = factory.Faker("name", locale="vi_VN")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class RoleAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleAssignment

    user = factory.SubFactory(UserFactory)
    role = Role.BUYER


def user_with_role(role: str, *, commune=None, province=None, **user_fields) -> User:
    """A saved user holding ``role`` for ``commune`` (or ``province``)."""
    user = UserFactory(**user_fields)
    if commune is not None:
        province = commune.province
    RoleAssignmentFactory(user=user, role=role, commune=commune, province=province)
    return user
