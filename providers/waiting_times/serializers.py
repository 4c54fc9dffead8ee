"""Input and output of the waiting-time reporting API (``providers.waiting_times.apis``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import PolymorphicProxySerializer, inline_serializer
from rest_framework import serializers

from core.serializers import InputSerializer
from providers.models import MAX_PLAUSIBLE_WAIT_DAYS, WaitingTimeImportStatus, WaitingTimeKind
from providers.waiting_times.imports import MAX_IMPORT_BYTES


class RangeDocumentedIntegerField(serializers.IntegerField):
    """An integer whose range the schema shows but the service checks, so that a negative or
    absurd wait is reported together with every other error of the submission."""

    def __init__(self, *, documented_range: tuple[int, int], **kwargs: Any):
        super().__init__(**kwargs)
        self.min_value, self.max_value = documented_range


class WaitingTimeReportInputSerializer(InputSerializer):
    location = serializers.CharField(max_length=64, help_text="Location code (AGB, 8 digits)")
    specialism = serializers.CharField(
        max_length=64,
        required=False,
        allow_null=True,
        allow_blank=True,
        default=None,
        help_text="Specialism code (Vektis COD016, e.g. 0305). Required for first_visit and "
        "diagnostics; for a treatment it is the treatment's specialism and may be left out.",
    )
    treatment = serializers.CharField(
        max_length=64,
        required=False,
        allow_null=True,
        allow_blank=True,
        default=None,
        help_text="Treatment code; null unless kind is treatment.",
    )
    kind = serializers.ChoiceField(choices=WaitingTimeKind.choices)
    days = RangeDocumentedIntegerField(
        required=False,
        allow_null=True,
        default=None,
        documented_range=(0, MAX_PLAUSIBLE_WAIT_DAYS),
        help_text="Wait in calendar days; null with insufficient_observations.",
    )
    insufficient_observations = serializers.BooleanField(required=False, default=False)
    reference_date = serializers.DateField(help_text="Peildatum (not in the future, from 1900 on)")


class WaitingTimeReportOutputSerializer(serializers.Serializer):
    location = serializers.CharField(source="location_code")
    specialism = serializers.CharField(source="specialism_code")
    treatment = serializers.CharField(source="treatment_code", allow_null=True)
    kind = serializers.ChoiceField(choices=WaitingTimeKind.choices)
    days = serializers.IntegerField(allow_null=True)
    insufficient_observations = serializers.BooleanField()
    reference_date = serializers.DateField()


class WaitingTimeImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="CSV: our columns (location, specialism, treatment, kind, days, "
        "insufficient_observations, reference_date) or the NZa open-data layout."
    )

    def validate_file(self, value: Any) -> Any:
        if value.size > MAX_IMPORT_BYTES:
            raise serializers.ValidationError(
                _("The file is larger than %(size)s MB.") % {"size": MAX_IMPORT_BYTES // 2**20}
            )
        return value


class WaitingTimeImportOutputSerializer(serializers.Serializer):
    imported = serializers.IntegerField()


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text="Line of the file (header = 1)")
    field = serializers.CharField(allow_null=True, help_text="Column name")
    message = serializers.CharField()


# ("errors" cannot be a declared field: it is the name of Serializer.errors.)
WAITING_TIME_IMPORT_ERRORS = inline_serializer(
    name="WaitingTimeImportErrors", fields={"errors": RowErrorSerializer(many=True)}
)


# The status of an import that runs in the task queue (``WaitingTimeImport``). Made by
# inline_serializer, whose fields may include "errors" (see above); the class serialises a job.
WAITING_TIME_IMPORT_STATUS = inline_serializer(
    name="WaitingTimeImportStatus",
    fields={
        "id": serializers.IntegerField(),
        "url": serializers.HyperlinkedIdentityField(
            view_name="api-waiting-times-import-status",
            help_text="This status (GET it until `status` is succeeded or failed)",
        ),
        "file_name": serializers.CharField(),
        "status": serializers.ChoiceField(choices=WaitingTimeImportStatus.choices),
        "progress": serializers.IntegerField(min_value=0, max_value=100, help_text="Percent"),
        "imported": serializers.IntegerField(help_text="Rows imported (0 until it succeeded)"),
        "counts": serializers.DictField(
            child=serializers.IntegerField(),
            help_text="Of a succeeded import: `created` (new peildatums), `updated` (corrections, "
            "the old value kept in the history), `unchanged`; empty otherwise",
        ),
        "errors": RowErrorSerializer(
            many=True,
            help_text="Of a failed import: the row errors (at most 500, then how many more); "
            "nothing was stored",
        ),
        "created_at": serializers.DateTimeField(),
        "finished_at": serializers.DateTimeField(allow_null=True),
    },
)


# One request carries at most this many figures (a year of biweekly figures for ~400 series);
# larger sets go through the CSV import.
MAX_ITEMS_PER_REQUEST = 10_000
WAITING_TIME_INPUT = PolymorphicProxySerializer(
    component_name="WaitingTimeReportSubmission",
    serializers=[
        WaitingTimeReportInputSerializer,
        WaitingTimeReportInputSerializer(
            many=True,
            min_length=1,  # type: ignore[call-arg]  # ListSerializer's, DRF >= 3.14
            max_length=MAX_ITEMS_PER_REQUEST,  # type: ignore[call-arg]
        ),
    ],
    resource_type_field_name=None,
    many=False,
)
WAITING_TIME_OUTPUT = PolymorphicProxySerializer(
    component_name="WaitingTimeReportStored",
    serializers=[
        WaitingTimeReportOutputSerializer,
        WaitingTimeReportOutputSerializer(many=True),
    ],
    resource_type_field_name=None,
    many=False,
)
