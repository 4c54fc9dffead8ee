"""The national picture (DESIGN §8: ``GET /api/v1/reports/national/``): every ROAZ region ×
specialism × kind against the Treeknorm, the series not reported and persistently over the norm,
and the capacity offered; in JSON or, with ``?format=csv``, the matrix as a flat CSV table. For
insurers and the regulator (aggregate figures and providers' series, no patient data)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import role_required
from core.csv_export import csv_text
from portal.reports.apis import REGIONAL_REPORT_ROLES, CsvReportApi, RegionReferenceSerializer
from providers.models import WaitingTimeKind
from providers.reports.national import LIST_LIMIT, NationalReport, national_report

NATIONAL_REPORT_ROLES = REGIONAL_REPORT_ROLES
NATIONAL_CSV_COLUMNS = [
    "region",
    "specialism",
    "kind",
    "setting",
    "series",
    "series_current",
    "series_exceeding",
    "series_not_reported",
    "series_persistent_overrun",
    "median_days",
    "norm_max_days",
    "norm_status",
    "capacity",
]
NORM_STATUSES = ["within_target", "within_maximum", "above_maximum"]


class SpecialismReferenceSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class NationalCellSerializer(serializers.Serializer):
    region = serializers.CharField(source="region_code")
    specialism = serializers.CharField(source="specialism_code")
    kind = serializers.ChoiceField(choices=WaitingTimeKind.choices)
    setting = serializers.CharField(
        help_text="For kind treatment: `day` or `inpatient` (each has its own norm); else empty"
    )
    series = serializers.IntegerField(help_text="Series of the cell's active locations")
    series_current = serializers.IntegerField(help_text="Series with a current (not stale) figure")
    series_exceeding = serializers.IntegerField(
        help_text="Series whose current figure is above the norm's maximum"
    )
    series_not_reported = serializers.IntegerField(
        help_text="Series without a figure on or after the last cycle's peildatum"
    )
    series_persistent_overrun = serializers.IntegerField(
        help_text="Series above the norm's maximum for three cycles in a row (not cleared yet)"
    )
    median_days = serializers.FloatField(
        allow_null=True, help_text="Median of the current figures with a number, in days"
    )
    norm_max_days = serializers.IntegerField(allow_null=True)
    norm_status = serializers.ChoiceField(
        choices=NORM_STATUSES, allow_null=True, help_text="The median against the norm"
    )
    capacity = serializers.IntegerField(
        help_text="Remaining slots offered in the coming weeks by the region's locations"
    )


class NationalSeriesSerializer(serializers.Serializer):
    region = serializers.CharField(source="region_code")
    provider = serializers.CharField(source="provider_agb_code")
    provider_name = serializers.CharField()
    location = serializers.CharField(source="location_code")
    location_name = serializers.CharField()
    specialism = serializers.CharField(source="specialism_code")
    specialism_name = serializers.CharField()
    treatment = serializers.CharField(source="treatment_code", allow_null=True)
    treatment_name = serializers.CharField(allow_null=True)
    kind = serializers.ChoiceField(choices=WaitingTimeKind.choices)
    last_reference_date = serializers.DateField(allow_null=True)
    days = serializers.IntegerField(allow_null=True, help_text="The latest figure, in days")


class NationalOverrunSerializer(NationalSeriesSerializer):
    since = serializers.DateField(
        source="overrun_since", help_text="Peildatum of the first cycle above the norm"
    )
    cycles = serializers.IntegerField(
        source="overrun_cycles", help_text="Cycles in a row above the norm's maximum"
    )
    norm_max_days = serializers.IntegerField()


class NationalSeriesListSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="All such series")
    results = NationalSeriesSerializer(many=True, help_text=f"The first {LIST_LIMIT}")


class NationalOverrunListSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="All such series")
    results = NationalOverrunSerializer(many=True, help_text=f"The first {LIST_LIMIT}")


class NationalTotalsSerializer(serializers.Serializer):
    series = serializers.IntegerField()
    series_current = serializers.IntegerField()
    series_exceeding = serializers.IntegerField()
    series_not_reported = serializers.IntegerField()
    series_persistent_overrun = serializers.IntegerField()
    capacity = serializers.IntegerField()


class NationalReportSerializer(serializers.Serializer):
    date = serializers.DateField(source="today")
    last_cycle = serializers.DateField(
        help_text="Peildatum of the last NZa cycle (Tuesday of an even ISO week)"
    )
    stale_before = serializers.DateField(help_text="Figures with an older peildatum are stale")
    capacity_from = serializers.DateField()
    capacity_until = serializers.DateField()
    regions = RegionReferenceSerializer(many=True)
    specialisms = SpecialismReferenceSerializer(many=True)
    matrix = NationalCellSerializer(
        source="cells",
        many=True,
        help_text="One cell per region × specialism × kind (treatments: × setting) with series "
        "or capacity",
    )
    totals = NationalTotalsSerializer()
    series_not_reported = NationalSeriesListSerializer()
    persistent_overruns = NationalOverrunListSerializer()


class NationalReportCsvRenderer(BaseRenderer):
    """The matrix as a flat table (one line per region × specialism × kind and setting)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        rows = [
            [
                "" if cell[column] is None else _csv_value(cell[column])
                for column in NATIONAL_CSV_COLUMNS
            ]
            for cell in data["matrix"]
        ]
        return csv_text(NATIONAL_CSV_COLUMNS, rows).encode(self.charset)


def _csv_value(value: Any) -> Any:
    return f"{value:g}" if isinstance(value, float) else value


def national_report_csv_filename(report: NationalReport) -> str:
    return f"national-report-{report.today.isoformat()}.csv"


class NationalReportApi(CsvReportApi):
    permission_classes = [role_required(*NATIONAL_REPORT_ROLES)]
    renderer_classes = [JSONRenderer, NationalReportCsvRenderer]

    @extend_schema(
        operation_id="reports_national_retrieve",
        summary="National report: every ROAZ region × specialism",
        description=(
            "Per region × specialism × kind (treatments also per setting, each with its norm): "
            "the series, those with a current figure, above the norm's maximum, not reported in "
            "the last NZa cycle and persistently over the norm (three cycles in a row), the "
            "median current wait against the norm, and the capacity offered in the coming 8 "
            "weeks; the totals; and the series not reported and persistently over the norm "
            f"(the first {LIST_LIMIT} of each, with their counts). "
            "With `?format=csv` (or `Accept: text/csv`) the matrix as a CSV table with the "
            "columns " + ", ".join(f"`{column}`" for column in NATIONAL_CSV_COLUMNS) + "."
        ),
        parameters=[
            OpenApiParameter(
                "format",
                str,
                enum=["json", "csv"],
                description="`csv` for the matrix as a CSV download",
            ),
        ],
        responses={
            (200, "application/json"): NationalReportSerializer,
            (200, "text/csv"): OpenApiTypes.STR,
        },
    )
    def get(self, request: Request) -> Response:
        report = national_report()
        data = NationalReportSerializer(report).data
        if request.accepted_renderer.format == NationalReportCsvRenderer.format:
            filename = national_report_csv_filename(report)
            return Response(
                data, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
            )
        return Response(data)
