"""Public reference endpoints (DESIGN §8)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.permissions import AllowAny
from rest_framework.throttling import ScopedRateThrottle

from providers import selectors
from providers.models import ProviderKind
from providers.serializers import (
    NormOutputSerializer,
    ProviderOutputSerializer,
    RegionOutputSerializer,
    SpecialismOutputSerializer,
    TreatmentOutputSerializer,
)


class PublicListApi(generics.ListAPIView):
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "public"
    filter_backends: list = []


class SpecialismListApi(PublicListApi):
    serializer_class = SpecialismOutputSerializer

    def get_queryset(self):
        return selectors.specialism_list()


@extend_schema(
    parameters=[OpenApiParameter("specialism", OpenApiTypes.STR, description="Specialism code")]
)
class TreatmentListApi(PublicListApi):
    serializer_class = TreatmentOutputSerializer

    def get_queryset(self):
        return selectors.treatment_list(specialism_code=self.request.query_params.get("specialism"))


class RegionListApi(PublicListApi):
    serializer_class = RegionOutputSerializer

    def get_queryset(self):
        return selectors.region_list().prefetch_related("neighbours")


class NormListApi(PublicListApi):
    serializer_class = NormOutputSerializer

    def get_queryset(self):
        return selectors.norm_list()


@extend_schema(
    parameters=[
        OpenApiParameter("region", OpenApiTypes.STR, description="ROAZ region code"),
        OpenApiParameter("kind", OpenApiTypes.STR, enum=ProviderKind.values),
    ]
)
class ProviderListApi(PublicListApi):
    serializer_class = ProviderOutputSerializer

    def get_queryset(self):
        params = self.request.query_params
        return selectors.provider_list(region_code=params.get("region"), kind=params.get("kind"))
