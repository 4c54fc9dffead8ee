"""Serialisers of the plans API (DESIGN §8): one input and one output serialiser per endpoint.

Months are ``"YYYY-MM"``, the provider is its AGB code and the insurer its UZOVI code. The
regulator gets :class:`PlanRegulatorOutputSerializer`: statuses and aggregates, never the text of
a review or the plan's measures.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.selectors import insurer_list
from core.months import month_format
from core.serializers import ClosedSchema, InputSerializer, MonthField
from plans.forecast import Forecast
from plans.models import (
    MAX_VOLUME,
    MEASURE_KEYS,
    MEASURE_MAX_LENGTH,
    Plan,
    PlanStatus,
    PlanTransition,
)
from plans.selectors.plans import LineView
from plans.services.lifecycle import MAX_COMMENT_LENGTH
from plans.services.lines import MAX_LINES
from providers.models import MEDIATED_URGENCY_CLASSES, SPECIALISM_CODE_VALIDATOR
from providers.reference.serializers import CodeRelatedField


def _pace(value: Fraction | None) -> float | None:
    if value is None:
        return None
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


# --- Input --------------------------------------------------------------------------------------
class PlannedVolumeSerializer(InputSerializer):
    month = MonthField()
    volume = serializers.IntegerField(min_value=0, max_value=MAX_VOLUME)


class PlanLineInputSerializer(InputSerializer):
    specialism = serializers.CharField(
        max_length=4,
        validators=[SPECIALISM_CODE_VALIDATOR],
        help_text="Specialism code (Vektis COD016, e.g. 0305)",
    )
    urgency_class = serializers.ChoiceField(
        choices=[(c, str(c)) for c in MEDIATED_URGENCY_CLASSES],
        help_text="Urgency class 3, 4 or 5",
    )
    backlog = serializers.IntegerField(
        min_value=0, max_value=MAX_VOLUME, help_text="Backlog at the start of the period"
    )
    planned = serializers.ListField(
        child=PlannedVolumeSerializer(),
        required=False,
        max_length=60,
        help_text="Planned volume per month",
    )


class MeasuresSerializer(InputSerializer):
    digital_care = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MEASURE_MAX_LENGTH,
        help_text="Digital and hybrid care",
    )
    right_place = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MEASURE_MAX_LENGTH,
        help_text="Right care at the right place, and appropriate care",
    )
    cooperation = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MEASURE_MAX_LENGTH,
        help_text="Cooperation with ZBCs and other providers",
    )
    staff = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MEASURE_MAX_LENGTH,
        help_text="Staff capacity and room for recovery",
    )
    follow_up_care = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MEASURE_MAX_LENGTH,
        help_text="Follow-up care needs (nursing homes, rehabilitation, home care)",
    )


class PlanInputSerializer(InputSerializer):
    """POST /plans/ and PUT/PATCH /plans/{id}/ (PATCH: every field optional)."""

    insurer = CodeRelatedField(
        slug_field="uzovi",
        queryset=insurer_list(),
        help_text="UZOVI code of the insurer the plan is addressed to",
        error_messages={"does_not_exist": _("Unknown insurer."), "invalid": _("Unknown insurer.")},
    )
    period_start = MonthField(
        help_text="First month of the period (YYYY-MM), within 5 years of the current year"
    )
    period_end = MonthField(
        help_text="Last month of the period (YYYY-MM), within 5 years of the current year"
    )
    measures = MeasuresSerializer(required=False)
    lines = serializers.ListField(
        child=PlanLineInputSerializer(), required=False, max_length=MAX_LINES
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("period_start"), attrs.get("period_end")
        if start and end and end < start:
            raise serializers.ValidationError(
                {"period_end": _("The last month cannot be before the first month.")}
            )
        return attrs


class PlanTransitionInputSerializer(InputSerializer):
    """POST /plans/{id}/submit/ and /close/."""

    comment = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=MAX_COMMENT_LENGTH
    )


class PlanReviewInputSerializer(InputSerializer):
    decision = serializers.ChoiceField(choices=["approve", "request_changes"])
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=MAX_COMMENT_LENGTH,
        help_text="Required when requesting changes: what has to change",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["decision"] == "request_changes" and not attrs.get("comment", "").strip():
            raise serializers.ValidationError(
                {"comment": _("Say what has to change: a comment is required.")}
            )
        return attrs


class ProgressLineInputSerializer(InputSerializer):
    specialism = serializers.CharField(max_length=4, validators=[SPECIALISM_CODE_VALIDATOR])
    urgency_class = serializers.ChoiceField(choices=[(c, str(c)) for c in MEDIATED_URGENCY_CLASSES])
    realised = serializers.IntegerField(
        min_value=0, max_value=MAX_VOLUME, help_text="Volume realised in the month"
    )


class PlanProgressInputSerializer(InputSerializer):
    month = MonthField(help_text="The month reported (YYYY-MM); reporting it again corrects it")
    lines = serializers.ListField(
        child=ProgressLineInputSerializer(), min_length=1, max_length=MAX_LINES
    )


# --- Output -------------------------------------------------------------------------------------
class PlanForecastOutputSerializer(serializers.Serializer):
    """The plan's forecast as stored (``plans.forecast``, totals over its lines)."""

    projected_clearance_month = MonthField(
        allow_null=True, help_text="Month in which the whole backlog is cleared at the recent pace"
    )
    on_track = serializers.BooleanField(help_text="Cleared within the period")
    behind = serializers.BooleanField(help_text="Realised volume more than 10 % behind plan")
    last_reported_month = MonthField(allow_null=True)
    backlog = serializers.IntegerField(source="backlog_total")
    realised_to_date = serializers.IntegerField(source="realised_total")
    remaining = serializers.IntegerField(source="remaining_total")


