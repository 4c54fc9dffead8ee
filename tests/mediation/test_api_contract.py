"""The mediation endpoints keep to their OpenAPI contract: schemathesis sends generated requests
(the public request form of the API, the patient's status with a token, and the insurer's case
endpoints with an insurer's API key) and checks every answer against our own schema; a known-good
request is answered 201 in the declared shape and its token opens it."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from rest_framework.throttling import ScopedRateThrottle
from schemathesis.checks import ignored_auth, positive_data_acceptance

from mediation.models import Case
from tests.mediation.factories import OfferFactory
from tests.mediation.test_api import matchable_case, request_payload
from tests.providers.factories import LocationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("keep_test_connection_open")]

PUBLIC_OPERATIONS = [
    "POST /api/v1/mediation-requests/",
    "GET /api/v1/mediation-requests/{reference}/",
    "POST /api/v1/mediation-requests/{reference}/offers/{id}/decline/",
]
INSURER_OPERATIONS = [
    "GET /api/v1/cases/",
    "GET /api/v1/cases/{reference}/",
    "GET /api/v1/cases/{reference}/matches/",
    "POST /api/v1/cases/{reference}/offers/",
    "POST /api/v1/cases/{reference}/close/",
]
SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)


@pytest.fixture(autouse=True)
def _generous_throttle(monkeypatch):
    """Generated requests must reach the validation, not the rate limit (tested in test_api)."""
    monkeypatch.setattr(
        ScopedRateThrottle,
        "THROTTLE_RATES",
        {"public": "10000/hour", "public_write": "10000/hour", "public_invalid": "10000/hour"},
    )


def test_schema_lists_every_mediation_operation(schema) -> None:
    labels = {result.ok().label for result in schema.get_all_operations()}
    assert set(PUBLIC_OPERATIONS + INSURER_OPERATIONS) <= labels
    assert "POST /api/v1/mediation-requests/{reference}/withdraw/" in labels
    assert "POST /api/v1/mediation-requests/{reference}/offers/{id}/accept/" in labels


@pytest.mark.parametrize("label", PUBLIC_OPERATIONS)
def test_public_generated_requests_get_answers_in_the_declared_shape(schema, insurer, label):
    LocationFactory()
    OfferFactory(case__token="contract-token")
    operation = schema.find_operation_by_label(label)

    @given(case=operation.as_strategy())
    @SETTINGS
    def check(case) -> None:
        response = case.call()
        assert response.status_code < 500, response.text
        # Which codes, postcodes, references and tokens exist is data the schema cannot say.
        case.validate_response(response, excluded_checks=[positive_data_acceptance])

    check()


@pytest.mark.parametrize("label", INSURER_OPERATIONS)
def test_insurer_generated_requests_get_answers_in_the_declared_shape(
    schema, insurer, api_key_for, label
):
    matchable_case(insurer)
    headers = {"Authorization": f"Api-Key {api_key_for(insurer)}"}
    operation = schema.find_operation_by_label(label)

    @given(case=operation.as_strategy())
    @SETTINGS
    def check(case) -> None:
        response = case.call(headers=headers)
        assert response.status_code < 500, response.text
        case.validate_response(response, excluded_checks=[positive_data_acceptance, ignored_auth])

    check()


def test_a_valid_request_is_201_in_the_declared_shape(schema, insurer) -> None:
    location = LocationFactory()
    operation = schema.find_operation_by_label("POST /api/v1/mediation-requests/")
    case = operation.Case(body=request_payload(insurer, location), media_type="application/json")

    response = case.call()

    assert response.status_code == 201, response.text
    case.validate_response(response)
    body = response.json()
    assert Case.objects.filter(reference=body["reference"]).exists()
    status = schema.find_operation_by_label("GET /api/v1/mediation-requests/{reference}/").Case(
        path_parameters={"reference": body["reference"]},
        headers={"X-Access-Token": body["access_token"]},
    )
    answer = status.call()
    assert answer.status_code == 200
    status.validate_response(answer)


def test_matches_are_200_in_the_declared_shape(schema, insurer, api_key_for) -> None:
    case, _location = matchable_case(insurer)
    operation = schema.find_operation_by_label("GET /api/v1/cases/{reference}/matches/")
    call = operation.Case(path_parameters={"reference": case.reference})

    response = call.call(headers={"Authorization": f"Api-Key {api_key_for(insurer)}"})

    assert response.status_code == 200 and len(response.json()) == 1
    call.validate_response(response, excluded_checks=[ignored_auth])
