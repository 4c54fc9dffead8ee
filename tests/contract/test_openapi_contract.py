"""The public API keeps to its OpenAPI contract: schemathesis generates requests for every public
reference operation from our own schema and checks the responses (status codes, content types,
response bodies against the declared schemas, no server errors)."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings

from config.wsgi import application
from tests.providers.factories import LocationFactory

pytestmark = pytest.mark.django_db

PUBLIC_OPERATIONS = [
    "GET /api/v1/specialisms/",
    "GET /api/v1/treatments/",
    "GET /api/v1/regions/",
    "GET /api/v1/norms/",
    "GET /api/v1/insurers/",
    "GET /api/v1/providers/",
]


@pytest.fixture(autouse=True)
def _keep_test_connection_open():
    """schemathesis calls the WSGI app directly, whose request signals would close the test's
    database connection (inside its transaction); Django's test client disconnects them too."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    # Generating the schema runs the app's middleware, which may read the database.
    with django_db_blocker.unblock():
        return schemathesis.openapi.from_wsgi("/api/schema/", application)


def test_schema_lists_every_public_operation(schema) -> None:
    labels = {result.ok().label for result in schema.get_all_operations()}
    assert set(PUBLIC_OPERATIONS) <= labels


@pytest.mark.parametrize("label", PUBLIC_OPERATIONS)
def test_public_operation_conforms(schema, label, insurer) -> None:
    LocationFactory()
    operation = schema.find_operation_by_label(label)

    @given(case=operation.as_strategy())
    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    def check(case) -> None:
        response = case.call()
        case.validate_response(response)

    check()
