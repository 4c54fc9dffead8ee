"""The finance API keeps to DESIGN §8: shapes, money as strings, refusals, and who may do what."""

from decimal import Decimal

import pytest

from finance.models import Arrangement, Contract, CostClaim, Payment, ProductionRecord
from tests.finance.factories import (
    ArrangementFactory,
    ContractFactory,
    CostClaimFactory,
    VolumeTransferFactory,
)
from tests.providers.factories import ProviderFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def cm_client(api_client, contract_manager):
    api_client.force_authenticate(contract_manager)
    return api_client


@pytest.fixture
def contract(insurer, provider_org):
    return ContractFactory(
        insurer=insurer, provider=provider_org.provider, year=2026, contract_value=D("1250000.00")
    )


def _create_arrangement(client, contract, **body):
    payload = {"provider": contract.provider.agb_code, "year": contract.year, **body}
    return client.post("/api/v1/arrangements/", payload, format="json")


def _agreed(client, contract, **body):
    response = _create_arrangement(client, contract, **body)
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    assert client.post(f"/api/v1/arrangements/{pk}/agree/").status_code == 200
    return pk


# --- Contracts ----------------------------------------------------------------------------
class TestContracts:
    def test_insurer_creates_for_its_own_insurer(self, cm_client, insurer):
        provider = ProviderFactory()
        response = cm_client.post(
            "/api/v1/contracts/",
            {"provider": provider.agb_code, "year": 2026, "contract_value": "1250000.00"},
            format="json",
        )
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["insurer"] == insurer.uzovi
        assert body["provider"] == provider.agb_code
        assert body["contract_value"] == "1250000.00"
        assert (body["transfers_in"], body["transfers_out"], body["headroom"]) == (
            "0.00",
            "0.00",
            "1250000.00",
        )
        assert Contract.objects.get().insurer == insurer

    def test_list_shows_transfers_and_headroom(self, cm_client, contract, insurer):
        VolumeTransferFactory(
            insurer=insurer, to_provider=contract.provider, estimated_amount=D("3000.00")
        )
        VolumeTransferFactory(
            insurer=insurer, from_provider=contract.provider, estimated_amount=D("1250.50")
        )
        ProductionRecord.objects.create(
            contract=contract, month="2026-01-01", amount=D("100000.00")
        )
        body = cm_client.get("/api/v1/contracts/").json()
        assert set(body) == {"count", "next", "previous", "results"}
        [row] = body["results"]
        assert row["realised_production"] == "100000.00"
        assert row["transfers_in"] == "3000.00"
        assert row["transfers_out"] == "1250.50"
        assert row["headroom"] == "1151749.50"

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"contract_value": "-1.00"}, "contract_value"),
            ({"contract_value": "1.005"}, "contract_value"),
            ({"provider": "99999999"}, "provider"),
            ({"year": 1999}, "year"),
        ],
    )
    def test_bad_input_names_the_field(self, cm_client, body, field):
        payload = {
            "provider": ProviderFactory().agb_code,
            "year": 2026,
            "contract_value": "10.00",
            **body,
        }
        response = cm_client.post("/api/v1/contracts/", payload, format="json")
        assert response.status_code == 400
        assert field in response.json()
        assert not Contract.objects.exists()

    def test_duplicate_is_400(self, cm_client, contract):
        response = cm_client.post(
            "/api/v1/contracts/",
            {"provider": contract.provider.agb_code, "year": 2026, "contract_value": "1.00"},
            format="json",
        )
        assert response.status_code == 400
        assert "year" in response.json()

    def test_provider_reads_own_but_may_not_write(self, api_client, planner, contract):
        ContractFactory()  # someone else's
        api_client.force_authenticate(planner)
        body = api_client.get("/api/v1/contracts/").json()
        assert [row["id"] for row in body["results"]] == [contract.pk]
        response = api_client.post(
            "/api/v1/contracts/",
            {"provider": contract.provider.agb_code, "year": 2027, "contract_value": "1.00"},
            format="json",
        )
        assert response.status_code == 403

    def test_foreign_contract_is_404(self, cm_client):
        assert cm_client.get(f"/api/v1/contracts/{ContractFactory().pk}/").status_code == 404

    def test_no_credentials_is_401(self, api_client):
        assert api_client.get("/api/v1/contracts/").status_code == 401
        assert api_client.get("/api/v1/arrangements/").status_code == 401

    def test_regulator_is_403(self, api_client, regulator):
        api_client.force_authenticate(regulator)
        assert api_client.get("/api/v1/contracts/").status_code == 403
        assert api_client.get("/api/v1/arrangements/").status_code == 403


