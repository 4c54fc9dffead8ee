"""The finance API (DESIGN §8): contracts, arrangements with their settlement, production,
cost claims and payments.

Insurers' contract managers (and insurer API keys, which act as contract manager) write for
their own insurer; providers' planners (and provider keys) read their own. A foreign contract or
arrangement is 404, like a missing one; a role that may only read gets 403 on every write.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import generics, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.actors import actor_from_request
from accounts.permissions import role_required
from core.filters import IntegerFilter
from finance import selectors, services
from finance.models import (
    Arrangement,
    ArrangementKind,
    ArrangementStatus,
    Contract,
    CostClaim,
    Payment,
    ProductionRecord,
)
from finance.permissions import (
    ARRANGEMENT_READ_ROLES,
    ARRANGEMENT_WRITE_ROLES,
    CONTRACT_READ_ROLES,
    CONTRACT_WRITE_ROLES,
    access_arrangement_for,
    access_claim_for,
    access_contract_for,
)
from finance.serializers import (
    MAX_YEAR,
    MIN_YEAR,
    ArrangementDetailOutputSerializer,
    ArrangementInputSerializer,
    ArrangementOutputSerializer,
    ClaimInputSerializer,
    ClaimOutputSerializer,
    ClaimRejectInputSerializer,
    ContractInputSerializer,
    ContractOutputSerializer,
    PaymentInputSerializer,
    PaymentOutputSerializer,
    ProductionInputSerializer,
    ProductionOutputSerializer,
)
from providers.models import AGB_VALIDATOR

READ_ONLY_METHODS = ("GET", "HEAD", "OPTIONS")
NOT_FOUND = OpenApiResponse(description="Unknown, or of another organisation")


class ReadWritePermissions:
    """Readers may GET, writers may also POST."""

    read_roles: tuple[str, ...] = ARRANGEMENT_READ_ROLES
    write_roles: tuple[str, ...] = ARRANGEMENT_WRITE_ROLES

    request: Any

    def get_permissions(self) -> list[BasePermission]:
        roles = self.read_roles if self.request.method in READ_ONLY_METHODS else self.write_roles
        return [role_required(*roles)()]


@extend_schema_field(
    {"type": "integer", "minimum": MIN_YEAR, "maximum": MAX_YEAR, "description": "Contract year"}
)
class YearFilter(IntegerFilter):
    """A contract year: a whole number in the range a contract's year has."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, min_value=MIN_YEAR, max_value=MAX_YEAR, **kwargs)


class ContractFilter(django_filters.FilterSet):
    year = YearFilter(field_name="year")
    provider = django_filters.CharFilter(
        field_name="provider__agb_code", validators=[AGB_VALIDATOR], help_text="AGB code"
    )

    class Meta:
        model = Contract
        fields = ["year", "provider"]


@extend_schema_view(
    get=extend_schema(
        description=(
            "Your organisation's purchase contracts (an insurer's with all its providers, a "
            "provider's with all its insurers), newest year first, with the year's realised "
            "production, volume transfers and headroom."
        )
    )
)
class ContractListCreateApi(ReadWritePermissions, generics.ListAPIView):
    read_roles = CONTRACT_READ_ROLES
    write_roles = CONTRACT_WRITE_ROLES
    serializer_class = ContractOutputSerializer
    filterset_class = ContractFilter

    def get_queryset(self) -> QuerySet[Contract]:
        return selectors.contract_list_with_figures(actor=actor_from_request(self.request))

    @extend_schema(
        request=ContractInputSerializer,
        responses={status.HTTP_201_CREATED: ContractOutputSerializer},
        description=(
            "Record your insurer's purchase contract with a provider for a year. One contract "
            "per insurer, provider and year."
        ),
    )
    def post(self, request: Request) -> Response:
        actor = actor_from_request(request)
        serializer = ContractInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        contract = services.contract_create(
            actor=actor, request=request, **serializer.validated_data
        )
        return Response(_contract_data(actor, contract.pk), status=status.HTTP_201_CREATED)


def _contract_data(actor: Any, pk: int) -> Any:
    return ContractOutputSerializer(
        selectors.contract_list_with_figures(actor=actor).get(pk=pk)
    ).data


class ContractDetailApi(APIView):
    permission_classes = [role_required(*CONTRACT_READ_ROLES)]

    @extend_schema(responses={200: ContractOutputSerializer, 404: NOT_FOUND})
    def get(self, request: Request, pk: int) -> Response:
        actor = actor_from_request(request)
        contract = access_contract_for(actor=actor, pk=pk)
        return Response(_contract_data(actor, contract.pk))


