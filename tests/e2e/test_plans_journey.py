"""Issue 5, "Done when": in Chromium, a planner downloads the Excel template, fills it, uploads it
and submits the plan; a contract manager requests changes; the planner edits the lines and
resubmits; the contract manager sees what changed and approves; the planner reports progress and
sees the forecast and the burn-down chart."""

from __future__ import annotations

import re
from datetime import date

import openpyxl
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from plans.models import Plan, PlanStatus
from providers.models import Specialism
from tests.accounts.factories import PASSWORD, InsurerFactory, ProviderOrganisationFactory, member
from tests.providers.factories import LocationFactory, WaitingTimeSeriesFactory

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


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


def test_plan_from_template_to_approval_and_progress(browsing, tmp_path):
    today = timezone.localdate()
    year = today.year
    organisation = ProviderOrganisationFactory(
        name="Ziekenhuis Proefstad", provider__name="Ziekenhuis Proefstad"
    )
    location = LocationFactory(provider=organisation.provider, name="Proefstad Centrum")
    WaitingTimeSeriesFactory(location=location, specialism=Specialism.objects.get(code="0305"))
    planner = member(Role.PLANNER, organisation, first_name="Petra", last_name="Planner")
    insurer = InsurerFactory(name="Zorgverzekeraar Merel", uzovi="8911")
    manager = member(Role.CONTRACT_MANAGER, insurer, first_name="Joost", last_name="Contract")
    page = browsing.page
    main = page.locator("main")

    # --- The planner drafts a plan -------------------------------------------------------------
    _log_in(browsing, planner.username)
    page.locator("#main-nav a[href$='/plannen/']").click()
    expect(page).to_have_url(re.compile(r"/plannen/$"))
    browsing.screenshot("planner-plans")
    main.locator("a[href$='/plannen/nieuw/']").click()
    main.locator("select[name='insurer']").select_option("8911")
    main.locator("input[name='period_start']").fill(f"{year}-01")
    main.locator("input[name='period_end']").fill(f"{year}-12")
    main.locator("textarea[name='staff']").fill("Extra OK-sessies op zaterdag.")
    browsing.screenshot("new-plan")
    assert browsing.accessibility_problems() == []
    main.locator("form.plan-form button[type='submit']").click()
    expect(page).to_have_url(re.compile(r"/plannen/\d+/$"))
    plan = Plan.objects.get()
    expect(main.locator("[data-status='draft']").first).to_be_visible()

    # --- Download the template, fill it in with openpyxl, upload it --------------------------
    main.locator(f"a[href$='/plannen/{plan.pk}/upload/']").click()
    browsing.screenshot("excel-page")
    assert browsing.accessibility_problems() == []
    with page.expect_download() as download_info:
        main.locator("#download-template").click()
    template = tmp_path / "sjabloon.xlsx"
    download_info.value.save_as(template)
    workbook = openpyxl.load_workbook(template)
    sheet = workbook["Regels"]
    header = [cell.value for cell in sheet[1]]
    assert header[4:] == [f"{year}-{m:02d}" for m in range(1, 13)]
    rows = {(row[0].value, row[2].value): row for row in sheet.iter_rows(min_row=2)}
    assert set(rows) == {("0305", 3), ("0305", 4), ("0305", 5)}
    class_four = rows[("0305", 4)]
    class_four[3].value = 120
    for cell in class_four[4:]:
        cell.value = 10
    filled = tmp_path / "plan-ingevuld.xlsx"
    workbook.save(filled)
    main.locator("input[type='file']").set_input_files(str(filled))
    main.locator("form.upload-form button[type='submit']").click()
    expect(page).to_have_url(re.compile(rf"/plannen/{plan.pk}/$"))
    expect(main.locator("tr[data-line='0305-4']")).to_contain_text("120")
    browsing.screenshot("uploaded")

    # --- Submit -----------------------------------------------------------------------------------
    main.locator("form.submit-form textarea[name='comment']").fill("Graag uw reactie.")
    main.locator("form.submit-form button[type='submit']").click()
    expect(main.locator("[data-status='submitted']").first).to_be_visible()
    browsing.screenshot("submitted")
    _log_out(browsing)

    # --- The contract manager requests changes ----------------------------------------------------
    _log_in(browsing, manager.username)
    page.locator("#main-nav a[href$='/plannen/']").click()
    inbox_row = main.locator(f"tr[data-plan='{plan.pk}']")
    expect(inbox_row).to_contain_text("Ziekenhuis Proefstad")
    browsing.screenshot("inbox")
    inbox_row.locator("a[href$='/beoordelen/']").click()
    expect(page).to_have_url(re.compile(rf"/plannen/{plan.pk}/beoordelen/$"))
    browsing.screenshot("review-first-version")
    assert browsing.accessibility_problems() == []
    main.locator("input[name='decision'][value='request_changes']").check()
    main.locator("textarea[name='comment']").fill("Graag de achterstand in klasse 4 herzien.")
    main.locator("form.review-form button[type='submit']").click()
    expect(main.locator("[data-status='changes_requested']").first).to_be_visible()
    _log_out(browsing)

    # --- The planner edits the lines and resubmits ------------------------------------------------
    _log_in(browsing, planner.username)
    browsing.visit(f"/plannen/{plan.pk}/")
    expect(main.locator("#changes-requested")).to_contain_text(
        "Graag de achterstand in klasse 4 herzien."
    )
    browsing.screenshot("changes-requested")
    main.locator(f"a[href$='/plannen/{plan.pk}/regels/']").click()
    browsing.screenshot("lines-editor")
    assert browsing.accessibility_problems() == []
    main.locator("input[name='lines-0-backlog']").fill("150")
    main.locator("input[name='lines-0-" + f"{year}-01" + "']").fill("30")
    main.locator("form.plan-lines-form button[type='submit']").click()
    expect(main.locator("tr[data-line='0305-4']")).to_contain_text("150")
    main.locator("form.submit-form button[type='submit']").click()
    expect(main.locator("[data-status='submitted']").first).to_be_visible()
    _log_out(browsing)

    # --- The contract manager sees what changed and approves --------------------------------------
    _log_in(browsing, manager.username)
    browsing.visit(f"/plannen/{plan.pk}/beoordelen/")
    changed = main.locator("tr[data-diff-line='0305-4']")
    expect(changed.locator("del").first).to_have_text("120")
    expect(changed.locator("ins").first).to_have_text("150")
    expect(changed).to_contain_text(f"{year}-01")
    browsing.screenshot("review-diff")
    main.locator("input[name='decision'][value='approve']").check()
    main.locator("form.review-form button[type='submit']").click()
    expect(main.locator("[data-status='approved']").first).to_be_visible()
    _log_out(browsing)

    # --- The planner reports progress and sees the forecast and the chart ------------------------
    _log_in(browsing, planner.username)
    browsing.visit(f"/plannen/{plan.pk}/")
    main.locator(f"a[href$='/plannen/{plan.pk}/voortgang/']").click()
    expect(main.locator("select[name='month']")).to_have_value(f"{year}-01")
    browsing.screenshot("progress-form")
    assert browsing.accessibility_problems() == []
    main.locator("form.progress-form input[type='text']").first.fill("25")
    main.locator("form.progress-form button[type='submit']").click()
    expect(page).to_have_url(re.compile(rf"/plannen/{plan.pk}/$"))
    expect(main.locator("[data-figure='realised']")).to_have_text("25")
    expect(main.locator("[data-figure='remaining']")).to_have_text("125")
    # January + ⌈125 / 25⌉ = June: on track.
    expect(main.locator("[data-figure='projected']")).not_to_be_empty()
    expect(main.locator("#forecast [data-on-track='yes']")).to_be_visible()
    chart_drawn = page.evaluate(
        "() => !!window.Chart"
        " && !!window.Chart.getChart(document.querySelector('canvas[data-burndown]'))"
    )
    assert chart_drawn
    browsing.screenshot("forecast-and-chart")
    assert browsing.accessibility_problems() == []

    plan.refresh_from_db()
    assert (plan.status, plan.version) == (PlanStatus.APPROVED, 2)
    assert plan.realised_total == 25
    assert plan.projected_clearance_month == date(year, 6, 1)
    assert plan.on_track is True
    browsing.assert_clean()
