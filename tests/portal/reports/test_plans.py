"""The regional report's catch-up plans section (issue 5): backlog totals and the share on track
per specialism of the region's providers — an insurer sees the plans addressed to it, the
regulator all of them — in JSON, in the CSV and on the page."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from tests.accounts.factories import ProviderOrganisationFactory, member
from tests.plans.factories import approved_plan, line, submitted_plan
from tests.providers.factories import ProviderFactory, RegionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def plans(insurer, other_insurer, contract_manager):
    """Two plans in region TSTP for 0305 (one per insurer) and one elsewhere."""
    year = timezone.localdate().year
    period = (date(year, 1, 1), date(year, 12, 1))

    def planned(total: int) -> dict[str, int]:
        return {f"{year}-{month:02d}": total // 12 for month in range(1, 13)}

    region = RegionFactory(code="TSTP", name="Testregio P")
    elsewhere = RegionFactory(code="TSTQ", name="Testregio Q")

    def planner_in(where):
        provider = ProviderFactory(region=where)
        return member(Role.PLANNER, ProviderOrganisationFactory(provider=provider))

    approved_plan(
        planner_in(region),
        contract_manager,
        insurer,
        period=period,
        lines=[line("0305", 4, 120, planned(120))],
    )
    submitted_plan(
        planner_in(region),
        other_insurer,
        period=period,
        lines=[line("0305", 3, 240, planned(240)), line("0303", 4, 60, planned(60))],
    )
    submitted_plan(
        planner_in(elsewhere), insurer, period=period, lines=[line("0305", 4, 999, planned(996))]
    )
    return region


def url(code: str, **query: str) -> str:
    path = reverse("api-regional-report", kwargs={"code": code})
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_an_insurer_sees_the_plans_addressed_to_it(api_client, mediator, plans) -> None:
    api_client.force_authenticate(mediator)

    body = api_client.get(url("TSTP")).json()

    assert [(p["specialism"], p["plans"], p["backlog"]) for p in body["plans"]] == [
        ("0305", 1, 120)
    ]
    assert body["plans"][0]["remaining"] == 120
    assert set(body["plans"][0]) == {
        "specialism",
        "specialism_name",
        "plans",
        "backlog",
        "remaining",
        "plans_on_track",
        "on_track_percentage",
    }


def test_the_regulator_sees_every_insurers_plans(api_client, regulator, plans) -> None:
    api_client.force_authenticate(regulator)

    body = api_client.get(url("TSTP")).json()

    assert {p["specialism"]: (p["plans"], p["backlog"]) for p in body["plans"]} == {
        "0303": (1, 60),
        "0305": (2, 360),
    }


def test_the_csv_carries_the_plan_columns_also_for_specialisms_without_waits(
    api_client, regulator, plans
) -> None:
    api_client.force_authenticate(regulator)

    response = api_client.get(url("TSTP", format="csv"))
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))

    by_specialism = {row["specialism"]: row for row in rows}
    assert by_specialism["0305"]["kind"] == ""
    assert (by_specialism["0305"]["plans"], by_specialism["0305"]["plan_backlog"]) == ("2", "360")
    assert by_specialism["0303"]["plan_backlog_remaining"] == "60"


def test_the_page_shows_the_plans_section(client, contract_manager, plans) -> None:
    client.force_login(contract_manager)

    page = client.get(reverse("providers:regional-report", kwargs={"code": "TSTP"}))

    assert page.status_code == 200
    assert [(p.specialism_code, p.plans) for p in page.context["plan_rows"]] == [("0305", 1)]
    assert 'id="plans"' in page.content.decode()


def test_the_schema_documents_the_plans(api_client) -> None:
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    report = schema["components"]["schemas"]["RegionalReportWithPlans"]
    assert "plans" in report["properties"]
