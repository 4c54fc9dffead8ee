"""Refused attempts are in the audit trail (NEN 7513, DESIGN §7): a staff actor who asks for a
case or an incoming patient that is not theirs gets the same 404 as for one that does not exist,
and a ``denied`` event records who (user or API key, role, organisation), what was attempted, the
reference or id asked for, when and from where. A missing and a foreign reference cost the same
queries and answer alike, so neither the answer nor its timing says which it was. A role that may
not work cases at all (403) is recorded too; a patient's wrong token is not (no staff access)."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditAction, AuditEvent, AuditOutcome, Role
from mediation.models import CaseStatus, OfferStatus
from tests.accounts.factories import member
from tests.mediation.factories import CaseFactory, OfferFactory
from tests.mediation.test_api import amersfoort

pytestmark = pytest.mark.django_db

MISSING = "ZB-2026-999999"
WARM_UP = "ZB-2026-999990"  # a first request fills per-process caches; compare the later ones
CLIENT_IP = "192.0.2.44"

# (method, path after /api/v1/cases/<reference>/, body)
API_ENTRY_POINTS = [
    ("get", "", None),
    ("get", "matches/", None),
    ("post", "offers/", {"location": "00000000", "expected_days": 10}),
    ("post", "close/", {"outcome": "out_of_scope"}),
]
# (method, URL name of a case page)
WEB_ENTRY_POINTS = [
    ("get", "mediation:case-detail"),
    ("post", "mediation:case-assign"),
    ("post", "mediation:case-start"),
    ("post", "mediation:case-offer"),
    ("post", "mediation:case-note"),
    ("post", "mediation:case-close"),
]


@pytest.fixture
def foreign_case(other_insurer):
    return CaseFactory(insurer=other_insurer, status=CaseStatus.IN_PROGRESS)


def denied_events() -> list[AuditEvent]:
    events = AuditEvent.objects.filter(outcome=AuditOutcome.DENIED).exclude(case_reference=WARM_UP)
    return list(events.order_by("pk"))


def _ask_api(api_client, method: str, reference: str, path: str, body):
    url = f"/api/v1/cases/{reference}/{path}"
    return getattr(api_client, method)(url, body, format="json", REMOTE_ADDR=CLIENT_IP)


@pytest.mark.parametrize(("method", "path", "body"), API_ENTRY_POINTS)
def test_api_refusal_is_a_denied_event_of_the_mediator(
    api_client, mediator, insurer, foreign_case, method, path, body
) -> None:
    api_client.force_authenticate(mediator)

    response = _ask_api(api_client, method, foreign_case.reference.lower(), path, body)

    assert response.status_code == 404
    (event,) = denied_events()
    assert event.actor == mediator and event.actor_label == mediator.username
    assert (event.role, event.organisation, event.organisation_label) == (
        Role.MEDIATOR,
        insurer,
        str(insurer),
    )
    assert event.action == (AuditAction.VIEW if method == "get" else AuditAction.UPDATE)
    assert event.object_type == "mediation.case" and event.object_id == ""
    assert event.case_reference == foreign_case.reference  # as asked for (upper case)
    assert event.client_ip == CLIENT_IP and event.occurred_at is not None
    assert event.detail == {"path": f"/api/v1/cases/{foreign_case.reference.lower()}/{path}"}
    # Nothing was read or changed.
    assert not AuditEvent.objects.exclude(outcome=AuditOutcome.DENIED).exists()
    foreign_case.refresh_from_db()
    assert foreign_case.status == CaseStatus.IN_PROGRESS


@pytest.mark.parametrize(("method", "path", "body"), API_ENTRY_POINTS)
def test_api_refusal_of_an_insurers_api_key_is_recorded_as_the_key(
    api_client, api_key_for, insurer, foreign_case, method, path, body
) -> None:
    raw = api_key_for(insurer)
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")

    assert _ask_api(api_client, method, foreign_case.reference, path, body).status_code == 404

    (event,) = denied_events()
    assert event.actor is None and event.actor_label == f"api-key:{raw.split('.')[0]}"
    assert event.role == "contract_manager,mediator" and event.organisation == insurer
    assert event.case_reference == foreign_case.reference


@pytest.mark.parametrize(("method", "path", "body"), API_ENTRY_POINTS)
def test_api_foreign_and_missing_cases_answer_and_cost_alike(
    api_client, mediator, foreign_case, method, path, body
) -> None:
    api_client.force_authenticate(mediator)
    _ask_api(api_client, method, WARM_UP, path, body)
    answers = {}
    for reference in (foreign_case.reference, MISSING):
        with CaptureQueriesContext(connection) as queries:
            response = _ask_api(api_client, method, reference, path, body)
        answers[reference] = (response.status_code, response.content, len(queries))

    assert answers[foreign_case.reference] == answers[MISSING]
    assert answers[MISSING][0] == 404
    assert list(json.loads(answers[MISSING][1])) == ["detail"]
    assert [event.case_reference for event in denied_events()] == [foreign_case.reference, MISSING]


def _page_without_tokens(content: bytes, reference: str) -> str:
    """A page with what differs per request anyway (CSP nonce, CSRF token) and the address
    asked for (the language switch's ``next``) taken out."""
    text = content.decode().replace(reference, "<reference>")
    text = re.sub(r'nonce="[^"]*"', 'nonce=""', text)
    text = re.sub(r'"X-CSRFToken": "[^"]*"', '"X-CSRFToken": ""', text)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "csrf", text)


