"""Django admin for mediation: the insurers' settings are edited here; cases and the mail outbox
are shown read-only (changes go through the services, so that every one is on the timeline and in
the audit trail), and every look at them is audited (``accounts.admin.AuditedModelAdmin``)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accounts.admin import AuditedModelAdmin
from mediation.models import Case, CaseEvent, CaseNotification, MediationSettings, Offer


@admin.register(MediationSettings)
class MediationSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "insurer",
        "first_contact_working_days",
        "match_margin_days",
        "offer_expiry_working_days",
        "retention_months",
    ]
    raw_id_fields = ["insurer"]


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OfferInline(ReadOnlyMixin, admin.TabularInline):
    model = Offer
    extra = 0
    fields = readonly_fields = (
        "location",
        "capacity_offer",
        "expected_date",
        "days_gained",
        "status",
        "expires_at",
        "appointment_date",
    )


class CaseEventInline(ReadOnlyMixin, admin.TabularInline):
    model = CaseEvent
    extra = 0
    fields = readonly_fields = ("at", "actor_label", "kind", "from_status", "to_status", "note")


@admin.register(Case)
class CaseAdmin(ReadOnlyMixin, AuditedModelAdmin):
    list_display = [
        "reference",
        "insurer",
        "channel",
        "status",
        "outcome",
        "specialism",
        "urgency_class",
        "submitted_at",
        "first_contact_due",
    ]
    list_filter = ["status", "outcome", "channel", "urgency_class", "insurer"]
    search_fields = ["reference"]
    date_hierarchy = "submitted_at"
    exclude = ["access_token_hash"]
    inlines = [OfferInline, CaseEventInline]

    def audit_case_reference(self, obj: Case) -> str:
        return obj.reference


@admin.register(CaseNotification)
class CaseNotificationAdmin(ReadOnlyMixin, AuditedModelAdmin):
    """The mail outbox: what was sent, skipped, or is still waiting (and why). Its rows hold the
    patients' addresses, so it is audited like the cases."""

    list_display = ["case", "kind", "recipient", "created_at", "sent_at", "skipped", "attempts"]
    list_filter = ["kind", "recipient", "skipped"]
    list_select_related = ["case"]
    search_fields = ["case__reference"]
    exclude = ["secret"]

    def audit_case_reference(self, obj: CaseNotification) -> str:
        return obj.case.reference