# --- Arrangements -------------------------------------------------------------------------
class TestArrangements:
    def test_create_and_read_with_settlement(self, cm_client, contract):
        response = _create_arrangement(
            cm_client, contract, kind="continuity_contribution", coverage_percentage="80"
        )
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["status"] == "draft"
        assert body["coverage_percentage"] == "80.00"
        assert body["budget"] is None
        assert body["settlement"] == {
            "due": "1000000.00",  # nothing produced yet: 80 % of the whole ceiling
            "paid": "0.00",
            "balance": "1000000.00",
        }
        detail = cm_client.get(f"/api/v1/arrangements/{body['id']}/").json()
        assert detail["claims"] == []
        assert detail["payments"] == []
        assert detail["provider"] == contract.provider.agb_code
        assert detail["year"] == 2026

    def test_without_contract_is_400_naming_the_year(self, cm_client, contract):
        response = cm_client.post(
            "/api/v1/arrangements/",
            {
                "provider": contract.provider.agb_code,
                "year": 2027,
                "kind": "catch_up_care",
                "budget": "100.00",
            },
            format="json",
        )
        assert response.status_code == 400
        assert "contract" in response.json()["year"][0]
        assert not Arrangement.objects.exists()

    @pytest.mark.parametrize("coverage", ["-1", "100.01", "250"])
    def test_coverage_outside_0_100_is_400(self, cm_client, contract, coverage):
        response = _create_arrangement(
            cm_client, contract, kind="continuity_contribution", coverage_percentage=coverage
        )
        assert response.status_code == 400
        assert "coverage_percentage" in response.json()
        assert not Arrangement.objects.exists()

    def test_negative_budget_is_400(self, cm_client, contract):
        response = _create_arrangement(cm_client, contract, kind="catch_up_care", budget="-5.00")
        assert response.status_code == 400
        assert "budget" in response.json()

    def test_list_filters(self, cm_client, contract):
        _create_arrangement(cm_client, contract, kind="additional_costs")
        _create_arrangement(cm_client, contract, kind="catch_up_care", budget="10.00")
        body = cm_client.get("/api/v1/arrangements/", {"kind": "catch_up_care"}).json()
        assert [row["kind"] for row in body["results"]] == ["catch_up_care"]
        assert cm_client.get("/api/v1/arrangements/", {"year": 2025}).json()["count"] == 0

    def test_transitions(self, cm_client, contract):
        pk = _create_arrangement(cm_client, contract, kind="additional_costs").json()["id"]
        response = cm_client.post(f"/api/v1/arrangements/{pk}/settle/")
        assert response.status_code == 400
        assert "status" in response.json()
        assert cm_client.post(f"/api/v1/arrangements/{pk}/agree/").json()["status"] == "agreed"
        body = cm_client.post(f"/api/v1/arrangements/{pk}/settle/").json()
        assert body["status"] == "settled"
        assert body["settled_at"]

    def test_other_insurer_gets_404_everywhere(self, api_client, other_insurer, contract):
        from tests.accounts.factories import member

        arrangement = ArrangementFactory(contract=contract)
        api_client.force_authenticate(member("contract_manager", other_insurer))
        base = f"/api/v1/arrangements/{arrangement.pk}/"
        assert api_client.get(base).status_code == 404
        for path, body in [
            ("agree/", {}),
            ("production/", {"month": "2026-01", "amount": "1.00"}),
            ("payments/", {"date": "2026-01-01", "amount": "1.00", "kind": "advance"}),
            ("claims/", {"category": "other", "amount": "1.00"}),
        ]:
            assert api_client.post(base + path, body, format="json").status_code == 404
        assert api_client.get("/api/v1/arrangements/").json()["count"] == 0

    def test_provider_reads_own_arrangement_but_every_write_is_403(
        self, api_client, planner, contract
    ):
        arrangement = ArrangementFactory(contract=contract)
        api_client.force_authenticate(planner)
        base = f"/api/v1/arrangements/{arrangement.pk}/"
        assert api_client.get(base).status_code == 200
        assert api_client.get(base + "production/").status_code == 200
        for path in ["agree/", "settle/", "production/", "payments/", "claims/"]:
            assert api_client.post(base + path, {}, format="json").status_code == 403
        assert (
            api_client.post(
                "/api/v1/arrangements/",
                {"provider": contract.provider.agb_code, "year": 2026, "kind": "additional_costs"},
                format="json",
            ).status_code
            == 403
        )
        # Another provider's arrangement is not found.
        foreign = ArrangementFactory()
        assert api_client.get(f"/api/v1/arrangements/{foreign.pk}/").status_code == 404

    def test_mediator_may_read_contracts_but_not_arrangements(self, api_client, mediator, contract):
        api_client.force_authenticate(mediator)
        assert api_client.get("/api/v1/contracts/").json()["count"] == 1
        assert api_client.get("/api/v1/arrangements/").status_code == 403

    def test_insurer_api_key_acts_as_contract_manager(
        self, api_client, api_key_for, insurer, contract
    ):
        api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_for(insurer)}")
        response = _create_arrangement(api_client, contract, kind="additional_costs")
        assert response.status_code == 201
        arrangement = Arrangement.objects.get()
        record = arrangement.history.get()
        assert record.history_user is None
        assert record.history_change_reason.startswith("api-key:")

    def test_provider_api_key_reads_only(self, api_client, api_key_for, provider_org, contract):
        ArrangementFactory(contract=contract)
        api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_for(provider_org)}")
        assert api_client.get("/api/v1/arrangements/").json()["count"] == 1
        assert _create_arrangement(api_client, contract, kind="additional_costs").status_code == 403


