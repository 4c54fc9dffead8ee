"""The public pages meet WCAG 2.1 AA as far as axe-core can tell (DESIGN §7): no serious or
critical violation on the home page, the waiting-time search (empty, with results, national),
the request form (empty, with every error, with the within-norm notice), the status page with
an offer and its confirmation step, the invitation page of the proactive scan, at desktop and
phone width.

axe-core's script comes from the ``axe-playwright-python`` package (a dev dependency); it is
evaluated in each page through Playwright (the DevTools protocol), so the page's own CSP stays as
it is."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from providers.models import ProviderKind, Specialism
from tests.accounts.factories import InsurerFactory
from tests.e2e.conftest import axe_script
from tests.mediation.factories import OfferFactory
from tests.mediation.waiting_list_fixtures import invitation_with_token
from tests.providers.factories import LocationFactory, WaitingTimeSeriesFactory

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def serious_violations(page, script: str) -> list[str]:
    page.evaluate(script + "\n;true")  # through the DevTools protocol: the CSP stays on
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA
    )
    return [
        f"{violation['id']} ({violation['impact']}): "
        + "; ".join(node["target"][0] for node in violation["nodes"][:5])
        for violation in result["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("width", [1280, 390])
def test_public_pages_have_no_serious_axe_violations(browsing, width):
    script = axe_script()
    today = timezone.localdate()
    insurer = InsurerFactory(name="Zorgverzekeraar Merel", uzovi="8901")
    orthopaedics = Specialism.objects.get(code="0305")
    current = LocationFactory(name="Stadsziekenhuis Utrecht", city="Utrecht")
    WaitingTimeSeriesFactory(location=current, specialism=orthopaedics, current_days=14)
    stale = LocationFactory(name="Kliniek Oud", city="Utrecht")
    WaitingTimeSeriesFactory(
        location=stale,
        specialism=orthopaedics,
        current_days=5,
        current_reference_date=today - timedelta(days=40),
    )
    offer = OfferFactory(
        case__token="axe-token",
        case__expected_date=today + timedelta(days=80),
        location__provider__kind=ProviderKind.ZBC,
    )
    status = f"/bemiddeling/status/{offer.case.reference}/axe-token/"
    invitation, invitation_token = invitation_with_token()
    invitation_page = f"/bemiddeling/uitnodiging/{invitation.reference}/{invitation_token}/"
    page = browsing.page
    page.set_viewport_size({"width": width, "height": 900})
    found: dict[str, list[str]] = {}

    def check(label: str) -> None:
        found[label] = serious_violations(page, script)

    for path in (
        "/",
        "/wachttijden/",
        "/wachttijden/?postcode=3511+AB&specialism=0305&kind=first_visit&max_distance_km=50",
        "/wachttijden/?postcode=&specialism=0305&kind=first_visit&max_distance_km=",
        "/wachttijden/?postcode=&specialism=0305&kind=first_visit&max_distance_km=25",
        "/bemiddeling/aanvragen/",
        status,
        f"{status}?confirm=accept&offer={offer.pk}",
        f"{status}?confirm=withdraw",
        invitation_page,
    ):
        browsing.visit(path)
        check(path)

    # The form with every error, and with the notice that the wait is within the norm.
    browsing.visit("/bemiddeling/aanvragen/")
    main = page.locator("main")
    main.locator("#id_email").fill("anna@")
    main.locator("form.request-form button[type='submit']").last.click()
    page.wait_for_selector("#error-summary")
    check("form with errors")
    main.locator("#id_insurer").select_option(insurer.uzovi)
    main.locator("#id_policy_number").fill("987654321")
    main.locator("#id_full_name").fill("Anna de Vries")
    main.locator("#id_birth_date").fill("1961-05-04")
    main.locator("#id_email").fill("anna@example.org")
    main.locator("#id_postcode").fill("3511 AB")
    main.locator("#id_specialism").select_option("0305")
    main.locator("input[name='urgency_class'][value='4']").check()
    main.locator("#id_current_location_combobox").fill("Stadsziekenhuis")
    main.locator("#id_current_location_listbox [role=option]").first.click()
    main.locator("#id_waiting_since").fill((today - timedelta(days=3)).isoformat())
    main.locator("#id_consent").check()
    main.locator("form.request-form button[type='submit']").last.click()
    page.wait_for_selector("#within-norm")
    check("form with the within-norm notice")

    assert {label: problems for label, problems in found.items() if problems} == {}
