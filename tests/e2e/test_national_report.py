"""The national report in a real browser (issue 14): the regulator goes from the dashboard to the
national matrix, sees the colours with their symbols and words, chooses another kind of wait
without JavaScript-only controls, and drills down to a region's report; no serious or critical
axe-core violation."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from tests.accounts.factories import PASSWORD, RegulatorFactory, member
from tests.providers.test_national_report import build_world, norms  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_the_national_matrix_drills_down_to_a_region(browsing) -> None:
    build_world(today=timezone.localdate())
    regulator = member(Role.REGULATOR, RegulatorFactory(name="Toezichthouder"))
    page = browsing.page
    main = page.locator("main")

    browsing.visit("/accounts/login/")
    main.locator("input[name='username']").fill(regulator.username)
    main.locator("input[name='password']").fill(PASSWORD)
    main.locator("button[type='submit']").click()
    expect(page).to_have_url(re.compile(r"/accounts/$"))

    main.get_by_role("link", name="Landelijke rapportage").first.click()
    expect(page).to_have_url(re.compile(r"/rapportages/landelijk/$"))
    expect(main.get_by_role("heading", level=1)).to_have_text("Landelijke rapportage")
    matrix = main.locator("table.national-matrix")
    expect(matrix).to_be_visible()
    # Orthopedics in region A: within the maximum, shown by colour, a symbol and words.
    cell = matrix.locator("td[data-region='TSTA'][data-specialism='0305']")
    expect(cell).to_have_class(re.compile(r"wait-cell-within_maximum"))
    expect(cell).to_contain_text("4 wk")
    expect(cell).to_contain_text("3 niet aangeleverd")
    expect(cell).to_contain_text("Binnen het maximum")
    expect(matrix.locator("td[data-region='TSTB'][data-specialism='0305']")).to_contain_text(
        "1 langdurig"
    )
    browsing.screenshot("national-report")
    assert browsing.axe_violations() == []

    # Another kind of wait: a plain form (GET), the matrix follows.
    main.locator("select[name='kind']").select_option("treatment_day")
    main.get_by_role("button", name="Tonen").click()
    expect(page).to_have_url(re.compile(r"kind=treatment_day"))
    expect(matrix.locator("td[data-region='TSTA'][data-specialism='0305']")).to_have_class(
        re.compile(r"wait-cell-above_maximum")
    )

    # Drill down: the region's name leads to its regional report.
    matrix.get_by_role("link", name="Testregio A").click()
    expect(page).to_have_url(re.compile(r"/rapportages/regio/TSTA/$"))
    expect(main.get_by_role("heading", level=1)).to_contain_text("Testregio A")
    expect(main.locator("#not-reported")).to_be_visible()
    # The series not reported, per provider: the stale and never-reported series of A3 and A4.
    not_reported = main.locator("table.not-reported-table")
    expect(not_reported).to_contain_text("A4")
    expect(not_reported).to_contain_text("nooit aangeleverd")
    browsing.screenshot("regional-report")
    assert browsing.axe_violations() == []
    browsing.assert_clean()
