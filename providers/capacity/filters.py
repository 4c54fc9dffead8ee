"""Query filters of the capacity-offer list (``GET /api/v1/capacity-offers/``)."""

import django_filters

from core.dates import validate_plausible_date
from providers.models import AGB_VALIDATOR, CapacityOffer


class CapacityOfferFilter(django_filters.FilterSet):
    week_from = django_filters.DateFilter(
        field_name="week_start",
        lookup_expr="gte",
        validators=[validate_plausible_date],
        help_text="Offers of weeks from this date on (from 1900 up to 10 years ahead)",
    )
    location = django_filters.CharFilter(
        field_name="location__code", validators=[AGB_VALIDATOR], help_text="Location code"
    )

    class Meta:
        model = CapacityOffer
        fields = ["week_from", "location"]
