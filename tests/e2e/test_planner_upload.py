"""A planner uploads a CSV file with an error, sees the row error, fixes the file, uploads it
again, and it is imported (issue 3, "Done when")."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from config.celery import app
from providers.models import WaitingTimeReport
from providers.waiting_times.rules import nza_reference_date_on_or_before
from tests.accounts.factories import PASSWORD, ProviderOrganisationFactory, member
from tests.providers.factories import LocationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

HEADER = "location;specialism;treatment;kind;days;insufficient_observations;reference_date\n"


@pytest.fixture
def eager_tasks():
    """The import task runs inline in the live server, as in the embedded default (CI's second
    run has a broker but no worker for this test's database)."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def test_planner_fixes_a_row_error_and_imports_the_file(browsing, tmp_path, eager_tasks):
    organisation = ProviderOrganisationFactory(name="Ziekenhuis Proefstad")
    LocationFactory(provider=organisation.provider, code="06020502", name="Proefstad Centrum")
    user = member(Role.PLANNER, organisation, first_name="Petra")
    day = nza_reference_date_on_or_before(timezone.localdate()).isoformat()
    page = browsing.page
    main = page.locator("main")

    browsing.visit("/accounts/login/")
    main.locator("input[name='username']").fill(user.username)
    main.locator("input[name='password']").fill(PASSWORD)
    main.locator("button[type='submit']").click()
    expect(page).to_have_url(re.compile(r"/accounts/$"))

    # The menu leads to the waiting times, and from there to the upload page.
    page.locator("#main-nav a[href$='/wachttijden/invoeren/']").click()
    expect(page).to_have_url(re.compile(r"/wachttijden/invoeren/$"))
    main.locator("a[href$='/wachttijden/upload/']").click()
    expect(page).to_have_url(re.compile(r"/wachttijden/upload/$"))
    browsing.screenshot("upload-page")
    assert browsing.accessibility_problems() == []

    bad = tmp_path / "wachttijden.csv"
    bad.write_text(
        HEADER
        + f"06020502;0305;;first_visit;30;;{day}\n"
        + f"06020502;0305;;diagnostics;-3;;{day}\n",
        encoding="utf-8",
    )
    main.locator("input[type='file']").set_input_files(str(bad))
    main.locator("form.upload-form button[type='submit']").click()
    expect(page).to_have_url(re.compile(r"/wachttijden/upload/\d+/$"))
    errors = main.locator("table.row-errors tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.first.locator("td").nth(0)).to_have_text("3")
    expect(errors.first.locator("td").nth(1)).to_have_text("days")
    expect(main.locator("[data-status='failed']")).to_be_visible()
    browsing.screenshot("row-error")
    assert browsing.accessibility_problems() == []
    assert not WaitingTimeReport.objects.exists()

    # Fix the file and upload it again.
    good = tmp_path / "wachttijden-verbeterd.csv"
    good.write_text(
        HEADER
        + f"06020502;0305;;first_visit;30;;{day}\n"
        + f"06020502;0305;;diagnostics;3;;{day}\n",
        encoding="utf-8",
    )
    main.locator("a[href$='/wachttijden/upload/']").last.click()
    main.locator("input[type='file']").set_input_files(str(good))
    main.locator("form.upload-form button[type='submit']").click()
    expect(main.locator("[data-status='succeeded']")).to_be_visible()
    expect(main.locator("#import-status")).to_contain_text("2")
    browsing.screenshot("imported")
    assert WaitingTimeReport.objects.count() == 2

    # The figures appear in the grid.
    main.locator("#import-status a[href$='/wachttijden/invoeren/']").click()
    expect(main.locator("table.waiting-time-table")).to_contain_text("Orthopedie")
    browsing.screenshot("grid")
    assert browsing.accessibility_problems() == []

    browsing.assert_clean()
