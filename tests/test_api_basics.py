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


# --- Every answer under /api/ is JSON, also when Django itself refuses a request (issue 12) ------
def test_too_many_form_fields_under_api_is_a_json_400(
    api_client, settings, provider_org, api_key_for
) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_for(provider_org)}")
    fields = {f"field{number}": "x" for number in range(10)}

    # The CSV import is the API's one multipart endpoint.
    response = api_client.post("/api/v1/waiting-times/import/", fields, format="multipart")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "5" in response.json()["detail"]  # says what the limit is


def test_too_many_query_parameters_under_api_is_a_json_400(api_client, settings) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    response = api_client.get("/api/v1/norms/?" + "&".join(f"p{n}=1" for n in range(10)))

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


def test_a_bad_request_outside_the_api_keeps_the_site_page(client, settings) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    response = client.post("/bemiddeling/aanvragen/", {f"f{n}": "x" for n in range(10)})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_a_server_error_under_api_is_json(monkeypatch) -> None:
    from django.test import Client

    from providers.reference import apis

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(apis.selectors, "norm_list", broken)
    client = Client(raise_request_exception=False)

    response = client.get("/api/v1/norms/")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]
    assert "boom" not in response.content.decode()  # nothing of the error leaks


def test_a_server_error_outside_the_api_is_the_site_page(monkeypatch) -> None:
    from django.test import Client

    from portal import views

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "norm_list", broken)
    response = Client(raise_request_exception=False).get("/")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")


def test_a_permission_denied_under_api_is_json(rf) -> None:
    from django.core.exceptions import PermissionDenied
    from django.urls import get_resolver

    handler = get_resolver().resolve_error_handler(403)

    api = handler(rf.get("/api/v1/cases/"), PermissionDenied())
    page = handler(rf.get("/bemiddeling/"), PermissionDenied())

    assert api.status_code == 403
    assert api["Content-Type"] == "application/json"
    assert page.status_code == 403
    assert page["Content-Type"].startswith("text/html")


# --- Pagination: page and page_size are whole numbers in range, or left out (DESIGN §8) ----------
@pytest.mark.parametrize("value", ["", "null", "0", "-5", "2.5", "abc", " 5"])
def test_a_bad_page_size_is_400_naming_it(api_client, value) -> None:
    response = api_client.get("/api/v1/specialisms/", {"page_size": value})

    assert response.status_code == 400
    assert list(response.json()) == ["page_size"]


@pytest.mark.parametrize("value", ["", "null", "0", "-1", "last", "abc"])
def test_a_bad_page_number_is_400_naming_it(api_client, value) -> None:
    response = api_client.get("/api/v1/specialisms/", {"page": value})

    assert response.status_code == 400
    assert list(response.json()) == ["page"]


def test_page_size_and_page_in_range(api_client) -> None:
    first = api_client.get("/api/v1/specialisms/", {"page_size": 5}).json()
    second = api_client.get("/api/v1/specialisms/", {"page_size": 5, "page": 2}).json()
    largest = api_client.get("/api/v1/specialisms/", {"page_size": "9" * 5000}).json()

    assert len(first["results"]) == 5 and len(second["results"]) == 5
    assert first["results"][0] != second["results"][0]
    assert len(largest["results"]) == largest["count"]  # capped at 500 (tests/providers)
    # A page past the last one is 404 (also one too large for a number).
    assert api_client.get("/api/v1/specialisms/", {"page": 99}).status_code == 404
    assert api_client.get("/api/v1/specialisms/", {"page": "9" * 5000}).status_code == 404


# --- A query parameter that is sent carries a value (the schema's allowEmptyValue is false) ----
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/treatments/?specialism=",
        "/api/v1/providers/?region=",
        "/api/v1/providers/?kind=%20",
        "/api/v1/waiting-times/current/?specialism=",
        "/api/v1/waiting-times/current/?ordering=",
    ],
)
def test_an_empty_filter_is_400_naming_it(api_client, url) -> None:
    name = url.split("?")[1].split("=")[0]

    response = api_client.get(url)

    assert response.status_code == 400
    assert list(response.json()) == [name]


@pytest.fixture
def as_insurer_key(api_client, insurer, api_key_for):
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_for(insurer)}")
    return api_client


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/cases/?specialism=",
        "/api/v1/cases/?overdue=",
        "/api/v1/plans/?status=",
        "/api/v1/contracts/?year=",
        "/api/v1/arrangements/?provider=",
    ],
)
def test_an_empty_filter_of_a_staff_list_is_400_naming_it(as_insurer_key, url) -> None:
    name = url.split("?")[1].split("=")[0]

    response = as_insurer_key.get(url)

    assert response.status_code == 400
    assert list(response.json()) == [name]


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/api/v1/contracts/?year=2026.5", "year"),
        ("/api/v1/arrangements/?year=99999999999999999999999", "year"),
        ("/api/v1/plans/?on_track=null", "on_track"),
        ("/api/v1/plans/?on_track=maybe", "on_track"),
        ("/api/v1/cases/?overdue=null", "overdue"),
    ],
)
def test_a_filter_of_the_wrong_type_is_400_naming_it(as_insurer_key, url, name) -> None:
    response = as_insurer_key.get(url)

    assert response.status_code == 400
    assert list(response.json()) == [name]


def test_boolean_and_year_filters_still_filter(as_insurer_key) -> None:
    assert as_insurer_key.get("/api/v1/plans/?on_track=true").status_code == 200
    assert as_insurer_key.get("/api/v1/plans/?on_track=false").status_code == 200
    assert as_insurer_key.get("/api/v1/cases/?overdue=false").status_code == 200
    assert as_insurer_key.get("/api/v1/contracts/?year=2026").status_code == 200


def test_the_audit_trail_page_still_reads_empty_fields_as_all(client, insurer_admin) -> None:
    """The web form sends its empty fields; only the API refuses empty filters."""
    client.force_login(insurer_admin)

    assert client.get("/accounts/audit/?action=&outcome=&user=").status_code == 200


# --- Request bodies are JSON (DESIGN §8); the schema offers no form encodings -----------------
def test_a_form_encoded_body_is_415(api_client) -> None:
    response = api_client.post(
        "/api/v1/mediation-requests/",
        "insurer=9901&consent=true",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 415
    assert response["Content-Type"] == "application/json"
