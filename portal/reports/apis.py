"""The regional report (DESIGN §8: ``GET /api/v1/reports/regions/{code}/``), in JSON or, with
``?format=csv``, as a flat CSV table of the specialism × kind rows. For insurers and the regulator.

The report gains the catch-up plans of the region's providers (``plans``, per specialism: plans,
backlog at the start, what remains, the share on track): an insurer sees the plans addressed to
it, the regulator all of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotAcceptable
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.actors import Actor, actor_from_request
from accounts.models import Organisation, Role
from accounts.permissions import INSURER_ROLES, role_required
from core.csv_export import csv_text
from plans.selectors.reports import PlanRegionRow, plan_region_summary
from providers.models import ProviderKind, Region, TreatmentSetting, WaitingTimeKind
from providers.reference.filters import REGION_CODE_PATTERN
from providers.reference.selectors import region_list
from providers.reports.selectors import RegionalReport, regional_report

# Aggregate figures, no patient data: insurers' staff and the regulator (DESIGN §5).
REGIONAL_REPORT_ROLES = (*INSURER_ROLES, Role.REGULATOR)
CSV_COLUMNS = [
    "specialism",
    "kind",
    "locations_reporting",
    "locations_exceeding",
    "median_days",
    "capacity_in_region",
    "capacity_in_neighbours",
    "plans",
    "plan_backlog",
    "plan_backlog_remaining",
    "plans_on_track_percentage",
    "series_not_reported",
]


class RegionReferenceSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class _FiguresSerializer(serializers.Serializer):
    locations_reporting = serializers.IntegerField(
        help_text="Locations with a current (not stale) figure, a number or insufficient "
        "observations"
    )
    locations_exceeding = serializers.IntegerField(
        help_text="Locations with a current figure above the norm's maximum"
    )
    locations_stale = serializers.IntegerField(
        help_text="Locations whose figures are all stale (left out of the other counts)"
    )
    series_not_reported = serializers.IntegerField(
        help_text="Series without a figure on or after the last cycle's peildatum"
    )
    median_days = serializers.FloatField(
        allow_null=True, help_text="Median of the current figures with a number, in days"
    )
    norm_max_days = serializers.IntegerField(
        allow_null=True,
        help_text="The norm's maximum; null for a treatment row mixing day and inpatient care",
    )
    median_exceeds_norm = serializers.BooleanField(allow_null=True)
    capacity_in_region = serializers.IntegerField(
        help_text="Remaining slots offered in the coming weeks by locations in the region"
    )
    capacity_in_neighbours = serializers.IntegerField(
        help_text="Remaining slots offered in the coming weeks in the neighbouring regions"
    )


class TreatmentRowSerializer(_FiguresSerializer):
    treatment = serializers.CharField(source="treatment.code")
    treatment_name = serializers.CharField(source="treatment.name")
    setting = serializers.ChoiceField(source="treatment.setting", choices=TreatmentSetting.choices)


class RegionalReportRowSerializer(_FiguresSerializer):
    specialism = serializers.CharField(source="specialism.code")
    specialism_name = serializers.CharField(source="specialism.name")
    kind = serializers.ChoiceField(choices=WaitingTimeKind.choices)
    treatments = TreatmentRowSerializer(
        many=True, help_text="For kind treatment: the same figures per treatment"
    )


class LocationNotReportedSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    last_reference_date = serializers.DateField(allow_null=True)


class SeriesNotReportedSerializer(serializers.Serializer):
    location = serializers.CharField(source="location_code")
    location_name = serializers.CharField()
    specialism = serializers.CharField(source="specialism_code")
    specialism_name = serializers.CharField()
    treatment = serializers.CharField(source="treatment_code", allow_null=True)
    treatment_name = serializers.CharField(allow_null=True)
    kind = serializers.ChoiceField(choices=WaitingTimeKind.choices)
    last_reference_date = serializers.DateField(
        allow_null=True, help_text="The series' latest peildatum (null: never reported)"
    )


class ProviderNotReportedSerializer(serializers.Serializer):
    agb_code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=ProviderKind.choices)
    last_reference_date = serializers.DateField(allow_null=True)
    locations = LocationNotReportedSerializer(
        many=True, help_text="Active locations with a series not reported, or without any series"
    )
    series = SeriesNotReportedSerializer(
        many=True, help_text="The provider's series that missed the last cycle"
    )


class SeriesOverrunSerializer(serializers.Serializer):
    provider = serializers.CharField(source="provider_agb_code")
    provider_name = serializers.CharField()
    location = serializers.CharField(source="location_code")
    location_name = serializers.CharField()
    specialism = serializers.CharField(source="specialism_code")
    specialism_name = serializers.CharField()
    treatment = serializers.CharField(source="treatment_code", allow_null=True)
    treatment_name = serializers.CharField(allow_null=True)
    kind = serializers.ChoiceField(choices=WaitingTimeKind.choices)
    since = serializers.DateField(help_text="Peildatum of the first cycle above the norm")
    cycles = serializers.IntegerField(help_text="Cycles in a row above the norm's maximum")
    days = serializers.IntegerField(help_text="The latest figure above the norm, in days")
    norm_max_days = serializers.IntegerField(source="max_days")


class TrendPointSerializer(serializers.Serializer):
    reference_date = serializers.DateField(help_text="Peildatum of the cycle")
    kind = serializers.ChoiceField(choices=WaitingTimeKind.choices)
    median_days = serializers.FloatField(allow_null=True)
    percentage_above_norm = serializers.FloatField(allow_null=True)
    figures = serializers.IntegerField(help_text="Reports with a number in this cycle")


class RegionalReportOutputSerializer(serializers.Serializer):
    region = RegionReferenceSerializer()
    neighbours = RegionReferenceSerializer(many=True)
    date = serializers.DateField(source="today")
    last_cycle = serializers.DateField(
        help_text="Peildatum of the last NZa cycle (Tuesday of an even ISO week)"
    )
    stale_before = serializers.DateField(help_text="Figures with an older peildatum are stale")
    capacity_from = serializers.DateField()
    capacity_until = serializers.DateField()
    rows = RegionalReportRowSerializer(many=True)
    series_not_reported = serializers.IntegerField(
        help_text="Series of the region's active locations that missed the last cycle"
    )
    providers_not_reported = ProviderNotReportedSerializer(
        many=True,
        help_text="Providers with a series (of an active location) that missed the last cycle",
    )
    trend = TrendPointSerializer(many=True)
    persistent_overruns = SeriesOverrunSerializer(
        many=True,
        help_text="Series above the norm's maximum for three cycles in a row (not cleared yet)",
    )


class PlanRegionRowSerializer(serializers.Serializer):
    specialism = serializers.CharField(source="specialism_code")
    specialism_name = serializers.CharField()
    plans = serializers.IntegerField(help_text="Plans (submitted or later) covering this month")
    backlog = serializers.IntegerField(help_text="Backlog at the start of the plans")
    remaining = serializers.IntegerField(help_text="Backlog still to clear")
    plans_on_track = serializers.IntegerField()
    on_track_percentage = serializers.DecimalField(
        source="on_track_share", max_digits=4, decimal_places=1, allow_null=True
    )


class RegionalReportWithPlansSerializer(RegionalReportOutputSerializer):
    """Only documents the answer: the report and, beside it, ``plans``."""

    plans = PlanRegionRowSerializer(
        many=True,
        help_text="Catch-up plans of the region's providers per specialism (an insurer: the "
        "plans addressed to it; the regulator: all)",
    )


def regional_report_plans(*, region: Region, actor: Actor, report: RegionalReport) -> list:
    """The plans section for this actor: an insurer's own plans, or all for the regulator."""
    insurer: Organisation | None = None
    if not actor.has_role(Role.REGULATOR):
        insurer = actor.organisation
    return plan_region_summary(region=region, today=report.today, insurer=insurer)


