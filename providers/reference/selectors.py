"""Reads of reference data. Public: no actor needed."""

from __future__ import annotations

from django.db.models import Case, Prefetch, QuerySet, Value, When

from providers.models import (
    Location,
    Norm,
    Provider,
    Region,
    Specialism,
    Treatment,
    TreatmentSetting,
    WaitingTimeKind,
)


def specialism_list() -> QuerySet[Specialism]:
    return Specialism.objects.filter(is_active=True).order_by("code")


def treatment_list() -> QuerySet[Treatment]:
    """Active treatments; the API narrows them with
    ``providers.reference.filters.TreatmentFilter``."""
    return (
        Treatment.objects.filter(is_active=True)
        .select_related("specialism")
        .order_by("specialism__code", "name")
    )


def region_list() -> QuerySet[Region]:
    return Region.objects.order_by("name")


def norm_list() -> QuerySet[Norm]:
    """In the order a patient meets them: first visit, diagnostics, day treatment, inpatient."""
    position = Case(
        When(kind=WaitingTimeKind.FIRST_VISIT, then=Value(0)),
        When(kind=WaitingTimeKind.DIAGNOSTICS, then=Value(1)),
        When(setting=TreatmentSetting.DAY, then=Value(2)),
        default=Value(3),
    )
    return Norm.objects.order_by(position, "kind", "setting")


def provider_list() -> QuerySet[Provider]:
    """Providers with their active locations; the API narrows them with
    ``providers.reference.filters.ProviderFilter``."""
    return (
        Provider.objects.select_related("region")
        .prefetch_related(
            Prefetch("locations", queryset=Location.objects.filter(is_active=True).order_by("code"))
        )
        .order_by("agb_code")
    )
