"""The waiting-list, scan and invitation endpoints (DESIGN §8, issue 15).

* ``POST /waiting-lists/`` (JSON list) and ``POST /waiting-lists/import/`` (CSV): a provider's
  snapshot, all or nothing → 201 ``{"entries", "closed", "duplicates"}`` or 400
  ``{"errors": [{"row", "field", "message"}]}`` (rows: a JSON item's position from 1, a CSV
  file's line with the header as line 1). Planners and the provider's API key.
* ``GET /waiting-lists/``: a provider's own entries; an insurer's mediators (and its API key) see
  their own insured's entries only. Every read is audited (patient data).
* ``POST /proactive-scans/`` → 202 ``{"id"}``; ``GET /proactive-scans/{id}/``: the insurer's own.
* ``GET /invitations/{reference}/`` · ``POST …/accept/`` · ``POST …/decline/``: the patient, with
  the invitation's token in ``X-Access-Token`` (throttled like the other public token endpoints).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotAuthenticated, ParseError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.actors import actor_from_request
from accounts.models import AuditAction, Role
from accounts.permissions import role_required
from accounts.services import audit_record, audit_refusal
from core.throttling import ScopedRateThrottle
from mediation.apis import ACCESS_TOKEN_HEADER
from mediation.waiting_lists.invitations import (
    access_invitation_for,
    invitation_accept,
    invitation_decline,
    invitation_lapse_moment,
    invitation_opened,
)
from mediation.waiting_lists.models import ProactiveScan, ScanTrigger, UploadSource
from mediation.waiting_lists.scan import proactive_scan_start
from mediation.waiting_lists.selectors import waiting_list_entries_for
from mediation.waiting_lists.serializers import (
    InvitationAcceptedSerializer,
    InvitationAcceptInputSerializer,
    InvitationDeclineInputSerializer,
    InvitationOutputSerializer,
    ProactiveScanInputSerializer,
    ProactiveScanOutputSerializer,
    ProactiveScanStartedSerializer,
    WaitingListEntryInputSerializer,
    WaitingListEntryOutputSerializer,
    WaitingListImportInputSerializer,
    WaitingListUploadedSerializer,
)
from mediation.waiting_lists.uploads import (
    MAX_UPLOAD_BYTES,
    WaitingListErrors,
    waiting_list_csv_decode,
    waiting_list_csv_rows,
    waiting_list_upload,
)
from providers.waiting_times.serializers import WAITING_TIME_IMPORT_ERRORS

WAITING_LIST_READERS = (Role.PLANNER, Role.MEDIATOR)
ENTRY_OBJECT_TYPE = "mediation.waitinglistentry"


def _body(request: Request) -> Any:
    """The request's body, a body that cannot be read answered in the row-error shape."""
    try:
        return request.data
    except ParseError as exc:
        raise _unreadable(exc) from None


def _unreadable(exc: ParseError) -> WaitingListErrors:
    return WaitingListErrors([{"row": None, "field": None, "message": str(exc.detail)}])


