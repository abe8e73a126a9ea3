"""Staff screens for the registry: households to look at, never to change.

Every change to a household goes through ``registry.services`` (validation,
maker–checker, audit trail), so the admin is read-only. CCCDs appear only
masked; the admin never decrypts them and never shows the encrypted value
or its look-up hash.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import Assessment, FieldVisit, Household, Member

MEMBER_FIELDS = (
    "full_name",
    "birth_date",
    "sex",
    "relation",
    "ethnic_group",
    "citizen_id_masked",
    "has_disability",
    "able_to_work",
    "attending_school",
    "education",
    "has_health_insurance",
    "work",
    "stunted_or_underweight",
)


class ReadOnlyMixin:
    """Nothing to add, change or delete here: the services are the only writers."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MemberInline(ReadOnlyMixin, admin.TabularInline):  # type: ignore[type-arg]
    model = Member
    fields = MEMBER_FIELDS
    readonly_fields = MEMBER_FIELDS
    extra = 0
    can_delete = False
    show_change_link = False


class AssessmentInline(ReadOnlyMixin, admin.TabularInline):  # type: ignore[type-arg]
    model = Assessment
    fields = (
        "year",
        "standard",
        "standard_version",
        "classification",
        "deprivation_count",
        "deprived",
        "recognised",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False


class FieldVisitInline(ReadOnlyMixin, admin.TabularInline):  # type: ignore[type-arg]
    model = FieldVisit
    fields = ("visited_on", "officer", "notes")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Household)
class HouseholdAdmin(ReadOnlyMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("reference", "commune", "status", "source", "created_at", "verified_at")
    list_filter = ("status", "source", "area")
    search_fields = ("reference",)
    list_select_related = ("commune__province",)
    ordering = ("-created_at",)
    fields = (
        "reference",
        "commune",
        "address_line",
        "area",
        "status",
        "source",
        "income_12m_vnd",
        "walls",
        "frame",
        "roof",
        "floor_area_m2",
        "water_source",
        "latrine",
        "uses_telecom",
        "devices",
        "waste_collected_or_treated",
        "registered_by",
        "last_changed_by",
        "verified_by",
        "verified_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    inlines = (MemberInline, AssessmentInline, FieldVisitInline)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Household]:
        return super().get_queryset(request).select_related("commune__province")
