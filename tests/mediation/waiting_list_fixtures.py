"""Shared set-up of the waiting-list tests: a planner's provider with a long wait in Utrecht, and
another provider in Amersfoort (about 20 km away) that can help sooner."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from tests.providers.factories import (
    LocationFactory,
    ProviderFactory,
    SpecialismFactory,
    WaitingTimeSeriesFactory,
)


def entry_row(world: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """One valid entry of the planner's list, as the API takes it (DESIGN §3.6 field names)."""
    today = timezone.localdate()
    row = {
        "external_id": "W-1",
        "location": world["location"].code,
        "insurer": world["insurer"].uzovi,
        "policy_number": "P100000001",
        "full_name": "Jan Jansen",
        "birth_date": "1960-05-01",
        "email": "jan@example.org",
        "phone": "0612345678",
        "postcode": "3511AB",
        "specialism": world["specialism"].code,
        "treatment": None,
        "kind": "first_visit",
        "urgency_class": 4,
        "waiting_since": (today - timedelta(days=60)).isoformat(),
        "expected_date": None,
        "consent_date": (today - timedelta(days=30)).isoformat(),
    }
    row.update(overrides)
    return row


@pytest.fixture
def waiting(insurer, provider_org, planner, mediator) -> dict[str, Any]:
    specialism = SpecialismFactory()
    location = LocationFactory(provider=provider_org.provider)
    alternative = LocationFactory(
        provider=ProviderFactory(name="Kliniek Amersfoort"),
        name="Kliniek Amersfoort",
        postcode="3811AA",
        city="Amersfoort",
        latitude=Decimal("52.156000"),
        longitude=Decimal("5.387000"),
    )
    WaitingTimeSeriesFactory(location=location, specialism=specialism, current_days=120)
    WaitingTimeSeriesFactory(location=alternative, specialism=specialism, current_days=20)
    return {
        "insurer": insurer,
        "provider_org": provider_org,
        "planner": planner,
        "mediator": mediator,
        "specialism": specialism,
        "location": location,
        "alternative": alternative,
    }
