"""Issue 13, "Done when": a phone patient from intake to a confirmed appointment in Chromium. A
mediator takes the request by phone (no email address), the case is theirs; first contact; the
match is offered and the page says plainly that the patient was not told; the letter prints with
the offer and a working status link; the mediator records the patient's acceptance given by
phone; the receiving planner confirms the appointment."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from mediation.models import Case, CaseStatus, OfferStatus
from providers.models import Specialism
from tests.accounts.factories import InsurerFactory, ProviderOrganisationFactory, member
from tests.e2e.test_mediation_journey import _log_in, _log_out, eager_tasks  # noqa: F401
from tests.providers.factories import LocationFactory, WaitingTimeSeriesFactory

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

DUTCH_MONTHS = [
    *("januari", "februari", "maart", "april", "mei", "juni"),
    *("juli", "augustus", "september", "oktober", "november", "december"),
]


def test_phone_patient_from_intake_to_confirmed_appointment(browsing, eager_tasks):  # noqa: F811
    today = timezone.localdate()
    orthopaedics = Specialism.objects.get(code="0305")
    insurer = InsurerFactory(name="Zorgverzekeraar Merel", uzovi="8902")
    mediator = member(Role.MEDIATOR, insurer, first_name="Sanne", last_name="Visser")
    current = LocationFactory(name="Stadsziekenhuis Utrecht", postcode="3511AB")
    WaitingTimeSeriesFactory(location=current, specialism=orthopaedics, current_days=100)
    receiving = ProviderOrganisationFactory(name="Kliniek Eemland")
    target = LocationFactory(
        provider=receiving.provider,
        name="Kliniek Eemland Amersfoort",
        postcode="3811AA",
        city="Amersfoort",
        latitude=Decimal("52.156000"),
        longitude=Decimal("5.387000"),
    )
    WaitingTimeSeriesFactory(location=target, specialism=orthopaedics, current_days=20)
    planner = member(Role.PLANNER, receiving, first_name="Petra")
    page = browsing.page
    main = page.locator("main")

    # 1. The mediator takes the request by phone: labels speak about the patient; no email.
    _log_in(browsing, mediator.username)
    browsing.visit("/bemiddeling/zaken/telefonisch/")
    expect(main.locator("label[for='id_postcode']")).to_contain_text("Postcode van de patiënt")
    expect(main.locator("label[for='id_expected_date']")).to_contain_text(
        "Heeft de patiënt daar al een afspraak?"
    )
    assert browsing.accessibility_problems() == []
    main.locator("#id_policy_number").fill("123123123")
    main.locator("#id_full_name").fill("Kees Jansen")
    main.locator("#id_birth_date").fill("1950-02-03")
    main.locator("#id_phone").fill("030 1234567")
    main.locator("#id_postcode").fill("3511 AB")
    main.locator("input[name='kind'][value='first_visit']").check()
    main.locator("#id_specialism").select_option("0305")
    main.locator("input[name='urgency_class'][value='4']").check()
    main.locator("#id_current_location").select_option(current.code)
    main.locator("#id_waiting_since").fill((today - timedelta(days=30)).isoformat())
    main.locator("#id_max_distance_km").select_option("50")
    main.locator("#id_consent").check()
    browsing.screenshot("phone-intake-filled")
    main.locator("form.request-form button[type='submit']").click()
    expect(page).to_have_url(re.compile(r"/bemiddeling/zaken/ZB-\d{4}-\d{6}/$"))
    reference = page.url.rstrip("/").rsplit("/", 1)[1]
    case = Case.objects.get(reference=reference)
    assert case.assigned_to == mediator and case.email == ""

    # 2. First contact: reached by phone.
    main.locator("details.first-contact summary").click()
    main.locator("input[name='result'][value='reached']").check()
    main.locator("#id_channel").select_option("phone")
    main.locator("details.first-contact button[type='submit']").click()
    expect(main.locator("#case-status")).to_contain_text("In behandeling")

    # 3. The match is offered; the page says the patient was NOT told.
    match = main.locator(f"li.match[data-location='{target.code}']")
    match.locator("details.make-offer summary").click()
    match.locator("form.offer-form button[type='submit']").click()
    expect(page).to_have_url(re.compile(rf"/bemiddeling/zaken/{reference}/#offers$"))
    expect(main.locator(".alert-warning")).to_contain_text("NIET op de hoogte gebracht")
    expect(main.locator(".offer-row.offer-open .offer-not-mailed")).to_contain_text(
        "niet per e-mail ingelicht"
    )
    browsing.screenshot("offer-made-patient-not-told")
    offer = case.offers.get()

    # 4. The letter: the offer, Dutch dates, what to do, and a working new status link; printed
    # without the site's navigation.
    main.locator("#case-letter-form button").click()
    letter = main.locator("article.letter")
    expect(letter).to_contain_text("Kliniek Eemland Amersfoort")
    expires = timezone.localtime(offer.expires_at)
    expect(letter).to_contain_text(
        f"{expires.day} {DUTCH_MONTHS[expires.month - 1]} {expires.year}"
    )
    expect(letter).to_contain_text("Wat moet u doen?")
    status_url = main.locator("#letter-status-url").inner_text().strip()
    browsing.screenshot("letter")
    page.emulate_media(media="print")
    expect(page.locator("header.site-header")).to_be_hidden()
    expect(page.locator(".no-print").first).to_be_hidden()
    expect(letter).to_be_visible()
    browsing.screenshot("letter-printed")
    page.emulate_media(media="screen")
    status_path = urlsplit(status_url).path
    browsing.visit(status_path)  # the link on the letter opens the patient's status page
    expect(main.locator("article.offer-card.offer-open")).to_contain_text(
        "Kliniek Eemland Amersfoort"
    )

    # 5. The patient calls back and accepts: the mediator records it on the case page.
    browsing.visit(f"/bemiddeling/zaken/{reference}/")
    page.set_viewport_size({"width": 1366, "height": 900})
    answer = main.locator(f"#offer-answer-{offer.pk}")
    answer.locator("summary").click()
    answer.locator("input[name$='-decision'][value='accept']").check()
    answer.locator("select[name$='-channel']").select_option("phone")
    page.screenshot(path=str(browsing.screenshot("case-page-answer-form").with_suffix(".view.png")))
    answer.locator("button[type='submit']").click()
    expect(main.locator(".alert-success")).to_contain_text("aanneemt")
    expect(main.locator(".offer-row.offer-accepted .offer-answered-by")).to_contain_text(
        "telefonisch"
    )
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ACCEPTED and offer.answered_by == mediator
    assert browsing.accessibility_problems() == []
    # The case page at 1366×900, as the mediator sees it (viewport) and whole.
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(browsing.screenshot("case-page-1366").with_suffix(".view.png")))
    _log_out(browsing)

    # 6. The receiving planner confirms the appointment.
    _log_in(browsing, planner.username)
    browsing.visit("/bemiddeling/binnenkomend/")
    incoming = main.locator(f"article.incoming-patient[data-reference='{reference}']")
    expect(incoming).to_contain_text("Kees Jansen")
    incoming.locator("input[type='date']").fill((today + timedelta(days=14)).isoformat())
    incoming.locator("button[type='submit']").click()
    expect(main.locator(".alert-success")).to_be_visible()
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
    browsing.assert_clean()
