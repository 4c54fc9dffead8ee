"""The public waiting-time search page: works without JavaScript, answers htmx with a partial,
shows errors next to their fields and links to the mediation request only when it exists."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from providers.models import PostcodeArea, Specialism, Treatment, WaitingTimeKind
from tests.providers.factories import LocationFactory, WaitingTimeSeriesFactory
from tests.providers.urls_mediation import WithMediation, WithoutMediation

pytestmark = pytest.mark.django_db

SEARCH = {"postcode": "3511 AB", "specialism": "0305", "kind": "first_visit", "max_distance_km": 50}


@pytest.fixture
def english(client):
    """Page text in English, so that the checks do not depend on the Dutch translation."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def url() -> str:
    return reverse("providers:waiting-time-search")


def place(name: str, *, north_km: float, days: int | None, **series_kwargs):
    """A location ``north_km`` north of postcode 3511 with a current orthopaedics figure."""
    area = PostcodeArea.objects.get(pk="3511")
    location_kwargs = {
        key: series_kwargs.pop(key)
        for key in ("accepted_urgency_classes", "city")
        if key in series_kwargs
    }
    location = LocationFactory(
        name=name,
        latitude=Decimal(f"{float(area.latitude) + north_km / 111.195:.6f}"),
        longitude=area.longitude,
        **location_kwargs,
    )
    series_kwargs.setdefault("specialism", Specialism.objects.get(code="0305"))
    return WaitingTimeSeriesFactory(location=location, current_days=days, **series_kwargs)


def row_names(html: str) -> list[str]:
    return re.findall(r'<th scope="row">\s*<span class="d-block">([^<]+)</span>', html)


def test_empty_form_without_results(client, url):
    html = client.get(url).content.decode()

    assert '<html lang="nl"' in html
    assert 'method="get"' in html
    assert 'name="postcode"' in html and 'name="specialism"' in html
    assert 'name="treatment"' in html and 'name="max_distance_km"' in html
    assert "<table" not in html
    assert "errorlist" not in html
    # Treatments are grouped under their specialism.
    assert '<optgroup label="Orthopedie">' in html


def test_search_without_javascript_renders_the_results_ordered_by_wait(english, url):
    place("Langzaam", north_km=5, days=45)
    place("Snel", north_km=30, days=8)
    place("Midden", north_km=10, days=25)
    place("Te ver", north_km=80, days=1)
    place("Onbekend", north_km=1, days=None, current_insufficient_observations=True)

    response = english.get(url, SEARCH)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html
    assert row_names(html) == ["Snel", "Midden", "Langzaam", "Onbekend"]
    # Weeks rounded up, the days, and the norm in colour *and* words.
    assert "2 weeks" in html and "8 days" in html  # 8 days: 2 weeks
    assert "7 weeks" in html and "45 days" in html
    assert "wait-status-above_maximum" in html and "Above the maximum" in html
    assert "wait-status-within_maximum" in html and "Within the maximum" in html
    assert "wait-status-within_target" in html and "Within the target" in html
    assert "Too few patients to calculate" in html
    assert "30.0 km" in html
    assert "4 waiting times found" in html


def test_stale_figures_and_scale_down_are_shown(english, url):
    place(
        "Oud",
        north_km=5,
        days=10,
        current_reference_date=timezone.localdate() - timedelta(days=40),
        accepted_urgency_classes=[1, 2, 3],
    )

    html = english.get(url, SEARCH).content.decode()

    assert "badge-stale" in html and "Outdated" in html
    assert "Scaling down: currently only urgency classes 1, 2, 3" in html


