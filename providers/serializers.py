from rest_framework import serializers

from providers.models import Location, Norm, Provider, Region, Specialism, Treatment
from providers.postcodes import format_postcode


class SpecialismOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Specialism
        fields = ["code", "name"]


class TreatmentOutputSerializer(serializers.ModelSerializer):
    specialism: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = Treatment
        fields = ["code", "name", "specialism", "setting"]


class RegionOutputSerializer(serializers.ModelSerializer):
    neighbours: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True, many=True
    )

    class Meta:
        model = Region
        fields = ["code", "name", "neighbours"]


class NormOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Norm
        fields = ["kind", "setting", "target_days", "max_days", "target_percentage"]


class LocationOutputSerializer(serializers.ModelSerializer):
    postcode = serializers.SerializerMethodField()
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()

    class Meta:
        model = Location
        fields = ["code", "name", "postcode", "city", "latitude", "longitude"]

    def get_postcode(self, obj: Location) -> str:
        return format_postcode(obj.postcode)


class ProviderOutputSerializer(serializers.ModelSerializer):
    region: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    locations = LocationOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Provider
        fields = ["agb_code", "name", "kind", "region", "locations"]