# --- Production, claims, payments ---------------------------------------------------------
class TestProduction:
    def test_recorded_on_the_contract_and_seen_by_every_arrangement(self, cm_client, contract):
        continuity = _create_arrangement(
            cm_client, contract, kind="continuity_contribution", coverage_percentage="50"
        ).json()["id"]
        catch_up = _create_arrangement(
            cm_client, contract, kind="catch_up_care", budget="100000.00"
        ).json()["id"]
        response = cm_client.post(
            f"/api/v1/arrangements/{continuity}/production/",
            {"month": "2026-03", "amount": "1050000.00", "catch_up_amount": "120000.00"},
            format="json",
        )
        assert response.status_code == 201, response.json()
        assert response.json()["month"] == "2026-03"
        assert response.json()["amount"] == "1050000.00"
        # (1,250,000 − 1,050,000) × 50 % and min(120,000, 100,000)
        assert (
            cm_client.get(f"/api/v1/arrangements/{continuity}/").json()["settlement"]["due"]
            == "100000.00"
        )
        assert (
            cm_client.get(f"/api/v1/arrangements/{catch_up}/").json()["settlement"]["due"]
            == "100000.00"
        )
        listed = cm_client.get(f"/api/v1/arrangements/{catch_up}/production/").json()
        assert [row["month"] for row in listed["results"]] == ["2026-03"]
        again = cm_client.post(
            f"/api/v1/arrangements/{catch_up}/production/",
            {"month": "2026-03", "amount": "1.00"},
            format="json",
        )
        assert again.status_code == 200
        assert ProductionRecord.objects.get().amount == D("1.00")

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"month": "2025-12", "amount": "1.00"}, "month"),
            ({"month": "2026-13", "amount": "1.00"}, "month"),
            ({"month": "2026-1", "amount": "1.00"}, "month"),
            # Year 0000 matches the YYYY-MM shape but no date can hold it (was a 500).
            ({"month": "0000-01", "amount": "1.00"}, "month"),
            ({"month": "2026-04", "amount": "-1.00"}, "amount"),
            ({"month": "2026-04", "amount": "1.00", "catch_up_amount": "-1.00"}, "catch_up_amount"),
            ({"month": "2026-04", "amount": "1.00", "catch_up_amount": "2.00"}, "catch_up_amount"),
        ],
    )
    def test_bad_production_is_400_and_nothing_stored(self, cm_client, contract, body, field):
        pk = _create_arrangement(cm_client, contract, kind="additional_costs").json()["id"]
        response = cm_client.post(f"/api/v1/arrangements/{pk}/production/", body, format="json")
        assert response.status_code == 400
        assert field in response.json()
        assert not ProductionRecord.objects.exists()