def test_htmx_gets_the_results_and_the_fields_out_of_band(english, url):
    place("Snel", north_km=3, days=8)

    response = english.get(url, SEARCH, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert row_names(html) == ["Snel"]
    assert '<div id="search-form-fields" hx-swap-oob="true">' in html
    assert '<p id="search-status" hx-swap-oob="innerHTML">1 waiting time found' in html
    assert "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_whole_page(english, url):
    response = english.get(
        url, SEARCH, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in response.content.decode()


def test_the_form_is_wired_for_htmx(client, url):
    html = client.get(url).content.decode()
    form = re.search(r'<form id="search-form"[^>]*>', html).group(0)

    assert f'hx-get="{url}"' in form
    assert 'hx-target="#search-results"' in form
    assert 'hx-push-url="true"' in form


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize(
    ("postcode", "message"),
    [
        ("12345", "Enter a Dutch postcode"),
        ("1000 AA", "We do not know this postcode"),
    ],
)
def test_a_bad_postcode_is_shown_next_to_the_field(english, url, htmx, postcode, message):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}

    html = english.get(url, {**SEARCH, "postcode": postcode}, **headers).content.decode()

    error = re.search(r'<ul class="errorlist" id="id_postcode_error"><li>([^<]+)</li>', html)
    assert error is not None and message in error.group(1)
    field = re.search(r'<input type="text" name="postcode"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in field
    assert re.search(r'aria-describedby="[^"]*id_postcode_error', field)
    assert "<table" not in html


def test_a_specialism_or_treatment_is_needed(english, url):
    html = english.get(url, {"postcode": "3511AB"}).content.decode()

    error = re.search(r'<ul class="errorlist" id="id_specialism_error"><li>([^<]+)</li>', html)
    assert error is not None and "Choose a specialism or a treatment." in error.group(1)


def test_choosing_a_treatment_searches_its_treatment_waits(english, url):
    knee = Treatment.objects.get(code="total-knee-replacement")
    place("Knie", north_km=4, days=60, treatment=knee, kind=WaitingTimeKind.TREATMENT)
    place("Polikliniek", north_km=4, days=10)

    html = english.get(
        url, {"postcode": "3511AB", "treatment": "total-knee-replacement", "kind": "first_visit"}
    ).content.decode()

    assert row_names(html) == ["Knie"]
    assert "9 weeks" in html  # 60 days: above the inpatient maximum of 49 days
    assert "Above the maximum" in html
    # The form shows what was searched: waits for a treatment.
    assert re.search(r'<input type="radio" name="kind" value="treatment"[^>]* checked>', html)


def test_a_search_link_without_kind_means_first_visits(english, url):
    place("Polikliniek", north_km=4, days=10)
    place("Diagnostiek", north_km=4, days=5, kind=WaitingTimeKind.DIAGNOSTICS)

    html = english.get(url, {"postcode": "3511AB", "specialism": "0305"}).content.decode()

    assert row_names(html) == ["Polikliniek"]
    assert re.search(r'<input type="radio" name="kind" value="first_visit"[^>]* checked>', html)


def test_no_results_says_so(english, url):
    html = english.get(url, SEARCH).content.decode()

    assert "0 waiting times found" in html
    assert "No hospital or clinic reported a waiting time for this search." in html
    assert "<table" not in html


def test_results_are_paged(english, url):
    for n in range(55):
        place(f"Locatie {n:02d}", north_km=1 + n / 10, days=n)

    first = english.get(url, SEARCH).content.decode()
    second = english.get(url, {**SEARCH, "page": 2}).content.decode()

    assert len(row_names(first)) == 50
    assert row_names(second) == [f"Locatie {n:02d}" for n in range(50, 55)]
    assert "Page 2 of 2" in second
    assert "page=2" in first


def test_link_to_mediation_request_only_when_that_page_exists(english, url, settings):
    place("Snel", north_km=3, days=8)

    settings.ROOT_URLCONF = WithoutMediation
    assert "mediation-callout" not in english.get(url, SEARCH).content.decode()

    settings.ROOT_URLCONF = WithMediation
    html = english.get(url, {**SEARCH, "specialism": "", "treatment": "cataract"}).content.decode()
    link = re.search(r'<a class="btn btn-outline-primary" href="([^"]+)"', html).group(1)
    parts = urlsplit(link.replace("&amp;", "&"))
    assert parts.path == "/bemiddeling/aanvragen/"
    assert parse_qs(parts.query) == {
        "postcode": ["3511 AB"],
        "specialism": ["0301"],
        "treatment": ["cataract"],
        "kind": ["treatment"],
    }


def test_home_and_navigation_link_to_the_search(client, url):
    html = client.get(reverse("home")).content.decode()
    assert f'href="{url}"' in html
    assert re.search(rf'<a class="btn btn-primary" href="{url}"', html)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (None, "specialism"),
        ({"postcode": "3511 AB", "specialism": "0305"}, "specialism"),
        ({"postcode": "3511 AB", "treatment": "cataract"}, "treatment"),
        ({"postcode": "3511 AB", "specialism": "<b>9999</b>"}, "specialism"),  # with errors
    ],
)
def test_the_long_selects_write_the_html_of_djangos_own_select(data, field):
    from django import forms
    from pytest_django.asserts import assertHTMLEqual

    from providers.search.forms import WaitingTimeSearchForm

    form = WaitingTimeSearchForm(data)
    form.is_valid()
    bound = form[field]
    fast = str(bound)
    bound.field.widget = forms.Select(attrs=bound.field.widget.attrs)
    bound.field.widget.choices = bound.field.choices
    django = str(form[field])

    assertHTMLEqual(fast, django)
    assert "<optgroup" in fast or field == "specialism"
    if data and data.get(field, "").isalnum():
        assert f'value="{data[field]}" selected' in fast


def test_the_search_page_reads_codes_and_postcode_from_memory(
    client, url, django_assert_max_num_queries
):
    place("Ziekenhuis Dichtbij", north_km=3, days=20)
    client.get(url, SEARCH)  # the reference data is read once

    # The reference data's stamp, the page of series, and the norms explained below the results.
    with django_assert_max_num_queries(3):
        response = client.get(url, SEARCH)
    assert "Ziekenhuis Dichtbij" in response.content.decode()
