"""The mediation API (DESIGN §8).

Patients (no account): ``POST /mediation-requests/`` (throttled: ``public_write`` for accepted
requests, ``public_invalid`` for invalid ones), then,
with the secret from its answer in ``X-Access-Token``, their own request, accepting or declining
an offer and withdrawing. A wrong token and an unknown reference are both 404.

Receiving providers (planners, and the provider's API key): the patients who accepted an offer
at one of their locations, with what scheduling needs, and the confirmation of the appointment.

Insurers (mediators, and the insurer's API key acting as mediator): the own insurer's cases, their
matches, offers and closing. Another insurer's case is 404, like a missing one; a role that may not
work cases (a planner, a contract manager) is 403. Every read of a case is audited here, every
change by the services.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotAuthenticated, Throttled
from rest_framework.fields import SkipField
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.actors import actor_from_request
from accounts.models import AuditAction
from accounts.permissions import role_required
from accounts.services import audit_record
from core.filters import refuse_empty_parameters
from core.throttling import RateBudget, ScopedRateThrottle
from mediation.models import Case, CaseStatus, Channel, Offer
from mediation.permissions import (
    access_case_for,
    access_case_offer_for,
    access_incoming_offer_for,
    access_patient_case_for,
    access_patient_offer_for,
)
from mediation.selectors.cases import (
    CASE_ROLES,
    INCOMING_ROLES,
    SEARCH_MAX_LENGTH,
    case_queue_for,
    incoming_offer_list_for,
)
from mediation.selectors.matching import case_matches
from mediation.serializers import (
    CaseCloseInputSerializer,
    CaseDetailOutputSerializer,
    CaseListOutputSerializer,
    CaseOfferInputSerializer,
    CaseOfferOutputSerializer,
    CaseUpdateInputSerializer,
    IncomingConfirmInputSerializer,
    IncomingOutputSerializer,
    MatchOutputSerializer,
    MediationRequestCreatedSerializer,
    MediationRequestInputSerializer,
    MediationRequestOutputSerializer,
    MediationRequestWithdrawInputSerializer,
    OfferAnswerInputSerializer,
    OfferDeclineInputSerializer,
    PatientOfferOutputSerializer,
)
from mediation.services.case_edit import case_update
from mediation.services.cases import (
    CASE_REQUEST_CHECKED_FIELDS,
    case_close,
    case_create,
    case_request_check,
    case_withdraw,
)
from mediation.services.offers import (
    appointment_confirm,
    offer_accept,
    offer_answer_record,
    offer_decline,
    offer_make,
    offers_lapse,
)

ACCESS_TOKEN_HEADER = "X-Access-Token"  # noqa: S105 - a header name, not a secret
ACCESS_TOKEN_PARAMETER = OpenApiParameter(
    ACCESS_TOKEN_HEADER,
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="The secret `access_token` from the answer to POST /api/v1/mediation-requests/",
)
REFERENCE_PARAMETER = OpenApiParameter(
    "reference",
    str,
    OpenApiParameter.PATH,
    description="Case reference, e.g. ZB-2026-000123",
    pattern=r"^ZB-\d{4}-\d{6}$",
)
CASE_OBJECT_TYPE = "mediation.case"
SEARCH_HELP = (
    "Free text, case-insensitive, over reference, name, policy number and email address; "
    "every word must occur (a whole reference is looked up exactly)"
)


def _patient_case(request: Request, reference: str) -> Case:
    """The patient's case; no token at all is 401 (missing credentials, DESIGN §8) whatever the
    reference, a wrong one 404 like an unknown reference."""
    token = request.headers.get(ACCESS_TOKEN_HEADER, "")
    if not token.strip():
        raise NotAuthenticated(_("Send the access token of the request in X-Access-Token."))
    return access_patient_case_for(reference=reference, token=token)


class _PatientApi(APIView):
    """Reached with the case's access token only; no staff credentials are needed."""

    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "public"