class LineForecastOutputSerializer(serializers.Serializer):
    projected_clearance_month = MonthField(allow_null=True)
    on_track = serializers.BooleanField()
    behind = serializers.BooleanField()
    planned_to_date = serializers.IntegerField()
    realised_to_date = serializers.IntegerField()
    remaining = serializers.IntegerField()
    pace = serializers.SerializerMethodField(help_text="Mean volume of the last 3 reported months")
    basis = serializers.ChoiceField(
        choices=["progress", "plan"],
        help_text="progress: the reported pace; plan: no report yet, the plan's own schedule",
    )

    def get_pace(self, obj: Forecast) -> float | None:
        return _pace(obj.pace)


class RealisedVolumeSerializer(serializers.Serializer):
    month = MonthField()
    realised = serializers.IntegerField()


class PlanLineOutputSerializer(serializers.Serializer):
    specialism = serializers.CharField(source="line.specialism.code")
    urgency_class = serializers.IntegerField(source="line.urgency_class")
    backlog = serializers.IntegerField(source="line.backlog")
    planned = serializers.SerializerMethodField()
    realised = serializers.SerializerMethodField()
    forecast = LineForecastOutputSerializer()

    @extend_schema_field(PlannedVolumeSerializer(many=True))
    def get_planned(self, obj: LineView) -> list[dict[str, Any]]:
        return [
            {"month": month_format(month), "volume": volume}
            for month, volume in sorted(obj.figures.planned.items())
        ]

    @extend_schema_field(RealisedVolumeSerializer(many=True))
    def get_realised(self, obj: LineView) -> list[dict[str, Any]]:
        return [
            {"month": month_format(month), "realised": volume}
            for month, volume in sorted(obj.figures.realised.items())
        ]


class PlanTransitionOutputSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="actor_label")
    organisation = serializers.CharField(source="organisation_label")
    at = serializers.DateTimeField(source="occurred_at")

    class Meta:
        model = PlanTransition
        fields = ["from_status", "to_status", "version", "comment", "by", "organisation", "at"]


class PlanStatusTransitionOutputSerializer(ClosedSchema, serializers.ModelSerializer):
    """A transition without its comment and person (for the regulator)."""

    at = serializers.DateTimeField(source="occurred_at")

    class Meta:
        model = PlanTransition
        fields = ["from_status", "to_status", "version", "at"]


class PlanSummaryOutputSerializer(serializers.ModelSerializer):
    """A plan in lists: who, whom, when, status and forecast."""

    provider = serializers.CharField(source="provider.agb_code", help_text="AGB code")
    provider_name = serializers.CharField(source="provider.name")
    insurer = serializers.CharField(source="insurer.uzovi", help_text="UZOVI code")
    insurer_name = serializers.CharField(source="insurer.name")
    status = serializers.ChoiceField(choices=PlanStatus.choices)
    period_start = MonthField()
    period_end = MonthField()
    forecast = PlanForecastOutputSerializer(source="*")

    class Meta:
        model = Plan
        fields = [
            "id",
            "provider",
            "provider_name",
            "insurer",
            "insurer_name",
            "status",
            "version",
            "period_start",
            "period_end",
            "forecast",
            "created_at",
            "updated_at",
            "submitted_at",
            "decided_at",
        ]
        read_only_fields = fields


class PlanRegulatorOutputSerializer(ClosedSchema, PlanSummaryOutputSerializer):
    """The regulator's view of one plan: statuses and aggregates, no review texts."""

    history = serializers.SerializerMethodField()

    class Meta(PlanSummaryOutputSerializer.Meta):
        fields = [*PlanSummaryOutputSerializer.Meta.fields, "history"]
        read_only_fields = fields

    @extend_schema_field(PlanStatusTransitionOutputSerializer(many=True))
    def get_history(self, obj: Plan) -> Any:
        transitions = obj.transitions.order_by("occurred_at", "id")
        return PlanStatusTransitionOutputSerializer(transitions, many=True).data


class PlanOutputSerializer(PlanSummaryOutputSerializer):
    """One plan in full, for its provider and its insurer (context: ``picture``, the plan's
    lines with their figures from ``plans.selectors.plans.plan_picture``)."""

    measures = serializers.SerializerMethodField()
    lines = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()

    class Meta(PlanSummaryOutputSerializer.Meta):
        fields = [*PlanSummaryOutputSerializer.Meta.fields, "measures", "lines", "history"]
        read_only_fields = fields

    @extend_schema_field(MeasuresSerializer)
    def get_measures(self, obj: Plan) -> dict[str, str]:
        return {key: getattr(obj, key) for key in MEASURE_KEYS}

    @extend_schema_field(PlanLineOutputSerializer(many=True))
    def get_lines(self, obj: Plan) -> Any:
        picture = self.context["picture"]
        return PlanLineOutputSerializer(picture.lines, many=True).data

    @extend_schema_field(PlanTransitionOutputSerializer(many=True))
    def get_history(self, obj: Plan) -> Any:
        transitions = obj.transitions.order_by("occurred_at", "id")
        return PlanTransitionOutputSerializer(transitions, many=True).data
