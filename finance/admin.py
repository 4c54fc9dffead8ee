from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from finance.models import Contract


@admin.register(Contract)
class ContractAdmin(SimpleHistoryAdmin):
    list_display = ["insurer", "provider", "year", "contract_value"]
    list_filter = ["year", "insurer"]
    search_fields = ["provider__name", "provider__agb_code", "insurer__name"]
    raw_id_fields = ["provider"]
