"""Input and output of the capacity-offer and location-status APIs (``providers.capacity.apis``).

A location in the *body* of a request is validated like any other field: a foreign code and an
unknown one both get "Unknown location." (400), so nothing about other providers leaks.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.serializers import InputSerializer
from providers.capacity.services import MAX_SLOTS_PER_OFFER
from providers.models import URGENCY_CLASSES, CapacityOffer, Location, WaitingTimeKind
from providers.permissions import location_list_for_reporting
from providers.reference import selectors as reference
from providers.reference.serializers import CodeRelatedField

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


class CapacityOfferInputSerializer(InputSerializer):
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
    reserved_slots = serializers.IntegerField(
        source="held_slots",
        read_only=True,
        help_text="Slots held for patients by open or accepted mediation offers",
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


class LocationStatusInputSerializer(InputSerializer):
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
