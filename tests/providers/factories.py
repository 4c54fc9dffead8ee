from datetime import date
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from providers.models import (
    Location,
    Provider,
    ProviderKind,
    Region,
    Specialism,
    Treatment,
    WaitingTimeReport,
    WaitingTimeSeries,
)


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"TEST{n:02d}")
    name = factory.LazyAttribute(lambda o: f"Testregio {o.code}")


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    agb_code = factory.Sequence(lambda n: f"{6_100_000 + n:08d}")
    name = factory.Sequence(lambda n: f"Testziekenhuis {n}")
    kind = ProviderKind.HOSPITAL
    region = factory.SubFactory(RegionFactory)


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    provider = factory.SubFactory(ProviderFactory)
    code = factory.Sequence(lambda n: f"{7_100_000 + n:08d}")
    name = factory.Sequence(lambda n: f"Locatie {n}")
    street = "Ziekenhuisweg 1"
    postcode = "3511AB"
    city = "Utrecht"
    latitude = Decimal("52.090000")
    longitude = Decimal("5.120000")


class SpecialismFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Specialism
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"{9000 + n:04d}")
    name = factory.Sequence(lambda n: f"Testspecialisme {n}")


class TreatmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Treatment
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"test-treatment-{n}")
    name = factory.Sequence(lambda n: f"Testbehandeling {n}")
    specialism = factory.SubFactory(SpecialismFactory)
    setting = "day"


class WaitingTimeSeriesFactory(factory.django.DjangoModelFactory):
    """A series with a current figure (as the reporting service leaves it): by default a first
    visit with a 20-day wait, reported today."""

    class Meta:
        model = WaitingTimeSeries

    location = factory.SubFactory(LocationFactory)
    specialism = factory.LazyAttribute(
        lambda o: o.treatment.specialism if o.treatment else SpecialismFactory()
    )
    treatment = None
    kind = factory.LazyAttribute(lambda o: "treatment" if o.treatment else "first_visit")
    current_reference_date = factory.LazyFunction(timezone.localdate)
    current_days = 20
    current_insufficient_observations = False


def series_with_history(history: list[tuple[date, int | None]], **kwargs: Any) -> WaitingTimeSeries:
    """A series (factory defaults, overridable) with its reports (``None`` = insufficient
    observations); the latest is current, as the reporting service leaves it."""
    reference_date, days = max(history, key=lambda item: item[0])
    series = WaitingTimeSeriesFactory(
        current_reference_date=reference_date,
        current_days=days,
        current_insufficient_observations=days is None,
        **kwargs,
    )
    WaitingTimeReport.objects.bulk_create(
        WaitingTimeReport(
            series=series,
            reference_date=day,
            days=value,
            insufficient_observations=value is None,
            source="api",
        )
        for day, value in history
    )
    return series
