"""Django admin of plans: read-only views for support. Plans are written through the product's
pages and API only (``plans.services``), so that every rule, transition and audit event holds."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from plans.models import Plan, PlanLine, PlanProgress, PlanTransition, PlanVersion


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


LINE_FIELDS = [
    "specialism",
    "urgency_class",
    "backlog",
    "planned",
    "realised_to_date",
    "remaining",
    "projected_clearance_month",
    "on_track",
    "behind",
]
TRANSITION_FIELDS = ["occurred_at", "from_status", "to_status", "version", "actor_label", "comment"]


class PlanLineInline(admin.TabularInline):
    model = PlanLine
    extra = 0
    fields = tuple(LINE_FIELDS)
    readonly_fields = LINE_FIELDS
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PlanTransitionInline(admin.TabularInline):
    model = PlanTransition
    extra = 0
    fields = tuple(TRANSITION_FIELDS)
    readonly_fields = TRANSITION_FIELDS
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Plan)
class PlanAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "provider",
        "insurer",
        "period_start",
        "period_end",
        "status",
        "version",
        "on_track",
        "behind",
    ]
    list_filter = ["status", "on_track", "behind", "insurer"]
    search_fields = ["provider__name", "provider__agb_code", "insurer__name", "insurer__uzovi"]
    list_select_related = ["provider", "insurer"]
    inlines = [PlanLineInline, PlanTransitionInline]


@admin.register(PlanProgress)
class PlanProgressAdmin(ReadOnlyAdmin):
    list_display = ["plan", "specialism", "urgency_class", "month", "realised", "reported_by"]
    list_filter = ["month"]
    list_select_related = ["plan__provider", "specialism"]


@admin.register(PlanVersion)
class PlanVersionAdmin(ReadOnlyAdmin):
    list_display = ["plan", "number", "submitted_at", "submitted_by"]
    list_select_related = ["plan__provider"]
