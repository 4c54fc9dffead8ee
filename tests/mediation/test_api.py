"""The mediation API (DESIGN §8): the patient's requests with their access token, and the
insurer's cases, matches, offers and closing — every endpoint, refusal and access rule.

Helpers at the top (``request_payload``, ``matchable_case``) are shared with the view tests."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.throttling import ScopedRateThrottle

from accounts.models import AuditAction, AuditEvent, AuditOutcome, Role
from mediation.matching import capacity_slot_date
from mediation.models import Case, CaseStatus, Channel, Offer, OfferStatus
from providers.models import CapacityOffer, Specialism
from tests.accounts.factories import member
from tests.finance.factories import ContractFactory
from tests.mediation.factories import CaseFactory, OfferFactory
from tests.providers.factories import LocationFactory, WaitingTimeSeriesFactory

pytestmark = pytest.mark.django_db

REQUESTS_URL = "/api/v1/mediation-requests/"
CASES_URL = "/api/v1/cases/"
ORTHOPAEDICS = "0305"


# --- Helpers shared with the view tests ---------------------------------------------------------
def request_payload(insurer, location, /, **overrides) -> dict:
    today = timezone.localdate()
    payload = {
        "insurer": insurer.uzovi,
        "policy_number": "123456789",
        "full_name": "Anna de Vries",
        "birth_date": "1961-05-04",
        "email": "anna@example.org",
        "phone": "0612345678",
        "postcode": "3511 AB",
        "specialism": ORTHOPAEDICS,
        "treatment": None,
        "kind": "first_visit",
        "urgency_class": 4,
        "current_location": location.code,
        "waiting_since": (today - timedelta(days=70)).isoformat(),
        "expected_date": (today + timedelta(days=80)).isoformat(),
        "max_distance_km": 50,
        "hospital_setting_required": False,
        "consent": True,
    }
    payload.update(overrides)
    return payload


def amersfoort(**kwargs):
    """A location about 19 km from Utrecht (3511)."""
    return LocationFactory(
        postcode="3811AA",
        city="Amersfoort",
        latitude=Decimal("52.156000"),
        longitude=Decimal("5.387000"),
        **kwargs,
    )


def matchable_case(insurer, **case_kwargs) -> tuple[Case, object]:
    """A submitted orthopaedics case in Utrecht (remaining wait 90 days) and a location in
    Amersfoort with a current first-visit wait of 20 days: one match, 70 days gained."""
    orthopaedics = Specialism.objects.get(code=ORTHOPAEDICS)
    case = CaseFactory(insurer=insurer, specialism=orthopaedics, **case_kwargs)
    location = amersfoort()
    WaitingTimeSeriesFactory(location=location, specialism=orthopaedics, current_days=20)
    return case, location


def as_user(api_client, user):
    api_client.force_authenticate(user)
    return api_client


# --- Patients: the request ----------------------------------------------------------------------
@pytest.fixture
def current_location():
    return LocationFactory()


def test_request_is_created_with_a_token_that_opens_it(api_client, insurer, current_location):
    response = api_client.post(REQUESTS_URL, request_payload(insurer, current_location))

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"reference", "access_token", "status"}
    assert body["status"] == "submitted"
    case = Case.objects.get(reference=body["reference"])
    assert case.channel == Channel.API
    assert case.insurer == insurer
    assert case.postcode == "3511AB"
    assert body["access_token"] not in case.access_token_hash  # only its digest is stored

    status = api_client.get(
        f"{REQUESTS_URL}{case.reference}/", HTTP_X_ACCESS_TOKEN=body["access_token"]
    )
    assert status.status_code == 200
    assert status.json() == {
        "reference": case.reference,
        "status": "submitted",
        "outcome": None,
        "offers": [],
    }


def test_the_patient_gets_an_email_with_the_status_link(
    api_client, insurer, current_location, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(REQUESTS_URL, request_payload(insurer, current_location))

    body = response.json()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["anna@example.org"]
    assert f"/bemiddeling/status/{body['reference']}/{body['access_token']}/" in message.body


@pytest.mark.parametrize("urgency_class", [1, 2])
def test_urgency_class_1_and_2_are_refused_with_where_to_go(
    api_client, insurer, current_location, urgency_class
):
    response = api_client.post(
        REQUESTS_URL, request_payload(insurer, current_location, urgency_class=urgency_class)
    )

    assert response.status_code == 400
    (message,) = response.json()["urgency_class"]
    # Dutch by default: the treating specialist, the GP and the out-of-hours GP service.
    assert "behandelend specialist" in message and "huisarts;" in message
    assert "huisartsenpost" in message
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"consent": False}, "consent"),
        ({"postcode": "9999 ZZ"}, "postcode"),
        ({"postcode": "hello"}, "postcode"),
        ({"specialism": "9876"}, "specialism"),
        ({"current_location": "00000000"}, "current_location"),
        ({"insurer": "0000"}, "insurer"),
        ({"treatment": "no-such-treatment"}, "treatment"),
        ({"kind": "treatment"}, "treatment"),
        (
            {"waiting_since": (timezone.localdate() + timedelta(days=1)).isoformat()},
            "waiting_since",
        ),
        ({"max_distance_km": 2}, "max_distance_km"),
        ({"max_distance_km": 900}, "max_distance_km"),
        ({"urgency_class": 6}, "urgency_class"),
        ({"birth_date": "not a date"}, "birth_date"),
    ],
)
def test_refusals_name_the_field(api_client, insurer, current_location, overrides, field):
    response = api_client.post(
        REQUESTS_URL, request_payload(insurer, current_location, **overrides)
    )

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Case.objects.exists()


@pytest.mark.parametrize("email", [None, "", "  "], ids=["missing", "empty", "blank"])
def test_the_api_request_needs_an_email_address(api_client, insurer, current_location, email):
    """The status link goes there: required in the service for the patient's own request, and
    so in the API's schema (a phone number alone will not do)."""
    payload = request_payload(insurer, current_location, email=email)
    if email is None:
        del payload["email"]

    response = api_client.post(REQUESTS_URL, payload)

    assert response.status_code == 400
    assert response.json()["email"] == [
        "Vul uw e-mailadres in: we sturen de link naar uw aanvraag naar dat adres."
    ]
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("distance", "accepted"), [(4, False), (5, True), (300, True), (301, False)]
)
def test_the_travel_distance_lies_between_5_and_300_km(
    api_client, insurer, current_location, distance, accepted
):
    response = api_client.post(
        REQUESTS_URL, request_payload(insurer, current_location, max_distance_km=distance)
    )

    assert response.status_code == (201 if accepted else 400), response.json()


