"""Input and output of the public waiting-time search in the API (``providers.search.apis``)."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from providers.geography.postcodes import normalise_pc4
from providers.models import (
    SPECIALISM_CODE_VALIDATOR,
    ProviderKind,
    ReportOrigin,
    WaitingTimeKind,
)
from providers.reference.filters import REGION_CODE_VALIDATOR
from providers.search.selectors import ORDERINGS
from providers.search.snapshot import SearchReference, search_reference


# --- GET /api/v1/waiting-times/current/ ---------------------------------------------------------
class WaitingTimeCurrentInputSerializer(serializers.Serializer):
    """The query of the public current-waiting-time search; ``validated_data`` holds the keyword
    arguments of ``providers.search.selectors.waiting_time_current_list``."""

    specialism = serializers.CharField(
        source="specialism_code", required=False, validators=[SPECIALISM_CODE_VALIDATOR]
    )
    treatment = serializers.CharField(source="treatment_code", required=False, max_length=32)
    kind = serializers.ChoiceField(choices=WaitingTimeKind.choices, required=False)
    postcode = serializers.CharField(required=False, max_length=16)
    max_distance_km = serializers.FloatField(required=False, min_value=1, max_value=300)
    region = serializers.CharField(
        source="region_code", required=False, validators=[REGION_CODE_VALIDATOR]
    )
    provider_kind = serializers.ChoiceField(choices=ProviderKind.choices, required=False)
    ordering = serializers.ChoiceField(choices=ORDERINGS, required=False, default="days")

    @property
    def reference(self) -> SearchReference:
        """The search's reference data: the view passes the snapshot it will search with."""
        if "reference" not in self.context:
            self.context["reference"] = search_reference()
        return self.context["reference"]

    def validate_specialism(self, value: str) -> str:
        if value not in self.reference.specialisms:
            raise serializers.ValidationError(_("Unknown specialism code."))
        return value

    def validate_treatment(self, value: str) -> str:
        if value not in self.reference.treatments:
            raise serializers.ValidationError(_("Unknown treatment code."))
        return value

    def validate_region(self, value: str) -> str:
        if value not in self.reference.region_codes:
            raise serializers.ValidationError(_("Unknown region code."))
        return value

    def validate_postcode(self, value: str) -> str:
        # A malformed postcode raises Django's ValidationError with the Dutch-postcode message.
        pc4 = normalise_pc4(value)
        if self.reference.postcode_point(pc4) is None:
            raise serializers.ValidationError(_("Unknown postcode."))
        return pc4

    def validate(self, attrs: dict) -> dict:
        errors: dict[str, Any] = {}
        if "postcode" not in attrs:
            if "max_distance_km" in attrs:
                errors["max_distance_km"] = _("A maximum distance needs a postcode.")
            if attrs.get("ordering") == "distance":
                errors["ordering"] = _("Ordering by distance needs a postcode.")
        treatment_code = attrs.get("treatment_code")
        if treatment_code:
            if attrs.get("kind", WaitingTimeKind.TREATMENT) != WaitingTimeKind.TREATMENT:
                errors["kind"] = _("A treatment only has waiting times of kind treatment.")
            specialism_code = attrs.get("specialism_code")
            if (
                specialism_code
                and self.reference.treatments[treatment_code].specialism_code != specialism_code
            ):
                errors["treatment"] = _("This treatment does not belong to the specialism.")
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class WaitingTimeCurrentProviderSerializer(serializers.Serializer):
    agb_code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=ProviderKind.choices)


class WaitingTimeCurrentLocationSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    city = serializers.CharField()
    provider = WaitingTimeCurrentProviderSerializer()


class WaitingTimeCurrentOutputSerializer(serializers.Serializer):
    """One current figure of a series: the location, what it is for, the wait and its norm."""

    location = WaitingTimeCurrentLocationSerializer()
    specialism = serializers.CharField(source="specialism_code", help_text="Specialism code")
    treatment = serializers.CharField(
        source="treatment_code", allow_null=True, help_text="Treatment code (kind treatment)"
    )
    kind = serializers.ChoiceField(choices=WaitingTimeKind.choices)
    days = serializers.IntegerField(
        allow_null=True, help_text="Calendar days; null with insufficient observations"
    )
    insufficient_observations = serializers.BooleanField()
    norm_days = serializers.IntegerField(
        source="norm_max_days", allow_null=True, help_text="The Treeknorm's maximum (days)"
    )
    exceeds_norm = serializers.BooleanField(
        allow_null=True, help_text="Above the norm's maximum; null when days is null"
    )
    reference_date = serializers.DateField(help_text="Peildatum")
    stale = serializers.BooleanField(help_text="Peildatum more than 28 days ago")
    distance_km = serializers.SerializerMethodField(
        help_text="From the postcode's PC4 point, rounded to 0.1 km; null without a postcode"
    )

    # A field named like DRF's Field.source attribute (DESIGN §8 names it): DRF's metaclass takes
    # declared fields out of the class, so the attribute is never shadowed at run time.
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=ReportOrigin.choices,
        help_text="Who the figure comes from: the provider itself, or the national NZa data",
    )

    def get_distance_km(self, obj) -> float | None:
        return None if obj.distance_km is None else round(obj.distance_km, 1)

    def to_representation(self, instance) -> dict[str, Any]:
        # The same shape as the fields above (which document it), built directly: a public search
        # answers many requests, and field-by-field serialisation was a fifth of its time.
        location = instance.location
        provider = location.provider
        return {
            "location": {
                "code": location.code,
                "name": location.name,
                "city": location.city,
                "provider": {
                    "agb_code": provider.agb_code,
                    "name": provider.name,
                    "kind": provider.kind,
                },
            },
            "specialism": instance.specialism_code,
            "treatment": instance.treatment_code,
            "kind": instance.kind,
            "days": instance.days,
            "insufficient_observations": instance.insufficient_observations,
            "norm_days": instance.norm_max_days,
            "exceeds_norm": instance.exceeds_norm,
            "reference_date": instance.reference_date.isoformat(),
            "stale": instance.stale,
            "distance_km": self.get_distance_km(instance),
            "source": instance.source,
        }
