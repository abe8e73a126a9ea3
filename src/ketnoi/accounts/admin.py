"""Staff screens for people: their account, roles (through the services) and consent (read only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ketnoi.core.audit import snapshot
from ketnoi.core.errors import DomainError

from .forms import as_validation_error
from .models import ConsentRecord, Role, RoleAssignment, User
from .network import client_ip
from .selectors import user_has_role
from .services import (
    USER_AUDITED_FIELDS,
    display_name_clean,
    role_assign,
    role_revoke,
    role_scope_clean,
    user_account_save,
)


def _may_manage_roles(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and (user.is_superuser or user_has_role(user, Role.ADMINISTRATOR)))


class _DisplayNameMixin:
    cleaned_data: dict[str, Any]

    def clean_display_name(self) -> str:
        try:
            return display_name_clean(self.cleaned_data["display_name"])
        except DomainError as error:
            raise as_validation_error(error) from None


class UserCreateForm(_DisplayNameMixin, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("phone", "display_name", "language", "home_commune")


class UserEditForm(_DisplayNameMixin, UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class RoleAssignmentForm(forms.ModelForm):
    """Checks the area against the role here, so a mistake is shown on the form."""

    class Meta:
        model = RoleAssignment
        fields = ("role", "province", "commune")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        role = cleaned.get("role")
        if role and not self.errors:
            try:
                province, commune = role_scope_clean(
                    role=role, province=cleaned.get("province"), commune=cleaned.get("commune")
                )
            except DomainError as error:
                raise as_validation_error(error) from None
            cleaned["province"], cleaned["commune"] = province, commune
            self.instance.province, self.instance.commune = province, commune
            held = RoleAssignment.objects.filter(
                user_id=self.instance.user_id, role=role, province=province, commune=commune
            )
            if self.instance.user_id and held.exists():
                raise forms.ValidationError(_("Người này đã có vai trò này ở khu vực này."), code="role_held")
        return cleaned


class RoleAssignmentInline(admin.TabularInline):
    """Roles are added or removed (never edited) through ``role_assign`` / ``role_revoke``."""

    model = RoleAssignment
    form = RoleAssignmentForm
    fields = ("role", "province", "commune")
    raw_id_fields = ("commune",)
    extra = 0
    verbose_name = _("vai trò")
    verbose_name_plural = _("vai trò (giao hoặc thu hồi; muốn đổi khu vực thì thu hồi rồi giao lại)")

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("province", "commune__province")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_manage_roles(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_manage_roles(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_staff)


class ConsentRecordInline(admin.TabularInline):
    """The person's acts of consent, as she made them: nobody edits them."""

    model = ConsentRecord
    fields = ("purpose", "action", "text_version", "at", "ip_address")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-at",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_staff)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreateForm
    inlines = [RoleAssignmentInline, ConsentRecordInline]
    fieldsets = (
        (None, {"fields": ("phone", "password")}),
        (_("Hồ sơ"), {"fields": ("display_name", "language", "home_commune")}),
        (
            _("Quyền vào trang quản trị"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Mốc thời gian"), {"fields": ("last_login", "created_at", "updated_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "phone",
                    "display_name",
                    "language",
                    "home_commune",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    readonly_fields = ("last_login", "created_at", "updated_at")
    raw_id_fields = ("home_commune",)
    list_display = ("phone", "display_name", "language", "home_commune", "is_active", "is_staff")
    list_filter = ("is_active", "is_staff", "language")
    list_select_related = ("home_commune__province",)
    search_fields = ("phone", "display_name")
    ordering = ("display_name", "phone")

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        # Roles are given once the person exists: on her change page.
        return self.inlines if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = snapshot(User.objects.get(pk=obj.pk), USER_AUDITED_FIELDS) if change else None
        user_account_save(actor=request.user, user=obj, before=before, ip_address=client_ip(request))  # type: ignore[arg-type]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not RoleAssignment:
            formset.save()
            return
        formset.save(commit=False)
        for assignment in formset.deleted_objects:
            try:
                role_revoke(actor=request.user, assignment=assignment)  # type: ignore[arg-type]
            except DomainError as error:
                messages.error(request, str(error))
        for assignment in formset.new_objects:
            try:
                role_assign(
                    actor=request.user,  # type: ignore[arg-type]
                    user=form.instance,
                    role=assignment.role,
                    province=assignment.province,
                    commune=assignment.commune,
                )
            except DomainError as error:
                messages.error(request, str(error))


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    """A read-only list of who holds which role where; change roles on the person's page."""

    list_display = ("user", "role", "province", "commune")
    list_filter = ("role",)
    list_select_related = ("user", "province", "commune__province")
    search_fields = ("user__phone", "user__display_name")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
