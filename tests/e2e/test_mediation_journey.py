"""Issue 4, "Done when": a patient submits a request in Chromium, a mediator sees it, picks a match
and makes an offer, the patient accepts on the status page (the link from the confirmation page),
the receiving planner confirms the date, and the case is completed with its days gained."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from config.celery import app
from mediation.models import Case, CaseOutcome, CaseStatus
from providers.models import Specialism
from tests.accounts.factories import (
    PASSWORD,
    InsurerFactory,
    ProviderOrganisationFactory,
    member,
)
from tests.providers.factories import LocationFactory, WaitingTimeSeriesFactory

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


@pytest.fixture
def eager_tasks():
    """Mail tasks run inline in the live server, as in the embedded default."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def _log_in(browsing, username: str) -> None:
    main = browsing.page.locator("main")
    browsing.visit("/accounts/login/")
    main.locator("input[name='username']").fill(username)
    main.locator("input[name='password']").fill(PASSWORD)
    main.locator("button[type='submit']").click()
    expect(browsing.page).to_have_url(re.compile(r"/accounts/$"))


def _log_out(browsing) -> None:
    browsing.page.locator("header form[action$='/accounts/logout/'] button").click()
    browsing.page.wait_for_load_state("load")


def test_patient_is_placed_sooner_end_to_end(browsing, eager_tasks):
    today = timezone.localdate()
    orthopaedics = Specialism.objects.get(code="0305")
    insurer = InsurerFactory(name="Zorgverzekeraar Merel", uzovi="8901")
    mediator = member(Role.MEDIATOR, insurer, first_name="Sanne", last_name="Visser")
    # The patient waits in Utrecht, where the first visit takes 100 days; in Amersfoort it takes
    # 20 days at a provider whose planner will receive the patient.
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
    waiting_since = today - timedelta(days=30)  # remaining wait: 30 + 100 → 70 days
    page = browsing.page
    main = page.locator("main")

    # 1. The patient asks for mediation on the public form (a link from the search pre-fills it).
    browsing.visit("/bemiddeling/aanvragen/?postcode=3511+AB&specialism=0305&kind=first_visit")
    assert browsing.accessibility_problems() == []
    main.locator("#id_insurer").select_option(insurer.uzovi)
    main.locator("#id_policy_number").fill("987654321")
    main.locator("#id_full_name").fill("Anna de Vries")
    main.locator("#id_birth_date").fill("1961-05-04")
    main.locator("#id_email").fill("anna@example.org")
    main.locator("#id_phone").fill("06 12345678")
    expect(main.locator("#id_postcode")).to_have_value("3511 AB")
    expect(main.locator("#id_specialism")).to_have_value("0305")
    main.locator("input[name='urgency_class'][value='4']").check()
    # "Where do you wait now?" is a combobox: type part of the name, choose from the list.
    main.locator("#id_current_location_combobox").fill("Stadsziekenhuis")
    main.locator("#id_current_location_listbox").get_by_role(
        "option", name=re.compile("Stadsziekenhuis Utrecht")
    ).click()
    expect(main.locator("#id_current_location")).to_have_value(current.code)
    main.locator("#id_waiting_since").fill(waiting_since.isoformat())
    main.locator("#id_max_distance_km").select_option("50")
    main.locator("#id_consent").check()
    browsing.screenshot("request-form-filled")
    main.locator("form.request-form button[type='submit']").click()

    # 2. The confirmation shows the reference and the link to the status page.
    expect(page).to_have_url(re.compile(r"/bemiddeling/aanvragen/ontvangen/$"))
    reference = main.locator(".case-reference").inner_text().strip()
    assert re.fullmatch(rf"ZB-{today.year}-\d{{6}}", reference)
    status_path = main.locator("#status-link").get_attribute("href")
    assert status_path and status_path.startswith(f"/bemiddeling/status/{reference}/")
    browsing.screenshot("request-confirmation")
    assert browsing.accessibility_problems() == []
    main.locator("#status-link").click()
    expect(main.locator("#case-status")).to_have_attribute(
        "class", re.compile("case-status-submitted")
    )
    browsing.screenshot("status-submitted")

    # 3. The mediator sees it in the work queue, opens it, picks the match and makes an offer.
    _log_in(browsing, mediator.username)
    page.locator("#main-nav a[href$='/bemiddeling/zaken/']").click()
    row = main.locator(f"tr.case-row[data-reference='{reference}']")
    expect(row).to_be_visible()
    browsing.screenshot("work-queue")
    assert browsing.accessibility_problems() == []
    row.locator("a").first.click()
    expect(page).to_have_url(re.compile(rf"/bemiddeling/zaken/{reference}/$"))
    match = main.locator(f"li.match[data-location='{target.code}']")
    expect(match).to_contain_text("Kliniek Eemland Amersfoort")
    expect(match.locator(".match-reasons li")).to_have_count(6)
    browsing.screenshot("case-with-matches")
    assert browsing.accessibility_problems() == []
    match.locator("details.make-offer summary").click()
    expect(match.locator("input[name$='expected_days']")).to_have_value("20")
    match.locator("textarea[name$='note']").fill("U kunt over drie weken terecht.")
    match.locator("form.offer-form button[type='submit']").click()
    expect(page).to_have_url(re.compile(rf"/bemiddeling/zaken/{reference}/#offers$"))
    expect(main.locator("#case-status")).to_have_text(re.compile(r"\S"))
    expect(main.locator("li.offer-row.offer-open")).to_have_count(1)
    browsing.screenshot("offer-made")
    _log_out(browsing)

    # 4. The patient accepts on the status page (the link from the confirmation page).
    browsing.visit(status_path)
    offer_card = main.locator("article.offer-card.offer-open")
    expect(offer_card).to_contain_text("Kliniek Eemland Amersfoort")
    expect(offer_card).to_contain_text("U kunt over drie weken terecht.")
    browsing.screenshot("status-with-offer")
    assert browsing.accessibility_problems() == []
    # Accepting asks for confirmation first.
    offer_card.get_by_role("link", name="Dit aanbod aannemen").click()
    expect(offer_card.locator("#confirm-accept")).to_be_focused()
    offer_card.locator("form[action*='/accepteren/'] button").click()
    expect(main.locator("article.offer-card.offer-accepted")).to_have_count(1)
    expect(main.locator("#case-status")).to_have_attribute(
        "class", re.compile("case-status-accepted")
    )
    browsing.screenshot("status-accepted")

    # 5. The receiving planner confirms the appointment date.
    _log_in(browsing, planner.username)
    browsing.visit("/bemiddeling/binnenkomend/")
    incoming = main.locator(f"article.incoming-patient[data-reference='{reference}']")
    expect(incoming).to_contain_text("Anna de Vries")
    browsing.screenshot("incoming")
    assert browsing.accessibility_problems() == []
    appointment = today + timedelta(days=14)
    incoming.locator("input[type='date']").fill(appointment.isoformat())
    incoming.locator("button[type='submit']").click()
    expect(main.locator(".alert-success")).to_contain_text("56")
    browsing.screenshot("incoming-confirmed")
    _log_out(browsing)

    # 6. The case is completed with its days gained: 70 remaining − 14 until the appointment.
    case = Case.objects.get(reference=reference)
    assert case.status == CaseStatus.COMPLETED
    assert case.outcome == CaseOutcome.PLACED
    assert case.appointment_date == appointment
    assert case.days_gained == 56
    _log_in(browsing, mediator.username)
    browsing.visit(f"/bemiddeling/zaken/{reference}/")
    expect(main.locator("#case-status")).to_have_text(re.compile(r"\S"))
    expect(main.locator("#days-gained")).to_contain_text("56")
    expect(main.locator(".case-timeline li")).to_have_count(case.events.count())
    browsing.screenshot("case-completed")
    browsing.assert_clean()
