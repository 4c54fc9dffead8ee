"""REST endpoints of assignment runs (DESIGN §8 ``/api/v1/assignment-runs/``, issue 16).

Mediators and the insurer's API key only (others 403); a run of another insurer is 404, like a
missing one. Proposals name cases: reading them writes an audit event (the references read).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.actors import Actor, actor_from_request
from accounts.models import AuditAction
from accounts.permissions import role_required
from accounts.services import audit_record, audit_refusal
from core.serializers import InputSerializer
from mediation.assignment_models import AssignmentRun
from mediation.selectors.assignment import assignment_proposal_list, assignment_run_list_for
from mediation.selectors.cases import CASE_ROLES
from mediation.serializers import ReasonOutputSerializer
from mediation.services.assignment import assignment_run_apply, assignment_run_start

ID_PARAMETER = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Run id")


def access_assignment_run_for(*, actor: Actor, pk: int, request: Any) -> AssignmentRun:
    """One of the actor's insurer's runs; 404 (and a ``denied`` event) when missing or foreign."""
    run = assignment_run_list_for(actor=actor).filter(pk=pk).first()
    if run is None:
        audit_refusal(
            actor=actor,
            request=request,
            object_type=AssignmentRun._meta.label_lower,
            object_id=str(pk),
        )
        raise Http404
    return run


class AssignmentRunStartInputSerializer(InputSerializer):
    specialisms = serializers.ListField(
        child=serializers.CharField(max_length=16),
        required=False,
        max_length=200,
        help_text="Specialism codes; left out or empty: every specialism with open cases",
    )
    dry_run = serializers.BooleanField(
        required=False,
        default=True,
        help_text="true (default): only propose; apply later with …/apply/. false: the run "
        "makes its offers by itself once it has finished (starting it is the confirmation)",
    )


class AssignmentRunStartOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()


class AssignmentFiguresSerializer(serializers.Serializer):
    placed = serializers.IntegerField()
    placed_within_norm = serializers.IntegerField()
    days_gained = serializers.IntegerField()
    unassigned = serializers.IntegerField()
    class3_inside_window = serializers.IntegerField()
    capacity_slots = serializers.IntegerField(help_text="Placed in a capacity-offer slot")


FIGURE_FIELDS = (
    "placed",
    "placed_within_norm",
    "days_gained",
    "unassigned",
    "class3_inside_window",
    "capacity_slots",
)


class AssignmentPartSerializer(serializers.Serializer):
    specialism = serializers.CharField(source="specialism.code")
    status = serializers.CharField()
    figures = AssignmentFiguresSerializer(allow_null=True)
    baseline = AssignmentFiguresSerializer(allow_null=True)


class AssignmentRunOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["pending", "running", "succeeded", "failed"])
    progress = serializers.IntegerField(min_value=0, max_value=100, help_text="Percent")
    dry_run = serializers.BooleanField()
    specialisms = serializers.ListField(child=serializers.CharField())
    cases = serializers.IntegerField()
    placed = serializers.IntegerField()
    placed_within_norm = serializers.IntegerField()
    unassigned = serializers.IntegerField()
    days_gained = serializers.IntegerField(help_text="Sum of the known days gained")
    class3_inside_window = serializers.IntegerField()
    baseline = AssignmentFiguresSerializer(
        help_text="The greedy first-come-first-served baseline on the same data"
    )
    per_specialism = AssignmentPartSerializer(many=True)
    applied_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


def _figures(data: dict[str, Any]) -> dict[str, int] | None:
    if not data:
        return None
    return {key: int(data.get(key, 0)) for key in FIGURE_FIELDS}


def run_data(run: AssignmentRun) -> dict[str, Any]:
    figures = run.figures or {}
    return AssignmentRunOutputSerializer(
        {
            "id": run.pk,
            "status": run.status,
            "progress": run.progress,
            "dry_run": run.dry_run,
            "specialisms": run.specialisms,
            **{
                key: int(figures.get(key, 0))
                for key in (
                    "cases",
                    "placed",
                    "placed_within_norm",
                    "unassigned",
                    "days_gained",
                    "class3_inside_window",
                )
            },
            "baseline": _figures(run.baseline or {}) or _figures({"placed": 0}),
            "per_specialism": [
                {
                    "specialism": part.specialism,
                    "status": part.status,
                    "figures": _figures(part.figures),
                    "baseline": _figures(part.baseline),
                }
                for part in run.parts.select_related("specialism").order_by("specialism__code")
            ],
            "applied_at": run.applied_at,
            "created_at": run.created_at,
            "finished_at": run.finished_at,
        }
    ).data


class AssignmentProposalOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    case = serializers.CharField(source="case.reference", help_text="Case reference")
    specialism = serializers.CharField(source="part.specialism.code")
    location = serializers.CharField(
        source="location.code", allow_null=True, help_text="Location code; null: no proposal"
    )
    capacity_offer = serializers.IntegerField(source="capacity_offer_id", allow_null=True)
    expected_days = serializers.IntegerField(allow_null=True)
    days_gained = serializers.IntegerField(allow_null=True)
    within_norm = serializers.BooleanField()
    distance_km = serializers.DecimalField(max_digits=6, decimal_places=1, allow_null=True)
    outside_class3_window = serializers.BooleanField()
    selected = serializers.BooleanField()
    offer = serializers.IntegerField(source="offer_id", allow_null=True)
    skipped_reason = serializers.CharField(allow_blank=True)
    reasons = ReasonOutputSerializer(many=True)

    def to_representation(self, instance: Any) -> Any:
        data = super().to_representation(instance)
        if instance.location_id is None:
            data["location"] = None
        return data


class AssignmentApplyOfferSerializer(serializers.Serializer):
    proposal = serializers.IntegerField()
    case = serializers.CharField()
    offer = serializers.IntegerField()


class AssignmentApplySkippedSerializer(serializers.Serializer):
    proposal = serializers.IntegerField()
    case = serializers.CharField()
    reason = serializers.CharField()


class AssignmentApplyOutputSerializer(serializers.Serializer):
    offers = AssignmentApplyOfferSerializer(many=True)
    skipped = AssignmentApplySkippedSerializer(many=True)


class AssignmentRunCreateApi(APIView):
    permission_classes = [role_required(*CASE_ROLES)]

    @extend_schema(
        operation_id="assignment_runs_create",
        summary="Start an assignment run",
        description=(
            "Allocate the remaining capacity-offer slots to the insurer's open cases at once "
            "(DESIGN §3.7): a min-cost flow per specialism with the lexicographic objective "
            "class-3 window, placed within the Treeknorm, days gained, travel. Runs in the "
            "background: follow it with GET …/{id}/. An unknown specialism is a 400."
        ),
        request=AssignmentRunStartInputSerializer,
        responses={status.HTTP_202_ACCEPTED: AssignmentRunStartOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        actor = actor_from_request(request)
        serializer = AssignmentRunStartInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        run = assignment_run_start(
            actor=actor,
            specialisms=serializer.validated_data.get("specialisms") or None,
            dry_run=serializer.validated_data.get("dry_run", True),
        )
        return Response(
            {"id": run.pk},
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": reverse("api-assignment-run", args=[run.pk])},
        )


class AssignmentRunDetailApi(APIView):
    permission_classes = [role_required(*CASE_ROLES)]

    @extend_schema(
        operation_id="assignment_runs_retrieve",
        summary="An assignment run: status, progress, figures and the baseline's",
        parameters=[ID_PARAMETER],
        responses=AssignmentRunOutputSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        run = access_assignment_run_for(actor=actor_from_request(request), pk=pk, request=request)
        return Response(run_data(run))


class AssignmentProposalListApi(generics.ListAPIView):
    permission_classes = [role_required(*CASE_ROLES)]
    serializer_class = AssignmentProposalOutputSerializer
    filter_backends: list = []

    def get_queryset(self) -> Any:
        actor = actor_from_request(self.request)
        run = access_assignment_run_for(actor=actor, pk=self.kwargs["pk"], request=self.request)
        return assignment_proposal_list(run=run)

    @extend_schema(
        operation_id="assignment_runs_proposals_list",
        summary="The proposals of a run, with their reasons",
        parameters=[ID_PARAMETER],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().get(request, *args, **kwargs)
        references = [row["case"] for row in response.data["results"]]
        if references:
            audit_record(
                actor=actor_from_request(request),
                action=AuditAction.LIST,
                object_type="mediation.case",
                request=request,
                detail={
                    "page": "api_assignment_proposals",
                    "run": kwargs["pk"],
                    "references": references,
                },
            )
        return response


class AssignmentRunApplyApi(APIView):
    permission_classes = [role_required(*CASE_ROLES)]

    @extend_schema(
        operation_id="assignment_runs_apply",
        summary="Apply a run: make its selected proposals' offers",
        description=(
            "Once per finished run: an offer per selected proposal, each reserving its "
            "capacity slot under the row lock and checked against the matching rules again. "
            "A proposal whose slot has gone, whose case is no longer open or has an open "
            "offer, or that no longer meets the rules is skipped and listed in `skipped`. "
            "A run that is not finished, or was applied before, is a 400."
        ),
        request=None,
        parameters=[ID_PARAMETER],
        responses=AssignmentApplyOutputSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = actor_from_request(request)
        run = access_assignment_run_for(actor=actor, pk=pk, request=request)
        result = assignment_run_apply(actor=actor, run=run, request=request)
        return Response(AssignmentApplyOutputSerializer(result).data)
