"""Answers with patient data are never stored by a browser or a proxy (DESIGN §7): every answer to
someone who identified themselves — a staff session, an organisation's API key, a patient's access
token — carries ``Cache-Control: no-store, private``, whatever the page; public pages for
anonymous visitors stay cacheable as before."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from mediation.models import CaseNotification, CaseStatus, NotificationKind, OfferStatus
from tests.accounts.factories import UserFactory, member
from tests.mediation.factories import CaseFactory, OfferFactory
from tests.mediation.test_api import amersfoort

pytestmark = pytest.mark.django_db


def directives(response) -> set[str]:
    header = response.headers.get("Cache-Control", "")
    return {part.strip().lower() for part in header.split(",") if part.strip()}


def assert_private(response) -> None:
    assert {"no-store", "private"} <= directives(response), (
        response.status_code,
        response.headers.get("Cache-Control"),
    )
    assert "public" not in directives(response)


@pytest.fixture
def case(insurer):
    return CaseFactory(insurer=insurer, status=CaseStatus.IN_PROGRESS, token="the-token")


@pytest.fixture
def incoming(insurer, provider_org):
    return OfferFactory(
        case__insurer=insurer,
        case__status=CaseStatus.ACCEPTED,
        location=amersfoort(provider=provider_org.provider),
        status=OfferStatus.ACCEPTED,
        responded_at=timezone.now(),
    )


MEDIATOR_PAGES = [
    ("mediation:case-list", False),
    ("mediation:case-detail", True),
    ("mediation:case-create-phone", False),
    ("mediation:outcomes", False),
    ("accounts:dashboard", False),
]


@pytest.mark.parametrize(("name", "with_reference"), MEDIATOR_PAGES)
def test_mediator_pages_are_not_stored(client, mediator, case, name, with_reference) -> None:
    client.force_login(mediator)

    response = client.get(reverse(name, args=[case.reference] if with_reference else []))

    assert response.status_code == 200
    assert_private(response)


def test_case_page_post_and_refusal_are_not_stored(client, mediator, case, other_insurer) -> None:
    client.force_login(mediator)
    foreign = CaseFactory(insurer=other_insurer)

    note = client.post(reverse("mediation:case-note", args=[case.reference]), {"note": "Gebeld"})
    refused = client.get(reverse("mediation:case-detail", args=[foreign.reference]))

    assert (note.status_code, refused.status_code) == (302, 404)
    assert_private(note)
    assert_private(refused)


def test_work_queue_partial_is_not_stored(client, mediator, case) -> None:
    client.force_login(mediator)

    response = client.get(reverse("mediation:case-list"), HTTP_HX_REQUEST="true")

    assert response.status_code == 200 and case.full_name in response.content.decode()
    assert_private(response)


def test_incoming_patients_are_not_stored(client, planner, incoming) -> None:
    client.force_login(planner)

    response = client.get(reverse("mediation:incoming-list"))

    assert response.status_code == 200 and incoming.case.full_name in response.content.decode()
    assert_private(response)


@pytest.mark.parametrize("name", ["accounts:audit-events", "accounts:audit-events-export"])
def test_audit_trail_pages_are_not_stored(client, insurer_admin, name) -> None:
    client.force_login(insurer_admin)

    response = client.get(reverse(name))

    assert response.status_code == 200
    assert_private(response)


@pytest.mark.parametrize("path", ["", "matches/"])
def test_case_api_with_a_session_is_not_stored(api_client, mediator, case, path) -> None:
    api_client.force_login(mediator)

    for url in ("/api/v1/cases/", f"/api/v1/cases/{case.reference}/{path}"):
        response = api_client.get(url)
        assert response.status_code == 200, url
        assert_private(response)


def test_case_api_with_an_api_key_is_not_stored(api_client, api_key_for, insurer, case) -> None:
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_for(insurer)}")

    for url in (
        "/api/v1/cases/",
        f"/api/v1/cases/{case.reference}/",
        f"/api/v1/cases/{case.reference}/matches/",
        "/api/v1/cases/ZB-2026-999999/",  # the 404 too
    ):
        response = api_client.get(url)
        assert response.status_code in (200, 404), url
        assert_private(response)
    close = api_client.post(f"/api/v1/cases/{case.reference}/close/", {"outcome": "out_of_scope"})
    assert close.status_code == 200
    assert_private(close)


def test_audit_trail_api_is_not_stored(api_client, insurer_admin) -> None:
    api_client.force_login(insurer_admin)

    response = api_client.get("/api/v1/audit-events/")

    assert response.status_code == 200
    assert_private(response)


def test_patient_api_with_the_token_is_not_stored(api_client, case) -> None:
    response = api_client.get(
        f"/api/v1/mediation-requests/{case.reference}/", HTTP_X_ACCESS_TOKEN="the-token"
    )

    assert response.status_code == 200
    assert_private(response)


def test_patient_status_page_is_not_stored(client, case) -> None:
    url = reverse("mediation:request-status", args=[case.reference, "the-token"])

    response = client.get(url)

    assert response.status_code == 200
    assert_private(response)


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_admin_pages_of_case_data_are_not_stored(superuser_client, case) -> None:
    row = CaseNotification.objects.create(
        case=case, kind=NotificationKind.OFFER_MADE, recipient="patient", sent_to="a@example.org"
    )
    for url in (
        reverse("admin:mediation_case_changelist"),
        reverse("admin:mediation_case_change", args=[case.pk]),
        reverse("admin:mediation_case_history", args=[case.pk]),
        reverse("admin:mediation_casenotification_changelist"),
        reverse("admin:mediation_casenotification_change", args=[row.pk]),
        reverse("admin:accounts_auditevent_changelist"),
    ):
        response = superuser_client.get(url)
        assert response.status_code == 200, url
        assert_private(response)


def test_any_page_for_a_signed_in_user_is_not_stored(client, insurer) -> None:
    """Marked by who asks, not by page: a page that starts to show patient data later needs no
    change to be covered."""
    client.force_login(member(Role.CONTRACT_MANAGER, insurer))

    for url in (reverse("home"), "/api/v1/specialisms/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_private(response)


def test_public_pages_for_anonymous_visitors_are_not_marked(client, api_client) -> None:
    for response in (client.get(reverse("home")), api_client.get("/api/v1/specialisms/")):
        assert response.status_code == 200
        assert "no-store" not in directives(response)
        assert "private" not in directives(response)
