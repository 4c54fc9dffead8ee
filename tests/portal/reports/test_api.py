"""``GET /api/v1/reports/regions/{code}/`` (DESIGN §8): JSON and CSV, roles, unknown regions."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from providers.waiting_times.rules import nza_reference_date_on_or_before
from tests.providers.test_regional_report import build_world, norms  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    today = timezone.localdate()
    return build_world(last_cycle=nza_reference_date_on_or_before(today), today=today)


def url(code: str = "TSTA") -> str:
    return reverse("api-regional-report", kwargs={"code": code})


def test_json_report_for_a_mediator(api_client, mediator, world) -> None:
    api_client.force_authenticate(mediator)

    response = api_client.get(url())

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {
        "region",
        "neighbours",
        "date",
        "last_cycle",
        "stale_before",
        "capacity_from",
        "capacity_until",
        "rows",
        "series_not_reported",
        "providers_not_reported",
        "trend",
        "persistent_overruns",
        "plans",
    }
    assert body["plans"] == []
    assert body["region"] == {"code": "TSTA", "name": "Testregio A"}
    assert body["neighbours"] == [{"code": "TSTB", "name": "Testregio B"}]
    today = timezone.localdate()
    assert body["date"] == today.isoformat()
    assert body["last_cycle"] == nza_reference_date_on_or_before(today).isoformat()

    first_visit = body["rows"][0]
    assert first_visit == {
        "specialism": "0305",
        "specialism_name": "Orthopedie",
        "kind": "first_visit",
        "locations_reporting": 4,
        "locations_exceeding": 2,
        "locations_stale": 1,
        "series_not_reported": 2,
        "median_days": 30.0,
        "norm_max_days": 28,
        "median_exceeds_norm": True,
        "capacity_in_region": 7,
        "capacity_in_neighbours": 6,
        "treatments": [],
    }
    treatment = body["rows"][1]
    assert treatment["kind"] == "treatment"
    assert treatment["norm_max_days"] is None
    assert [t["treatment"] for t in treatment["treatments"]] == ["test-arthroscopy", "test-knee"]
    assert treatment["treatments"][0] == {
        "treatment": "test-arthroscopy",
        "treatment_name": "Testartroscopie",
        "setting": "day",
        "locations_reporting": 2,
        "locations_exceeding": 1,
        "locations_stale": 1,
        "series_not_reported": 1,
        "median_days": 42.5,
        "norm_max_days": 42,
        "median_exceeds_norm": True,
        "capacity_in_region": 3,
        "capacity_in_neighbours": 0,
    }

    not_reported = body["providers_not_reported"]
    assert [p["name"] for p in not_reported] == [
        "Kliniek Twee",
        "Ziekenhuis Drie",
        "Ziekenhuis Vier",
    ]
    assert set(not_reported[0]) == {
        "agb_code",
        "name",
        "kind",
        "last_reference_date",
        "locations",
        "series",
    }
    # Per series: Kliniek Twee's first visit (previous cycle) and its stale treatment series.
    assert [(s["kind"], s["treatment"]) for s in not_reported[0]["series"]] == [
        ("first_visit", None),
        ("treatment", "test-arthroscopy"),
    ]
    assert not_reported[0]["series"][0]["location"] == world.locations["L3"].code
    assert set(not_reported[0]["series"][0]) == {
        "location",
        "location_name",
        "specialism",
        "specialism_name",
        "treatment",
        "treatment_name",
        "kind",
        "last_reference_date",
    }
    # The counts agree: the rows' series not reported are the series listed.
    listed = sum(len(p["series"]) for p in not_reported)
    assert listed == body["series_not_reported"] == 3
    assert sum(row["series_not_reported"] for row in body["rows"]) == listed
    assert not_reported[1]["locations"] == [
        {
            "code": world.locations["L6"].code,
            "name": "Drie Buitenpoli",
            "last_reference_date": None,
        }
    ]

    assert len(body["trend"]) == 78
    last = [
        p
        for p in body["trend"]
        if p["kind"] == "first_visit" and p["reference_date"] == body["last_cycle"]
    ]
    assert last == [
        {
            "reference_date": body["last_cycle"],
            "kind": "first_visit",
            "median_days": 27.5,
            "percentage_above_norm": 50.0,
            "figures": 2,
        }
    ]


def test_csv_report_is_a_flat_table_download(api_client, regulator, world) -> None:
    api_client.force_authenticate(regulator)

    response = api_client.get(url(), {"format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="regional-report-TSTA-{today}.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        [
            "specialism",
            "kind",
            "locations_reporting",
            "locations_exceeding",
            "median_days",
            "capacity_in_region",
            "capacity_in_neighbours",
            "plans",
            "plan_backlog",
            "plan_backlog_remaining",
            "plans_on_track_percentage",
            "series_not_reported",
        ],
        ["0305", "first_visit", "4", "2", "30", "7", "6", "", "", "", "", "2"],
        ["0305", "treatment", "2", "2", "45", "3", "0", "", "", "", "", "1"],
        ["0306", "diagnostics", "0", "0", "", "0", "7", "", "", "", "", "0"],
    ]


def test_csv_is_also_given_for_accept_text_csv(api_client, contract_manager, world) -> None:
    api_client.force_authenticate(contract_manager)

    response = api_client.get(url(), HTTP_ACCEPT="text/csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith("\ufeffspecialism;kind;".encode())


@pytest.mark.parametrize(
    "role_fixture", ["mediator", "contract_manager", "insurer_admin", "regulator"]
)
def test_insurer_roles_and_the_regulator_may_read(api_client, request, role_fixture, world) -> None:
    api_client.force_authenticate(request.getfixturevalue(role_fixture))

    assert api_client.get(url()).status_code == 200


@pytest.mark.parametrize("role_fixture", ["planner", "provider_admin"])
def test_providers_may_not(api_client, request, role_fixture, world) -> None:
    api_client.force_authenticate(request.getfixturevalue(role_fixture))

    response = api_client.get(url())

    assert response.status_code == 403


def test_anonymous_gets_401_in_json_also_when_csv_is_asked(api_client, world) -> None:
    for params in ({}, {"format": "csv"}):
        response = api_client.get(url(), params)

        assert response.status_code == 401
        assert response["Content-Type"].startswith("application/json")
        assert "detail" in response.json()


def test_api_keys_of_insurers_and_the_regulator(
    api_client, api_key_for, insurer, provider_org, regulator_org, world
) -> None:
    for organisation, status in ((insurer, 200), (regulator_org, 200), (provider_org, 403)):
        api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_for(organisation)}")
        assert api_client.get(url()).status_code == status, organisation


def test_unknown_region_is_404_in_json(api_client, mediator, world) -> None:
    api_client.force_authenticate(mediator)

    for params in ({}, {"format": "csv"}):
        response = api_client.get(url("NOPE"), params)

        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/json")


def test_an_empty_region_has_an_empty_report(api_client, regulator, world) -> None:
    api_client.force_authenticate(regulator)

    body = api_client.get(url("TSTC")).json()

    assert body["neighbours"] == []
    assert body["rows"] == [
        {
            "specialism": "0305",
            "specialism_name": "Orthopedie",
            "kind": "first_visit",
            "locations_reporting": 0,
            "locations_exceeding": 0,
            "locations_stale": 0,
            "series_not_reported": 0,
            "median_days": None,
            "norm_max_days": 28,
            "median_exceeds_norm": None,
            "capacity_in_region": 8,
            "capacity_in_neighbours": 0,
            "treatments": [],
        }
    ]
    assert body["providers_not_reported"] == [
        {
            "agb_code": world.providers["R1"].agb_code,
            "name": "Verweg Ziekenhuis",
            "kind": "hospital",
            "last_reference_date": None,
            "locations": [
                {
                    "code": world.locations["R1"].code,
                    "name": "Verweg Locatie",
                    "last_reference_date": None,
                }
            ],
            "series": [],
        }
    ]
    assert {p["figures"] for p in body["trend"]} == {0}


def test_the_schema_documents_json_and_csv(api_client) -> None:
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    operation = schema["paths"]["/api/v1/reports/regions/{code}/"]["get"]
    assert set(operation["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    assert {"401", "403", "404"} <= set(operation["responses"])
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert sorted(parameters["format"]["schema"]["enum"]) == ["csv", "json"]
    assert parameters["code"]["in"] == "path"


def test_series_persistently_over_the_norm_are_in_the_report(api_client, regulator, world) -> None:
    from providers.models import PersistentOverrun, WaitingTimeSeries

    series = WaitingTimeSeries.objects.get(location=world.locations["L2"], kind="first_visit")
    since = timezone.localdate() - timedelta(days=28)
    PersistentOverrun.objects.create(
        series=series, since=since, latest_reference_date=since, cycles=3, days=35, max_days=28
    )
    api_client.force_authenticate(regulator)

    body = api_client.get(url()).json()

    assert body["persistent_overruns"] == [
        {
            "provider": world.providers["P1"].agb_code,
            "provider_name": "Ziekenhuis Een",
            "location": world.locations["L2"].code,
            "location_name": "Een Buitenpoli",
            "specialism": "0305",
            "specialism_name": "Orthopedie",
            "treatment": None,
            "treatment_name": None,
            "kind": "first_visit",
            "since": since.isoformat(),
            "cycles": 3,
            "days": 35,
            "norm_max_days": 28,
        }
    ]