class ArrangementFilter(django_filters.FilterSet):
    year = YearFilter(field_name="contract__year")
    provider = django_filters.CharFilter(
        field_name="contract__provider__agb_code",
        validators=[AGB_VALIDATOR],
        help_text="AGB code",
    )
    kind = django_filters.ChoiceFilter(choices=ArrangementKind.choices)
    status = django_filters.ChoiceFilter(choices=ArrangementStatus.choices)

    class Meta:
        model = Arrangement
        fields = ["year", "provider", "kind", "status"]


def _arrangement(actor: Any, pk: Any) -> Arrangement:
    """The actor's arrangement with its figures (404 when foreign or missing)."""
    access_arrangement_for(actor=actor, pk=pk)
    return selectors.arrangement_list_with_figures(actor=actor).get(pk=pk)


@extend_schema_view(
    get=extend_schema(
        description=(
            "Your organisation's arrangements with what is due, paid and the balance "
            "(`settlement`)."
        )
    )
)
class ArrangementListCreateApi(ReadWritePermissions, generics.ListAPIView):
    serializer_class = ArrangementOutputSerializer
    filterset_class = ArrangementFilter

    def get_queryset(self) -> QuerySet[Arrangement]:
        return selectors.arrangement_list_with_figures(actor=actor_from_request(self.request))

    @extend_schema(
        request=ArrangementInputSerializer,
        responses={status.HTTP_201_CREATED: ArrangementOutputSerializer},
        description=(
            "A draft arrangement on your insurer's contract with the provider for the year (400 "
            "naming `year` when there is no such contract). `coverage_percentage` is required "
            "for a continuity contribution and `budget` for catch-up care and supplementary "
            "agreements; the other kinds leave them null."
        ),
    )
    def post(self, request: Request) -> Response:
        actor = actor_from_request(request)
        serializer = ArrangementInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        arrangement = services.arrangement_create(
            actor=actor, request=request, **serializer.validated_data
        )
        return Response(
            ArrangementOutputSerializer(_arrangement(actor, arrangement.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class ArrangementDetailApi(APIView):
    permission_classes = [role_required(*ARRANGEMENT_READ_ROLES)]

    @extend_schema(responses={200: ArrangementDetailOutputSerializer, 404: NOT_FOUND})
    def get(self, request: Request, pk: int) -> Response:
        arrangement = _arrangement(actor_from_request(request), pk)
        return Response(ArrangementDetailOutputSerializer(arrangement).data)


class ArrangementTransitionApi(APIView):
    permission_classes = [role_required(*ARRANGEMENT_WRITE_ROLES)]
    transition: Any = None

    def post(self, request: Request, pk: int) -> Response:
        actor = actor_from_request(request)
        arrangement = access_arrangement_for(actor=actor, pk=pk)
        type(self).transition(actor=actor, arrangement=arrangement, request=request)
        return Response(ArrangementOutputSerializer(_arrangement(actor, pk)).data)


@extend_schema_view(
    post=extend_schema(
        request=None,
        responses={200: ArrangementOutputSerializer, 404: NOT_FOUND},
        description="draft → agreed. Payments can be booked once an arrangement is agreed.",
    )
)
class ArrangementAgreeApi(ArrangementTransitionApi):
    transition = services.arrangement_agree


@extend_schema_view(
    post=extend_schema(
        request=None,
        responses={200: ArrangementOutputSerializer, 404: NOT_FOUND},
        description=(
            "agreed → settled: fixes what is due and locks the arrangement. Afterwards only "
            "`correction` payments are accepted."
        ),
    )
)
class ArrangementSettleApi(ArrangementTransitionApi):
    transition = services.arrangement_settle


@extend_schema_view(
    get=extend_schema(
        description="The monthly production of the arrangement's contract year (per contract)."
    )
)
class ArrangementProductionApi(ReadWritePermissions, generics.ListAPIView):
    serializer_class = ProductionOutputSerializer
    queryset = ProductionRecord.objects.none()  # for the schema; get_queryset scopes

    def get_queryset(self) -> Any:
        arrangement = access_arrangement_for(
            actor=actor_from_request(self.request), pk=self.kwargs["pk"]
        )
        return selectors.contract_production_list(contract=arrangement.contract)

    @extend_schema(
        request=ProductionInputSerializer,
        responses={
            status.HTTP_201_CREATED: ProductionOutputSerializer,
            status.HTTP_200_OK: ProductionOutputSerializer,
            404: NOT_FOUND,
        },
        description=(
            "Record the realised production of a month of the contract year. Production "
            "belongs to the contract: every arrangement of the contract is settled on it. "
            "Recording a month again replaces its figures (200). Refused once an arrangement "
            "of the contract is settled."
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = actor_from_request(request)
        arrangement = access_arrangement_for(actor=actor, pk=pk)
        serializer = ProductionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record, created = services.production_record(
            actor=actor, contract=arrangement.contract, request=request, **serializer.validated_data
        )
        return Response(
            ProductionOutputSerializer(record).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


@extend_schema_view(get=extend_schema(description="The cost claims of the arrangement."))
class ArrangementClaimsApi(ReadWritePermissions, generics.ListAPIView):
    serializer_class = ClaimOutputSerializer
    queryset = CostClaim.objects.none()  # for the schema; get_queryset scopes

    def get_queryset(self) -> QuerySet[CostClaim]:
        arrangement = access_arrangement_for(
            actor=actor_from_request(self.request), pk=self.kwargs["pk"]
        )
        return arrangement.claims.order_by("created_at", "id")

    @extend_schema(
        request=ClaimInputSerializer,
        responses={status.HTTP_201_CREATED: ClaimOutputSerializer, 404: NOT_FOUND},
        description=(
            "Record a claim for extra costs (meerkosten) under an additional costs arrangement. "
            "`approved`: true approves it, false rejects it (with `rejection_reason`), null "
            "leaves it to be assessed."
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = actor_from_request(request)
        arrangement = access_arrangement_for(actor=actor, pk=pk)
        serializer = ClaimInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        claim = services.cost_claim_submit(
            actor=actor, arrangement=arrangement, request=request, **serializer.validated_data
        )
        return Response(ClaimOutputSerializer(claim).data, status=status.HTTP_201_CREATED)


class ClaimApproveApi(APIView):
    permission_classes = [role_required(*ARRANGEMENT_WRITE_ROLES)]

    @extend_schema(
        request=None,
        responses={200: ClaimOutputSerializer, 404: NOT_FOUND},
        description="Approve a claim (also one rejected before), until the arrangement is settled.",
    )
    def post(self, request: Request, pk: int, claim_pk: int) -> Response:
        actor = actor_from_request(request)
        claim = services.cost_claim_approve(
            actor=actor,
            claim=access_claim_for(actor=actor, arrangement_pk=pk, pk=claim_pk),
            request=request,
        )
        return Response(ClaimOutputSerializer(claim).data)


class ClaimRejectApi(APIView):
    permission_classes = [role_required(*ARRANGEMENT_WRITE_ROLES)]

    @extend_schema(
        request=ClaimRejectInputSerializer,
        responses={200: ClaimOutputSerializer, 404: NOT_FOUND},
        description="Reject a claim, with the reason, until the arrangement is settled.",
    )
    def post(self, request: Request, pk: int, claim_pk: int) -> Response:
        actor = actor_from_request(request)
        claim = access_claim_for(actor=actor, arrangement_pk=pk, pk=claim_pk)
        serializer = ClaimRejectInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        claim = services.cost_claim_reject(
            actor=actor, claim=claim, reason=serializer.validated_data["reason"], request=request
        )
        return Response(ClaimOutputSerializer(claim).data)


@extend_schema_view(get=extend_schema(description="The payments under the arrangement."))
class ArrangementPaymentsApi(ReadWritePermissions, generics.ListAPIView):
    serializer_class = PaymentOutputSerializer
    queryset = Payment.objects.none()  # for the schema; get_queryset scopes

    def get_queryset(self) -> Any:
        arrangement = access_arrangement_for(
            actor=actor_from_request(self.request), pk=self.kwargs["pk"]
        )
        return arrangement.payments.order_by("date", "id")

    @extend_schema(
        request=PaymentInputSerializer,
        responses={status.HTTP_201_CREATED: PaymentOutputSerializer, 404: NOT_FOUND},
        description=(
            "Book a payment to the provider. The arrangement must be agreed; once it is settled "
            "only `correction` payments (positive or negative, never zero) are accepted. "
            "Advances and settlements are more than zero. Payments are never changed."
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = actor_from_request(request)
        arrangement = access_arrangement_for(actor=actor, pk=pk)
        serializer = PaymentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        payment = services.payment_record(
            actor=actor, arrangement=arrangement, request=request, **serializer.validated_data
        )
        return Response(PaymentOutputSerializer(payment).data, status=status.HTTP_201_CREATED)
