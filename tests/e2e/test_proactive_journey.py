"""The proactive journey (issue 15, "Done when"): a planner uploads the consented waiting list, a
mediator runs a scan, the patient opts in from the invitation page (without JavaScript as well
as with it: a plain form), and the case is in the mediator's work queue, already matched."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from config.celery import app
from mediation.models import Case, Channel
from providers.models import Specialism
from tests.accounts.factories import PASSWORD, InsurerFactory, ProviderOrganisationFactory, member
from tests.providers.factories import (
    LocationFactory,
    ProviderFactory,
    WaitingTimeSeriesFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

HEADER = (
    "external_id;location;insurer;policy_number;full_name;birth_date;email;phone;postcode;"
    "specialism;treatment;kind;urgency_class;waiting_since;expected_date;consent_date\n"
)


@pytest.fixture
def eager_tasks():
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def login(browsing, user) -> None:
    main = browsing.page.locator("main")
    browsing.visit("/accounts/login/")
    main.locator("input[name='username']").fill(user.username)
    main.locator("input[name='password']").fill(PASSWORD)
    main.locator("button[type='submit']").click()
    expect(browsing.page).to_have_url(re.compile(r"/accounts/$"))


def logout(browsing) -> None:
    browsing.page.locator("header form[action$='/accounts/logout/'] button").click()


def test_upload_scan_opt_in_and_the_case_in_the_queue(browsing, tmp_path, eager_tasks):
    today = timezone.localdate()
    insurer = InsurerFactory(name="Zorgverzekeraar Merel", uzovi="8901")
    organisation = ProviderOrganisationFactory(name="Ziekenhuis Proefstad")
    current = LocationFactory(
        provider=organisation.provider, code="06020502", name="Proefstad Centrum"
    )
    alternative = LocationFactory(
        provider=ProviderFactory(name="Kliniek Amersfoort"),
        name="Kliniek Amersfoort",
        postcode="3811AA",
        city="Amersfoort",
        latitude=Decimal("52.156000"),
        longitude=Decimal("5.387000"),
    )
    orthopaedics = Specialism.objects.get(code="0305")
    WaitingTimeSeriesFactory(location=current, specialism=orthopaedics, current_days=120)
    WaitingTimeSeriesFactory(location=alternative, specialism=orthopaedics, current_days=20)
    planner = member(Role.PLANNER, organisation)
    mediator = member(Role.MEDIATOR, insurer)
    page = browsing.page
    main = page.locator("main")

    # 1. The planner uploads the waiting list.
    login(browsing, planner)
    page.locator("#main-nav a[href$='/bemiddeling/wachtlijst/']").click()
    expect(page).to_have_url(re.compile(r"/bemiddeling/wachtlijst/$"))
    assert browsing.accessibility_problems() == []
    csv = tmp_path / "wachtlijst.csv"
    since = (today - timedelta(days=60)).isoformat()
    consent = (today - timedelta(days=20)).isoformat()
    csv.write_text(
        HEADER + f"W-1;06020502;8901;P123456;Anna de Vries;1961-05-04;anna@example.org;0612345678;"
        f"3511AB;0305;;first_visit;4;{since};;{consent}\n",
        encoding="utf-8",
    )
    main.locator("input[type='file']").set_input_files(str(csv))
    main.locator("#waiting-list-upload").click()
    expect(page).to_have_url(re.compile(r"/bemiddeling/wachtlijst/upload/\d+/$"))
    expect(main.locator("[data-status='succeeded']")).to_be_visible()
    browsing.screenshot("uploaded")
    logout(browsing)

    # 2. The mediator runs a scan.
    login(browsing, mediator)
    page.locator("#main-nav a[href$='/bemiddeling/scans/']").click()
    main.locator("#scan-start").click()
    expect(page).to_have_url(re.compile(r"/bemiddeling/scans/\d+/$"))
    expect(main.locator("#scan-invited")).to_have_text("1")
    expect(main.locator("#cohort tbody tr")).to_have_count(1)
    browsing.screenshot("scan-report")
    logout(browsing)

    # 3. The patient opts in from the invitation page (the link in the mail).
    link = next(word for word in mail.outbox[-1].body.split() if "/uitnodiging/" in word)
    path = "/" + link.split("/", 3)[3]
    browsing.visit(path)
    expect(main.locator("#invitation-summary")).to_contain_text("U wacht al 9 weken")
    expect(main).to_contain_text("Kliniek Amersfoort")
    assert browsing.accessibility_problems() == []
    assert browsing.axe_violations() == []
    main.locator("#invitation-accept").click()
    expect(page).to_have_url(re.compile(r"/bemiddeling/status/ZB-\d{4}-\d{6}/"))
    browsing.screenshot("opted-in")
    case = Case.objects.get(channel=Channel.PROACTIVE)

    # 4. The case is in the mediator's work queue, already matched.
    login(browsing, mediator)
    page.locator("#main-nav a[href$='/bemiddeling/zaken/']").click()
    expect(main.locator(f"text={case.reference}").first).to_be_visible()
    browsing.visit(f"/bemiddeling/zaken/{case.reference}/")
    expect(main.locator("#case-chosen-alternative")).to_contain_text("Kliniek Amersfoort")
    browsing.assert_clean()


def test_the_invitation_page_works_without_javascript(browser, live_server, reference_data):
    from tests.mediation.waiting_list_fixtures import invitation_with_token

    invitation, token = invitation_with_token()
    context = browser.new_context(java_script_enabled=False, locale="nl-NL")
    page = context.new_page()
    page.goto(f"{live_server.url}/bemiddeling/uitnodiging/{invitation.reference}/{token}/")
    page.locator("#invitation-decline").click()
    expect(page.locator("main")).to_contain_text("U hebt nee gezegd")
    context.close()
    invitation.refresh_from_db()
    assert invitation.status == "declined"
