"""The audit trail page and its CSV export: for the insurer's administrator only, the own
organisation's events only, the API's filters, and looking and exporting are recorded."""

from __future__ import annotations

import csv
import io

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.actors import actor_for_user
from accounts.models import AuditAction, AuditEvent, Role
from accounts.services import audit_record
from tests.accounts.factories import member

pytestmark = pytest.mark.django_db

LIST_URL = "/accounts/audit/"
EXPORT_URL = "/accounts/audit/export.csv"


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def events(mediator, other_insurer):
    actor = actor_for_user(mediator)
    own = [
        audit_record(
            actor=actor,
            action=AuditAction.VIEW,
            object_type="mediation.case",
            object_id=str(n),
            case_reference=f"ZB-2026-{n:06d}",
        )
        for n in range(1, 4)
    ]
    own.append(
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            object_type="mediation.case",
            object_id="1",
            case_reference="ZB-2026-000001",
            detail={"note": '=HYPERLINK("http://evil")'},
        )
    )
    foreign = audit_record(
        actor=actor_for_user(member(Role.MEDIATOR, other_insurer)),
        action=AuditAction.VIEW,
        object_type="mediation.case",
        object_id="77",
        case_reference="ZB-2026-000777",
    )
    return {"own": own, "foreign": foreign}


def test_url_names():
    assert reverse("accounts:audit-events") == LIST_URL
    assert reverse("accounts:audit-events-export") == EXPORT_URL


def test_admin_sees_own_events_not_foreign(english, insurer_admin, events):
    english.force_login(insurer_admin)

    response = english.get(LIST_URL)

    assert response.status_code == 200
    html = response.content.decode()
    for n in (1, 2, 3):
        assert f"ZB-2026-{n:06d}" in html
    assert "ZB-2026-000777" not in html
    assert "Download as CSV" in html


def test_filters_narrow_the_list(english, insurer_admin, events):
    english.force_login(insurer_admin)

    html = english.get(LIST_URL, {"case_reference": "ZB-2026-000002"}).content.decode()

    assert "ZB-2026-000002" in html
    assert "ZB-2026-000003" not in html
    assert "1 event" in html


def test_a_foreign_case_reference_finds_nothing(english, insurer_admin, events):
    english.force_login(insurer_admin)

    html = english.get(LIST_URL, {"case_reference": "ZB-2026-000777"}).content.decode()

    assert "No events match these filters." in html
    assert "0 events" in html


def test_bad_dates_are_shown_next_to_the_field(english, insurer_admin, events):
    english.force_login(insurer_admin)

    response = english.get(LIST_URL, {"date_from": "2026-03-05", "date_to": "2026-03-01"})

    assert response.status_code == 400
    assert "The end date lies before the start date." in response.content.decode()


def test_htmx_gets_only_the_results(english, insurer_admin, events):
    english.force_login(insurer_admin)

    response = english.get(LIST_URL, {"action": "update"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert "<html" not in html
    assert "audit-results-heading" in html
    assert "1 event" in html


def test_looking_at_the_page_is_recorded(client, insurer_admin, insurer, events):
    client.force_login(insurer_admin)

    client.get(LIST_URL, {"action": "view"})

    event = AuditEvent.objects.get(action=AuditAction.LIST, object_type="accounts.auditevent")
    assert event.actor == insurer_admin and event.organisation == insurer
    assert event.detail == {"filters": {"action": "view"}, "channel": "web"}


def test_pagination(english, insurer_admin, mediator):
    actor = actor_for_user(mediator)
    for n in range(55):
        audit_record(actor=actor, action=AuditAction.VIEW, case_reference=f"ZB-2026-{n:06d}")
    english.force_login(insurer_admin)

    first = english.get(LIST_URL, {"action": "view"}).content.decode()
    second = english.get(LIST_URL, {"action": "view", "page": 2}).content.decode()

    assert "Page 1 of 2" in first and "page=2" in first
    assert "Page 2 of 2" in second
    assert second.count("<tr>") == 5 + 1  # five events and the header row


def test_csv_export_of_own_filtered_events(client, insurer_admin, insurer, events):
    client.force_login(insurer_admin)

    response = client.get(EXPORT_URL, {"object_type": "mediation.case"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert {row["case_reference"] for row in rows} == {
        "ZB-2026-000001",
        "ZB-2026-000002",
        "ZB-2026-000003",
    }
    assert len(rows) == 4
    # The export itself is recorded, with the filters and the number of rows …
    export = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert export.organisation == insurer
    assert export.detail == {"filters": {"object_type": "mediation.case"}, "rows": 4}


def test_csv_cells_cannot_become_formulas(client, insurer_admin, events):
    client.force_login(insurer_admin)

    response = client.get(EXPORT_URL, {"action": "update"})

    text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    (row,) = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert row["detail"].startswith("{")  # JSON, so not a formula
    assert row["occurred_at"][:4].isdigit()


@pytest.mark.parametrize(
    "role",
    [Role.MEDIATOR, Role.CONTRACT_MANAGER, Role.PLANNER, Role.PROVIDER_ADMIN, Role.REGULATOR],
)
def test_other_roles_are_refused(client, role, insurer, provider_org, regulator_org):
    organisation = {
        Role.PLANNER: provider_org,
        Role.PROVIDER_ADMIN: provider_org,
        Role.REGULATOR: regulator_org,
    }.get(role, insurer)
    client.force_login(member(role, organisation))

    assert client.get(LIST_URL).status_code == 403
    assert client.get(EXPORT_URL).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_anonymous_goes_to_login(client):
    response = client.get(EXPORT_URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_django_admin_rights_are_shown_by_name(client, insurer, insurer_admin) -> None:
    """A read in the Django admin by a member of the insurer is on the insurer's trail, with the
    rights it was made with (not the member's role)."""
    from accounts.actors import actor_for_admin

    staff = member(Role.MEDIATOR, insurer, is_staff=True)
    audit_record(actor=actor_for_admin(staff), action=AuditAction.VIEW)
    client.force_login(insurer_admin)

    html = client.get(LIST_URL).content.decode()

    assert "Medewerker (Django-beheer)" in html
