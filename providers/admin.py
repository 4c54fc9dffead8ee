from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from providers.models import Location, Norm, PostcodeArea, Provider, Region, Specialism, Treatment


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    filter_horizontal = ["neighbours"]


class LocationInline(admin.TabularInline):
    model = Location
    extra = 0
    fields = ["code", "name", "postcode", "city", "latitude", "longitude", "is_active"]


@admin.register(Provider)
class ProviderAdmin(SimpleHistoryAdmin):
    list_display = ["agb_code", "name", "kind", "region", "is_demo"]
    list_filter = ["kind", "region", "is_demo"]
    search_fields = ["agb_code", "name"]
    inlines = [LocationInline]


@admin.register(Location)
class LocationAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "provider", "postcode", "city", "is_active"]
    list_filter = ["is_active", "provider__kind", "provider__region"]
    search_fields = ["code", "name", "city", "provider__name", "provider__agb_code"]
    raw_id_fields = ["provider"]


@admin.register(Specialism)
class SpecialismAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]


@admin.register(Treatment)
class TreatmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "specialism", "setting", "is_active"]
    list_filter = ["setting", "specialism", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Norm)
class NormAdmin(SimpleHistoryAdmin):
    list_display = ["kind", "setting", "target_percentage", "target_days", "max_days"]


@admin.register(PostcodeArea)
class PostcodeAreaAdmin(admin.ModelAdmin):
    list_display = ["pc4", "place", "municipality", "province", "latitude", "longitude"]
    list_filter = ["province"]
    search_fields = ["pc4", "place", "municipality"]
