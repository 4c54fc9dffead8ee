"""Public reference endpoints (DESIGN §8): specialisms, treatments, regions, norms, providers."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.permissions import AllowAny

from core.filters import ApiFilterBackend
from core.throttling import ScopedRateThrottle
from providers.reference import selectors
from providers.reference.filters import (
    REGION_CODE_PATTERN,
    SPECIALISM_CODE_PATTERN,
    ProviderFilter,
    TreatmentFilter,
)
from providers.reference.serializers import (
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
    parameters=[
        OpenApiParameter(
            "specialism",
            str,
            description="Specialism code (Vektis COD016, e.g. 0305)",
            pattern=SPECIALISM_CODE_PATTERN,
        )
    ]
)
class TreatmentListApi(PublicListApi):
    serializer_class = TreatmentOutputSerializer
    filter_backends = [ApiFilterBackend]
    filterset_class = TreatmentFilter

    def get_queryset(self):
        return selectors.treatment_list()


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
        OpenApiParameter("region", str, description="ROAZ region code", pattern=REGION_CODE_PATTERN)
    ]
)
class ProviderListApi(PublicListApi):
    serializer_class = ProviderOutputSerializer
    filter_backends = [ApiFilterBackend]
    filterset_class = ProviderFilter

    def get_queryset(self):
        return selectors.provider_list()
