"""Cross-cutting API behaviour: throttling of public endpoints, the health check, errors."""

import pytest
from rest_framework.throttling import ScopedRateThrottle

pytestmark = pytest.mark.django_db


def test_public_endpoints_are_throttled_per_client(api_client, monkeypatch) -> None:
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"public": "3/minute"})
    statuses = [api_client.get("/api/v1/norms/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert "Retry-After" in api_client.get("/api/v1/norms/").headers
    # Another client (address) has its own budget.
    other = api_client.get("/api/v1/norms/", REMOTE_ADDR="192.0.2.99")
    assert other.status_code == 200


def test_health_check(client, settings) -> None:
    settings.REDIS_URL = ""
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "not configured"},
    }


def test_unknown_api_path_is_404_json(api_client) -> None:
    assert api_client.get("/api/v1/does-not-exist/").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/treatments/?specialism=03%0005",  # a NUL byte: PostgreSQL would refuse it
        "/api/v1/treatments/?specialism=305",  # the leading zero is part of the code
        "/api/v1/providers/?kind=clinic",
        "/api/v1/providers/?region=%00",
    ],
)
def test_bad_filter_values_are_400_not_500(api_client, url) -> None:
    response = api_client.get(url)
    assert response.status_code == 400
    assert response.json()  # names the field


def test_django_validation_errors_use_drf_shape() -> None:
    from django.core.exceptions import ValidationError

    from core.errors import api_exception_handler

    response = api_exception_handler(
        ValidationError({"__all__": ["Whole object wrong."], "days": ["Too many."]}), {}
    )
    assert response.status_code == 400
    assert response.data == {"non_field_errors": ["Whole object wrong."], "days": ["Too many."]}


@pytest.mark.django_db
def test_an_api_path_that_matches_no_route_is_a_json_404(client) -> None:
    # e.g. a negative id where the route takes a positive integer
    response = client.post("/api/v1/mediation-requests/ZB-2026-000001/offers/-5/decline/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")
