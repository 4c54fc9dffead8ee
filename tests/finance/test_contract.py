"""The finance endpoints keep to their OpenAPI contract: schemathesis sends generated requests
with an insurer's API key (a contract manager) and checks every answer against our own schema;
known-good requests are answered in the declared shape."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import ignored_auth, positive_data_acceptance

from finance.models import ArrangementStatus
from tests.finance.factories import ArrangementFactory, ContractFactory, CostClaimFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("keep_test_connection_open")]

OPERATIONS = [
    "GET /api/v1/contracts/",
    "POST /api/v1/contracts/",
    "GET /api/v1/contracts/{id}/",
    "GET /api/v1/arrangements/",
    "POST /api/v1/arrangements/",
    "GET /api/v1/arrangements/{id}/",
    "POST /api/v1/arrangements/{id}/agree/",
    "POST /api/v1/arrangements/{id}/settle/",
    "GET /api/v1/arrangements/{id}/production/",
    "POST /api/v1/arrangements/{id}/production/",
    "GET /api/v1/arrangements/{id}/claims/",
    "POST /api/v1/arrangements/{id}/claims/",
    "POST /api/v1/arrangements/{id}/claims/{claim_pk}/approve/",
    "POST /api/v1/arrangements/{id}/claims/{claim_pk}/reject/",
    "GET /api/v1/arrangements/{id}/payments/",
    "POST /api/v1/arrangements/{id}/payments/",
]
AUTH_GIVEN_BY_THE_TEST = [ignored_auth]


@pytest.fixture
def headers(api_key_for, insurer):
    return {"Authorization": f"Api-Key {api_key_for(insurer)}"}


@pytest.fixture
def money(insurer, provider_org):
    contract = ContractFactory(insurer=insurer, provider=provider_org.provider, year=2026)
    arrangement = ArrangementFactory(
        contract=contract, kind="additional_costs", status=ArrangementStatus.AGREED
    )
    CostClaimFactory(arrangement=arrangement)
    return contract, arrangement


def test_schema_lists_every_finance_operation(schema) -> None:
    labels = {result.ok().label for result in schema.get_all_operations()}
    assert set(OPERATIONS) <= labels


@pytest.mark.parametrize("label", OPERATIONS)
def test_generated_requests_get_answers_in_the_declared_shape(schema, headers, money, label):
    operation = schema.find_operation_by_label(label)

    @given(case=operation.as_strategy())
    @settings(
        max_examples=20,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    def check(case) -> None:
        response = case.call(headers=headers)
        assert response.status_code < 500
        # Which providers, contracts and arrangements exist is data the schema cannot express,
        # so a schema-valid request may still be refused (400) or not found (404).
        case.validate_response(
            response, excluded_checks=[positive_data_acceptance, *AUTH_GIVEN_BY_THE_TEST]
        )

    check()


def test_known_good_requests_are_answered_in_the_declared_shape(schema, headers, money):
    contract, arrangement = money
    cases = [
        (
            "POST /api/v1/arrangements/",
            {},
            {
                "provider": contract.provider.agb_code,
                "year": 2026,
                "kind": "continuity_contribution",
                "coverage_percentage": "80.00",
                "budget": None,
            },
            201,
        ),
        (
            "POST /api/v1/arrangements/{id}/production/",
            {"id": arrangement.pk},
            {"month": "2026-03", "amount": "1000.00", "catch_up_amount": "100.00"},
            201,
        ),
        (
            "POST /api/v1/arrangements/{id}/payments/",
            {"id": arrangement.pk},
            {"date": "2026-03-01", "amount": "500.00", "kind": "advance"},
            201,
        ),
        ("GET /api/v1/arrangements/{id}/", {"id": arrangement.pk}, None, 200),
    ]
    for label, path_parameters, body, expected in cases:
        operation = schema.find_operation_by_label(label)
        kwargs = {"path_parameters": path_parameters}
        if body is not None:
            kwargs.update(body=body, media_type="application/json")
        case = operation.Case(**kwargs)
        response = case.call(headers=headers)
        assert response.status_code == expected, (label, response.text)
        case.validate_response(response, excluded_checks=AUTH_GIVEN_BY_THE_TEST)
    assert arrangement.payments.get().amount == Decimal("500.00")