class _UploadErrorsMixin:
    """A body that cannot be read (also when the session's CSRF check reads it first) is
    answered in the uploads' row-error shape, like every other refusal of a snapshot."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, ParseError):
            exc = _unreadable(exc)
        return super().handle_exception(exc)  # type: ignore[misc]


def _uploaded(upload: Any) -> Response:
    return Response(
        WaitingListUploadedSerializer(
            {"entries": upload.entries, "closed": upload.closed, "duplicates": upload.duplicates}
        ).data,
        status=status.HTTP_201_CREATED,
    )


class WaitingListApi(_UploadErrorsMixin, generics.ListAPIView):
    serializer_class = WaitingListEntryOutputSerializer
    filter_backends: list = []

    def get_permissions(self) -> list:
        if self.request.method == "POST":
            return [role_required(Role.PLANNER)()]
        return [role_required(*WAITING_LIST_READERS)()]

    def get_queryset(self) -> Any:
        return waiting_list_entries_for(
            actor=actor_from_request(self.request),
            include_closed=self.request.query_params.get("status") == "all",
        )

    @extend_schema(
        operation_id="waiting_lists_list",
        summary="Waiting-list entries",
        description=(
            "A provider's own open entries (`?status=all`: closed ones too); an insurer sees its "
            "own insured's entries only. Audited."
        ),
        parameters=[OpenApiParameter("status", str, enum=["open", "all"])],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = self.list(request, *args, **kwargs)
        ids = [row["external_id"] for row in response.data["results"]]
        if ids:
            audit_record(
                actor=actor_from_request(request),
                action=AuditAction.LIST,
                object_type=ENTRY_OBJECT_TYPE,
                request=request,
                detail={"page": "api_waiting_lists", "external_ids": ids},
            )
        return response

    @extend_schema(
        operation_id="waiting_lists_create",
        summary="Upload a waiting-list snapshot (JSON)",
        description=(
            "The provider's consented waiting list as a list of entries: entries present are "
            "created or updated (by `external_id`), the provider's open entries that are missing "
            "are closed (left the list). All or nothing: every row error is answered (rows "
            "counted from 1). `consent_date` is required; urgency classes 3–5 only."
        ),
        request=WaitingListEntryInputSerializer(many=True),
        responses={
            status.HTTP_201_CREATED: WaitingListUploadedSerializer,
            status.HTTP_400_BAD_REQUEST: WAITING_TIME_IMPORT_ERRORS,
        },
    )
    def post(self, request: Request) -> Response:
        data = _body(request)
        if not isinstance(data, list):
            raise WaitingListErrors(
                [{"row": None, "field": None, "message": _("Send a list of entries.")}]
            )
        upload = waiting_list_upload(
            actor=actor_from_request(request),
            rows=list(enumerate(data, start=1)),
            source=UploadSource.API,
            request=request,
        )
        return _uploaded(upload)


class WaitingListImportApi(_UploadErrorsMixin, APIView):
    permission_classes = [role_required(Role.PLANNER)]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="waiting_lists_import",
        summary="Upload a waiting-list snapshot (CSV)",
        description=(
            "A CSV file whose header names the entry fields (comma or semicolon separated, "
            "UTF-8). Same rules as the JSON upload; rows are the file's lines (header = 1)."
        ),
        request={"multipart/form-data": WaitingListImportInputSerializer},
        responses={
            status.HTTP_201_CREATED: WaitingListUploadedSerializer,
            status.HTTP_400_BAD_REQUEST: WAITING_TIME_IMPORT_ERRORS,
        },
    )
    def post(self, request: Request) -> Response:
        _body(request)
        file = request.FILES.get("file")
        if file is None:
            raise WaitingListErrors(
                [{"row": None, "field": "file", "message": _("Send the CSV file as `file`.")}]
            )
        if file.size > MAX_UPLOAD_BYTES:
            raise WaitingListErrors(
                [{"row": None, "field": "file", "message": _("The file is too large.")}]
            )
        text = waiting_list_csv_decode(file.read())
        upload = waiting_list_upload(
            actor=actor_from_request(request),
            rows=waiting_list_csv_rows(text),
            source=UploadSource.CSV,
            file_name=file.name or "",
            request=request,
        )
        return _uploaded(upload)


class ProactiveScanCreateApi(APIView):
    permission_classes = [role_required(Role.MEDIATOR)]

    @extend_schema(
        operation_id="proactive_scans_create",
        summary="Start a proactive scan",
        description="Scans the insurer's open waiting-list entries (optionally some specialisms).",
        request=ProactiveScanInputSerializer,
        responses={status.HTTP_202_ACCEPTED: ProactiveScanStartedSerializer},
    )
    def post(self, request: Request) -> Response:
        serializer = ProactiveScanInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        actor = actor_from_request(request)
        assert actor.organisation is not None
        scan = proactive_scan_start(
            insurer=actor.organisation,
            trigger=ScanTrigger.API,
            actor=actor,
            specialisms=serializer.validated_data.get("specialisms"),
            request=request,
        )
        return Response({"id": scan.pk}, status=status.HTTP_202_ACCEPTED)


class ProactiveScanDetailApi(APIView):
    permission_classes = [role_required(Role.MEDIATOR)]

    @extend_schema(
        operation_id="proactive_scans_retrieve",
        summary="A scan's progress and report",
        responses=ProactiveScanOutputSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        actor = actor_from_request(request)
        scan = ProactiveScan.objects.filter(pk=pk, insurer=actor.organisation).first()
        if scan is None:
            audit_refusal(
                actor=actor,
                request=request,
                object_type="mediation.proactivescan",
                object_id=str(pk),
            )
            raise Http404
        return Response(ProactiveScanOutputSerializer(scan).data)


# --- The patient --------------------------------------------------------------------------------
TOKEN_PARAMETER = OpenApiParameter(
    ACCESS_TOKEN_HEADER,
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="The secret token of the invitation's link",
)
INVITATION_REFERENCE = OpenApiParameter(
    "reference",
    str,
    OpenApiParameter.PATH,
    description="Invitation reference, e.g. UN-7KQ2-M4XD-9TRA",
)


class _InvitationApi(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "public"

    def invitation(self, request: Request, reference: str) -> tuple[Any, str]:
        token = request.headers.get(ACCESS_TOKEN_HEADER, "")
        if not token.strip():
            raise NotAuthenticated(_("Send the invitation's token in X-Access-Token."))
        return access_invitation_for(reference=reference, token=token), token


def _invitation_data(invitation: Any) -> Any:
    invitation.expires_at = invitation_lapse_moment(invitation)
    return InvitationOutputSerializer(invitation).data


class InvitationDetailApi(_InvitationApi):
    @extend_schema(
        operation_id="invitations_retrieve",
        summary="The alternatives offered by an invitation",
        parameters=[INVITATION_REFERENCE, TOKEN_PARAMETER],
        responses=InvitationOutputSerializer,
        auth=[],
    )
    def get(self, request: Request, reference: str) -> Response:
        invitation, _token = self.invitation(request, reference)
        invitation_opened(invitation=invitation)
        return Response(_invitation_data(invitation))


class InvitationAcceptApi(_InvitationApi):
    @extend_schema(
        operation_id="invitations_accept",
        summary="Opt in",
        description=(
            "Opens a mediation case (channel `proactive`) with the chosen alternative (default: "
            "the first). Opting in is consent to share the patient's data with the new provider. "
            "The same token then reads the case (`/mediation-requests/{reference}/`)."
        ),
        parameters=[INVITATION_REFERENCE, TOKEN_PARAMETER],
        request=InvitationAcceptInputSerializer,
        responses={status.HTTP_201_CREATED: InvitationAcceptedSerializer},
        auth=[],
    )
    def post(self, request: Request, reference: str) -> Response:
        invitation, token = self.invitation(request, reference)
        serializer = InvitationAcceptInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case = invitation_accept(
            invitation=invitation, token=token, location=serializer.validated_data.get("location")
        )
        return Response({"case": case.reference}, status=status.HTTP_201_CREATED)


class InvitationDeclineApi(_InvitationApi):
    @extend_schema(
        operation_id="invitations_decline",
        summary="Decline",
        description="An optional `reason`; `no_contact` withdraws consent to be approached.",
        parameters=[INVITATION_REFERENCE, TOKEN_PARAMETER],
        request=InvitationDeclineInputSerializer,
        responses=InvitationOutputSerializer,
        auth=[],
    )
    def post(self, request: Request, reference: str) -> Response:
        invitation, _token = self.invitation(request, reference)
        serializer = InvitationDeclineInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation = invitation_decline(
            invitation=invitation,
            reason=serializer.validated_data["reason"],
            no_contact=serializer.validated_data["no_contact"],
        )
        return Response(_invitation_data(invitation))
