"""The national report (issue 14): ``GET /api/v1/reports/national/`` in JSON and CSV for insurers
and the regulator, and its page: the coloured matrix (with text and symbols, not colour alone),
the drill-down to each region's report, the lists, the kind chooser and the dashboard link."""

from __future__ import annotations

import csv
import io

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from tests.providers.test_national_report import build_world, norms  # noqa: F401

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/national/"


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    """The pages below are asked for in English; leave the thread in the site's language."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def world():
    return build_world(today=timezone.localdate())


def test_the_url_is_the_contracts() -> None:
    assert reverse("api-national-report") == URL


def test_json_report(api_client, mediator, world) -> None:
    api_client.force_authenticate(mediator)

    response = api_client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "date",
        "last_cycle",
        "stale_before",
        "capacity_from",
        "capacity_until",
        "regions",
        "specialisms",
        "matrix",
        "totals",
        "series_not_reported",
        "persistent_overruns",
    }
    assert {"code": "TSTA", "name": "Testregio A"} in body["regions"]
    cells = {(c["region"], c["specialism"], c["kind"], c["setting"]): c for c in body["matrix"]}
    assert cells[("TSTA", "0305", "first_visit", "")] == {
        "region": "TSTA",
        "specialism": "0305",
        "kind": "first_visit",
        "setting": "",
        "series": 6,
        "series_current": 4,
        "series_exceeding": 2,
        "series_not_reported": 3,
        "series_persistent_overrun": 0,
        "median_days": 25.0,
        "norm_max_days": 28,
        "norm_status": "within_maximum",
        "capacity": 7,
    }
    assert cells[("TSTB", "0305", "first_visit", "")]["series_persistent_overrun"] == 1
    assert body["totals"]["series_not_reported"] == body["series_not_reported"]["count"] == 3
    assert body["persistent_overruns"]["count"] == 1
    [flagged] = body["persistent_overruns"]["results"]
    assert (flagged["region"], flagged["location_name"], flagged["cycles"]) == ("TSTB", "B1", 3)
    assert flagged["norm_max_days"] == 28
    assert [s["location_name"] for s in body["series_not_reported"]["results"]] == [
        "A2",
        "A3",
        "A4",
    ]


def test_csv_is_the_matrix_as_a_flat_table(api_client, regulator, world) -> None:
    api_client.force_authenticate(regulator)

    response = api_client.get(URL, {"format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="national-report-{today}.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "region",
        "specialism",
        "kind",
        "setting",
        "series",
        "series_current",
        "series_exceeding",
        "series_not_reported",
        "series_persistent_overrun",
        "median_days",
        "norm_max_days",
        "norm_status",
        "capacity",
    ]
    assert rows[1][:11] == ["TSTA", "0305", "first_visit", "", "6", "4", "2", "3", "0", "25", "28"]
    assert rows[2][:4] == ["TSTA", "0305", "treatment", "day"]
    assert ["TSTB", "0305", "treatment", "day", "0", "0", "0", "0", "0", "", "42", "", "6"] in rows


@pytest.mark.parametrize("role_fixture", ["planner", "provider_admin"])
def test_providers_may_not(api_client, request, role_fixture, world) -> None:
    api_client.force_authenticate(request.getfixturevalue(role_fixture))

    assert api_client.get(URL).status_code == 403
    assert api_client.get(URL, {"format": "csv"}).status_code == 403


def test_anonymous_gets_401_in_json_also_when_csv_is_asked(api_client, world) -> None:
    for params in ({}, {"format": "csv"}):
        response = api_client.get(URL, params)

        assert response.status_code == 401
        assert response["Content-Type"].startswith("application/json")


def test_the_schema_documents_json_and_csv(api_client) -> None:
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    operation = schema["paths"][URL]["get"]
    assert set(operation["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    assert operation["operationId"] == "reports_national_retrieve"


# --- The page -------------------------------------------------------------------------------------
def get(client, user, url, **params):
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client.get(url, params, HTTP_ACCEPT_LANGUAGE="en")


def test_page_shows_the_matrix_with_drill_down_and_lists(client, regulator, world) -> None:
    response = get(client, regulator, reverse("providers:national-report"))

    assert response.status_code == 200
    html = response.content.decode()
    # Each region's column leads to its regional report.
    assert reverse("providers:regional-report", args=["TSTA"]) in html
    assert reverse("providers:regional-report", args=["TSTB"]) in html
    # Orthopedics first visits: a median of 25 days (4 weeks), within the maximum: colour, symbol
    # and words.
    assert "wait-cell-within_maximum" in html
    assert "4 wk" in html
    assert "Within the maximum" in html
    assert "3 not reported" in html
    # Region B: above the maximum, one series persistently over the norm.
    assert "wait-cell-above_maximum" in html
    assert "1 persistent" in html
    # The lists, and the CSV download.
    assert "Persistently over the norm" in html
    assert "B1" in html and "A4" in html
    assert reverse("api-national-report") + "?format=csv" in html


def test_page_shows_one_kind_at_a_time(client, mediator, world) -> None:
    html = get(
        client, mediator, reverse("providers:national-report"), kind="treatment_day"
    ).content.decode()

    assert '<option value="treatment_day" selected>' in html
    assert "7 wk" in html  # 45 days, above the day-care maximum
    # An unknown kind falls back to first visits.
    html = get(client, mediator, reverse("providers:national-report"), kind="x").content.decode()
    assert '<option value="first_visit" selected>' in html


def test_the_dashboard_links_to_the_national_report(client, regulator, mediator) -> None:
    for user in (regulator, mediator):
        html = get(client, user, reverse("accounts:dashboard")).content.decode()

        assert reverse("providers:national-report") in html
    html = get(client, regulator, reverse("accounts:dashboard")).content.decode()
    assert reverse("mediation:regulator-outcomes") in html


@pytest.mark.parametrize("role_fixture", ["planner", "provider_admin"])
def test_providers_may_not_see_the_page(client, request, role_fixture) -> None:
    response = get(
        client, request.getfixturevalue(role_fixture), reverse("providers:national-report")
    )

    assert response.status_code == 403