# --- Patients ------------------------------------------------------------------------------------
def _readable_values(serializer: serializers.Serializer, data: Any) -> dict[str, Any]:
    """Each field's value where the field alone could read it, ``None`` where it could not:
    what the service's rules judge when the body as a whole is invalid."""
    values: dict[str, Any] = {}
    if not isinstance(data, dict):
        return values
    for name, field in serializer.fields.items():
        try:
            values[name] = field.run_validation(field.get_value(data))
        except (serializers.ValidationError, SkipField):
            values[name] = None
    return values


class MediationRequestCreateApi(_PatientApi):
    """Every error of the body at once: the type checks and the service's rules in one answer
    (issue 13). Only an accepted request spends ``public_write`` (shared with the web form); an
    invalid one spends the looser ``public_invalid``, and once that is used up invalid requests
    get 429 without their errors."""

    throttle_scope = "public"

    @extend_schema(
        operation_id="mediation_requests_create",
        summary="Ask for mediation",
        description=(
            "A patient's mediation request (channel `api`). Urgency classes 1 and 2 are refused "
            "with a message that sends the patient to the treating specialist, the GP or the "
            "huisartsenpost; consent is required; the postcode must exist. A 400 names every "
            "field in error at once. The answer carries the secret `access_token` (shown only "
            "here) for `X-Access-Token`. Throttled per client: accepted requests "
            "(`THROTTLE_PUBLIC_WRITE_RATE`, shared with the web form) and, more loosely, "
            "invalid ones (`THROTTLE_PUBLIC_INVALID_RATE`)."
        ),
        request=MediationRequestInputSerializer,
        responses={status.HTTP_201_CREATED: MediationRequestCreatedSerializer},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = MediationRequestInputSerializer(data=request.data)
        valid = serializer.is_valid()
        errors: dict[str, Any] = {} if valid else dict(serializer.errors)
        values = serializer.validated_data if valid else _readable_values(serializer, request.data)
        if isinstance(request.data, dict):
            try:
                case_request_check(
                    channel=Channel.API,
                    today=timezone.localdate(),
                    **{name: values.get(name) for name in CASE_REQUEST_CHECKED_FIELDS},
                )
            except DjangoValidationError as exc:
                for field, messages in exc.message_dict.items():
                    errors.setdefault(field, messages)
        if errors:
            invalid_budget = RateBudget("public_invalid")
            if invalid_budget.exhausted(request):
                raise Throttled(wait=invalid_budget.wait())
            invalid_budget.spend(request)
            raise serializers.ValidationError(errors)
        write_budget = RateBudget("public_write")
        if write_budget.exhausted(request):
            raise Throttled(wait=write_budget.wait())
        case, token = case_create(channel=Channel.API, **serializer.validated_data)
        write_budget.spend(request)
        return Response(
            MediationRequestCreatedSerializer(
                {"reference": case.reference, "access_token": token, "status": case.status}
            ).data,
            status=status.HTTP_201_CREATED,
        )


class MediationRequestDetailApi(_PatientApi):
    @extend_schema(
        operation_id="mediation_requests_retrieve",
        summary="The patient's own request and its offers",
        parameters=[REFERENCE_PARAMETER, ACCESS_TOKEN_PARAMETER],
        responses=MediationRequestOutputSerializer,
        auth=[],
    )
    def get(self, request: Request, reference: str) -> Response:
        case = _patient_case(request, reference)
        offers_lapse(case=case, now=timezone.now())
        return Response(MediationRequestOutputSerializer(case).data)


class OfferAcceptApi(_PatientApi):
    @extend_schema(
        operation_id="mediation_requests_offers_accept",
        summary="Accept an offer",
        description="The case's other open offers are withdrawn.",
        parameters=[REFERENCE_PARAMETER, ACCESS_TOKEN_PARAMETER],
        request=None,
        responses=PatientOfferOutputSerializer,
        auth=[],
    )
    def post(self, request: Request, reference: str, pk: int) -> Response:
        case = _patient_case(request, reference)
        offer = offer_accept(case=case, offer=access_patient_offer_for(case=case, pk=pk))
        return Response(PatientOfferOutputSerializer(offer).data)


class OfferDeclineApi(_PatientApi):
    @extend_schema(
        operation_id="mediation_requests_offers_decline",
        summary="Decline an offer, saying why",
        parameters=[REFERENCE_PARAMETER, ACCESS_TOKEN_PARAMETER],
        request=OfferDeclineInputSerializer,
        responses=PatientOfferOutputSerializer,
        auth=[],
    )
    def post(self, request: Request, reference: str, pk: int) -> Response:
        case = _patient_case(request, reference)
        offer = access_patient_offer_for(case=case, pk=pk)
        serializer = OfferDeclineInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        offer = offer_decline(case=case, offer=offer, reason=serializer.validated_data["reason"])
        return Response(PatientOfferOutputSerializer(offer).data)


class MediationRequestWithdrawApi(_PatientApi):
    @extend_schema(
        operation_id="mediation_requests_withdraw",
        summary="Withdraw the request",
        description="The case is closed with outcome `withdrawn`; open offers are withdrawn.",
        parameters=[REFERENCE_PARAMETER, ACCESS_TOKEN_PARAMETER],
        request=MediationRequestWithdrawInputSerializer,
        responses=MediationRequestOutputSerializer,
        auth=[],
    )
    def post(self, request: Request, reference: str) -> Response:
        case = _patient_case(request, reference)
        serializer = MediationRequestWithdrawInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case = case_withdraw(case=case, reason=serializer.validated_data["reason"])
        return Response(MediationRequestOutputSerializer(case).data)


# --- Insurers ------------------------------------------------------------------------------------
class CaseFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=CaseStatus.choices, required=False)
    specialism = serializers.RegexField(r"^\d{4}$", required=False, help_text="Specialism code")
    urgency_class = serializers.IntegerField(min_value=3, max_value=5, required=False)
    overdue = serializers.BooleanField(
        required=False, default=None, help_text="Only (not) overdue cases"
    )
    search = serializers.CharField(
        required=False, max_length=SEARCH_MAX_LENGTH, help_text=SEARCH_HELP
    )


