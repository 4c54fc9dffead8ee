"""Issue 13 in Chromium: the longest waiter gets candidates with an unknown gain (explained), a
class-3 candidate outside the window is marked, and an offer that breaks a matching rule asks for
an override reason, which then shows on the offer and the timeline (1366 × 900, the mediator's
screen)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from mediation.models import Offer
from providers.models import Specialism
from tests.accounts.factories import InsurerFactory, member
from tests.e2e.test_mediation_journey import _log_in
from tests.mediation.factories import CaseFactory
from tests.providers.factories import LocationFactory, WaitingTimeSeriesFactory

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_the_long_waiter_gets_matches_and_an_override_is_recorded(browsing):
    today = timezone.localdate()
    orthopaedics = Specialism.objects.get(code="0305")
    insurer = InsurerFactory(name="Zorgverzekeraar Merel", uzovi="8902")
    mediator = member(Role.MEDIATOR, insurer, first_name="Sanne", last_name="Visser")
    current = LocationFactory(name="Stadsziekenhuis Utrecht", postcode="3511AB")
    WaitingTimeSeriesFactory(location=current, specialism=orthopaedics, current_days=57)
    nearby = LocationFactory(
        name="Kliniek Eemland Amersfoort",
        postcode="3811AA",
        city="Amersfoort",
        latitude=Decimal("52.156000"),
        longitude=Decimal("5.387000"),
    )
    WaitingTimeSeriesFactory(location=nearby, specialism=orthopaedics, current_days=20)
    # Waiting since June-like: 170 days, no appointment, where 57 days are published.
    case = CaseFactory(
        insurer=insurer,
        specialism=orthopaedics,
        current_location=current,
        postcode="3511AB",
        urgency_class=3,
        waiting_since=today - timedelta(days=170),
        expected_date=None,
        full_name="Kees Langwachter",
    )
    page = browsing.page
    page.set_viewport_size({"width": 1366, "height": 900})
    main = page.locator("main")

    _log_in(browsing, mediator.username)
    browsing.visit(f"/bemiddeling/zaken/{case.reference}/")
    expect(main.locator("#remaining-wait")).to_contain_text("onbekend")
    match = main.locator(f"li.match[data-location='{nearby.code}']")
    expect(match).to_contain_text("winst: onbekend")
    expect(match).to_contain_text("buiten het venster van klasse 3")
    expect(match.locator(".match-reasons li").first).to_contain_text("Winst in dagen onbekend")
    browsing.screenshot("long-waiter-matches")
    assert browsing.accessibility_problems() == []

    # Class 3, 170 days waited: any offer is after the window, so a reason is required.
    match.locator("details.make-offer summary").click()
    match.locator("textarea[name$='-note']").fill("Patiënt belt terug om 15 uur.")
    match.locator("form.offer-form button[type='submit']").click()
    # The case page again (400), the form still open at this match with the rule's message at
    # the reason field and the note as typed.
    match = main.locator(f"li.match[data-location='{nearby.code}']")
    expect(match.locator("details.make-offer")).to_have_attribute("open", "")
    expect(match.locator(".form-field.has-error")).to_contain_text(
        "Geef een reden om ervan af te wijken"
    )
    expect(match.locator("textarea[name$='-note']")).to_have_value("Patiënt belt terug om 15 uur.")
    assert not Offer.objects.exists()
    browsing.screenshot("override-asked")
    # The refused form is answered 400, as it should be; nothing else went wrong.
    assert [answer.split()[0] for answer in browsing.error_responses] == ["400"]
    browsing.error_responses.clear()
    browsing.console_errors[:] = [
        error for error in browsing.console_errors if "status of 400" not in error
    ]

    match.locator("textarea[name$='override_reason']").fill(
        "Eerste plek die er is; de patiënt wil niet langer wachten."
    )
    match.locator("form.offer-form button[type='submit']").click()
    expect(page).to_have_url(re.compile(rf"/bemiddeling/zaken/{case.reference}/#offers$"))
    row = main.locator(".offer-row.offer-open")
    expect(row).to_contain_text("afgeweken van regels")
    expect(row).to_contain_text("onbekend")
    expect(main.locator(".case-timeline")).to_contain_text("Afgeweken van de matchingregels")
    browsing.screenshot("override-recorded")
    offer = Offer.objects.get()
    assert offer.overridden_rules == ["outside_class3_window"] and offer.days_gained is None
    browsing.assert_clean()
