"""Capacity offers and scale-down status in the API (DESIGN §8): for a provider's planners and its
systems (a provider API key acts as planner).

A location in the *body* of a request is validated like any other field: a foreign code and an
unknown one both get "Unknown location." (400), so nothing about other providers leaks. A location
in the *path* is 404 when foreign or missing.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.actors import actor_from_request
from accounts.models import Role
from accounts.permissions import role_required
from core.filters import ApiFilterBackend
from providers.capacity.filters import CapacityOfferFilter
from providers.capacity.serializers import (
    CapacityOfferInputSerializer,
    CapacityOfferOutputSerializer,
    LocationStatusInputSerializer,
    LocationStatusOutputSerializer,
)
from providers.capacity.services import (
    capacity_offer_create,
    location_accepted_urgency_classes_set,
)
from providers.models import AGB_PATTERN
from providers.permissions import access_location_for_reporting, capacity_offer_list_for


@extend_schema_view(
    get=extend_schema(
        description=(
            "Your own provider's capacity offers, earliest week first. `remaining` is `slots` "
            "minus the slots mediation has reserved."
        )
    )
)
class CapacityOfferListCreateApi(generics.ListAPIView):
    """The own provider's capacity offers (GET) and a new one (POST)."""

    permission_classes = [role_required(Role.PLANNER)]
    serializer_class = CapacityOfferOutputSerializer
    filter_backends = [ApiFilterBackend]
    filterset_class = CapacityOfferFilter

    def get_queryset(self):
        offers: Any = capacity_offer_list_for(actor=actor_from_request(self.request))
        return offers.with_lapsed_holds(now=timezone.now())

    @extend_schema(
        request=CapacityOfferInputSerializer,
        responses={status.HTTP_201_CREATED: CapacityOfferOutputSerializer},
        description=(
            "Offer free capacity of one of your locations for mediated patients in one week. "
            "One offer per location, specialism, treatment, kind and week: change an existing "
            "offer instead of adding a second."
        ),
    )
    def post(self, request: Request) -> Response:
        actor = actor_from_request(request)
        serializer = CapacityOfferInputSerializer(data=request.data, context={"actor": actor})
        serializer.is_valid(raise_exception=True)
        offer = capacity_offer_create(actor=actor, request=request, **serializer.validated_data)
        return Response(CapacityOfferOutputSerializer(offer).data, status=status.HTTP_201_CREATED)


LOCATION_CODE = OpenApiParameter(
    "code",
    str,
    OpenApiParameter.PATH,
    pattern=AGB_PATTERN,
    description="Code of one of your own locations (AGB, 8 digits)",
)


class LocationStatusApi(APIView):
    """Scale-down status of one of the own provider's locations (DESIGN §3.2)."""

    permission_classes = [role_required(Role.PLANNER)]

    @extend_schema(parameters=[LOCATION_CODE], responses=LocationStatusOutputSerializer)
    def get(self, request: Request, code: str) -> Response:
        location = access_location_for_reporting(actor=actor_from_request(request), code=code)
        return Response(LocationStatusOutputSerializer(location).data)

    @extend_schema(
        parameters=[LOCATION_CODE],
        request=LocationStatusInputSerializer,
        responses=LocationStatusOutputSerializer,
    )
    def put(self, request: Request, code: str) -> Response:
        actor = actor_from_request(request)
        location = access_location_for_reporting(actor=actor, code=code)
        serializer = LocationStatusInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        location = location_accepted_urgency_classes_set(
            actor=actor,
            location=location,
            urgency_classes=serializer.validated_data["accepted_urgency_classes"],
            request=request,
        )
        return Response(LocationStatusOutputSerializer(location).data)
