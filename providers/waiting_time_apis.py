"""Waiting-time reporting in the API (DESIGN §8): for a provider's planners and its systems (a
provider API key acts as planner).

``POST /api/v1/waiting-times/`` takes one object or a list, stored all or nothing; errors come in
DRF's shape (a dict of field errors; for a list, the field errors of each failing item keyed by its
position from 0, as DRF answers list errors itself). A location of another
provider is refused with the same message as one that does not exist, and nothing is stored.
``POST /api/v1/waiting-times/import/`` takes a CSV file and answers ``{"imported": n}`` or
``{"errors": [{"row", "field", "message"}]}``.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts.actors import actor_from_request
from accounts.models import Role
from accounts.permissions import role_required
from providers.models import MAX_PLAUSIBLE_WAIT_DAYS, ReportSource, WaitingTimeKind
from providers.services.waiting_times import (
    MAX_IMPORT_BYTES,
    ResolvedWaitingTimeRow,
    RowError,
    WaitingTimeReportErrors,
    WaitingTimeRow,
    row_errors_truncate,
    waiting_time_reports_import,
    waiting_time_reports_record,
)

# One request carries at most this many figures (a year of biweekly figures for ~400 series);
# larger sets go through the CSV import.
MAX_ITEMS_PER_REQUEST = 10_000


class RangeDocumentedIntegerField(serializers.IntegerField):
    """An integer whose range the schema shows but the service checks, so that a negative or
    absurd wait is reported together with every other error of the submission."""

    def __init__(self, *, documented_range: tuple[int, int], **kwargs: Any):
        super().__init__(**kwargs)
        self.min_value, self.max_value = documented_range


class WaitingTimeReportInputSerializer(serializers.Serializer):
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
    reference_date = serializers.DateField(help_text="Peildatum (not in the future)")


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


def _as_rows(items: list[dict[str, Any]]) -> list[WaitingTimeRow]:
    """Rows numbered by their position in the list, from 0, like DRF's list errors."""
    return [
        WaitingTimeRow(
            row=position,
            location=item["location"],
            kind=item["kind"],
            specialism=item["specialism"],
            treatment=item["treatment"],
            days=item["days"],
            insufficient_observations=item["insufficient_observations"],
            reference_date=item["reference_date"],
        )
        for position, item in enumerate(items)
    ]


def _field_errors(errors: list[RowError]) -> dict[int, dict[str, list[str]]]:
    """Row errors as field errors per item position."""
    shaped: dict[int, dict[str, list[str]]] = {}
    for error in errors:
        if error["row"] is not None:
            key = error["field"] or api_settings.NON_FIELD_ERRORS_KEY
            shaped.setdefault(error["row"], {}).setdefault(key, []).append(error["message"])
    return shaped


def _list_errors(shaped: dict[int, dict[str, list[str]]], *, count: int) -> Any:
    """The errors of a list in the shape DRF gives its own list errors: a dict keyed by the
    positions of the failing items (DRF >= 3.16's default), or one dict per item."""
    if api_settings.LIST_SERIALIZER_ERRORS_AS_DICT:
        return shaped
    return [shaped.get(position, {}) for position in range(count)]


def _output(rows: list[ResolvedWaitingTimeRow]) -> list[dict[str, Any]]:
    return list(WaitingTimeReportOutputSerializer(rows, many=True).data)


WAITING_TIME_INPUT = PolymorphicProxySerializer(
    component_name="WaitingTimeReportSubmission",
    serializers=[
        WaitingTimeReportInputSerializer,
        WaitingTimeReportInputSerializer(many=True),
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


class WaitingTimeReportCreateApi(APIView):
    """Report waiting times: one object, or a list stored all or nothing."""

    permission_classes = [role_required(Role.PLANNER)]
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="waiting_times_create",
        request=WAITING_TIME_INPUT,
        responses={201: WAITING_TIME_OUTPUT},
        description=(
            "One waiting-time figure, or a list of them stored all or nothing. Re-reporting the "
            "same location, kind, specialism or treatment and peildatum corrects it (the previous "
            "value stays in the history). Answers the stored figures (an object for an object, a "
            "list for a list)."
        ),
    )
    def post(self, request: Request) -> Response:
        data = request.data
        many = isinstance(data, list)
        if not many and not isinstance(data, dict):
            return Response(
                {"non_field_errors": [_("Send one object or a list of objects.")]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if many and len(data) > MAX_ITEMS_PER_REQUEST:
            return Response(
                {
                    "non_field_errors": [
                        _("Send at most %(count)s figures per request; use the CSV import.")
                        % {"count": MAX_ITEMS_PER_REQUEST}
                    ]
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        serializer = (
            WaitingTimeReportInputSerializer(data=data, many=True, allow_empty=False)
            if many
            else WaitingTimeReportInputSerializer(data=data)
        )
        serializer.is_valid(raise_exception=True)
        items = serializer.validated_data if many else [serializer.validated_data]
        try:
            result = waiting_time_reports_record(
                rows=_as_rows(items), actor=actor_from_request(request), source=ReportSource.API
            )
        except WaitingTimeReportErrors as exc:
            shaped = _field_errors(exc.errors)
            return Response(
                _list_errors(shaped, count=len(items)) if many else shaped.get(0, {}),
                status=status.HTTP_400_BAD_REQUEST,
            )
        stored = _output(result.rows)
        return Response(stored if many else stored[0], status=status.HTTP_201_CREATED)


class WaitingTimeImportApi(APIView):
    """Import a CSV file of waiting times, all or nothing."""

    permission_classes = [role_required(Role.PLANNER)]
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="waiting_times_import",
        request={"multipart/form-data": WaitingTimeImportInputSerializer},
        responses={
            201: WaitingTimeImportOutputSerializer,
            400: OpenApiResponse(
                WAITING_TIME_IMPORT_ERRORS,
                description="Row errors (nothing was stored); a missing or too large file is "
                'reported the same way, with `row` null and `field` "file".',
            ),
        },
        description=(
            "A CSV file in our layout (UTF-8, comma or semicolon, header `location,specialism,"
            "treatment,kind,days,insufficient_observations,reference_date`) or the NZa open-data "
            "layout (`;`, ISO-8859-1). All or nothing: one bad row and nothing is stored; every "
            "error names the file's line (header = line 1) and column."
        ),
    )
    def post(self, request: Request) -> Response:
        serializer = WaitingTimeImportInputSerializer(data=request.data)
        if not serializer.is_valid():
            # A missing or too large file is answered in the same shape as the row errors.
            errors = [
                {"row": None, "field": field_name, "message": str(message)}
                for field_name, messages in serializer.errors.items()
                for message in messages
            ]
            return Response({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)
        upload = serializer.validated_data["file"]
        try:
            result = waiting_time_reports_import(
                data=upload.read(), actor=actor_from_request(request)
            )
        except WaitingTimeReportErrors as exc:
            return Response(
                {"errors": row_errors_truncate(exc.errors)}, status=status.HTTP_400_BAD_REQUEST
            )
        return Response({"imported": result.total}, status=status.HTTP_201_CREATED)