@pytest.mark.parametrize(("method", "name"), WEB_ENTRY_POINTS)
def test_web_refusal_is_a_denied_event_and_answers_like_a_missing_case(
    client, mediator, insurer, foreign_case, method, name
) -> None:
    client.force_login(mediator)
    getattr(client, method)(reverse(name, args=[WARM_UP]))
    answers = {}
    for reference in (foreign_case.reference, MISSING):
        url = reverse(name, args=[reference])
        with CaptureQueriesContext(connection) as queries:
            response = getattr(client, method)(url, REMOTE_ADDR=CLIENT_IP)
        answers[reference] = (
            response.status_code,
            _page_without_tokens(response.content, reference),
            len(queries),
        )

    assert answers[foreign_case.reference] == answers[MISSING]
    assert answers[MISSING][0] == 404
    foreign, missing = denied_events()
    assert (foreign.case_reference, missing.case_reference) == (foreign_case.reference, MISSING)
    assert foreign.actor == mediator and foreign.role == Role.MEDIATOR
    assert foreign.organisation == insurer and foreign.client_ip == CLIENT_IP
    assert foreign.action == (AuditAction.VIEW if method == "get" else AuditAction.UPDATE)
    assert foreign.detail == {"path": reverse(name, args=[foreign_case.reference])}
    assert (
        not AuditEvent.objects.filter(outcome=AuditOutcome.SUCCESS)
        .exclude(action=AuditAction.LOGIN)
        .exists()
    )


def test_own_case_is_no_refusal(api_client, client, mediator, insurer) -> None:
    case = CaseFactory(insurer=insurer)
    api_client.force_authenticate(mediator)
    client.force_login(mediator)

    assert api_client.get(f"/api/v1/cases/{case.reference}/").status_code == 200
    assert client.get(reverse("mediation:case-detail", args=[case.reference])).status_code == 200

    assert denied_events() == []


@pytest.fixture
def foreign_incoming_offer(insurer, other_provider_org):
    """A patient accepted at another provider's location."""
    return OfferFactory(
        case__insurer=insurer,
        case__status=CaseStatus.ACCEPTED,
        location=amersfoort(provider=other_provider_org.provider),
        status=OfferStatus.ACCEPTED,
        responded_at=timezone.now(),
    )


def test_incoming_confirm_of_another_providers_patient_is_a_denied_event(
    client, planner, provider_org, foreign_incoming_offer
) -> None:
    client.force_login(planner)
    missing_pk = foreign_incoming_offer.pk + 1000
    client.post(reverse("mediation:incoming-confirm", args=[missing_pk + 1]))
    answers = {}
    for pk in (foreign_incoming_offer.pk, missing_pk):
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                reverse("mediation:incoming-confirm", args=[pk]),
                {f"offer-{pk}-appointment_date": timezone.localdate().isoformat()},
                REMOTE_ADDR=CLIENT_IP,
            )
        answers[pk] = (response.status_code, len(queries))

    assert answers[foreign_incoming_offer.pk] == answers[missing_pk]
    assert answers[missing_pk][0] == 404
    _warm_up, foreign, missing = denied_events()
    assert (foreign.object_type, foreign.object_id) == (
        "mediation.offer",
        str(foreign_incoming_offer.pk),
    )
    assert missing.object_id == str(missing_pk)
    # The id only: the refusal does not look up whose patient it is.
    assert foreign.case_reference == ""
    assert foreign.actor == planner and foreign.role == Role.PLANNER
    assert foreign.organisation == provider_org and foreign.action == AuditAction.UPDATE
    assert foreign.client_ip == CLIENT_IP
    foreign_incoming_offer.case.refresh_from_db()
    assert foreign_incoming_offer.case.status == CaseStatus.ACCEPTED


def test_role_that_may_not_work_cases_is_a_denied_event(
    api_client, client, insurer, planner, foreign_case
) -> None:
    contract_manager = member(Role.CONTRACT_MANAGER, insurer)
    api_client.force_authenticate(planner)
    client.force_login(contract_manager)

    api = api_client.get(f"/api/v1/cases/{foreign_case.reference}/", REMOTE_ADDR=CLIENT_IP)
    page = client.get(reverse("mediation:case-list"), REMOTE_ADDR=CLIENT_IP)

    assert api.status_code == page.status_code == 403
    by_planner, by_contract_manager = denied_events()
    assert (by_planner.actor, by_planner.role) == (planner, Role.PLANNER)
    assert by_planner.detail == {"path": f"/api/v1/cases/{foreign_case.reference}/"}
    assert (by_contract_manager.actor, by_contract_manager.role) == (
        contract_manager,
        Role.CONTRACT_MANAGER,
    )
    assert by_contract_manager.detail == {"path": reverse("mediation:case-list")}
    assert by_contract_manager.client_ip == CLIENT_IP
    # A refusal is never recorded as a read of the case.
    assert not AuditEvent.objects.filter(case_reference=foreign_case.reference).exists()


def test_patients_wrong_token_is_not_recorded(api_client, foreign_case) -> None:
    response = api_client.get(
        f"/api/v1/mediation-requests/{foreign_case.reference}/", HTTP_X_ACCESS_TOKEN="guess"
    )

    assert response.status_code == 404
    assert not AuditEvent.objects.exists()
