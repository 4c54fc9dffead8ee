"""The public API keeps to its OpenAPI contract: schemathesis generates requests for every public
reference operation from our own schema and checks the responses (status codes, content types,
response bodies against the declared schemas, no server errors)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from providers.models import Specialism
from tests.providers.factories import LocationFactory, WaitingTimeSeriesFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("keep_test_connection_open")]

PUBLIC_OPERATIONS = [
    "GET /api/v1/specialisms/",
    "GET /api/v1/treatments/",
    "GET /api/v1/regions/",
    "GET /api/v1/norms/",
    "GET /api/v1/insurers/",
    "GET /api/v1/providers/",
    "GET /api/v1/waiting-times/current/",
]
# Which codes and postcodes exist is data, and some parameters need another (a distance needs a
# postcode): the schema cannot say so. These operations may answer a schema-valid request 400, but
# only naming parameters that were sent (checked instead of positive data acceptance).
DATA_DEPENDENT_OPERATIONS = {"GET /api/v1/waiting-times/current/"}


def names_only_sent_parameters(ctx, response, case) -> bool | None:
    if response.status_code != 400:
        return None
    fields = set(response.json())
    sent = set(case.query or {})
    assert fields <= sent, f"400 names {fields - sent}, which the request did not send ({sent})"
    return True


def test_schema_lists_every_public_operation(schema) -> None:
    labels = {result.ok().label for result in schema.get_all_operations()}
    assert set(PUBLIC_OPERATIONS) <= labels


@pytest.mark.parametrize("label", PUBLIC_OPERATIONS)
def test_public_operation_conforms(schema, label, insurer) -> None:
    location = LocationFactory()
    WaitingTimeSeriesFactory(location=location, specialism=Specialism.objects.get(code="0305"))
    operation = schema.find_operation_by_label(label)
    data_dependent = label in DATA_DEPENDENT_OPERATIONS

    @given(case=operation.as_strategy())
    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    def check(case) -> None:
        response = case.call()
        if data_dependent:
            case.validate_response(
                response,
                excluded_checks=[positive_data_acceptance],
                additional_checks=[names_only_sent_parameters],
            )
        else:
            case.validate_response(response)

    check()