def test_the_schema_states_the_request_rules(schema) -> None:
    """What the service requires, the schema says: email required, 5–300 km, classes 3–5,
    consent given."""
    operation = schema.find_operation_by_label("POST /api/v1/mediation-requests/")
    body = operation.definition.raw["requestBody"]["content"]["application/json"]["schema"]
    component = schema.raw_schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    properties = component["properties"]

    assert "email" in component["required"]
    assert properties["email"]["minLength"] == 1
    assert (properties["max_distance_km"]["minimum"], properties["max_distance_km"]["maximum"]) == (
        5,
        300,
    )
    assert (properties["urgency_class"]["minimum"], properties["urgency_class"]["maximum"]) == (
        3,
        5,
    )
    consent = properties["consent"]["allOf"][0]["$ref"].rsplit("/", 1)[1]
    assert schema.raw_schema["components"]["schemas"][consent]["enum"] == [True]


def test_request_creation_is_throttled(api_client, insurer, current_location, monkeypatch):
    monkeypatch.setattr(
        ScopedRateThrottle,
        "THROTTLE_RATES",
        {"public": "100/hour", "public_write": "2/hour", "public_invalid": "5/hour"},
    )
    payload = request_payload(insurer, current_location)

    answers = [api_client.post(REQUESTS_URL, payload).status_code for _ in range(3)]

    assert answers == [201, 201, 429]
    assert Case.objects.count() == 2


