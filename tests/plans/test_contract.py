"""The plans endpoints keep to their OpenAPI contract: schemathesis sends generated requests with
a provider's and an insurer's API key and checks every answer against our own schema; a known-good
plan is answered 201 in the declared shape."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import ignored_auth, positive_data_acceptance

from tests.plans.factories import make_plan, submitted_plan

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("keep_test_connection_open")]

PROVIDER_OPERATIONS = [
    "GET /api/v1/plans/",
    "POST /api/v1/plans/",
    "GET /api/v1/plans/{id}/",
    "PATCH /api/v1/plans/{id}/",
    "PUT /api/v1/plans/{id}/",
    "POST /api/v1/plans/{id}/submit/",
    "POST /api/v1/plans/{id}/progress/",
]
INSURER_OPERATIONS = [
    "GET /api/v1/plans/",
    "GET /api/v1/plans/{id}/",
    "POST /api/v1/plans/{id}/review/",
    "POST /api/v1/plans/{id}/close/",
]
# The test sends a real key itself; 401 and 403 are tested in test_api and test_access_matrix.
AUTH_GIVEN_BY_THE_TEST = [ignored_auth]


def run(schema, label: str, headers: dict) -> None:
    operation = schema.find_operation_by_label(label)

    @given(case=operation.as_strategy())
    @settings(
        max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
    )
    def check(case) -> None:
        response = case.call(headers=headers)
        assert response.status_code < 500, response.text
        # Which codes, months and plans exist is data the schema cannot express.
        case.validate_response(
            response, excluded_checks=[positive_data_acceptance, *AUTH_GIVEN_BY_THE_TEST]
        )

    check()


@pytest.mark.parametrize("label", PROVIDER_OPERATIONS)
def test_provider_operations(schema, api_key_for, planner, provider_org, insurer, label) -> None:
    make_plan(planner, insurer)
    run(schema, label, {"Authorization": f"Api-Key {api_key_for(provider_org)}"})


@pytest.mark.parametrize("label", INSURER_OPERATIONS)
def test_insurer_operations(schema, api_key_for, planner, insurer, label) -> None:
    submitted_plan(planner, insurer)
    run(schema, label, {"Authorization": f"Api-Key {api_key_for(insurer)}"})


def test_a_valid_plan_is_201_in_the_declared_shape(
    schema, api_key_for, provider_org, insurer
) -> None:
    operation = schema.find_operation_by_label("POST /api/v1/plans/")
    case = operation.Case(
        body={
            "insurer": insurer.uzovi,
            "period_start": "2026-01",
            "period_end": "2026-12",
            "measures": {"digital_care": "Beeldbellen."},
            "lines": [
                {
                    "specialism": "0305",
                    "urgency_class": 4,
                    "backlog": 120,
                    "planned": [{"month": "2026-01", "volume": 60}],
                }
            ],
        },
        media_type="application/json",
    )
    response = case.call(headers={"Authorization": f"Api-Key {api_key_for(provider_org)}"})

    assert response.status_code == 201, response.text
    case.validate_response(response, excluded_checks=AUTH_GIVEN_BY_THE_TEST)
    assert response.json()["forecast"]["on_track"] is False
