"""The public waiting-time search in the API (DESIGN §8): ``GET /api/v1/waiting-times/current/``."""

from drf_spectacular.utils import OpenApiParameter, extend_schema

from core.filters import refuse_empty_parameters
from providers.models import ProviderKind, WaitingTimeKind
from providers.reference.apis import PublicListApi
from providers.reference.filters import REGION_CODE_PATTERN, SPECIALISM_CODE_PATTERN
from providers.search.selectors import ORDERINGS, waiting_time_current_list
from providers.search.serializers import (
    WaitingTimeCurrentInputSerializer,
    WaitingTimeCurrentOutputSerializer,
)
from providers.search.snapshot import search_reference

# A Dutch postcode (PC6, the space optional) or its four digits; PostNL never issues SA, SD, SS.
POSTCODE_PATTERN = r"^[1-9][0-9]{3}( ?([A-RT-Za-rt-z][A-Za-z]|[Ss][BCE-RT-Zbce-rt-z]))?$"
TREATMENT_CODE_PATTERN = r"^[a-z0-9-]{1,32}$"


@extend_schema(
    summary="Current waiting times",
    description=(
        "The latest figure of every series (location × specialism or treatment × kind), with "
        "the Treeknorm's maximum, whether the wait exceeds it, and whether the figure is stale "
        "(peildatum more than 28 days ago: returned and flagged, never left out). With a "
        "`postcode`, `distance_km` is measured from its PC4 area. Unknown codes and postcodes "
        "are answered 400 naming the parameter."
    ),
    parameters=[
        OpenApiParameter(
            "specialism",
            str,
            description="Specialism code (Vektis COD016, e.g. 0305); includes its treatments",
            pattern=SPECIALISM_CODE_PATTERN,
        ),
        OpenApiParameter(
            "treatment",
            str,
            description="Treatment code (e.g. cataract)",
            pattern=TREATMENT_CODE_PATTERN,
        ),
        OpenApiParameter("kind", str, enum=WaitingTimeKind.values, description="Waiting-time kind"),
        OpenApiParameter(
            "postcode",
            str,
            description="Dutch postcode (1234 AB) or its four digits; distances are measured "
            "from its PC4 area",
            pattern=POSTCODE_PATTERN,
        ),
        OpenApiParameter(
            "max_distance_km",
            {"type": "number", "minimum": 1, "maximum": 300},
            description="Only locations at most this far from the postcode (needs `postcode`)",
        ),
        OpenApiParameter(
            "region", str, description="ROAZ region code", pattern=REGION_CODE_PATTERN
        ),
        OpenApiParameter(
            "provider_kind", str, enum=ProviderKind.values, description="Kind of provider"
        ),
        OpenApiParameter(
            "ordering",
            str,
            enum=list(ORDERINGS),
            default="days",
            description="`days`: shortest wait first (figures without a number last), then "
            "nearest; `distance`: nearest first (needs `postcode`), then shortest wait",
        ),
    ],
)
class WaitingTimeCurrentListApi(PublicListApi):
    serializer_class = WaitingTimeCurrentOutputSerializer

    def list(self, request, *args, **kwargs):
        # One snapshot of the reference data for the input checks and the search.
        reference = search_reference()
        query = WaitingTimeCurrentInputSerializer(
            data=request.query_params, context={"reference": reference}
        )
        refuse_empty_parameters(request.query_params, query.fields)
        query.is_valid(raise_exception=True)
        rows = waiting_time_current_list(**query.validated_data, reference=reference)
        # A list pages like a queryset (Django's Paginator takes any sequence).
        page: list | None = self.paginate_queryset(rows)  # type: ignore[arg-type]
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
