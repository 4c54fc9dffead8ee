"""A contract manager records an arrangement, approves a claim, books an advance and sees the
balance change (issue 6, "Done when")."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from finance.models import Arrangement, ArrangementStatus, ClaimStatus, Payment
from tests.accounts.factories import PASSWORD, InsurerFactory, ProviderOrganisationFactory, member
from tests.finance.factories import ContractFactory

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def _figure(main, name: str):
    return main.locator(f"[data-figure='{name}']")


def test_contract_manager_records_arrangement_approves_claim_and_books_advance(browsing):
    insurer = InsurerFactory(name="Verzekeraar Proef", uzovi="8401")
    hospital = ProviderOrganisationFactory(name="Ziekenhuis Proefstad")
    hospital.provider.name = "Ziekenhuis Proefstad"
    hospital.provider.save()
    contract = ContractFactory(insurer=insurer, provider=hospital.provider, year=2026)
    user = member(Role.CONTRACT_MANAGER, insurer, first_name="Carla")
    page = browsing.page
    main = page.locator("main")

    browsing.visit("/accounts/login/")
    main.locator("input[name='username']").fill(user.username)
    main.locator("input[name='password']").fill(PASSWORD)
    main.locator("button[type='submit']").click()
    expect(page).to_have_url(re.compile(r"/accounts/$"))

    # The menu leads to the overview, which leads to the provider's contract of the year.
    page.locator("#main-nav a[href$='/financien/']").click()
    expect(page).to_have_url(re.compile(r"/financien/$"))
    browsing.screenshot("overview")
    assert browsing.accessibility_problems() == []
    main.locator(f"a[href$='/financien/contracten/{contract.pk}/']").click()
    expect(main.locator("h1")).to_contain_text("Ziekenhuis Proefstad")
    browsing.screenshot("contract")
    assert browsing.accessibility_problems() == []

    # Record an arrangement for extra costs (meerkosten).
    form = main.locator("form[action$='/regelingen/#new-arrangement']")
    form.locator("select[name='kind']").select_option("additional_costs")
    form.locator("button[type='submit']").click()
    expect(page).to_have_url(re.compile(r"/financien/regelingen/\d+/#main-content$"))
    arrangement = Arrangement.objects.get(contract=contract)
    assert arrangement.status == ArrangementStatus.DRAFT
    browsing.screenshot("arrangement-draft")
    assert browsing.accessibility_problems() == []

    # Agree it, then record a claim and approve it: what is due follows the approved claim.
    main.locator("form[action$='/status/agree/'] button").click()
    expect(main.locator("form[action$='/status/settle/']")).to_be_visible()
    claim_form = main.locator("form[action$='/declaraties/#claims']")
    claim_form.locator("select[name='category']").select_option("protective_equipment")
    claim_form.locator("input[name='amount']").fill("12500")
    claim_form.locator("textarea[name='note']").fill("Facturen mondkapjes Q1")
    claim_form.locator("button[type='submit']").click()
    expect(main.locator("table.finance-claims tbody tr")).to_have_count(1)
    expect(_figure(main, "due")).to_have_text(re.compile(r"€\s*0,00"))
    browsing.screenshot("claim-recorded")
    main.locator("form[action*='/approve/'] button").click()
    expect(_figure(main, "due")).to_have_text(re.compile(r"€\s*12\.500,00"))
    expect(_figure(main, "balance")).to_have_text(re.compile(r"€\s*12\.500,00"))
    assert arrangement.claims.get().status == ClaimStatus.APPROVED

    # Book an advance: the balance drops by it.
    payment_form = main.locator("form[action$='/betalingen/#payments']")
    payment_form.locator("select[name='kind']").select_option("advance")
    payment_form.locator("input[name='date']").fill("2026-04-15")
    payment_form.locator("input[name='amount']").fill("5000")
    payment_form.locator("button[type='submit']").click()
    expect(_figure(main, "paid")).to_have_text(re.compile(r"€\s*5\.000,00"))
    expect(_figure(main, "balance")).to_have_text(re.compile(r"€\s*7\.500,00"))
    expect(main.locator("table.finance-payments tbody tr")).to_have_count(1)
    # The history names who did what.
    expect(main.locator(".finance-history li").first).to_contain_text(user.username)
    browsing.screenshot("advance-booked")
    assert browsing.accessibility_problems() == []
    assert Payment.objects.get().amount == Decimal("5000.00")

    # The overview shows the same balance for the provider.
    page.locator("#main-nav a[href$='/financien/']").click()
    row = main.locator("table.finance-overview tbody tr").first
    expect(row).to_contain_text("Ziekenhuis Proefstad")
    expect(row.locator("td").last).to_have_text(re.compile(r"€\s*7\.500,00"))
    browsing.assert_clean()
