"""The receiving provider in the API (DESIGN §8, issue 13): ``GET /api/v1/incoming/`` and
``POST /api/v1/incoming/{id}/confirm/``, for a provider's API key and a planner's session."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditAction, AuditEvent, AuditOutcome, Role
from finance.models import VolumeTransfer
from mediation.models import CaseOutcome, CaseStatus, OfferStatus
from tests.accounts.factories import member
from tests.mediation.factories import OfferFactory
from tests.mediation.test_api import amersfoort

pytestmark = pytest.mark.django_db

LIST = "/api/v1/incoming/"


def confirm_url(pk: int) -> str:
    return f"/api/v1/incoming/{pk}/confirm/"


@pytest.fixture
def accepted(provider_org):
    return OfferFactory(
        location=amersfoort(provider=provider_org.provider),
        status=OfferStatus.ACCEPTED,
        responded_at=timezone.now(),
        case__status=CaseStatus.ACCEPTED,
        case__full_name="Inge Inkomend",
        case__policy_number="POLIS-GEHEIM",
    )


@pytest.fixture
def provider_key(api_client, api_key_for, provider_org):
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_for(provider_org)}")
    return api_client


def test_list_with_the_providers_api_key_shows_only_scheduling_data(provider_key, accepted):
    response = provider_key.get(LIST)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response.data["count"] == 1 and response.data["next"] is None
    [row] = response.data["results"]
    case = accepted.case
    assert row["id"] == accepted.pk and row["reference"] == case.reference
    assert row["full_name"] == "Inge Inkomend" and row["phone"] == case.phone
    assert row["location"] == accepted.location.code
    assert row["expected_date"] == accepted.expected_date.isoformat()
    assert row["confirmed"] is False and row["appointment_date"] is None
    # Not needed to schedule: never sent.
    body = response.content.decode()
    assert "POLIS-GEHEIM" not in body and case.postcode not in body
    assert "policy_number" not in row and "postcode" not in row
    event = AuditEvent.objects.get(action=AuditAction.LIST, object_type="mediation.offer")
    assert event.detail == {"page": "api_incoming", "references": [case.reference]}


def test_list_for_a_planners_session(api_client, planner, accepted):
    api_client.force_authenticate(planner)

    response = api_client.get(LIST, {"page_size": 1})

    assert response.status_code == 200
    assert [row["reference"] for row in response.data["results"]] == [accepted.case.reference]


def test_another_providers_patients_are_invisible_and_404(api_client, accepted, other_provider_org):
    api_client.force_authenticate(member(Role.PLANNER, other_provider_org))

    assert api_client.get(LIST).data["count"] == 0
    response = api_client.post(
        confirm_url(accepted.pk), {"appointment_date": timezone.localdate().isoformat()}
    )

    assert response.status_code == 404
    accepted.case.refresh_from_db()
    assert accepted.case.status == CaseStatus.ACCEPTED
    assert AuditEvent.objects.filter(
        outcome=AuditOutcome.DENIED, object_type="mediation.offer", object_id=str(accepted.pk)
    ).exists()


@pytest.mark.parametrize("who", ["mediator", "regulator", "anonymous"])
def test_only_providers_may_list(api_client, who, request):
    if who != "anonymous":
        api_client.force_authenticate(request.getfixturevalue(who))

    response = api_client.get(LIST)

    assert response.status_code == (401 if who == "anonymous" else 403)


def test_confirm_completes_the_case(provider_key, accepted):
    day = timezone.localdate() + timedelta(days=10)

    response = provider_key.post(
        confirm_url(accepted.pk), {"appointment_date": day.isoformat()}, format="json"
    )

    assert response.status_code == 200, response.data
    assert response.data["confirmed"] is True
    assert response.data["appointment_date"] == day.isoformat()
    case = accepted.case
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED and case.outcome == CaseOutcome.PLACED
    assert case.appointment_date == day
    assert AuditEvent.objects.filter(
        case_reference=case.reference, detail__operation="appointment_confirm"
    ).exists()
    assert VolumeTransfer.objects.filter(case_reference=case.reference).exists()
    # Confirmed once: again is a 400 naming why (the offer is still on the list for 30 days).
    again = provider_key.post(
        confirm_url(accepted.pk), {"appointment_date": day.isoformat()}, format="json"
    )
    assert again.status_code == 400


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ("2020-01-01", "appointment_date"),  # in the past
        ("9999-12-31", "appointment_date"),  # implausibly far ahead
        ("morgen", "appointment_date"),
        (None, "appointment_date"),
    ],
)
def test_an_implausible_date_is_a_400_naming_the_field(provider_key, accepted, value, field):
    response = provider_key.post(
        confirm_url(accepted.pk), {"appointment_date": value}, format="json"
    )

    assert response.status_code == 400 and field in response.data
    accepted.case.refresh_from_db()
    assert accepted.case.status == CaseStatus.ACCEPTED
