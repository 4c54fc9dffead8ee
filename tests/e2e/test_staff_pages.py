"""Staff pages at a laptop's 1366 × 900 (issue 13): the work queue, the case page, the finance
overview, the plan diff and the lines editor fit without horizontal scrolling, and have no serious
or critical axe-core violation. Screenshots of each go to ``test-artifacts/``."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from mediation.models import CaseEvent, CaseEventKind, CaseStatus
from plans.services.editing import plan_update
from plans.services.lifecycle import plan_submit
from providers.models import Specialism
from tests.accounts.factories import PASSWORD, InsurerFactory, ProviderOrganisationFactory, member
from tests.finance.factories import ContractFactory
from tests.mediation.factories import CaseFactory, OfferFactory
from tests.mediation.test_api import ORTHOPAEDICS, amersfoort
from tests.plans.factories import actor, changes_requested_plan, line
from tests.providers.factories import LocationFactory, ProviderFactory, WaitingTimeSeriesFactory

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

WIDTH, HEIGHT = 1366, 900


def _log_in(browsing, username: str) -> None:
    main = browsing.page.locator("main")
    browsing.visit("/accounts/login/")
    main.locator("input[name='username']").fill(username)
    main.locator("input[name='password']").fill(PASSWORD)
    main.locator("button[type='submit']").click()
    expect(browsing.page).to_have_url(re.compile(r"/accounts/$"))


def _log_out(browsing) -> None:
    browsing.page.locator("header form[action$='/accounts/logout/'] button").click()
    expect(browsing.page.locator("header a[href$='/accounts/login/']")).to_be_visible()


def _check(browsing, path: str, label: str) -> None:
    browsing.visit(path)
    browsing.screenshot(label)
    assert browsing.horizontal_overflow() <= 0, f"{path} scrolls sideways at {WIDTH} px"
    assert browsing.axe_violations() == [], path


@pytest.fixture
def day(reference_data):
    """An insurer's busy queue and one case with many matches, a contract manager's contracts and
    a planner's resubmitted plan."""
    insurer = InsurerFactory(name="Zorgverzekeraar Samen Gezond Nederland", uzovi="8601")
    mediator = member(Role.MEDIATOR, insurer, first_name="Maartje", last_name="Bemiddelaar")
    member(Role.MEDIATOR, insurer, first_name="Corrie", last_name="van der Collega-Langenaam")
    today = timezone.localdate()
    orthopaedics = Specialism.objects.get(code=ORTHOPAEDICS)
    cases = []
    for n in range(30):
        case = CaseFactory(
            insurer=insurer,
            specialism=orthopaedics,
            full_name=f"Alexandra Wilhelmina van den Berghe-Oosterhuis {n}",
            waiting_since=today - timedelta(days=40 + 7 * n),
            first_contact_due=today + timedelta(days=(n % 5) - 2),
            urgency_class=3 + n % 3,
            status=CaseStatus.OFFERED if n % 4 == 0 else CaseStatus.SUBMITTED,
            assigned_to=mediator if n % 2 else None,
        )
        if n % 4 == 0:
            OfferFactory(case=case, expires_at=timezone.now() + timedelta(days=n % 5 + 1))
        CaseEvent.objects.create(
            case=case, actor_label="system", kind=CaseEventKind.CREATED, to_status="submitted"
        )
        cases.append(case)
    # The case page: one submitted case with more than five matches.
    detailed = cases[1]
    for days in range(15, 35):
        WaitingTimeSeriesFactory(
            location=amersfoort(
                name=f"Orthopedisch Centrum Midden-Nederland locatie {days}",
                provider=ProviderFactory(name=f"Stichting Ziekenhuisgroep Regio {days}"),
            ),
            specialism=orthopaedics,
            current_days=days,
        )

    manager = member(Role.CONTRACT_MANAGER, insurer)
    for n in range(6):
        ContractFactory(
            insurer=insurer,
            provider=ProviderFactory(name=f"Universitair Medisch Centrum Voorbeeldstad {n}"),
            year=today.year,
            contract_value=Decimal("123456789.00"),
        )

    hospital = ProviderOrganisationFactory(name="Ziekenhuis Proefstad")
    LocationFactory(provider=hospital.provider)
    planner = member(Role.PLANNER, hospital)
    year = today.year
    months = {f"{year}-{m:02d}": 1000 + m for m in range(1, 13)}
    plan = changes_requested_plan(
        planner,
        manager,
        insurer,
        period=(today.replace(month=1, day=1), today.replace(month=12, day=1)),
        lines=[line("0305", 4, 12000, months), line("0303", 3, 800, months)],
    )
    changed = {key: volume + 250 for key, volume in months.items()}
    plan = plan_update(
        actor=actor(planner),
        plan=plan,
        lines=[line("0305", 4, 15000, changed), line("0303", 5, 900, changed)],
    )
    plan = plan_submit(actor=actor(planner), plan=plan)
    return {
        "mediator": mediator,
        "case": detailed,
        "offered": cases[0],
        "manager": manager,
        "planner": planner,
        "plan": plan,
    }


