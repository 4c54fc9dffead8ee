"""The patient's request form and status page in Chromium (issue 13): every error at once in a
summary that takes the focus and links to the fields; "where do you wait now?" as a combobox
used with the keyboard; the offer with how much sooner it is and the confirmation step. Each
page is photographed at phone width (390 px) and desktop width."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from mediation.models import Case, CaseStatus
from providers.models import ProviderKind, Specialism
from tests.accounts.factories import InsurerFactory
from tests.e2e.conftest import ARTIFACTS
from tests.mediation.factories import CaseFactory, OfferFactory
from tests.providers.factories import LocationFactory, WaitingTimeSeriesFactory

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def both_widths(browsing, label: str) -> None:
    """The whole page at both widths, and what the phone's screen shows where the focus is."""
    page = browsing.page
    page.set_viewport_size(PHONE)
    browsing.screenshot(f"{label}-390")
    page.evaluate("() => document.activeElement && document.activeElement.scrollIntoView()")
    page.screenshot(path=str(ARTIFACTS / f"{browsing.name}-{label}-390-screen.png"))
    page.set_viewport_size(DESKTOP)
    browsing.screenshot(f"{label}-1280")


def test_the_form_shows_every_error_at_once_with_the_summary_focused(browsing):
    InsurerFactory(name="Zorgverzekeraar Merel", uzovi="8901")
    LocationFactory(name="Stadsziekenhuis Utrecht", city="Utrecht")
    page = browsing.page
    main = page.locator("main")
    browsing.visit("/bemiddeling/aanvragen/")

    # A bad e-mail address and an urgent class, nothing else: one submit shows every error.
    main.locator("#id_email").fill("anna@")
    main.locator("input[name='urgency_class'][value='2']").check()
    main.locator("form.request-form button[type='submit']").last.click()

    summary = main.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("role", "alert")
    links = summary.locator("a")
    hrefs = links.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    fields = {href.removeprefix("#") for href in hrefs}
    # The form's own checks and the rules' checks, in one pass.
    assert {
        "id_insurer",
        "id_policy_number",
        "id_full_name",
        "id_birth_date",
        "id_email",
        "id_postcode",
        "id_specialism",
        "id_urgency_class_0",
        "id_current_location",
        "id_waiting_since",
        "id_consent",
    } <= fields
    expect(main.locator("#id_email_error")).to_be_visible()
    expect(main.locator("#id_urgency_class_error")).to_contain_text("huisartsenpost")
    assert browsing.accessibility_problems() == []
    both_widths(browsing, "form-with-errors")

    # A link in the summary takes the patient to the field.
    summary.locator("a[href='#id_email']").click()
    expect(main.locator("#id_email")).to_be_focused()
    # The location's link goes to the combobox that stands in for the hidden select.
    summary.locator("a[href='#id_current_location']").click()
    expect(main.locator("#id_current_location_combobox")).to_be_focused()
    # The form with errors is answered 400, as it should be; nothing else went wrong.
    assert all(
        answer.startswith("400 ") and answer.endswith("/bemiddeling/aanvragen/")
        for answer in browsing.error_responses
    )
    browsing.error_responses.clear()
    browsing.console_errors[:] = [
        error for error in browsing.console_errors if "status of 400" not in error
    ]
    browsing.assert_clean()


def test_where_do_you_wait_now_is_a_combobox_for_the_keyboard(browsing):
    orthopaedics = Specialism.objects.get(code="0305")
    with_figures = LocationFactory(name="Ziekenhuis Rivierenland", city="Tiel")
    WaitingTimeSeriesFactory(location=with_figures, specialism=orthopaedics)
    LocationFactory(name="Ziekenhuis Riviera", city="Zwolle")
    page = browsing.page
    main = page.locator("main")
    browsing.visit("/bemiddeling/aanvragen/?specialism=0305&postcode=4001+AB")

    combobox = main.locator("#id_current_location_combobox")
    expect(combobox).to_have_attribute("role", "combobox")
    expect(main.locator("#id_current_location")).to_be_hidden()
    combobox.fill("rivier")
    expect(combobox).to_have_attribute("aria-expanded", "true")
    options = main.locator("#id_current_location_listbox").get_by_role("option")
    expect(options).to_have_count(2)
    # The location with figures for the chosen specialism comes first.
    expect(options.first).to_contain_text("Ziekenhuis Rivierenland")
    combobox.press("ArrowDown")
    expect(combobox).to_have_attribute("aria-activedescendant", re.compile("_option_0$"))
    combobox.press("Enter")
    expect(combobox).to_have_attribute("aria-expanded", "false")
    expect(combobox).to_have_value("Ziekenhuis Rivierenland, Tiel")
    expect(main.locator("#id_current_location")).to_have_value(with_figures.code)
    browsing.screenshot("combobox-chosen")
    browsing.assert_clean()


def test_the_status_page_with_an_offer_and_its_confirmation(browsing):
    today = timezone.localdate()
    offer = OfferFactory(
        case__token="browser-token",
        case__expected_date=today + timedelta(days=80),
        case__current_location__name="Stadsziekenhuis Utrecht",
        location__name="Kliniek Eemland",
        location__provider__kind=ProviderKind.ZBC,
        location__latitude=Decimal("52.156000"),
        expected_days=30,
    )
    case = offer.case
    page = browsing.page
    main = page.locator("main")
    browsing.visit(f"/bemiddeling/status/{case.reference}/browser-token/")

    card = main.locator(f"#offer-{offer.pk}")
    expect(card.locator(".offer-sooner")).to_contain_text("7 weken eerder dan uw afspraak van")
    expect(card.locator(".offer-kind")).to_contain_text(re.compile("zbc", re.IGNORECASE))
    expect(card).to_contain_text("Houd uw afspraak bij Stadsziekenhuis Utrecht")
    expect(main.locator("#request-stages li[aria-current='step']")).to_have_count(1)
    assert browsing.accessibility_problems() == []
    both_widths(browsing, "status-with-offer")

    card.get_by_role("link", name="Dit aanbod aannemen").click()
    expect(card.locator("#confirm-accept")).to_be_focused()
    both_widths(browsing, "status-confirm-accept")
    card.get_by_role("button", name="Ja, ik neem dit aanbod aan").click()
    expect(main.locator("article.offer-card.offer-accepted")).to_have_count(1)
    expect(main.locator("#request-stages li[aria-current='step']")).to_contain_text(
        "Afspraak bevestigd"
    )
    assert Case.objects.get(pk=case.pk).status == CaseStatus.ACCEPTED
    browsing.assert_clean()


def test_withdrawing_asks_first(browsing):
    case = CaseFactory(token="browser-token")
    main = browsing.page.locator("main")
    browsing.visit(f"/bemiddeling/status/{case.reference}/browser-token/")

    main.get_by_role("link", name="Mijn verzoek intrekken").click()
    expect(main.locator("#confirm-withdraw")).to_be_focused()
    main.get_by_role("button", name="Ja, trek mijn verzoek in").click()
    expect(main.locator("#case-status")).to_have_attribute(
        "class", re.compile("case-status-closed")
    )
    browsing.assert_clean()
