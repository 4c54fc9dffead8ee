"""The finance pages: who sees what, the forms call the services, errors appear next to fields."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from finance.models import (
    Arrangement,
    ArrangementStatus,
    ClaimStatus,
    Contract,
    Payment,
    ProductionRecord,
)
from tests.finance.factories import (
    ArrangementFactory,
    ContractFactory,
    CostClaimFactory,
    PaymentFactory,
    ProductionRecordFactory,
)
from tests.providers.factories import ProviderFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def contract(insurer, provider_org):
    return ContractFactory(
        insurer=insurer, provider=provider_org.provider, year=2026, contract_value=D("1000.00")
    )


@pytest.fixture
def cm(client, contract_manager):
    client.force_login(contract_manager)
    return client


def test_overview_lists_own_contracts_with_totals(cm, contract):
    ContractFactory()  # another insurer's
    arrangement = ArrangementFactory(
        contract=contract, coverage_percentage=D("50"), status=ArrangementStatus.AGREED
    )
    ProductionRecordFactory(contract=contract, amount=D("600.00"))
    PaymentFactory(arrangement=arrangement, amount=D("50.00"))
    response = cm.get(reverse("finance:arrangement-list"), {"year": 2026})
    assert response.status_code == 200
    rows = response.context["overview"].rows
    assert [row.contract for row in rows] == [contract]
    # (1000 − 600) × 50 % = 200 due, 50 paid.
    assert response.context["overview"].totals.balance == D("150.00")
    assert reverse("finance:contract-detail", args=[contract.pk]) in response.content.decode()


def test_exports_csv_and_excel(cm, contract):
    ArrangementFactory(contract=contract, coverage_percentage=D("50"))
    url = reverse("finance:overview-export")
    response = cm.get(url, {"year": 2026, "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    # The one export dialect (core.csv_export): UTF-8 with BOM, separated by semicolons.
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["AGB", "provider", "insurer"]
    assert rows[1][0] == contract.provider.agb_code
    assert rows[1][rows[0].index("due")] == "500.00"
    assert rows[-1][rows[0].index("contract_value")] == "1000.00"  # totals row
    response = cm.get(url, {"year": 2026, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in sheet[1]]
    assert sheet.cell(row=2, column=header.index("due") + 1).value == 500
    assert sheet.cell(row=2, column=header.index("due") + 1).number_format == "#,##0.00"
    assert cm.get(url, {"format": "pdf"}).status_code == 404


def test_csv_export_neutralises_formulas(cm, insurer):
    ContractFactory(insurer=insurer, provider=ProviderFactory(name="=HYPERLINK(1)"))
    response = cm.get(reverse("finance:overview-export"), {"year": 2026, "format": "csv"})
    assert "'=HYPERLINK(1)" in response.content.decode()


def test_record_contract(cm, insurer):
    provider = ProviderFactory()
    response = cm.post(
        reverse("finance:contract-create"),
        {"provider": provider.pk, "year": 2026, "contract_value": "2500000,00"},
    )
    contract = Contract.objects.get(provider=provider)
    assert response.status_code == 302
    assert contract.insurer == insurer
    assert contract.contract_value == D("2500000.00")
    again = cm.post(
        reverse("finance:contract-create"),
        {"provider": provider.pk, "year": 2026, "contract_value": "1"},
    )
    assert again.status_code == 400
    assert again.context["form"].errors["year"]


def test_record_arrangement_then_errors_are_shown_next_to_the_field(cm, contract):
    url = reverse("finance:arrangement-create", args=[contract.pk])
    bad = cm.post(url, {"kind": "continuity_contribution", "coverage_percentage": "120"})
    assert bad.status_code == 400
    assert bad.context["arrangement_form"].errors["coverage_percentage"]
    assert not Arrangement.objects.exists()
    good = cm.post(url, {"kind": "continuity_contribution", "coverage_percentage": "80"})
    arrangement = Arrangement.objects.get()
    assert (
        good.url == reverse("finance:arrangement-detail", args=[arrangement.pk]) + "#main-content"
    )


@pytest.mark.parametrize("month", ["2025-04", "0000-01", "2026-13", "april"])
def test_production_form_refuses_a_bad_month_at_the_field(cm, contract, month):
    url = reverse("finance:production-record", args=[contract.pk])
    bad = cm.post(url, {"month": month, "amount": "10", "catch_up_amount": ""})
    assert bad.status_code == 400
    assert bad.context["production_form"].errors["month"]
    assert not ProductionRecord.objects.exists()


def test_production_form(cm, contract):
    url = reverse("finance:production-record", args=[contract.pk])
    ok = cm.post(url, {"month": "2026-04", "amount": "10", "catch_up_amount": ""})
    assert ok.status_code == 302
    assert ProductionRecord.objects.get().catch_up_amount == D("0.00")


def test_claim_decisions_and_payment_change_the_balance(cm, contract):
    arrangement = ArrangementFactory(
        contract=contract, kind="additional_costs", status=ArrangementStatus.AGREED
    )
    claim = CostClaimFactory(arrangement=arrangement, amount=D("300.00"))
    decide = "finance:claim-decide"
    response = cm.post(reverse(decide, args=[arrangement.pk, claim.pk, "reject"]), {"reason": ""})
    assert response.status_code == 400
    assert response.context["rejecting"] == claim.pk
    back = reverse("finance:contract-detail", args=[contract.pk]) + "#claims"
    response = cm.post(reverse(decide, args=[arrangement.pk, claim.pk, "approve"]), {"next": back})
    assert response.url == back
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED
    # An outside "next" is ignored.
    other = CostClaimFactory(arrangement=arrangement)
    response = cm.post(
        reverse(decide, args=[arrangement.pk, other.pk, "reject"]),
        {"reason": "No invoice", "next": "https://evil.example/"},
    )
    assert response.url.startswith(reverse("finance:arrangement-detail", args=[arrangement.pk]))
    response = cm.post(
        reverse("finance:payment-create", args=[arrangement.pk]),
        {"kind": "advance", "date": "2026-05-01", "amount": "120,00", "note": ""},
    )
    assert response.status_code == 302
    page = cm.get(reverse("finance:arrangement-detail", args=[arrangement.pk]))
    assert page.context["settlement"].balance == D("180.00")
    assert len(page.context["history"]) >= 3  # claim approved and rejected, payment booked


def test_transitions_and_the_lock(cm, contract):
    arrangement = ArrangementFactory(contract=contract, kind="additional_costs")
    url = reverse("finance:arrangement-transition", args=[arrangement.pk, "settle"])
    cm.post(url)
    arrangement.refresh_from_db()
    assert arrangement.status == ArrangementStatus.DRAFT  # draft cannot be settled
    cm.post(reverse("finance:arrangement-transition", args=[arrangement.pk, "agree"]))
    cm.post(url)
    arrangement.refresh_from_db()
    assert arrangement.status == ArrangementStatus.SETTLED
    page = cm.get(reverse("finance:arrangement-detail", args=[arrangement.pk]))
    assert [value for value, _label in page.context["payment_form"].fields["kind"].choices] == [
        "correction"
    ]
    response = cm.post(
        reverse("finance:payment-create", args=[arrangement.pk]),
        {"kind": "advance", "date": "2026-05-01", "amount": "10"},
    )
    assert response.status_code == 400
    assert not Payment.objects.exists()
    assert (
        cm.post(reverse("finance:arrangement-transition", args=[arrangement.pk, "x"])).status_code
        == 404
    )


def test_planner_reads_own_pages_without_forms_and_may_not_post(client, planner, contract):
    arrangement = ArrangementFactory(contract=contract)
    client.force_login(planner)
    overview = client.get(reverse("finance:arrangement-list"))
    assert [row.contract for row in overview.context["overview"].rows] == [contract]
    page = client.get(reverse("finance:contract-detail", args=[contract.pk]))
    assert page.status_code == 200
    assert not page.context["can_edit"]
    assert b'<form method="post"' not in page.content.split(b"<main")[1]
    detail = client.get(reverse("finance:arrangement-detail", args=[arrangement.pk]))
    assert detail.status_code == 200
    assert client.post(reverse("finance:contract-create"), {}).status_code == 403
    assert (
        client.post(
            reverse("finance:arrangement-transition", args=[arrangement.pk, "agree"])
        ).status_code
        == 403
    )
    foreign = ContractFactory()
    assert client.get(reverse("finance:contract-detail", args=[foreign.pk])).status_code == 404


@pytest.mark.parametrize("role", ["mediator", "insurer_admin", "provider_admin", "regulator"])
def test_other_roles_get_403(client, role, request):
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse("finance:arrangement-list")).status_code == 403


def test_anonymous_goes_to_login(client):
    response = client.get(reverse("finance:arrangement-list"))
    assert response.status_code == 302
    assert "/login/" in response.url