def test_the_mediators_pages_fit_1366_and_pass_axe(browsing, day):
    page = browsing.page
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    _log_in(browsing, day["mediator"].username)

    _check(browsing, "/bemiddeling/zaken/", "work-queue")
    _check(browsing, "/bemiddeling/zaken/?sort=-waited&urgency_class=3", "work-queue-sorted")
    case = day["case"]
    _check(browsing, f"/bemiddeling/zaken/{case.reference}/", "case-page")

    main = page.locator("main")
    # 20 matches, yet the page stays short (it grew to 13,000 px with 40 match cards).
    height = page.evaluate("() => document.scrollingElement.scrollHeight")
    assert height < 4000, f"the case page is {height} px high"
    # Five matches in view; the rest one link away ("show all", no JavaScript needed).
    expect(main.locator("li.match")).to_have_count(5)
    main.locator("a.more-matches-link").click()
    expect(main.locator("ol.more-matches li.match").first).to_be_visible()
    expect(main.locator("li.match")).to_have_count(20)
    page.go_back()
    # Offers, closing and the timeline stand beside the case, in the first screen.
    for anchor in ("#offers", "#close"):
        box = main.locator(anchor).bounding_box()
        assert box is not None and box["y"] < HEIGHT, anchor

    # A case with an open offer: the matches are folded away, the offer is in view.
    _check(browsing, f"/bemiddeling/zaken/{day['offered'].reference}/", "case-page-offered")
    expect(main.locator("details.matches-panel")).not_to_have_attribute("open", "")
    expect(main.locator("li.offer-row.offer-open")).to_be_in_viewport()

    # The notifications page too.
    _check(browsing, "/accounts/notifications/", "notifications")
    browsing.assert_clean()


def test_bulk_assign_in_the_browser(browsing, day):
    page = browsing.page
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    _log_in(browsing, day["mediator"].username)
    browsing.visit("/bemiddeling/zaken/?search=Oosterhuis 2")
    main = page.locator("main")
    rows = main.locator("tr.case-row")
    references = [rows.nth(i).get_attribute("data-reference") for i in range(2)]
    for reference in references:
        main.locator(f"input[name='references'][value='{reference}']").check()
    main.locator("#bulk-assigned-to").select_option(label="Corrie van der Collega-Langenaam")
    main.locator("#bulk-assign-form button[type='submit']").click()

    expect(main.locator(".alert-success")).to_contain_text("2")
    expect(page).to_have_url(re.compile(r"search=Oosterhuis"))
    for reference in references:
        expect(main.locator(f"tr[data-reference='{reference}']")).to_contain_text("Corrie")
    browsing.screenshot("bulk-assigned")
    browsing.assert_clean()


def test_finance_and_plan_pages_fit_1366_and_pass_axe(browsing, day):
    browsing.page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    plan = day["plan"]

    _log_in(browsing, day["manager"].username)
    _check(browsing, "/financien/", "finance-overview")
    _check(browsing, f"/plannen/{plan.pk}/beoordelen/", "plan-diff")
    _check(browsing, f"/plannen/{plan.pk}/", "plan-detail-insurer")
    # Narrower windows scroll the wide tables inside their box: that box must take the keyboard
    # (axe ``scrollable-region-focusable``).
    browsing.page.set_viewport_size({"width": 800, "height": HEIGHT})
    for path in (
        f"/plannen/{plan.pk}/",
        f"/plannen/{plan.pk}/beoordelen/",
        f"/plannen/{plan.pk}/versies/2/",
        "/plannen/portefeuille/",
        "/financien/",
    ):
        browsing.visit(path)
        assert browsing.axe_violations() == [], path
    browsing.page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    _log_out(browsing)

    _log_in(browsing, day["planner"].username)
    _check(browsing, f"/plannen/{plan.pk}/", "plan-detail")
    browsing.assert_clean()


def test_the_lines_editor_fits_1366_and_passes_axe(browsing, reference_data):
    browsing.page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    insurer = InsurerFactory(uzovi="8602")
    hospital = ProviderOrganisationFactory(name="Ziekenhuis Proefstad")
    planner = member(Role.PLANNER, hospital)
    today = timezone.localdate()
    months = {f"{today.year}-{m:02d}": 10000 + m for m in range(1, 13)}
    from tests.plans.factories import make_plan

    plan = make_plan(
        planner,
        insurer,
        period=(today.replace(month=1, day=1), today.replace(month=12, day=1)),
        lines=[line("0305", 4, 120000, months), line("0303", 3, 800, months)],
    )

    _log_in(browsing, planner.username)
    _check(browsing, f"/plannen/{plan.pk}/regels/", "lines-editor")
    browsing.assert_clean()