def test_request_creation_needs_no_credentials_but_a_bad_key_is_401(
    api_client, insurer, current_location
):
    api_client.credentials(HTTP_AUTHORIZATION="Api-Key zb_00000000.wrong")

    response = api_client.post(REQUESTS_URL, request_payload(insurer, current_location))

    assert response.status_code == 401


# --- Patients: status, accept, decline, withdraw ------------------------------------------------
@pytest.fixture
def offered():
    """An offered case with an open offer, the patient's token known."""
    offer = OfferFactory(case__token="secret-token-1")
    return offer.case, offer, "secret-token-1"


def test_status_shows_offers_in_design_shape(api_client, offered):
    case, offer, token = offered

    response = api_client.get(f"{REQUESTS_URL}{case.reference}/", HTTP_X_ACCESS_TOKEN=token)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "offered"
    (row,) = body["offers"]
    assert row["id"] == offer.pk
    assert row["location"] == offer.location.code
    assert row["expected_days"] == 20
    assert row["distance_km"] == "19.0"
    assert row["status"] == "open"
    assert row["expires_at"]


def test_a_wrong_token_is_404(api_client, offered):
    case, offer, _token = offered
    header = {"HTTP_X_ACCESS_TOKEN": "wrong"}

    assert api_client.get(f"{REQUESTS_URL}{case.reference}/", **header).status_code == 404
    url = f"{REQUESTS_URL}{case.reference}/offers/{offer.pk}/accept/"
    assert api_client.post(url, **header).status_code == 404
    offer.refresh_from_db()
    assert offer.status == OfferStatus.OPEN


@pytest.mark.parametrize("header", [{}, {"HTTP_X_ACCESS_TOKEN": " "}], ids=["none", "empty"])
@pytest.mark.parametrize("reference", ["own", "unknown"])
def test_a_missing_token_is_401_whatever_the_reference(api_client, offered, header, reference):
    """No credentials is 401 (DESIGN §8), for a real reference and an unknown one alike, so the
    answer says nothing about which references exist; the schema marks the header required."""
    case, offer, _token = offered
    ref = case.reference if reference == "own" else "ZB-2020-000001"

    answers = [
        api_client.get(f"{REQUESTS_URL}{ref}/", **header),
        api_client.post(f"{REQUESTS_URL}{ref}/offers/{offer.pk}/accept/", **header),
        api_client.post(f"{REQUESTS_URL}{ref}/offers/{offer.pk}/decline/", {}, **header),
        api_client.post(f"{REQUESTS_URL}{ref}/withdraw/", {}, **header),
    ]

    assert [answer.status_code for answer in answers] == [401] * 4
    assert "X-Access-Token" in answers[0].json()["detail"]
    offer.refresh_from_db()
    assert offer.status == OfferStatus.OPEN


def test_unknown_reference_is_404_like_a_wrong_token(api_client, offered):
    _case, _offer, token = offered

    response = api_client.get(f"{REQUESTS_URL}ZB-2020-000001/", HTTP_X_ACCESS_TOKEN=token)

    assert response.status_code == 404


def test_another_cases_token_does_not_open_this_case(api_client, offered):
    case, _offer, _token = offered
    CaseFactory(token="other-token")

    response = api_client.get(f"{REQUESTS_URL}{case.reference}/", HTTP_X_ACCESS_TOKEN="other-token")

    assert response.status_code == 404


