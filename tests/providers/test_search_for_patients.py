"""The public waiting-time search as a patient meets it (issue 13): a national list without a
postcode when the distance is "any", no error while the postcode is still empty, only the
specialisms patients wait for (Radiologie once), stale figures after current ones, Dutch dates
and thousands separators."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from providers.models import Specialism
from providers.search.forms import WaitingTimeSearchForm
from providers.search.selectors import waiting_time_current_list
from tests.providers.test_search_page import place, row_names

pytestmark = pytest.mark.django_db

ORTHOPAEDICS = {"specialism": "0305", "kind": "first_visit"}


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def url() -> str:
    return reverse("providers:waiting-time-search")


@pytest.mark.parametrize("htmx", [False, True])
def test_any_distance_without_a_postcode_is_a_national_list_by_wait(english, url, htmx):
    place("Near But Slow", north_km=2, days=60)
    place("Far And Fast", north_km=140, days=5)
    place("Middle", north_km=40, days=30)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}

    response = english.get(url, {**ORTHOPAEDICS, "postcode": "", "max_distance_km": ""}, **headers)

    html = response.content.decode()
    assert response.status_code == 200
    assert row_names(html) == ["Far And Fast", "Middle", "Near But Slow"]
    assert "errorlist" not in html
    assert "All of the Netherlands" in html


def test_ordering_by_distance_without_a_postcode_falls_back_to_the_wait(english, url):
    place("Slow", north_km=2, days=60)
    place("Fast", north_km=140, days=5)

    html = english.get(
        url, {**ORTHOPAEDICS, "postcode": "", "max_distance_km": "", "ordering": "distance"}
    ).content.decode()

    assert row_names(html) == ["Fast", "Slow"]


@pytest.mark.parametrize("htmx", [False, True])
def test_an_empty_postcode_with_a_distance_asks_for_it_without_an_error(english, url, htmx):
    """Choosing a specialism first (htmx refreshes at once) must not scold the patient for the
    postcode they have not typed yet."""
    place("Somewhere", north_km=2, days=10)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}

    response = english.get(
        url, {**ORTHOPAEDICS, "postcode": "", "max_distance_km": "25"}, **headers
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "errorlist" not in html and 'aria-invalid="true"' not in html
    assert "Enter your postcode to see hospitals and clinics within this distance" in html
    assert "<table" not in html


def test_initial_page_shows_no_error(english, url):
    html = english.get(url).content.decode()

    assert "errorlist" not in html


def test_only_specialisms_patients_wait_for_are_offered_and_radiologie_once(english, url):
    html = english.get(url).content.decode()
    select = re.search(r'<select name="specialism".*?</select>', html, re.S).group(0)

    names = re.findall(r"<option value=\"\d+\">([^<]+)</option>", select)
    assert sum(name.startswith("Radiologie") for name in names) == 1
    for hidden in (
        "Klinische chemie",
        "Medische microbiologie",
        "Pathologische anatomie",
        "Niet nader gespecificeerd",
    ):
        assert hidden not in names
    assert "Orthopedie" in names and "Anaesthesiologie" in names
    assert set(Specialism.objects.filter(patients_wait=False).values_list("code", flat=True)) == {
        "0300",
        "0360",
        "0386",
        "0387",
        "0388",
    }


def test_a_hidden_specialism_is_not_a_valid_choice_on_the_page():
    form = WaitingTimeSearchForm({"specialism": "0386", "postcode": "", "max_distance_km": ""})

    assert not form.is_valid()
    assert "specialism" in form.errors


def test_stale_figures_come_after_current_ones_in_either_order(english, url):
    today = timezone.localdate()
    place("Old Short", north_km=1, days=3, current_reference_date=today - timedelta(days=40))
    place("Current Long", north_km=30, days=50)
    place("Current Short", north_km=10, days=20)

    by_days = list(waiting_time_current_list(specialism_code="0305", kind="first_visit"))
    by_distance = list(
        waiting_time_current_list(
            specialism_code="0305", kind="first_visit", postcode="3511", ordering="distance"
        )
    )

    assert [r.location.name for r in by_days] == ["Current Short", "Current Long", "Old Short"]
    assert [r.location.name for r in by_distance] == [
        "Current Short",
        "Current Long",
        "Old Short",
    ]
    assert by_days[-1].stale


def test_reference_dates_are_dutch_and_counts_have_thousands_separators(client, url):
    """Dutch by default: "6 december 2026", never "6 dec" or an ISO date; 1.234, not 1234."""
    from django.core.paginator import Paginator
    from django.template.loader import render_to_string
    from django.utils import translation

    row = place("Dated", north_km=1, days=10, current_reference_date=timezone.localdate())
    html = client.get(url, {**ORTHOPAEDICS, "postcode": "3511 AB"}).content.decode()
    with translation.override("nl"):
        from django.utils.formats import date_format

        expected = date_format(row.current_reference_date, "j F Y")
    assert expected in html
    assert row.current_reference_date.isoformat() not in html
    assert re.search(r"\d+ [a-z]+ \d{4}", expected)  # no capitalised month

    class Many(list):
        def count(self) -> int:  # type: ignore[override]
            return 12345

    form = WaitingTimeSearchForm({**ORTHOPAEDICS, "postcode": "", "max_distance_km": ""})
    assert form.is_valid()
    with translation.override("nl"):
        status = render_to_string(
            "providers/includes/waiting_time_search_status.html",
            {"page": Paginator(Many(), 50).get_page(1), "form": form},
        )
    assert "12.345" in status
