"""The capacity endpoints keep to their OpenAPI contract: schemathesis sends generated requests
with a provider's API key and checks every answer against our own schema (status codes, bodies,
no server errors); a known-good offer is answered 201 in the declared shape."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import ignored_auth, positive_data_acceptance

from providers.capacity.selectors import week_start_of
from providers.models import CapacityOffer, Specialism
from tests.providers.factories import LocationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("keep_test_connection_open")]

OPERATIONS = [
    "GET /api/v1/capacity-offers/",
    "POST /api/v1/capacity-offers/",
    "GET /api/v1/locations/{code}/status/",
    "PUT /api/v1/locations/{code}/status/",
]

# The test sends a real provider key itself (schemathesis would take it for generated, invalid
# auth); 401 and 403 are tested in test_capacity_api.
AUTH_GIVEN_BY_THE_TEST = [ignored_auth]


@pytest.fixture
def headers(api_key_for, provider_org):
    return {"Authorization": f"Api-Key {api_key_for(provider_org)}"}


@pytest.mark.parametrize("label", OPERATIONS)
def test_generated_requests_get_answers_in_the_declared_shape(
    schema, headers, provider_org, label
) -> None:
    location = LocationFactory(provider=provider_org.provider)
    CapacityOffer.objects.create(
        location=location,
        specialism=Specialism.objects.get(code="0305"),
        kind="first_visit",
        week_start=week_start_of(timezone.localdate()),
        slots=4,
        reserved_slots=1,
    )
    operation = schema.find_operation_by_label(label)

    @given(case=operation.as_strategy())
    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    def check(case) -> None:
        response = case.call(headers=headers)
        assert response.status_code < 500
        # Which codes exist and which weeks are open is data the schema cannot express, so a
        # schema-valid request may still be refused (400) or not found (404).
        case.validate_response(
            response, excluded_checks=[positive_data_acceptance, *AUTH_GIVEN_BY_THE_TEST]
        )

    check()


def test_a_valid_offer_is_201_in_the_declared_shape(schema, headers, provider_org) -> None:
    location = LocationFactory(provider=provider_org.provider)
    operation = schema.find_operation_by_label("POST /api/v1/capacity-offers/")
    monday = week_start_of(timezone.localdate()) + timedelta(weeks=1)
    case = operation.Case(
        body={
            "location": location.code,
            "specialism": "0305",
            "treatment": "total-knee-replacement",
            "kind": "treatment",
            "week_start": monday.isoformat(),
            "slots": 8,
            "urgency_classes": [3, 4, 5],
        },
        media_type="application/json",
    )

    response = case.call(headers=headers)

    assert response.status_code == 201, response.text
    case.validate_response(response, excluded_checks=AUTH_GIVEN_BY_THE_TEST)
    assert CapacityOffer.objects.get().remaining == 8
