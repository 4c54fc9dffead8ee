"""The plans API (DESIGN §8): create, read, edit and list plans, submit, review, close, and report
progress. Roles decide what may be done (403); which plans exist for the actor is decided by
``plans.permissions`` (others' plans are 404)."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.actors import Actor, actor_from_request
from accounts.models import UZOVI_VALIDATOR
from accounts.permissions import role_required
from core.filters import ApiFilterBackend, BooleanFilter
from plans.inputs import LineInput, ProgressLineInput
from plans.models import MEASURE_KEYS, Plan, PlanStatus
from plans.permissions import (
    PLAN_INSURER_ROLES,
    PLAN_PROVIDER_ROLES,
    PLAN_READ_ROLES,
    PLAN_REGULATOR_ROLES,
    access_plan_for,
    plan_list_for,
)
from plans.selectors.plans import plan_picture
from plans.serializers import (
    PlanInputSerializer,
    PlanOutputSerializer,
    PlanProgressInputSerializer,
    PlanRegulatorOutputSerializer,
    PlanReviewInputSerializer,
    PlanSummaryOutputSerializer,
    PlanTransitionInputSerializer,
)
from plans.services.editing import plan_create, plan_update
from plans.services.lifecycle import plan_close, plan_review, plan_submit
from plans.services.progress import plan_progress_report
from providers.models import AGB_VALIDATOR

# Plan ids are positive integers (a negative number does not even match the URL).
PLAN_ID = OpenApiParameter(
    name="id",
    type={"type": "integer", "minimum": 1},
    location=OpenApiParameter.PATH,
    description="The plan's id",
)

# The regulator reads a plan without its measures, lines and review texts: one of two shapes.
PLAN_BY_ROLE = PolymorphicProxySerializer(
    component_name="PlanByRole",
    serializers=[PlanOutputSerializer, PlanRegulatorOutputSerializer],
    resource_type_field_name=None,
    many=False,
)

READ = role_required(*PLAN_READ_ROLES)
PROVIDER = role_required(*PLAN_PROVIDER_ROLES)
INSURER = role_required(*PLAN_INSURER_ROLES)


def _line_inputs(lines: list[dict[str, Any]]) -> list[LineInput]:
    return [
        LineInput(
            specialism=line["specialism"],
            urgency_class=int(line["urgency_class"]),
            backlog=line["backlog"],
            planned=tuple((item["month"], item["volume"]) for item in line.get("planned", [])),
        )
        for line in lines
    ]


def plan_representation(*, plan: Plan, actor: Actor) -> dict[str, Any]:
    """The plan as this actor may see it: in full, or (regulator) statuses and aggregates."""
    plan = Plan.objects.select_related("provider", "insurer").get(pk=plan.pk)
    if actor.has_role(*PLAN_REGULATOR_ROLES):
        return PlanRegulatorOutputSerializer(plan).data
    return PlanOutputSerializer(plan, context={"picture": plan_picture(plan=plan)}).data


class PlanFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=PlanStatus.choices)
    insurer = django_filters.CharFilter(
        field_name="insurer__uzovi", validators=[UZOVI_VALIDATOR], help_text="UZOVI code"
    )
    provider = django_filters.CharFilter(
        field_name="provider__agb_code", validators=[AGB_VALIDATOR], help_text="AGB code"
    )
    on_track = BooleanFilter(
        help_text="Plans whose backlog is (not) projected to be cleared within their period"
    )

    class Meta:
        model = Plan
        fields = ["status", "insurer", "provider", "on_track"]


class _MethodPermissions:
    """Different roles per HTTP method: ``method_permissions = {"GET": ..., "POST": ...}``."""

    method_permissions: dict[str, type[BasePermission]] = {}

    def get_permissions(self) -> list[BasePermission]:
        permission = self.method_permissions.get(self.request.method or "", READ)  # type: ignore[attr-defined]
        return [permission()]


@extend_schema_view(
    get=extend_schema(
        description=(
            "Plans you may see, newest period first: a provider its own (drafts included), an "
            "insurer those addressed to it once submitted, the regulator every submitted plan "
            "(statuses and aggregates)."
        ),
        responses=PlanSummaryOutputSerializer(many=True),
    )
)
class PlanListCreateApi(_MethodPermissions, generics.ListAPIView):
    method_permissions = {"GET": READ, "POST": PROVIDER}
    serializer_class = PlanSummaryOutputSerializer
    filter_backends = [ApiFilterBackend]
    filterset_class = PlanFilter

    def get_queryset(self):
        return plan_list_for(actor=actor_from_request(self.request)).order_by(
            "-period_start", "provider__name", "pk"
        )

    @extend_schema(
        request=PlanInputSerializer,
        responses={status.HTTP_201_CREATED: PlanOutputSerializer},
        description=(
            "A new draft plan of your provider, addressed to an insurer (`insurer`: UZOVI "
            "code). Lines are unique per specialism × urgency class (3, 4, 5), planned months "
            "lie inside the period, volumes are whole numbers ≥ 0."
        ),
    )
    def post(self, request: Request) -> Response:
        actor = actor_from_request(request)
        serializer = PlanInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        plan = plan_create(
            actor=actor,
            insurer=data["insurer"],
            period_start=data["period_start"],
            period_end=data["period_end"],
            measures=data.get("measures") or {},
            lines=_line_inputs(data.get("lines", [])),
            source="api",
            request=request,
        )
        return Response(plan_representation(plan=plan, actor=actor), status=status.HTTP_201_CREATED)


class PlanDetailApi(_MethodPermissions, APIView):
    method_permissions = {"GET": READ, "PUT": PROVIDER, "PATCH": PROVIDER}

    @extend_schema(
        parameters=[PLAN_ID],
        responses={200: PLAN_BY_ROLE},
        description=(
            "One plan: its provider and its insurer see it in full (lines with planned and "
            "realised volume and forecast, measures, history with comments); the regulator sees "
            "statuses and aggregates only (no measures, lines or review comments)."
        ),
    )
    def get(self, request: Request, pk: int) -> Response:
        actor = actor_from_request(request)
        plan = access_plan_for(actor=actor, pk=pk)
        return Response(plan_representation(plan=plan, actor=actor))

    def _update(self, request: Request, pk: int, *, partial: bool) -> Response:
        actor = actor_from_request(request)
        plan = access_plan_for(actor=actor, pk=pk)
        serializer = PlanInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if partial:
            measures = data.get("measures")
            lines = data.get("lines")
        else:
            measures = {key: (data.get("measures") or {}).get(key, "") for key in MEASURE_KEYS}
            lines = data.get("lines", [])
        plan = plan_update(
            actor=actor,
            plan=plan,
            insurer=data.get("insurer"),
            period_start=data.get("period_start"),
            period_end=data.get("period_end"),
            measures=measures,
            lines=_line_inputs(lines) if lines is not None else None,
            source="api",
            request=request,
        )
        return Response(plan_representation(plan=plan, actor=actor))

    @extend_schema(
        parameters=[PLAN_ID],
        request=PlanInputSerializer,
        responses={200: PlanOutputSerializer},
        description=(
            "Replace a draft or a plan with changes requested: measures and lines not given are "
            "emptied. The insurer can only change while the plan is a draft."
        ),
    )
    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=False)

    @extend_schema(
        parameters=[PLAN_ID],
        request=PlanInputSerializer,
        responses={200: PlanOutputSerializer},
        description=(
            "Change parts of a draft or a plan with changes requested; `lines`, when given, "
            "replaces all lines."
        ),
    )
    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=True)


class PlanSubmitApi(APIView):
    permission_classes = [PROVIDER]

    @extend_schema(
        parameters=[PLAN_ID],
        request=PlanTransitionInputSerializer,
        responses={200: PlanOutputSerializer},
        description=(
            "Send a draft (or a plan with changes requested) to its insurer as a new version. "
            "Needs at least one line."
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = actor_from_request(request)
        plan = access_plan_for(actor=actor, pk=pk)
        serializer = PlanTransitionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        plan = plan_submit(
            actor=actor, plan=plan, comment=serializer.validated_data["comment"], request=request
        )
        return Response(plan_representation(plan=plan, actor=actor))


class PlanReviewApi(APIView):
    permission_classes = [INSURER]

    @extend_schema(
        parameters=[PLAN_ID],
        request=PlanReviewInputSerializer,
        responses={200: PlanOutputSerializer},
        description=(
            "The insurer's decision on a submitted plan: `approve`, or `request_changes` with a "
            "comment saying what has to change."
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = actor_from_request(request)
        plan = access_plan_for(actor=actor, pk=pk)
        serializer = PlanReviewInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        plan = plan_review(
            actor=actor,
            plan=plan,
            decision=serializer.validated_data["decision"],
            comment=serializer.validated_data["comment"],
            request=request,
        )
        return Response(plan_representation(plan=plan, actor=actor))


class PlanCloseApi(APIView):
    permission_classes = [INSURER]

    @extend_schema(
        parameters=[PLAN_ID],
        request=PlanTransitionInputSerializer,
        responses={200: PlanOutputSerializer},
        description="Close an approved plan (its period is over or it is replaced).",
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = actor_from_request(request)
        plan = access_plan_for(actor=actor, pk=pk)
        serializer = PlanTransitionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        plan = plan_close(
            actor=actor, plan=plan, comment=serializer.validated_data["comment"], request=request
        )
        return Response(plan_representation(plan=plan, actor=actor))


class PlanProgressApi(APIView):
    permission_classes = [PROVIDER]

    @extend_schema(
        parameters=[PLAN_ID],
        request=PlanProgressInputSerializer,
        responses={200: PlanOutputSerializer},
        description=(
            "Report the volume realised in one month per line (a month of the period that has "
            "begun; reporting it again corrects it). Answers the plan with its new forecast."
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = actor_from_request(request)
        plan = access_plan_for(actor=actor, pk=pk)
        serializer = PlanProgressInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        plan = plan_progress_report(
            actor=actor,
            plan=plan,
            month=data["month"],
            lines=[
                ProgressLineInput(
                    specialism=line["specialism"],
                    urgency_class=int(line["urgency_class"]),
                    realised=line["realised"],
                )
                for line in data["lines"]
            ],
            source="api",
            request=request,
        )
        return Response(plan_representation(plan=plan, actor=actor))