class TestClaims:
    def test_submit_approve_reject(self, cm_client, contract):
        pk = _create_arrangement(cm_client, contract, kind="additional_costs").json()["id"]
        base = f"/api/v1/arrangements/{pk}/claims/"
        approved = cm_client.post(
            base,
            {"category": "reserved_capacity", "amount": "5000.00", "approved": True, "note": "IC"},
            format="json",
        )
        assert approved.status_code == 201, approved.json()
        assert approved.json()["status"] == "approved"
        assert approved.json()["approved"] is True
        pending = cm_client.post(
            base, {"category": "extra_staff", "amount": "2500.25"}, format="json"
        ).json()
        assert pending["approved"] is None
        assert cm_client.get(f"/api/v1/arrangements/{pk}/").json()["settlement"]["due"] == (
            "5000.00"
        )
        response = cm_client.post(f"{base}{pending['id']}/approve/")
        assert response.status_code == 200
        assert cm_client.get(f"/api/v1/arrangements/{pk}/").json()["settlement"]["due"] == (
            "7500.25"
        )
        no_reason = cm_client.post(f"{base}{pending['id']}/reject/", {"reason": ""}, format="json")
        assert no_reason.status_code == 400
        assert "reason" in no_reason.json()
        rejected = cm_client.post(
            f"{base}{pending['id']}/reject/", {"reason": "Double claimed"}, format="json"
        )
        assert rejected.json()["rejection_reason"] == "Double claimed"
        assert cm_client.get(f"/api/v1/arrangements/{pk}/").json()["settlement"]["due"] == (
            "5000.00"
        )

    def test_rejection_without_reason_and_negative_amount_are_400(self, cm_client, contract):
        pk = _create_arrangement(cm_client, contract, kind="additional_costs").json()["id"]
        base = f"/api/v1/arrangements/{pk}/claims/"
        response = cm_client.post(
            base, {"category": "other", "amount": "10.00", "approved": False}, format="json"
        )
        assert response.status_code == 400
        assert "rejection_reason" in response.json()
        response = cm_client.post(base, {"category": "other", "amount": "-10.00"}, format="json")
        assert response.status_code == 400
        assert "amount" in response.json()
        assert not CostClaim.objects.exists()

    def test_claim_of_another_arrangement_is_404(self, cm_client, contract):
        pk = _create_arrangement(cm_client, contract, kind="additional_costs").json()["id"]
        foreign = CostClaimFactory()
        response = cm_client.post(f"/api/v1/arrangements/{pk}/claims/{foreign.pk}/approve/")
        assert response.status_code == 404


class TestPayments:
    def test_advance_changes_the_balance(self, cm_client, contract):
        pk = _agreed(cm_client, contract, kind="catch_up_care", budget="200000.00")
        cm_client.post(
            f"/api/v1/arrangements/{pk}/production/",
            {"month": "2026-02", "amount": "300000.00", "catch_up_amount": "150000.00"},
            format="json",
        )
        response = cm_client.post(
            f"/api/v1/arrangements/{pk}/payments/",
            {"date": "2026-03-01", "amount": "60000.00", "kind": "advance"},
            format="json",
        )
        assert response.status_code == 201, response.json()
        assert response.json()["amount"] == "60000.00"
        assert cm_client.get(f"/api/v1/arrangements/{pk}/").json()["settlement"] == {
            "due": "150000.00",
            "paid": "60000.00",
            "balance": "90000.00",
        }

    @pytest.mark.parametrize(
        ("kind", "amount"), [("advance", "0.00"), ("advance", "-5.00"), ("correction", "0")]
    )
    def test_amount_rules(self, cm_client, contract, kind, amount):
        pk = _agreed(cm_client, contract, kind="additional_costs")
        response = cm_client.post(
            f"/api/v1/arrangements/{pk}/payments/",
            {"date": "2026-03-01", "amount": amount, "kind": kind},
            format="json",
        )
        assert response.status_code == 400
        assert "amount" in response.json()
        assert not Payment.objects.exists()

    def test_payment_on_a_settled_arrangement_is_refused_but_a_correction_is_booked(
        self, cm_client, contract
    ):
        pk = _agreed(cm_client, contract, kind="additional_costs")
        cm_client.post(f"/api/v1/arrangements/{pk}/settle/")
        for kind in ("advance", "settlement"):
            response = cm_client.post(
                f"/api/v1/arrangements/{pk}/payments/",
                {"date": "2027-01-10", "amount": "100.00", "kind": kind},
                format="json",
            )
            assert response.status_code == 400
            assert "vastgesteld" in response.json()["kind"][0]  # Dutch: settled
        assert not Payment.objects.exists()
        response = cm_client.post(
            f"/api/v1/arrangements/{pk}/payments/",
            {"date": "2027-01-10", "amount": "-100.00", "kind": "correction"},
            format="json",
        )
        assert response.status_code == 201
        assert cm_client.get(f"/api/v1/arrangements/{pk}/").json()["settlement"]["balance"] == (
            "100.00"
        )

    def test_payment_on_a_draft_is_refused(self, cm_client, contract):
        pk = _create_arrangement(cm_client, contract, kind="additional_costs").json()["id"]
        response = cm_client.post(
            f"/api/v1/arrangements/{pk}/payments/",
            {"date": "2026-03-01", "amount": "10.00", "kind": "advance"},
            format="json",
        )
        assert response.status_code == 400
        assert "concept" in response.json()["non_field_errors"][0]  # Dutch: draft
