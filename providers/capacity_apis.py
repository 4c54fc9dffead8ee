"""Capacity offers and scale-down status in the API (DESIGN §8): for a provider's planners and its
systems (a provider API key acts as planner).

A location in the *body* of a request is validated like any other field: a foreign code and an
unknown one both get "Unknown location." (400), so nothing about other providers leaks. A location
in the *path* is 404 when foreign or missing.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.actors import actor_from_request
from accounts.models import Role
from accounts.permissions import role_required
from providers.models import (
    AGB_VALIDATOR,
    URGENCY_CLASSES,
    CapacityOffer,
    Location,
    WaitingTimeKind,
)
from providers.permissions import location_for_reporting, location_list_for_reporting
from providers.selectors import reference
from providers.selectors.capacity import capacity_offer_list_for
from providers.serializers import CodeRelatedField
from providers.services.capacity import (
    MAX_SLOTS_PER_OFFER,
    capacity_offer_create,
    location_accepted_urgency_classes_set,
)

UNKNOWN = {
    "location": _("Unknown location."),
    "specialism": _("Unknown specialism."),
    "treatment": _("Unknown treatment."),
}


def _urgency_class_list(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.IntegerField(
            min_value=min(URGENCY_CLASSES), max_value=max(URGENCY_CLASSES)
        ),
        min_length=1,
        **kwargs,
    )


class CapacityOfferInputSerializer(serializers.Serializer):
    location = CodeRelatedField(
        queryset=Location.objects.none(),
        help_text="Location code (one of your own provider's locations)",
        error_messages={"does_not_exist": UNKNOWN["location"], "invalid": UNKNOWN["location"]},
    )
    specialism = CodeRelatedField(
        queryset=reference.specialism_list(),
        help_text="Specialism code (Vektis COD016, e.g. 0305)",
        error_messages={"does_not_exist": UNKNOWN["specialism"], "invalid": UNKNOWN["specialism"]},
    )
    treatment = CodeRelatedField(
        queryset=reference.treatment_list(),
        allow_null=True,
        default=None,
        help_text="Treatment code; required for kind treatment, null otherwise",
        error_messages={"does_not_exist": UNKNOWN["treatment"], "invalid": UNKNOWN["treatment"]},
    )
    kind = serializers.ChoiceField(choices=WaitingTimeKind.choices)
    week_start = serializers.DateField(
        help_text="The Monday of the week (ISO date), this week or later"
    )
    slots = serializers.IntegerField(min_value=1, max_value=MAX_SLOTS_PER_OFFER)
    urgency_classes = _urgency_class_list(help_text="Accepted urgency classes, e.g. [3, 4, 5]")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        actor = self.context.get("actor")
        if actor is not None:
            location_field = self.fields["location"]
            assert isinstance(location_field, serializers.SlugRelatedField)
            location_field.queryset = location_list_for_reporting(actor=actor)


class CapacityOfferOutputSerializer(serializers.ModelSerializer):
    location: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    specialism: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    treatment: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    remaining = serializers.IntegerField(
        read_only=True, help_text="Slots not yet reserved by mediation offers"
    )
    urgency_classes = serializers.ListField(child=serializers.IntegerField(), read_only=True)

    class Meta:
        model = CapacityOffer
        fields = [
            "id",
            "location",
            "specialism",
            "treatment",
            "kind",
            "week_start",
            "slots",
            "reserved_slots",
            "remaining",
            "urgency_classes",
            "created_at",
        ]
        read_only_fields = fields


class CapacityOfferFilter(django_filters.FilterSet):
    week_from = django_filters.DateFilter(
        field_name="week_start", lookup_expr="gte", help_text="Offers of weeks from this date on"
    )
    location = django_filters.CharFilter(
        field_name="location__code", validators=[AGB_VALIDATOR], help_text="Location code"
    )

    class Meta:
        model = CapacityOffer
        fields = ["week_from", "location"]


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
    filter_backends = [DjangoFilterBackend]
    filterset_class = CapacityOfferFilter

    def get_queryset(self):
        return capacity_offer_list_for(actor=actor_from_request(self.request))

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


class LocationStatusInputSerializer(serializers.Serializer):
    accepted_urgency_classes = _urgency_class_list(
        help_text="The urgency classes the location accepts now, e.g. [1, 2, 3] while scaling down"
    )


class LocationStatusOutputSerializer(serializers.ModelSerializer):
    accepted_urgency_classes = serializers.ListField(
        child=serializers.IntegerField(), read_only=True
    )

    class Meta:
        model = Location
        fields = ["code", "name", "accepted_urgency_classes"]


class LocationStatusApi(APIView):
    """Scale-down status of one of the own provider's locations (DESIGN §3.2)."""

    permission_classes = [role_required(Role.PLANNER)]

    @extend_schema(responses=LocationStatusOutputSerializer)
    def get(self, request: Request, code: str) -> Response:
        location = location_for_reporting(actor=actor_from_request(request), code=code)
        return Response(LocationStatusOutputSerializer(location).data)

    @extend_schema(request=LocationStatusInputSerializer, responses=LocationStatusOutputSerializer)
    def put(self, request: Request, code: str) -> Response:
        actor = actor_from_request(request)
        location = location_for_reporting(actor=actor, code=code)
        serializer = LocationStatusInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        location = location_accepted_urgency_classes_set(
            actor=actor,
            location=location,
            urgency_classes=serializer.validated_data["accepted_urgency_classes"],
            request=request,
        )
        return Response(LocationStatusOutputSerializer(location).data)