def test_accept(api_client, offered):
    case, offer, token = offered
    other = OfferFactory(case=case, location=amersfoort())

    response = api_client.post(
        f"{REQUESTS_URL}{case.reference}/offers/{offer.pk}/accept/", HTTP_X_ACCESS_TOKEN=token
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "accepted"
    case.refresh_from_db()
    other.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED
    assert other.status == OfferStatus.WITHDRAWN


def test_another_cases_offer_is_404(api_client, offered):
    case, _offer, token = offered
    foreign_offer = OfferFactory()

    response = api_client.post(
        f"{REQUESTS_URL}{case.reference}/offers/{foreign_offer.pk}/accept/",
        HTTP_X_ACCESS_TOKEN=token,
    )

    assert response.status_code == 404
    foreign_offer.refresh_from_db()
    assert foreign_offer.status == OfferStatus.OPEN


def test_accepting_twice_is_400(api_client, offered):
    case, offer, token = offered
    url = f"{REQUESTS_URL}{case.reference}/offers/{offer.pk}/accept/"
    api_client.post(url, HTTP_X_ACCESS_TOKEN=token)

    response = api_client.post(url, HTTP_X_ACCESS_TOKEN=token)

    assert response.status_code == 400
    assert "offer" in response.json()


def test_decline_with_reason_sends_the_case_back_to_the_mediator(api_client, offered):
    case, offer, token = offered

    response = api_client.post(
        f"{REQUESTS_URL}{case.reference}/offers/{offer.pk}/decline/",
        {"reason": "Te ver met het openbaar vervoer"},
        HTTP_X_ACCESS_TOKEN=token,
    )

    assert response.status_code == 200, response.content
    offer.refresh_from_db()
    case.refresh_from_db()
    assert offer.status == OfferStatus.DECLINED
    assert offer.decline_reason == "Te ver met het openbaar vervoer"
    assert case.status == CaseStatus.IN_PROGRESS


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "  "}])
def test_decline_without_a_reason(api_client, offered, body):
    """The reason is optional (DESIGN §3.3 and §8), as the schema says."""
    case, offer, token = offered

    response = api_client.post(
        f"{REQUESTS_URL}{case.reference}/offers/{offer.pk}/decline/",
        body,
        HTTP_X_ACCESS_TOKEN=token,
    )

    assert response.status_code == 200, response.json()
    offer.refresh_from_db()
    assert (offer.status, offer.decline_reason) == (OfferStatus.DECLINED, "")


def test_withdraw(api_client, offered):
    case, offer, token = offered

    response = api_client.post(
        f"{REQUESTS_URL}{case.reference}/withdraw/",
        {"reason": "Eigen ziekenhuis kan eerder"},
        HTTP_X_ACCESS_TOKEN=token,
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "closed"
    assert response.json()["outcome"] == "withdrawn"
    offer.refresh_from_db()
    assert offer.status == OfferStatus.WITHDRAWN
    again = api_client.post(f"{REQUESTS_URL}{case.reference}/withdraw/", HTTP_X_ACCESS_TOKEN=token)
    assert again.status_code == 400


# --- Insurers: cases ----------------------------------------------------------------------------
def test_case_list_is_own_insurer_only_overdue_first(api_client, mediator, insurer, other_insurer):
    today = timezone.localdate()
    fresh = CaseFactory(insurer=insurer)
    overdue = CaseFactory(insurer=insurer, first_contact_due=today - timedelta(days=1))
    foreign = CaseFactory(insurer=other_insurer)

    response = as_user(api_client, mediator).get(CASES_URL)

    assert response.status_code == 200
    body = response.json()
    references = [row["reference"] for row in body["results"]]
    assert references == [overdue.reference, fresh.reference]
    assert foreign.reference not in references
    assert body["results"][0]["overdue"] is True
    assert body["results"][1]["overdue"] is False
    assert set(body) == {"count", "next", "previous", "results"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "in_progress"}, ["started"]),
        ({"urgency_class": 3}, ["urgent"]),
        ({"overdue": "true"}, ["overdue"]),
        ({"overdue": "false"}, ["started", "urgent", "other_specialism"]),
        ({"specialism": "0301"}, ["other_specialism"]),
    ],
)
def test_case_list_filters(api_client, mediator, insurer, query, expected):
    today = timezone.localdate()
    orthopaedics = Specialism.objects.get(code=ORTHOPAEDICS)
    cases = {
        "started": CaseFactory(
            insurer=insurer,
            specialism=orthopaedics,
            status=CaseStatus.IN_PROGRESS,
            first_contact_at=timezone.now(),
        ),
        "urgent": CaseFactory(insurer=insurer, specialism=orthopaedics, urgency_class=3),
        "overdue": CaseFactory(
            insurer=insurer, specialism=orthopaedics, first_contact_due=today - timedelta(days=3)
        ),
        "other_specialism": CaseFactory(
            insurer=insurer, specialism=Specialism.objects.get(code="0301")
        ),
    }

    response = as_user(api_client, mediator).get(CASES_URL, query)

    assert response.status_code == 200
    got = {row["reference"] for row in response.json()["results"]}
    assert got == {cases[name].reference for name in expected}


