"""A patient searches waiting times by postcode in a real browser, with and without JavaScript."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from providers.models import PostcodeArea, Specialism
from tests.providers.factories import LocationFactory, WaitingTimeSeriesFactory

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

# name, km north of postcode 3511, wait in days
PLACES = [
    ("Ziekenhuis Langzaam", 4, 60),
    ("Kliniek Snel", 20, 9),
    ("Ziekenhuis Midden", 12, 26),
    ("Ziekenhuis Ver Weg", 140, 2),
]
BY_WAIT = ["Kliniek Snel", "Ziekenhuis Midden", "Ziekenhuis Langzaam"]


@pytest.fixture
def waiting_times(reference_data):
    area = PostcodeArea.objects.get(pk="3511")
    orthopedics = Specialism.objects.get(code="0305")
    for name, north_km, days in PLACES:
        location = LocationFactory(
            name=name,
            latitude=Decimal(f"{float(area.latitude) + north_km / 111.195:.6f}"),
            longitude=area.longitude,
        )
        WaitingTimeSeriesFactory(location=location, specialism=orthopedics, current_days=days)


def result_names(page) -> list[str]:
    return page.locator(
        "#search-results tbody th[scope='row'] > span:first-child"
    ).all_inner_texts()


def test_patient_searches_by_postcode_and_sees_results_ordered_by_wait(browsing, waiting_times):
    page = browsing.page
    browsing.visit("/")
    page.locator("#main-nav a[href='/wachttijden/']").click()
    expect(page).to_have_url(re.compile(r"/wachttijden/$"))
    browsing.screenshot("empty-search")
    assert browsing.accessibility_problems() == []

    page.get_by_label(re.compile("postcode", re.IGNORECASE)).fill("3511 AB")
    # Choosing the specialism refreshes the results at once (htmx), without a page load.
    page.locator("#id_specialism").select_option("0305")
    expect(page.locator("#search-results tbody tr")).to_have_count(3)  # within 25 km
    assert result_names(page) == BY_WAIT
    expect(page).to_have_url(re.compile(r"postcode=3511(\+|%20)AB.*specialism=0305"))
    expect(page.locator("#search-status")).to_contain_text("3")

    page.locator("#id_max_distance_km").select_option("")
    expect(page.locator("#search-results tbody tr")).to_have_count(4)
    assert result_names(page) == ["Ziekenhuis Ver Weg", *BY_WAIT]
    browsing.screenshot("results")
    # The wait in weeks and days, with the norm in words as well as colour.
    first = page.locator("#search-results tbody tr").first
    expect(first).to_contain_text("2 dagen")
    expect(first.locator(".wait-status")).to_have_count(1)
    assert browsing.accessibility_problems() == []

    # The address is the search: reloading it shows the same results without htmx.
    page.reload()
    expect(page.locator("#search-results tbody tr")).to_have_count(4)
    expect(page.locator("#id_postcode")).to_have_value("3511 AB")

    browsing.assert_clean()


def test_a_wrong_postcode_is_explained_next_to_the_field(browsing, waiting_times):
    page = browsing.page
    browsing.visit("/wachttijden/")

    page.locator("#id_postcode").fill("12345")
    page.locator("#id_specialism").select_option("0305")
    error = page.locator("#id_postcode_error")
    expect(error).to_be_visible()
    expect(page.locator("#id_postcode")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_postcode")).to_have_attribute(
        "aria-describedby", re.compile("id_postcode_error")
    )
    expect(page.locator("#search-results table")).to_have_count(0)
    browsing.screenshot("postcode-error")

    page.locator("#id_postcode").fill("3511AB")
    page.locator("#search-form button[type='submit']").click()
    expect(page.locator("#search-results tbody tr")).to_have_count(3)
    expect(page.locator("#id_postcode_error")).to_have_count(0)
    assert browsing.accessibility_problems() == []

    browsing.assert_clean()


def test_search_works_without_javascript(browser, live_server, waiting_times):
    context = browser.new_context(java_script_enabled=False, locale="nl-NL")
    try:
        page = context.new_page()
        page.goto(live_server.url + "/wachttijden/")
        page.locator("#id_postcode").fill("3511 AB")
        page.locator("#id_specialism").select_option("0305")
        page.locator("#search-form button[type='submit']").click()

        expect(page).to_have_url(re.compile(r"specialism=0305"))
        expect(page.locator("#search-results tbody tr")).to_have_count(3)
        assert result_names(page) == BY_WAIT
    finally:
        context.close()