def regional_report_data(*, region: Region, actor: Actor) -> tuple[RegionalReport, dict]:
    report = regional_report(region=region)
    plans: list[PlanRegionRow] = regional_report_plans(region=region, actor=actor, report=report)
    data = dict(RegionalReportOutputSerializer(report).data)
    data["plans"] = PlanRegionRowSerializer(plans, many=True).data
    return report, data


class RegionalReportCsvRenderer(BaseRenderer):
    """The report's rows as a flat table (one line per specialism × kind)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        plans = {row["specialism"]: row for row in data.get("plans", [])}

        def plan_columns(specialism: str) -> list:
            plan = plans.get(specialism)
            if plan is None:
                return ["", "", "", ""]
            share = plan["on_track_percentage"]
            return [plan["plans"], plan["backlog"], plan["remaining"], share or ""]

        rows = [
            [
                row["specialism"],
                row["kind"],
                row["locations_reporting"],
                row["locations_exceeding"],
                "" if row["median_days"] is None else f"{row['median_days']:g}",
                row["capacity_in_region"],
                row["capacity_in_neighbours"],
                *plan_columns(row["specialism"]),
                row["series_not_reported"],
            ]
            for row in data["rows"]
        ]
        # Specialisms with plans but no waiting-time row: one line each, without a kind.
        rows += [
            [specialism, "", "", "", "", "", "", *plan_columns(specialism), ""]
            for specialism in sorted(set(plans) - {row["specialism"] for row in data["rows"]})
        ]
        return csv_text(CSV_COLUMNS, rows).encode(self.charset)


def regional_report_csv_filename(report: RegionalReport) -> str:
    return f"regional-report-{report.region.code}-{report.today.isoformat()}.csv"


class CsvReportApi(APIView):
    """A report in JSON or, with ``?format=csv``, as a CSV table (a renderer whose format is
    ``csv``); errors and OPTIONS are answered in JSON."""

    def options(self, request: Request, *args: Any, **kwargs: Any) -> Response:  # type: ignore[override]
        # The endpoint's description is JSON; the CSV renderer knows only the report's rows.
        if getattr(request.accepted_renderer, "format", None) == "csv":
            raise NotAcceptable(
                _("The description of this endpoint (OPTIONS) is available in JSON only.")
            )
        return super().options(request, *args, **kwargs)

    def finalize_response(
        self, request: Request, response: Any, *args: Any, **kwargs: Any
    ) -> Response:
        # Errors (401, 403, 404, 406) are answered in JSON, also when CSV was asked for.
        renderer = getattr(request, "accepted_renderer", None)
        if response.status_code >= 400 and getattr(renderer, "format", None) == "csv":
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


class RegionalReportApi(CsvReportApi):
    permission_classes = [role_required(*REGIONAL_REPORT_ROLES)]
    renderer_classes = [JSONRenderer, RegionalReportCsvRenderer]

    @extend_schema(
        operation_id="reports_regions_retrieve",
        summary="Regional report of a ROAZ region",
        description=(
            "Per specialism and kind: locations reporting a current figure, locations above the "
            "norm, the median wait, and the capacity offered in the coming 8 weeks in the region "
            "and in its neighbouring regions; the series that did not report in the last NZa "
            "cycle, per provider; the trend (median and percentage above norm) over the last 26 "
            "cycles; the series persistently over the norm (three cycles in a row); and "
            "the catch-up plans of the region's providers per specialism (an insurer sees the "
            "plans addressed to it, the regulator all). "
            "With `?format=csv` (or `Accept: text/csv`) the rows as a CSV table with the columns "
            + ", ".join(f"`{column}`" for column in CSV_COLUMNS)
            + "."
        ),
        parameters=[
            OpenApiParameter(
                "code",
                str,
                OpenApiParameter.PATH,
                description="ROAZ region code",
                pattern=REGION_CODE_PATTERN,
            ),
            OpenApiParameter(
                "format",
                str,
                enum=["json", "csv"],
                description="`csv` for the rows as a CSV download",
            ),
        ],
        responses={
            (200, "application/json"): RegionalReportWithPlansSerializer,
            (200, "text/csv"): OpenApiTypes.STR,
        },
    )
    def get(self, request: Request, code: str) -> Response:
        region = get_object_or_404(region_list(), code=code)
        report, data = regional_report_data(region=region, actor=actor_from_request(request))
        if request.accepted_renderer.format == RegionalReportCsvRenderer.format:
            filename = regional_report_csv_filename(report)
            return Response(
                data, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
            )
        return Response(data)