def test_case_list_bad_filter_is_400(api_client, mediator):
    response = as_user(api_client, mediator).get(CASES_URL, {"urgency_class": 1})

    assert response.status_code == 400
    assert "urgency_class" in response.json()


def test_case_detail_and_its_audit_event(api_client, mediator, insurer):
    case = OfferFactory(case__insurer=insurer).case

    response = as_user(api_client, mediator).get(f"{CASES_URL}{case.reference}/")

    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == case.reference
    assert body["full_name"] == case.full_name
    assert body["insurer"] == insurer.uzovi
    assert len(body["offers"]) == 1 and body["offers"][0]["status"] == "open"
    assert isinstance(body["timeline"], list)
    event = AuditEvent.objects.get(action=AuditAction.VIEW, case_reference=case.reference)
    assert event.actor == mediator and event.object_type == "mediation.case"


def test_case_list_read_is_audited_with_the_references(api_client, mediator, insurer):
    case = CaseFactory(insurer=insurer)

    as_user(api_client, mediator).get(CASES_URL)

    event = AuditEvent.objects.get(action=AuditAction.LIST, object_type="mediation.case")
    assert event.detail["references"] == [case.reference]


def test_foreign_case_is_404_everywhere(api_client, mediator, other_insurer):
    foreign = OfferFactory(case__insurer=other_insurer).case
    client = as_user(api_client, mediator)
    base = f"{CASES_URL}{foreign.reference}/"

    assert client.get(base).status_code == 404
    assert client.get(f"{base}matches/").status_code == 404
    offer = client.post(f"{base}offers/", {"location": amersfoort().code, "expected_days": 10})
    assert offer.status_code == 404
    close = client.post(f"{base}close/", {"outcome": "no_alternative"})
    assert close.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == CaseStatus.OFFERED
    # Each refusal is a denied attempt in the trail, never a read or a change.
    outcomes = AuditEvent.objects.filter(case_reference=foreign.reference).values_list(
        "outcome", flat=True
    )
    assert list(outcomes) == [AuditOutcome.DENIED] * 4


def test_missing_case_is_404(api_client, mediator):
    assert as_user(api_client, mediator).get(f"{CASES_URL}ZB-2026-999999/").status_code == 404


@pytest.mark.parametrize("role", [Role.PLANNER, Role.CONTRACT_MANAGER, Role.INSURER_ADMIN])
def test_other_roles_are_403_on_cases(api_client, role, insurer, provider_org):
    organisation = provider_org if role == Role.PLANNER else insurer
    case = CaseFactory(insurer=insurer)
    client = as_user(api_client, member(role, organisation))

    assert client.get(CASES_URL).status_code == 403
    assert client.get(f"{CASES_URL}{case.reference}/").status_code == 403
    assert client.get(f"{CASES_URL}{case.reference}/matches/").status_code == 403
    assert (
        client.post(f"{CASES_URL}{case.reference}/close/", {"outcome": "out_of_scope"}).status_code
        == 403
    )


def test_regulator_is_403_on_cases(api_client, regulator):
    assert as_user(api_client, regulator).get(CASES_URL).status_code == 403


def test_anonymous_is_401_on_cases(api_client):
    assert api_client.get(CASES_URL).status_code == 401