@extend_schema_view(
    get=extend_schema(
        operation_id="cases_list",
        summary="The own insurer's cases",
        description="Overdue first (no first contact by its due date), then by due date, urgency "
        "class and request date.",
        parameters=[
            OpenApiParameter("status", str, enum=list(CaseStatus.values)),
            OpenApiParameter("specialism", str, description="Specialism code", pattern=r"^\d{4}$"),
            OpenApiParameter("urgency_class", int, enum=[3, 4, 5]),
            OpenApiParameter("overdue", OpenApiTypes.BOOL),
            OpenApiParameter(
                "search",
                {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": SEARCH_MAX_LENGTH,
                    "pattern": r"\S",
                },
                description=SEARCH_HELP,
            ),
        ],
    )
)
class CaseListApi(generics.ListAPIView):
    permission_classes = [role_required(*CASE_ROLES)]
    serializer_class = CaseListOutputSerializer
    filter_backends: list = []

    def get_queryset(self) -> Any:
        offers_lapse(now=timezone.now())  # statuses as the clock has them
        # A plain dict, not the QueryDict: DRF reads form-like data as an HTML form, where a
        # missing boolean is false (it must be "both") and ``null`` would pass as none.
        filters = CaseFilterSerializer(data=self.request.query_params.dict())
        refuse_empty_parameters(self.request.query_params, filters.fields)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        return case_queue_for(
            actor=actor_from_request(self.request),
            today=timezone.localdate(),
            statuses=[data["status"]] if data.get("status") else None,
            specialism_code=data.get("specialism"),
            urgency_class=data.get("urgency_class"),
            overdue=data.get("overdue"),
            search=data.get("search", ""),
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        references = [row["reference"] for row in response.data["results"]]
        if references:
            audit_record(
                actor=actor_from_request(request),
                action=AuditAction.LIST,
                object_type=CASE_OBJECT_TYPE,
                request=request,
                detail={"page": "api_cases", "references": references},
            )
        return response


class _CaseApi(APIView):
    permission_classes = [role_required(*CASE_ROLES)]

    def case(self, request: Request, reference: str, *, page: str) -> Case:
        actor = actor_from_request(request)
        case = access_case_for(actor=actor, reference=reference, request=request)
        audit_record(
            actor=actor,
            action=AuditAction.VIEW,
            obj=case,
            case_reference=case.reference,
            request=request,
            detail={"page": page},
        )
        return case


def _case_detail(request: Request, case: Case) -> Any:
    # Again through the queue, for its ``is_overdue``.
    case = case_queue_for(actor=actor_from_request(request), today=timezone.localdate()).get(
        pk=case.pk
    )
    return CaseDetailOutputSerializer(case).data


class CaseDetailApi(_CaseApi):
    @extend_schema(
        operation_id="cases_retrieve",
        summary="One case with its offers and timeline",
        parameters=[REFERENCE_PARAMETER],
        responses=CaseDetailOutputSerializer,
    )
    def get(self, request: Request, reference: str) -> Response:
        case = self.case(request, reference, page="api_case")
        offers_lapse(case=case, now=timezone.now())
        return Response(_case_detail(request, case))

    @extend_schema(
        operation_id="cases_partial_update",
        summary="Correct a case's details",
        description=(
            "Correct the patient's contact details, postcode, travel distance, appointment at "
            "the current provider, the need for a hospital setting or the urgency class, with a "
            "`note` for the timeline (required when the urgency class changes). Values are "
            "checked as at intake. Only open cases; audited (the fields, not their values)."
        ),
        parameters=[REFERENCE_PARAMETER],
        request=CaseUpdateInputSerializer,
        responses=CaseDetailOutputSerializer,
    )
    def patch(self, request: Request, reference: str) -> Response:
        actor = actor_from_request(request)
        case = access_case_for(actor=actor, reference=reference, request=request)
        serializer = CaseUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        note = changes.pop("note", "")
        case_update(case=case, actor=actor, changes=changes, note=note, request=request)
        return Response(_case_detail(request, case))


class CaseMatchesApi(_CaseApi):
    @extend_schema(
        operation_id="cases_matches_list",
        summary="Ranked matches of a case",
        description=(
            "Locations that can help the patient sooner, best first (for urgency class 3 those "
            "inside the 42-day window first, then contracted, days gained, distance), each with "
            "its reasons. When the patient has waited past the expected moment of care without "
            "an appointment date, the remaining wait is unknown: candidates are then within the "
            "Treeknorm maximum and shorter than the current location's published wait, and "
            "`days_gained` is null. Empty for a case that is accepted or finished."
        ),
        parameters=[REFERENCE_PARAMETER],
        responses=MatchOutputSerializer(many=True),
    )
    def get(self, request: Request, reference: str) -> Response:
        case = self.case(request, reference, page="api_matches")
        if case.status not in (CaseStatus.SUBMITTED, CaseStatus.IN_PROGRESS, CaseStatus.OFFERED):
            return Response([])
        candidates = case_matches(case=case, today=timezone.localdate())
        return Response(MatchOutputSerializer(candidates, many=True).data)


class CaseOfferCreateApi(_CaseApi):
    @extend_schema(
        operation_id="cases_offers_create",
        summary="Make an offer",
        description=(
            "Offer the patient a location with the expected wait there (`expected_days`), or "
            "reserve one slot of one of its capacity offers (`capacity_offer`; the first working "
            "day of its week not before today is the expected date). An offer that does not "
            "shorten the patient's wait is refused (400 on `expected_days` or `capacity_offer`); "
            "one that breaks another matching rule needs `override_reason` (400 naming it and the "
            "rules otherwise). The patient is told by email."
        ),
        parameters=[REFERENCE_PARAMETER],
        request=CaseOfferInputSerializer,
        responses={status.HTTP_201_CREATED: CaseOfferOutputSerializer},
    )
    def post(self, request: Request, reference: str) -> Response:
        actor = actor_from_request(request)
        case = access_case_for(actor=actor, reference=reference, request=request)
        serializer = CaseOfferInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        offer = offer_make(case=case, actor=actor, request=request, **serializer.validated_data)
        return Response(CaseOfferOutputSerializer(offer).data, status=status.HTTP_201_CREATED)


class CaseOfferAnswerApi(_CaseApi):
    @extend_schema(
        operation_id="cases_offers_answer",
        summary="Record the patient's answer taken by phone or letter",
        description=(
            "For patients without email (DESIGN §3.3): the mediator records the answer the "
            "patient gave by phone or letter, with the same rules as the patient's own answer "
            "(an open offer that has not expired; accepting withdraws the case's other open "
            "offers). Audited with the channel; on the timeline as taken by the mediator."
        ),
        parameters=[REFERENCE_PARAMETER],
        request=OfferAnswerInputSerializer,
        responses=CaseOfferOutputSerializer,
    )
    def post(self, request: Request, reference: str, pk: int) -> Response:
        actor = actor_from_request(request)
        case = access_case_for(actor=actor, reference=reference, request=request)
        offer = access_case_offer_for(actor=actor, case=case, pk=pk, request=request)
        serializer = OfferAnswerInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        offer = offer_answer_record(
            case=case, offer=offer, actor=actor, request=request, **serializer.validated_data
        )
        return Response(CaseOfferOutputSerializer(offer).data)


class CaseCloseApi(_CaseApi):
    @extend_schema(
        operation_id="cases_close",
        summary="Close a case with an outcome",
        parameters=[REFERENCE_PARAMETER],
        request=CaseCloseInputSerializer,
        responses=CaseListOutputSerializer,
    )
    def post(self, request: Request, reference: str) -> Response:
        actor = actor_from_request(request)
        case = access_case_for(actor=actor, reference=reference, request=request)
        serializer = CaseCloseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case_close(case=case, actor=actor, request=request, **serializer.validated_data)
        case = case_queue_for(actor=actor, today=timezone.localdate()).get(pk=case.pk)
        return Response(CaseListOutputSerializer(case).data)


# --- Receiving providers -------------------------------------------------------------------------
INCOMING_ID_PARAMETER = OpenApiParameter(
    "id", int, OpenApiParameter.PATH, description="The id of the incoming patient's offer"
)


@extend_schema_view(
    get=extend_schema(
        operation_id="incoming_list",
        summary="Patients coming to the own provider",
        description=(
            "Patients who accepted an offer at one of the provider's locations: those still to be "
            "planned first (earliest expected date first), then those confirmed in the last 30 "
            "days. Only what scheduling needs."
        ),
    )
)
class IncomingListApi(generics.ListAPIView):
    permission_classes = [role_required(*INCOMING_ROLES)]
    serializer_class = IncomingOutputSerializer
    filter_backends: list = []

    def get_queryset(self) -> Any:
        return incoming_offer_list_for(
            actor=actor_from_request(self.request), today=timezone.localdate()
        ).select_related("case__specialism", "case__treatment", "location")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        references = [row["reference"] for row in response.data["results"]]
        if references:
            audit_record(
                actor=actor_from_request(request),
                action=AuditAction.LIST,
                object_type="mediation.offer",
                request=request,
                detail={"page": "api_incoming", "references": references},
            )
        return response


class IncomingConfirmApi(APIView):
    permission_classes = [role_required(*INCOMING_ROLES)]

    @extend_schema(
        operation_id="incoming_confirm",
        summary="Confirm an incoming patient's appointment",
        description=(
            "The date of the appointment planned for the patient (not in the past, at most a "
            "year ahead): the case is completed as placed, with the days gained, and the patient "
            "is told. Another provider's patient is 404."
        ),
        parameters=[INCOMING_ID_PARAMETER],
        request=IncomingConfirmInputSerializer,
        responses=IncomingOutputSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = actor_from_request(request)
        offer = access_incoming_offer_for(actor=actor, pk=pk, request=request)
        serializer = IncomingConfirmInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        offer = appointment_confirm(
            offer=offer,
            actor=actor,
            appointment_date=serializer.validated_data["appointment_date"],
            request=request,
        )
        offer = Offer.objects.select_related("case__specialism", "case__treatment", "location").get(
            pk=offer.pk
        )
        return Response(IncomingOutputSerializer(offer).data)
