"""Output of the public reference lists; and :class:`CodeRelatedField`, by which the APIs of every
app name an object (a location, specialism, treatment, provider or insurer) by its natural code."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from providers.geography.postcodes import format_postcode
from providers.models import Location, Norm, Provider, Region, Specialism, Treatment


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


class CodeRelatedField(serializers.SlugRelatedField):
    """A reference by natural code (location, specialism, treatment). A value that cannot be a
    code — e.g. one with a NUL byte, which PostgreSQL refuses outright — is answered like an
    unknown code, without asking the database."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or "\x00" in data or len(data) > 64:
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data)[:64])
        return super().to_internal_value(data)


class CodeRelatedFieldSchema(OpenApiSerializerFieldExtension):
    """A code is a non-empty string, null only where the field allows it: the schema of the
    code's model field says ``nullable`` when the column is (an organisation's UZOVI code is
    empty for a provider), which is not what the API accepts."""

    target_class = CodeRelatedField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if not self.target.allow_null:
            schema.pop("nullable", None)
        if direction == "request":
            schema.setdefault("minLength", 1)
        return schema