def test_insurer_api_key_acts_as_mediator(api_client, insurer, other_insurer, api_key_for):
    own = CaseFactory(insurer=insurer)
    foreign = CaseFactory(insurer=other_insurer)
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_for(insurer)}")

    listed = api_client.get(CASES_URL).json()["results"]

    assert [row["reference"] for row in listed] == [own.reference]
    assert api_client.get(f"{CASES_URL}{foreign.reference}/").status_code == 404
    response = api_client.post(f"{CASES_URL}{own.reference}/close/", {"outcome": "out_of_scope"})
    assert response.status_code == 200
    assert response.json()["status"] == "closed"


def test_provider_api_key_is_403_on_cases(api_client, provider_org, api_key_for):
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_for(provider_org)}")

    assert api_client.get(CASES_URL).status_code == 403


# --- Insurers: matches, offers, close -----------------------------------------------------------
def test_matches_in_design_shape_with_reasons(api_client, mediator, insurer):
    case, location = matchable_case(insurer)

    response = as_user(api_client, mediator).get(f"{CASES_URL}{case.reference}/matches/")

    assert response.status_code == 200
    (match,) = response.json()
    assert match["location"] == location.code
    assert match["expected_days"] == 20
    assert match["days_gained"] == 70
    assert 15 < Decimal(match["distance_km"]) < 25  # Utrecht 3511 → Amersfoort
    assert match["within_norm"] is True
    assert match["contracted"] is False
    codes = [reason["code"] for reason in match["reasons"]]
    assert codes[0] == "days_gained" and "distance" in codes and "not_contracted" in codes
    assert all(reason["text"] for reason in match["reasons"])
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, case_reference=case.reference, detail__page="api_matches"
    ).exists()


def test_make_offer_with_expected_days(api_client, mediator, insurer):
    case, location = matchable_case(insurer)

    response = as_user(api_client, mediator).post(
        f"{CASES_URL}{case.reference}/offers/",
        {"location": location.code, "expected_days": 21, "note": "Belt u het ziekenhuis?"},
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["location"] == location.code
    assert body["expected_days"] == 21
    assert body["days_gained"] == 69
    assert body["status"] == "open"
    case.refresh_from_db()
    assert case.status == CaseStatus.OFFERED
    assert case.first_contact_at is not None


def test_make_offer_reserving_a_capacity_slot(api_client, mediator, insurer):
    case, location = matchable_case(insurer)
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday()) + timedelta(7)
    capacity = CapacityOffer.objects.create(
        location=location,
        specialism=case.specialism,
        kind="first_visit",
        week_start=monday,
        slots=1,
        urgency_classes=[3, 4, 5],
    )
    client = as_user(api_client, mediator)

    response = client.post(
        f"{CASES_URL}{case.reference}/offers/",
        {"location": location.code, "capacity_offer": capacity.pk},
    )

    assert response.status_code == 201, response.content
    assert response.json()["capacity_offer"] == capacity.pk
    # The first working day of that week (the Monday, unless it is a public holiday).
    slot = capacity_slot_date(monday, today=timezone.localdate())
    assert slot is not None and response.json()["expected_date"] == slot.isoformat()
    capacity.refresh_from_db()
    assert capacity.reserved_slots == 1
    # The last slot is gone: a second case cannot have it.
    second, _location = matchable_case(insurer)
    again = client.post(
        f"{CASES_URL}{second.reference}/offers/",
        {"location": location.code, "capacity_offer": capacity.pk},
    )
    assert again.status_code == 400
    assert "capacity_offer" in again.json()


def test_make_offer_needs_days_or_capacity(api_client, mediator, insurer):
    case, location = matchable_case(insurer)

    response = as_user(api_client, mediator).post(
        f"{CASES_URL}{case.reference}/offers/", {"location": location.code}
    )

    assert response.status_code == 400
    assert "expected_days" in response.json()


