"""The waiting-time reporting endpoints keep to their OpenAPI contract: schemathesis sends
generated requests with a provider's API key and checks every answer against our own schema
(status codes, bodies, no server errors); known-good submissions are 201 in the declared shape."""

from __future__ import annotations

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import ignored_auth, positive_data_acceptance

from providers.models import WaitingTimeReport
from providers.waiting_times.rules import nza_reference_date_on_or_before
from tests.providers.factories import LocationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("keep_test_connection_open")]

OPERATIONS = ["POST /api/v1/waiting-times/", "POST /api/v1/waiting-times/import/"]
# The test sends a real provider key itself; 401 and 403 are tested in test_waiting_time_apis.
AUTH_GIVEN_BY_THE_TEST = [ignored_auth]


@pytest.fixture
def headers(api_key_for, provider_org):
    LocationFactory(provider=provider_org.provider, code="06020502")
    return {"Authorization": f"Api-Key {api_key_for(provider_org)}"}


@pytest.mark.parametrize("label", OPERATIONS)
def test_generated_requests_get_answers_in_the_declared_shape(schema, headers, label) -> None:
    operation = schema.find_operation_by_label(label)

    @given(case=operation.as_strategy())
    @settings(
        max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
    )
    def check(case) -> None:
        response = case.call(headers=headers)
        assert response.status_code < 500
        # Which codes exist is data the schema cannot express: a schema-valid body may be 400.
        case.validate_response(
            response, excluded_checks=[positive_data_acceptance, *AUTH_GIVEN_BY_THE_TEST]
        )

    check()


def test_valid_submissions_are_201_in_the_declared_shape(schema, headers) -> None:
    operation = schema.find_operation_by_label("POST /api/v1/waiting-times/")
    day = nza_reference_date_on_or_before(timezone.localdate()).isoformat()
    one = {
        "location": "06020502",
        "specialism": "0305",
        "treatment": None,
        "kind": "first_visit",
        "days": 30,
        "insufficient_observations": False,
        "reference_date": day,
    }
    for body in (one, [{**one, "kind": "diagnostics"}, {**one, "days": 31}]):
        case = operation.Case(body=body, media_type="application/json")
        response = case.call(headers=headers)
        assert response.status_code == 201, response.text
        case.validate_response(response, excluded_checks=AUTH_GIVEN_BY_THE_TEST)
    assert WaitingTimeReport.objects.count() == 2  # the first figure was corrected
