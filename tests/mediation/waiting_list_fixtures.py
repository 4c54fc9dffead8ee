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


def invitation_with_token(token: str = "invitation-token") -> tuple[Any, str]:  # noqa: S107
    """An open invitation (with its scan and waiting-list entry) whose link token is ``token``:
    for pages that need one without running a scan (browser and axe tests)."""
    from mediation.waiting_lists.models import (
        Invitation,
        ProactiveScan,
        WaitingListEntry,
    )
    from mediation.waiting_lists.scan import invitation_token_digest
    from tests.accounts.factories import InsurerFactory

    today = timezone.localdate()
    insurer = InsurerFactory(name="Zorgverzekeraar Roodborst", uzovi="8911")
    location = LocationFactory(name="Stadsziekenhuis Utrecht", city="Utrecht")
    specialism = SpecialismFactory(name="Orthopedie (test)")
    entry = WaitingListEntry.objects.create(
        provider=location.provider,
        external_id="AXE-1",
        location=location,
        insurer=insurer,
        policy_number="P1",
        full_name="Anna de Vries",
        birth_date=today.replace(year=1961),
        email="anna@example.org",
        postcode="3511AB",
        specialism=specialism,
        kind="first_visit",
        urgency_class=4,
        waiting_since=today - timedelta(days=100),
        consent_date=today - timedelta(days=50),
    )
    scan = ProactiveScan.objects.create(insurer=insurer, trigger="manual", scan_date=today)
    invitation = Invitation.objects.create(
        reference="UN-AXE1-TEST",
        scan=scan,
        entry=entry,
        insurer=insurer,
        channel="email",
        access_token_hash=invitation_token_digest(token),
        alternatives=[
            {
                "location": "71000001",
                "location_name": "Kliniek Amersfoort",
                "city": "Amersfoort",
                "provider": "06100001",
                "provider_name": "Kliniek Amersfoort",
                "provider_kind": "zbc",
                "expected_days": 20,
                "expected_date": (today + timedelta(days=20)).isoformat(),
                "days_gained": 40,
                "distance_km": "19.5",
                "within_norm": True,
                "contracted": True,
            }
        ],
        waited_days=100,
        projected_total_days=160,
        norm_max_days=28,
    )
    return invitation, token