def test_make_offer_at_the_current_location_is_refused(api_client, mediator, insurer):
    case, _location = matchable_case(insurer)

    response = as_user(api_client, mediator).post(
        f"{CASES_URL}{case.reference}/offers/",
        {"location": case.current_location.code, "expected_days": 5},
    )

    assert response.status_code == 400
    assert "location" in response.json()
    assert not Offer.objects.exists()


def test_close_with_outcome(api_client, mediator, insurer):
    case = CaseFactory(insurer=insurer)

    response = as_user(api_client, mediator).post(
        f"{CASES_URL}{case.reference}/close/", {"outcome": "no_alternative", "note": "Niets"}
    )

    assert response.status_code == 200
    assert response.json()["status"] == "closed"
    assert response.json()["outcome"] == "no_alternative"


@pytest.mark.parametrize("outcome", ["placed", "nonsense", ""])
def test_close_refuses_placed_and_unknown_outcomes(api_client, mediator, insurer, outcome):
    case = CaseFactory(insurer=insurer)

    response = as_user(api_client, mediator).post(
        f"{CASES_URL}{case.reference}/close/", {"outcome": outcome}
    )

    assert response.status_code == 400
    assert "outcome" in response.json()


def test_closing_a_finished_case_is_400(api_client, mediator, insurer):
    case = CaseFactory(
        insurer=insurer, status=CaseStatus.CLOSED, outcome="out_of_scope", closed_at=timezone.now()
    )

    response = as_user(api_client, mediator).post(
        f"{CASES_URL}{case.reference}/close/", {"outcome": "no_alternative"}
    )

    assert response.status_code == 400


def test_matches_of_a_finished_case_are_empty(api_client, mediator, insurer):
    case, _location = matchable_case(
        insurer, status=CaseStatus.CLOSED, outcome="out_of_scope", closed_at=timezone.now()
    )

    response = as_user(api_client, mediator).get(f"{CASES_URL}{case.reference}/matches/")

    assert response.status_code == 200
    assert response.json() == []


# --- Issue 13: unknown remaining wait, class-3 window, offer rules -------------------------------
def long_waiting_case(insurer, *, published=57, **case_kwargs):
    """The issue's patient: waiting since 170 days without an appointment, where the published
    wait is 57 days; Amersfoort (20 days) nearby."""
    today = timezone.localdate()
    case, location = matchable_case(
        insurer, expected_date=None, waiting_since=today - timedelta(days=170), **case_kwargs
    )
    WaitingTimeSeriesFactory(
        location=case.current_location, specialism=case.specialism, current_days=published
    )
    return case, location


def test_matches_of_a_long_waiter_have_an_unknown_gain(api_client, mediator, insurer):
    case, location = long_waiting_case(insurer)

    response = as_user(api_client, mediator).get(f"{CASES_URL}{case.reference}/matches/")

    assert response.status_code == 200
    (match,) = response.json()
    assert match["location"] == location.code
    assert match["days_gained"] is None
    assert match["expected_days"] == 20
    assert match["total_wait_days"] == 190
    assert match["outside_class3_window"] is False
    first = match["reasons"][0]
    assert first["code"] == "days_gained_unknown"
    assert first["params"] == {"waited_days": 170, "current_wait_days": 57, "expected_days": 20}
    assert "Record the patient's appointment date" in first["text"]


def test_class3_matches_outside_the_window_are_marked_and_last(api_client, mediator, insurer):
    today = timezone.localdate()
    # Waiting 10 days: the window ends in 32 days.
    case, inside = matchable_case(insurer, urgency_class=3, waiting_since=today - timedelta(10))
    inside.series.update(current_days=30)  # care after 40 days: inside the window
    outside = amersfoort()
    # Care after 50 days: outside the window, although contracted (which would rank it first).
    WaitingTimeSeriesFactory(location=outside, specialism=case.specialism, current_days=40)
    ContractFactory(insurer=insurer, provider=outside.provider, year=today.year)

    response = as_user(api_client, mediator).get(f"{CASES_URL}{case.reference}/matches/")

    ranked = [(m["location"], m["outside_class3_window"]) for m in response.json()]
    assert ranked == [(inside.code, False), (outside.code, True)]
    assert response.json()[1]["reasons"][-1]["code"] == "outside_class3_window"


