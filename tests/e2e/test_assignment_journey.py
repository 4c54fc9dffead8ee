"""Issue 16, "Done when": a mediator starts a dry assignment run in Chromium, sees its progress
and then its comparison with first come, first served, applies it, and the offers appear on the
cases. The broker is the boundary: the run's parts are handed to the test instead of Celery, and
the test plays the worker while the page polls."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from mediation.services import assignment as assignment_services
from providers.models import Specialism
from tests.accounts.factories import PASSWORD, InsurerFactory, member
from tests.mediation.factories import CapacityOfferFactory, CaseFactory
from tests.providers.factories import LocationFactory, WaitingTimeSeriesFactory

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def _amersfoort(name: str):
    return LocationFactory(
        name=name,
        postcode="3811AA",
        city="Amersfoort",
        latitude=Decimal("52.156000"),
        longitude=Decimal("5.387000"),
    )


def test_mediator_runs_reviews_and_applies_an_assignment(browsing, monkeypatch):
    dispatched: list[int] = []
    monkeypatch.setattr(assignment_services, "_dispatch", dispatched.extend)
    orthopaedics = Specialism.objects.get(code="0305")
    insurer = InsurerFactory(name="Zorgverzekeraar Merel", uzovi="8911")
    mediator = member(Role.MEDIATOR, insurer, first_name="Sanne")
    slot_location = _amersfoort("Kliniek Eemland (capaciteit)")
    other = _amersfoort("Ziekenhuis De Eem")
    WaitingTimeSeriesFactory(location=slot_location, specialism=orthopaedics, current_days=60)
    WaitingTimeSeriesFactory(location=other, specialism=orthopaedics, current_days=20)
    CapacityOfferFactory(location=slot_location, specialism=orthopaedics, slots=1)
    now = timezone.now()
    first = CaseFactory(
        insurer=insurer,
        specialism=orthopaedics,
        urgency_class=5,
        submitted_at=now - timedelta(hours=2),
    )
    urgent = CaseFactory(
        insurer=insurer,
        specialism=orthopaedics,
        urgency_class=3,
        waiting_since=timezone.localdate() - timedelta(days=30),
        submitted_at=now - timedelta(hours=1),
    )
    page = browsing.page
    main = page.locator("main")

    # 1. The mediator logs in and opens the assignment runs from the dashboard.
    browsing.visit("/accounts/login/")
    main.locator("input[name='username']").fill(mediator.username)
    main.locator("input[name='password']").fill(PASSWORD)
    main.locator("button[type='submit']").click()
    expect(page).to_have_url(re.compile(r"/accounts/$"))
    main.locator("#assignment-runs a").first.click()
    expect(page).to_have_url(re.compile(r"/bemiddeling/toewijzing/$"))
    expect(main.locator("#assignment-start-form")).to_contain_text("0305")
    browsing.screenshot("assignment-runs")
    assert browsing.accessibility_problems() == []
    assert browsing.axe_violations() == []

    # 2. A dry run over all specialisms: the page shows its progress while it waits.
    main.locator("#assignment-start-form button[type='submit']").click()
    expect(page).to_have_url(re.compile(r"/bemiddeling/toewijzing/\d+/$"))
    expect(main.locator("progress.run-progress")).to_be_visible()
    browsing.screenshot("assignment-progress")
    assert browsing.accessibility_problems() == []
    assert dispatched

    # 3. A worker solves the parts; the polling page reloads itself with the results.
    for part_id in dispatched:
        assignment_services.assignment_part_solve(part_id=part_id)
    comparison = main.locator("#assignment-comparison")
    expect(comparison).to_be_visible(timeout=15_000)
    expect(comparison.locator("[data-figure='class3_inside_window']")).to_have_text("1")
    expect(comparison.locator("[data-baseline='class3_inside_window']")).to_have_text("0")
    expect(comparison.locator("[data-figure='placed']")).to_have_text("2")
    proposals = main.locator("table.assignment-proposals tbody tr")
    expect(proposals).to_have_count(2)
    expect(main.locator(f"tr[data-case='{urgent.reference}']")).to_contain_text(
        "Kliniek Eemland (capaciteit)"
    )
    expect(main.locator(f"tr[data-case='{first.reference}']")).to_contain_text("Ziekenhuis De Eem")
    expect(main.locator("canvas[data-chart='assignment-chart']")).to_have_attribute(
        "data-initialised", ""
    )
    browsing.screenshot("assignment-results")
    assert browsing.accessibility_problems() == []
    assert browsing.axe_violations() == []

    # 4. Apply: both proposals become offers.
    main.locator("#apply-run").click()
    expect(main.locator("#offers-made")).to_contain_text("2")
    browsing.screenshot("assignment-applied")
    assert browsing.accessibility_problems() == []

    # 5. The offers appear on the cases.
    main.locator(f"ul.assignment-made a:text('{urgent.reference}')").click()
    expect(page).to_have_url(re.compile(rf"/bemiddeling/zaken/{urgent.reference}/$"))
    expect(main.locator("li.offer-row.offer-open")).to_have_count(1)
    expect(main.locator("li.offer-row.offer-open")).to_contain_text("Kliniek Eemland")
    browsing.screenshot("case-with-offer")
    browsing.visit(f"/bemiddeling/zaken/{first.reference}/")
    expect(main.locator("li.offer-row.offer-open")).to_contain_text("Ziekenhuis De Eem")
    browsing.assert_clean()
