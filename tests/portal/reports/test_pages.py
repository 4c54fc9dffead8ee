"""The regional report pages: choose a region, then its table, missing providers, trend charts
(Chart.js fed by json_script, no inline JavaScript) and the CSV link; insurers, regulator only."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from providers.waiting_times.rules import nza_reference_date_on_or_before
from tests.providers.test_regional_report import build_world, norms  # noqa: F401

pytestmark = pytest.mark.django_db

INLINE_SCRIPT_RE = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)


@pytest.fixture
def world():
    today = timezone.localdate()
    return build_world(last_cycle=nza_reference_date_on_or_before(today), today=today)


def get(client, user, url):
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client.get(url, HTTP_ACCEPT_LANGUAGE="en")


def test_index_lists_the_regions_with_links(client, mediator, world) -> None:
    response = get(client, mediator, reverse("providers:regional-report-index"))

    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("providers:regional-report", args=["TSTA"]) in html
    assert "Testregio A" in html
    # The ten ROAZ regions of the reference data are there too.
    assert reverse("providers:regional-report", args=["NAZB"]) in html


def test_report_page_shows_table_missing_providers_chart_and_csv_link(
    client, regulator, world
) -> None:
    response = get(client, regulator, reverse("providers:regional-report", args=["TSTA"]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Testregio A" in html
    # The orthopedics first-visit row: median 30 days (5 weeks), above the maximum, in words.
    assert "Orthopedie" in html
    assert "30 days" in html
    assert "Above the maximum" in html
    assert "wait-cell-above_maximum" in html
    # The treatment table and the providers that did not report.
    assert "Testartroscopie" in html
    assert "Drie Buitenpoli" in html
    assert "never reported" in html
    assert "Kliniek Twee" in html
    # Per series: Kliniek Twee's stale arthroscopy series is a line of its own, and the count.
    not_reported = html[html.index('id="not-reported"') :]
    assert "Testartroscopie" in not_reported[: not_reported.index('id="trend"')]
    assert "3 series of active locations have no figure" in html
    assert "2 series not reported" in html
    assert 'id="persistent"' in html
    assert "No series in this region is above the norm" in html
    # The CSV download goes to the API.
    assert reverse("api-regional-report", args=["TSTA"]) + "?format=csv" in html
    # Two charts, each fed by a JSON data block; Chart.js itself is loaded from static files.
    assert 'data-chart="median-chart"' in html
    assert 'data-chart="share-chart"' in html
    assert "vendor/chartjs/chart.umd.min.js" in html
    assert not INLINE_SCRIPT_RE.search(html)
    config = json.loads(
        re.search(r'<script id="median-chart" type="application/json">(.*?)</script>', html).group(
            1
        )
    )
    assert config["type"] == "line"
    assert len(config["data"]["labels"]) == 26
    first_visit = config["data"]["datasets"][0]
    assert first_visit["label"] == "First outpatient visit"
    assert first_visit["data"][-1] == 27.5


def test_report_page_of_an_unknown_region_is_404(client, mediator, world) -> None:
    response = get(client, mediator, reverse("providers:regional-report", args=["NOPE"]))

    assert response.status_code == 404


@pytest.mark.parametrize("role_fixture", ["planner", "provider_admin"])
def test_providers_may_not_see_the_pages(client, request, role_fixture, world) -> None:
    user = request.getfixturevalue(role_fixture)

    for url in (
        reverse("providers:regional-report-index"),
        reverse("providers:regional-report", args=["TSTA"]),
    ):
        assert get(client, user, url).status_code == 403


def test_anonymous_users_are_sent_to_the_login_page(client, world) -> None:
    url = reverse("providers:regional-report", args=["TSTA"])

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    ("role_fixture", "shown"),
    [
        ("mediator", True),
        ("contract_manager", True),
        ("insurer_admin", True),
        ("regulator", True),
        ("planner", False),
    ],
)
def test_navigation_links_to_regional_reports(client, request, role_fixture, shown) -> None:
    response = get(client, request.getfixturevalue(role_fixture), reverse("home"))

    html = response.content.decode()
    assert (reverse("providers:regional-report-index") in html) is shown
    assert ("Regional reports" in html) is shown
