"""Django admin of the finance app.

Tariffs (the estimated value of a transferred patient) are reference data and edited here, with
their history. Contracts can be corrected here too. Arrangements, claims, payments, production
and volume transfers are shown read-only: they change only through the services, which keep the
money rules (status map, lock after settlement, corrections instead of edits).
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin import AuditedModelAdmin
from finance.models import (
    Arrangement,
    Contract,
    CostClaim,
    Payment,
    ProductionRecord,
    Tariff,
    VolumeTransfer,
)


@admin.register(Contract)
class ContractAdmin(SimpleHistoryAdmin):
    list_display = ["insurer", "provider", "year", "contract_value"]
    list_filter = ["year", "insurer"]
    search_fields = ["provider__name", "provider__agb_code", "insurer__name"]
    raw_id_fields = ["provider"]


@admin.register(Tariff)
class TariffAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "specialism", "treatment", "amount", "updated_at"]
    list_filter = ["specialism"]
    search_fields = ["specialism__name", "specialism__code", "treatment__name", "treatment__code"]
    raw_id_fields = ["specialism", "treatment"]


class ReadOnlyAdmin(SimpleHistoryAdmin):
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Arrangement)
class ArrangementAdmin(ReadOnlyAdmin):
    list_display = ["contract", "kind", "status", "coverage_percentage", "budget", "settled_due"]
    list_filter = ["kind", "status", "contract__year"]
    search_fields = ["contract__provider__name", "contract__provider__agb_code"]


@admin.register(ProductionRecord)
class ProductionRecordAdmin(ReadOnlyAdmin):
    list_display = ["contract", "month", "amount", "catch_up_amount", "recorded_by"]
    list_filter = ["contract__year"]
    search_fields = ["contract__provider__name", "contract__provider__agb_code"]


@admin.register(CostClaim)
class CostClaimAdmin(ReadOnlyAdmin):
    list_display = ["arrangement", "category", "amount", "status", "decided_by"]
    list_filter = ["status", "category"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["arrangement", "kind", "date", "amount", "recorded_by"]
    list_filter = ["kind"]


@admin.register(VolumeTransfer)
class VolumeTransferAdmin(AuditedModelAdmin):
    """A transfer ties a mediated patient's case to where they were treated: looking at it is
    audited like looking at the case."""

    list_display = [
        "case_reference",
        "insurer",
        "from_provider",
        "to_provider",
        "specialism",
        "care_date",
        "completed_on",
        "estimated_amount",
        "tariff_source",
    ]
    list_filter = ["insurer", "tariff_source"]
    search_fields = ["case_reference", "from_provider__name", "to_provider__name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def audit_case_reference(self, obj: VolumeTransfer) -> str:
        return obj.case_reference