def test_an_offer_that_makes_the_wait_longer_is_refused(api_client, mediator, insurer):
    case, location = matchable_case(insurer)  # remaining wait 90 days

    response = as_user(api_client, mediator).post(
        f"{CASES_URL}{case.reference}/offers/",
        {"location": location.code, "expected_days": 90, "override_reason": "Wish"},
    )

    assert response.status_code == 400
    assert set(response.json()) == {"expected_days"}
    # Messages are Dutch by default (DESIGN §6).
    assert "verkort de wachttijd van de patiënt niet" in response.json()["expected_days"][0]
    assert not Offer.objects.exists()


def test_a_long_waiter_offer_not_shorter_than_the_published_wait_is_refused(
    api_client, mediator, insurer
):
    case, location = long_waiting_case(insurer)

    response = as_user(api_client, mediator).post(
        f"{CASES_URL}{case.reference}/offers/",
        {"location": location.code, "expected_days": 57},
    )

    assert response.status_code == 400
    assert "niet korter dan de 57 dagen die de locatie" in response.json()["expected_days"][0]


def test_a_rule_break_needs_an_override_reason_which_is_kept(api_client, mediator, insurer):
    case, location = matchable_case(insurer)
    client = as_user(api_client, mediator)
    url = f"{CASES_URL}{case.reference}/offers/"

    refused = client.post(url, {"location": location.code, "expected_days": 80})

    assert refused.status_code == 400
    assert set(refused.json()) == {"override_reason"}
    [message] = refused.json()["override_reason"]
    assert "10 dagen winst, minder dan de marge van 14 dagen" in message
    assert not Offer.objects.exists()

    made = client.post(
        url,
        {
            "location": location.code,
            "expected_days": 80,
            "override_reason": "Patient asked for this hospital",
        },
    )

    assert made.status_code == 201, made.content
    body = made.json()
    assert body["days_gained"] == 10
    assert body["override_reason"] == "Patient asked for this hospital"
    assert body["overridden_rules"] == ["gain_below_margin"]
    detail = client.get(f"{CASES_URL}{case.reference}/").json()
    assert detail["offers"][0]["overridden_rules"] == ["gain_below_margin"]
    assert "Patient asked for this hospital" in detail["timeline"][-1]["note"]


def test_an_offer_to_a_long_waiter_has_an_unknown_gain(api_client, mediator, insurer):
    case, location = long_waiting_case(insurer)

    response = as_user(api_client, mediator).post(
        f"{CASES_URL}{case.reference}/offers/", {"location": location.code, "expected_days": 20}
    )

    assert response.status_code == 201, response.content
    assert response.json()["days_gained"] is None
    assert response.json()["overridden_rules"] == []


def test_the_case_list_puts_class_3_first_among_equally_due_cases(api_client, mediator, insurer):
    due = timezone.localdate() + timedelta(days=2)
    late = timezone.localdate() + timedelta(days=3)
    five = CaseFactory(insurer=insurer, urgency_class=5, first_contact_due=due)
    four = CaseFactory(insurer=insurer, urgency_class=4, first_contact_due=due)
    three = CaseFactory(insurer=insurer, urgency_class=3, first_contact_due=due)
    three_later = CaseFactory(insurer=insurer, urgency_class=3, first_contact_due=late)
    overdue_five = CaseFactory(
        insurer=insurer, urgency_class=5, first_contact_due=timezone.localdate() - timedelta(1)
    )

    listed = as_user(api_client, mediator).get(CASES_URL).json()["results"]

    assert [row["reference"] for row in listed] == [
        overdue_five.reference,  # overdue first, whatever its class
        three.reference,
        four.reference,
        five.reference,
        three_later.reference,  # due later: after the cases due sooner
    ]
