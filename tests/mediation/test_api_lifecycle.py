"""Issue 13 in the API (DESIGN §8): ``POST /cases/{reference}/offers/{id}/answer/``,
``PATCH /cases/{reference}/``, and offers whose time has passed reading as expired."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEvent, AuditOutcome, Role
from mediation.models import CaseStatus, OfferStatus
from tests.accounts.factories import member
from tests.mediation.factories import CapacityOfferFactory, CaseFactory, OfferFactory
from tests.mediation.test_api import as_user
from tests.providers.factories import LocationFactory

pytestmark = pytest.mark.django_db

CASES_URL = "/api/v1/cases/"


def answer_url(offer) -> str:
    return f"{CASES_URL}{offer.case.reference}/offers/{offer.pk}/answer/"


@pytest.fixture
def offer(insurer):
    return OfferFactory(case__insurer=insurer, case__email="")


def test_a_mediator_records_a_phone_acceptance(api_client, mediator, offer):
    response = as_user(api_client, mediator).post(
        answer_url(offer), {"decision": "accept", "channel": "phone"}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["answer_channel"], body["answered_by"]) == (
        "accepted",
        "phone",
        mediator.username,
    )
    offer.case.refresh_from_db()
    assert offer.case.status == CaseStatus.ACCEPTED
    assert "no-store" in response["Cache-Control"]


def test_the_insurer_key_records_a_refusal_by_letter(api_client, api_key_for, insurer, offer):
    response = api_client.post(
        answer_url(offer),
        {"decision": "decline", "channel": "letter", "reason": "Te ver"},
        format="json",
        HTTP_AUTHORIZATION=f"Api-Key {api_key_for(insurer)}",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["decline_reason"] == "Te ver"
    assert response.json()["answer_channel"] == "letter"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"decision": "yes", "channel": "phone"}, "decision"),
        ({"decision": "accept", "channel": "web"}, "channel"),
        ({"decision": "accept"}, "channel"),
        ({"decision": "accept", "channel": "phone", "reason": "x"}, "reason"),
    ],
)
def test_a_bad_answer_is_400_naming_the_field(api_client, mediator, offer, body, field):
    response = as_user(api_client, mediator).post(answer_url(offer), body, format="json")
    assert response.status_code == 400 and field in response.json()


def test_an_expired_offer_cannot_be_answered(api_client, mediator, insurer):
    offer = OfferFactory(case__insurer=insurer, expires_at=timezone.now() - timedelta(minutes=1))
    response = as_user(api_client, mediator).post(
        answer_url(offer), {"decision": "accept", "channel": "phone"}, format="json"
    )
    assert response.status_code == 400 and "offer" in response.json()


def test_another_insurer_s_offer_is_404_and_denied(api_client, other_insurer, offer):
    stranger = member(Role.MEDIATOR, other_insurer)
    response = as_user(api_client, stranger).post(
        answer_url(offer), {"decision": "accept", "channel": "phone"}, format="json"
    )
    assert response.status_code == 404
    denied = AuditEvent.objects.get(outcome=AuditOutcome.DENIED)
    assert denied.case_reference == offer.case.reference and denied.actor == stranger
    offer.refresh_from_db()
    assert offer.status == OfferStatus.OPEN


def test_an_offer_of_another_case_is_404_and_denied(api_client, mediator, insurer, offer):
    other = CaseFactory(insurer=insurer, status=CaseStatus.OFFERED)
    url = f"{CASES_URL}{other.reference}/offers/{offer.pk}/answer/"
    response = as_user(api_client, mediator).post(
        url, {"decision": "accept", "channel": "phone"}, format="json"
    )
    assert response.status_code == 404
    denied = AuditEvent.objects.get(outcome=AuditOutcome.DENIED)
    assert (denied.object_type, denied.object_id) == ("mediation.offer", str(offer.pk))


def test_a_planner_may_not_record_answers(api_client, planner, offer):
    response = as_user(api_client, planner).post(
        answer_url(offer), {"decision": "accept", "channel": "phone"}, format="json"
    )
    assert response.status_code == 403


# --- PATCH ---------------------------------------------------------------------------------------
def test_a_mediator_corrects_a_case_and_gets_it_back(api_client, mediator, insurer):
    case = CaseFactory(insurer=insurer)
    response = as_user(api_client, mediator).patch(
        f"{CASES_URL}{case.reference}/",
        {"phone": "030 1234567", "max_distance_km": 25, "expected_date": None, "note": "Belde"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["phone"], body["max_distance_km"], body["expected_date"]) == (
        "030 1234567",
        25,
        None,
    )
    assert body["timeline"][-1]["kind"] == "case_updated"
    assert "no-store" in response["Cache-Control"]
    audit = AuditEvent.objects.get(detail__operation="case_update")
    assert audit.detail["fields"] == ["phone", "max_distance_km", "expected_date"]
    assert "1234567" not in str(audit.detail)


def test_a_correction_is_checked_as_at_intake(api_client, mediator, insurer):
    case = CaseFactory(insurer=insurer)
    url = f"{CASES_URL}{case.reference}/"
    client = as_user(api_client, mediator)
    response = client.patch(url, {"postcode": "0000 ZZ", "urgency_class": 2}, format="json")
    assert response.status_code == 400
    assert {"postcode", "urgency_class"} <= set(response.json())
    response = client.patch(url, {"urgency_class": 3}, format="json")
    assert response.status_code == 400 and "note" in response.json()
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = client.patch(url, {"expected_date": past}, format="json")
    assert response.status_code == 400 and "expected_date" in response.json()


def test_a_closed_case_is_not_corrected(api_client, mediator, insurer):
    case = CaseFactory(insurer=insurer, status=CaseStatus.CLOSED, outcome="no_alternative")
    response = as_user(api_client, mediator).patch(
        f"{CASES_URL}{case.reference}/", {"max_distance_km": 25}, format="json"
    )
    assert response.status_code == 400 and "status" in response.json()


def test_another_insurer_s_case_is_not_corrected(api_client, other_insurer, insurer):
    case = CaseFactory(insurer=insurer)
    response = as_user(api_client, member(Role.MEDIATOR, other_insurer)).patch(
        f"{CASES_URL}{case.reference}/", {"max_distance_km": 25}, format="json"
    )
    assert response.status_code == 404
    assert AuditEvent.objects.filter(outcome=AuditOutcome.DENIED).count() == 1


# --- Expiry read through the API --------------------------------------------------------------
def test_a_lapsed_offer_reads_expired_for_patient_and_mediator(
    api_client, mediator, insurer, planner, provider_org
):
    capacity = CapacityOfferFactory(
        reserved_slots=1, slots=1, location=LocationFactory(provider=provider_org.provider)
    )
    offer = OfferFactory(
        case__insurer=insurer,
        case__token="secret-token",
        case__specialism=capacity.specialism,
        capacity_offer=capacity,
        location=capacity.location,
        expires_at=timezone.now() - timedelta(minutes=5),
    )
    # The provider's capacity reads the slot free before anything recorded the expiry.
    listed = as_user(api_client, planner).get("/api/v1/capacity-offers/").json()["results"]
    assert [(row["reserved_slots"], row["remaining"]) for row in listed] == [(0, 1)]
    api_client.force_authenticate(None)
    response = api_client.get(
        f"/api/v1/mediation-requests/{offer.case.reference}/",
        HTTP_X_ACCESS_TOKEN="secret-token",
    )
    assert response.json()["status"] == "in_progress"
    assert response.json()["offers"][0]["status"] == "expired"
    body = as_user(api_client, mediator).get(f"{CASES_URL}{offer.case.reference}/").json()
    assert body["status"] == "in_progress" and body["offers"][0]["status"] == "expired"
