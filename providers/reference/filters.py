"""Query filters of the public reference lists. Form validation answers bad values (an unknown
kind, a NUL byte) with 400 instead of passing them to the database."""

import django_filters
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from providers.models import SPECIALISM_CODE_VALIDATOR, Provider, ProviderKind, Treatment

SPECIALISM_CODE_PATTERN = r"^\d{4}$"
REGION_CODE_PATTERN = r"^[A-Za-z0-9-]{1,16}$"
REGION_CODE_VALIDATOR = RegexValidator(REGION_CODE_PATTERN, _("Not a region code."))


class TreatmentFilter(django_filters.FilterSet):
    specialism = django_filters.CharFilter(
        field_name="specialism__code",
        validators=[SPECIALISM_CODE_VALIDATOR],
        help_text="Specialism code (Vektis COD016, e.g. 0305)",
    )

    class Meta:
        model = Treatment
        fields = ["specialism"]


class ProviderFilter(django_filters.FilterSet):
    region = django_filters.CharFilter(
        field_name="region__code", validators=[REGION_CODE_VALIDATOR], help_text="ROAZ region code"
    )
    kind = django_filters.ChoiceFilter(choices=ProviderKind.choices)

    class Meta:
        model = Provider
        fields = ["region", "kind"]
