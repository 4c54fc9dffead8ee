from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from providers.models import (
    CapacityOffer,
    Location,
    Norm,
    PostcodeArea,
    Provider,
    Region,
    Specialism,
    Treatment,
    WaitingTimeImport,
)
from providers.reports.trend_counts import region_trend_counts_rebuild


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    filter_horizontal = ["neighbours"]


class LocationInline(admin.TabularInline):
    model = Location
    extra = 0
    fields = ["code", "name", "postcode", "city", "latitude", "longitude", "is_active"]


def _recount_trend_after_commit(region_ids: set[int | None]) -> None:
    """A location's activity or a provider's region decides which reports a region's trend
    counts: recount the regions concerned once the change is committed."""
    ids = {pk for pk in region_ids if pk is not None}
    transaction.on_commit(lambda: region_trend_counts_rebuild(region_ids=ids))


@admin.register(Provider)
class ProviderAdmin(SimpleHistoryAdmin):
    list_display = ["agb_code", "name", "kind", "region", "is_demo", "nza_reference_date"]
    list_filter = ["kind", "region", "is_demo"]
    search_fields = ["agb_code", "name"]
    inlines = [LocationInline]

    def save_related(self, request, form, formsets, change) -> None:  # type: ignore[no-untyped-def]
        super().save_related(request, form, formsets, change)
        previous = form.initial.get("region")
        _recount_trend_after_commit({form.instance.region_id, getattr(previous, "pk", previous)})


@admin.register(Location)
class LocationAdmin(SimpleHistoryAdmin):
    list_display = [
        "code",
        "name",
        "provider",
        "postcode",
        "city",
        "accepted_urgency_classes",
        "is_active",
    ]
    list_filter = ["is_active", "provider__kind", "provider__region"]
    search_fields = ["code", "name", "city", "provider__name", "provider__agb_code"]
    raw_id_fields = ["provider"]

    def save_model(self, request, obj, form, change) -> None:  # type: ignore[no-untyped-def]
        previous = Location.objects.filter(pk=obj.pk).values_list("provider__region_id", flat=True)
        regions = set(previous) if change else set()
        super().save_model(request, obj, form, change)
        _recount_trend_after_commit({*regions, obj.provider.region_id})


@admin.register(Specialism)
class SpecialismAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_active", "patients_wait"]
    list_filter = ["is_active", "patients_wait"]
    search_fields = ["code", "name"]


@admin.register(Treatment)
class TreatmentAdmin(admin.ModelAdmin):
    """Treatments; those the national NZa import created from a name it did not know carry
    ``needs_review`` until an operator has checked name, specialism and (guessed) setting."""

    list_display = [
        "code",
        "name",
        "nza_name",
        "nza_number",
        "specialism",
        "setting",
        "is_active",
        "needs_review",
    ]
    list_filter = ["needs_review", "setting", "specialism", "is_active"]
    search_fields = ["code", "name", "nza_name", "nza_number"]
    actions = ["mark_reviewed"]

    @admin.action(description=gettext_lazy("Mark as reviewed"))
    def mark_reviewed(self, request, queryset) -> None:
        updated = queryset.filter(needs_review=True).update(needs_review=False)
        self.message_user(
            request, _("%(count)s treatments marked as reviewed.") % {"count": updated}
        )


@admin.register(Norm)
class NormAdmin(SimpleHistoryAdmin):
    list_display = ["kind", "setting", "target_percentage", "target_days", "max_days"]


@admin.register(PostcodeArea)
class PostcodeAreaAdmin(admin.ModelAdmin):
    list_display = ["pc4", "place", "municipality", "province", "latitude", "longitude"]
    list_filter = ["province"]
    search_fields = ["pc4", "place", "municipality"]


@admin.register(CapacityOffer)
class CapacityOfferAdmin(admin.ModelAdmin):
    """Read-only: planners manage offers in their own pages (with the rules and the audit trail),
    and reserved slots belong to mediation."""

    list_display = [
        "week_start",
        "location",
        "specialism",
        "treatment",
        "kind",
        "slots",
        "reserved_slots",
        "created_by",
    ]
    list_filter = ["kind", "week_start", "location__provider__kind"]
    search_fields = ["location__code", "location__name", "location__provider__name"]
    date_hierarchy = "week_start"
    list_select_related = ["location", "specialism", "treatment"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WaitingTimeImport)
class WaitingTimeImportAdmin(admin.ModelAdmin):
    """Uploaded waiting-time files and how their import went (read-only)."""

    list_display = [
        "file_name",
        "scope",
        "provider",
        "created_by",
        "created_at",
        "status",
        "progress",
    ]
    list_filter = ["scope", "status"]
    search_fields = ["file_name", "provider__name", "provider__agb_code"]
    date_hierarchy = "created_at"
    list_select_related = ["provider", "created_by"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
