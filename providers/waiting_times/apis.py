"""Waiting-time reporting in the API (DESIGN §8): for a provider's planners and its systems (a
provider API key acts as planner).

``POST /api/v1/waiting-times/`` takes one object or a list, stored all or nothing; errors come in
DRF's shape (a dict of field errors; for a list, the field errors of each failing item keyed by its
position from 0, as DRF answers list errors itself). A location of another
provider is refused with the same message as one that does not exist, and nothing is stored.
``POST /api/v1/waiting-times/import/`` takes a CSV file and answers ``{"imported": n}`` or
``{"errors": [{"row", "field", "message"}]}``; a file larger than
``settings.WAITING_TIME_IMPORT_SYNC_MAX_BYTES`` goes to the task queue, as the web upload does, and
is answered 202 with the import's status, which ``GET /api/v1/waiting-times/imports/{id}/`` gives
(the provider's own imports; another's is 404).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts.actors import actor_from_request
from accounts.models import Role
from accounts.permissions import role_required
from core.parsers import DepthLimitedJSONParser
from providers.models import ReportSource, WaitingTimeImport
from providers.permissions import access_waiting_time_import_for
from providers.waiting_times.csv_reader import RowError, WaitingTimeRow
from providers.waiting_times.imports import waiting_time_import_start, waiting_time_reports_import
from providers.waiting_times.serializers import (
    MAX_ITEMS_PER_REQUEST,
    WAITING_TIME_IMPORT_ERRORS,
    WAITING_TIME_IMPORT_STATUS,
    WAITING_TIME_INPUT,
    WAITING_TIME_OUTPUT,
    WaitingTimeImportInputSerializer,
    WaitingTimeImportOutputSerializer,
    WaitingTimeReportInputSerializer,
    WaitingTimeReportOutputSerializer,
)
from providers.waiting_times.storage import waiting_time_reports_record
from providers.waiting_times.validation import ResolvedWaitingTimeRow, WaitingTimeReportErrors


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


class WaitingTimeReportCreateApi(APIView):
    """Report waiting times: one object, or a list stored all or nothing."""

    permission_classes = [role_required(Role.PLANNER)]
    parser_classes = [DepthLimitedJSONParser]

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


def _import_status(job: WaitingTimeImport, request: Request) -> dict[str, Any]:
    return dict(type(WAITING_TIME_IMPORT_STATUS)(job, context={"request": request}).data)


class WaitingTimeImportApi(APIView):
    """Import a CSV file of waiting times, all or nothing; a large file in the task queue."""

    permission_classes = [role_required(Role.PLANNER)]
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="waiting_times_import",
        request={"multipart/form-data": WaitingTimeImportInputSerializer},
        responses={
            201: WaitingTimeImportOutputSerializer,
            202: OpenApiResponse(
                WAITING_TIME_IMPORT_STATUS,
                description="A large file is imported in the task queue: the import's status "
                "(`url`, also in the Location header; GET it until `status` is succeeded or "
                "failed).",
            ),
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
            "error names the file's line (header = line 1) and column (at most 500 errors, then "
            "how many more). A file of at most `WAITING_TIME_IMPORT_SYNC_MAX_BYTES` (default "
            "5 MiB) is imported while the client waits (201 or 400); a larger one (up to 50 MB) "
            "goes to the task queue and is answered 202 with the import's status, whose `url` "
            "tells the outcome: `succeeded` with `counts`, or `failed` with the row `errors`."
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
        actor = actor_from_request(request)
        if upload.size > settings.WAITING_TIME_IMPORT_SYNC_MAX_BYTES:
            # Started when this block commits; with eager tasks (the embedded default) it has run
            # by the time the block ends, and the answer shows its outcome.
            with transaction.atomic():
                job = waiting_time_import_start(
                    actor=actor, file_name=upload.name, file=upload, language=get_language() or ""
                )
            job.refresh_from_db()
            answer = _import_status(job, request)
            return Response(
                answer, status=status.HTTP_202_ACCEPTED, headers={"Location": answer["url"]}
            )
        try:
            result = waiting_time_reports_import(file=upload, actor=actor)
        except WaitingTimeReportErrors as exc:
            return Response({"errors": exc.reported()}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"imported": result.total}, status=status.HTTP_201_CREATED)


class WaitingTimeImportStatusApi(APIView):
    """The status of one of the provider's CSV imports (API or web upload)."""

    permission_classes = [role_required(Role.PLANNER)]

    @extend_schema(
        operation_id="waiting_times_import_status",
        responses={200: WAITING_TIME_IMPORT_STATUS},
        description=(
            "An import of the provider's own (sent to the API as a large file, or uploaded on the "
            "web page): `status` pending, running, succeeded (with `counts`) or failed (with the "
            "row `errors`; nothing was stored), and its `progress` in percent. Another "
            "provider's import is 404."
        ),
    )
    def get(self, request: Request, pk: int) -> Response:
        job = access_waiting_time_import_for(actor=actor_from_request(request), pk=pk)
        return Response(_import_status(job, request))
