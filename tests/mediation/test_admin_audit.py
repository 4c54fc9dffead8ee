"""The Django admin reads patient data like any other staff page, so it is audited like one (NEN
7513, DESIGN §7): a case's change and history pages are a ``view`` of the case, each changelist
page is one ``list`` event naming what it showed and the query, the mail outbox (addresses) and
the volume transfers (case references) likewise; a refused admin page is a ``denied`` event. The
admin's actor is recorded as what it is: Django's superuser or staff rights, with the user's own
organisation if they have one, never a role they did not act in."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.admin import AuditedModelAdmin
from accounts.models import AdminRole, AuditAction, AuditEvent, AuditOutcome, Role
from mediation.models import Case, CaseNotification, NotificationKind, NotificationRecipient
from tests.accounts.factories import UserFactory, member
from tests.finance.factories import VolumeTransferFactory
from tests.mediation.factories import CaseFactory, OfferFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def reads(**filters) -> list[AuditEvent]:
    """The audit events of reads (not the login of ``force_login``)."""
    return list(
        AuditEvent.objects.filter(action__in=[AuditAction.VIEW, AuditAction.LIST], **filters)
    )


def notification(case, **kwargs) -> CaseNotification:
    return CaseNotification.objects.create(
        case=case,
        kind=NotificationKind.OFFER_MADE,
        recipient=NotificationRecipient.PATIENT,
        **kwargs,
    )


def _belongs_to_a_case(model) -> bool:
    """A case itself, a row of a case (a foreign key to it), or a row naming a case."""
    return model is Case or any(
        field.name == "case_reference" or (field.many_to_one and field.related_model is Case)
        for field in model._meta.get_fields()
    )


def test_every_admin_of_case_data_is_audited() -> None:
    """Every admin of a case or of rows that belong to one is audited, so that a new admin of
    such data cannot be left out."""
    audited = {
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if _belongs_to_a_case(model) and isinstance(model_admin, AuditedModelAdmin)
    }
    assert audited == {
        model._meta.label for model in admin.site._registry if _belongs_to_a_case(model)
    }
    assert {"mediation.Case", "mediation.CaseNotification", "finance.VolumeTransfer"} <= audited


def test_case_change_page_is_a_view_of_the_case(admin_client, superuser) -> None:
    case = CaseFactory(full_name="Anna de Vries", email="anna@example.org")
    OfferFactory(case=case)

    response = admin_client.get(
        reverse("admin:mediation_case_change", args=[case.pk]), REMOTE_ADDR="192.0.2.7"
    )

    assert response.status_code == 200
    assert "Anna de Vries" in response.content.decode()
    (event,) = reads()
    assert event.action == AuditAction.VIEW and event.outcome == AuditOutcome.SUCCESS
    assert (event.object_type, event.object_id) == ("mediation.case", str(case.pk))
    assert event.case_reference == case.reference
    assert event.detail == {"page": "admin_change"}
    assert event.client_ip == "192.0.2.7"
    # A superuser without a membership: no organisation, and the rights it acted with.
    assert event.actor == superuser and event.actor_label == superuser.username
    assert event.role == AdminRole.SUPERUSER
    assert event.organisation is None and event.organisation_label == ""


def test_case_history_page_is_a_view_of_the_case(admin_client) -> None:
    case = CaseFactory()

    response = admin_client.get(reverse("admin:mediation_case_history", args=[case.pk]))

    assert response.status_code == 200
    (event,) = reads()
    assert event.action == AuditAction.VIEW and event.case_reference == case.reference
    assert event.detail == {"page": "admin_history"}


def test_case_changelist_page_is_one_event_with_what_it_showed_and_the_query(
    admin_client,
) -> None:
    shown = CaseFactory(full_name="Anna de Vries")
    CaseFactory(full_name="Bert Jansen")

    response = admin_client.get(
        reverse("admin:mediation_case_changelist"), {"q": shown.reference, "status": "submitted"}
    )

    assert response.status_code == 200
    (event,) = reads()
    assert event.action == AuditAction.LIST and event.object_type == "mediation.case"
    assert event.case_reference == ""
    assert event.detail["page"] == "admin_changelist"
    assert event.detail["references"] == [shown.reference]
    assert event.detail["objects"] == [str(shown.pk)]
    assert event.detail["query"] == f"q={shown.reference}&status=submitted"


def test_each_changelist_page_view_is_one_event(admin_client) -> None:
    cases = CaseFactory.create_batch(3)
    url = reverse("admin:mediation_case_changelist")

    admin_client.get(url)
    admin_client.get(url, {"q": "nobody"})

    first, second = sorted(reads(), key=lambda event: event.pk)
    assert sorted(first.detail["references"]) == sorted(case.reference for case in cases)
    # Nothing shown, but the search was still a look at patient data.
    assert second.detail["references"] == [] and second.detail["query"] == "q=nobody"


def test_outbox_pages_are_audited_with_the_case(admin_client) -> None:
    case = CaseFactory()
    row = notification(case, sent_to="anna@example.org")

    listing = admin_client.get(reverse("admin:mediation_casenotification_changelist"))
    page = admin_client.get(reverse("admin:mediation_casenotification_change", args=[row.pk]))

    assert listing.status_code == page.status_code == 200
    assert "anna@example.org" in page.content.decode()
    listed, viewed = sorted(reads(), key=lambda event: event.pk)
    assert listed.action == AuditAction.LIST
    assert listed.object_type == "mediation.casenotification"
    assert listed.detail["references"] == [case.reference]
    assert viewed.action == AuditAction.VIEW
    assert (viewed.object_id, viewed.case_reference) == (str(row.pk), case.reference)


def test_volume_transfer_pages_are_audited_with_the_case(admin_client) -> None:
    transfer = VolumeTransferFactory()

    admin_client.get(reverse("admin:finance_volumetransfer_changelist"))
    admin_client.get(reverse("admin:finance_volumetransfer_change", args=[transfer.pk]))

    listed, viewed = sorted(reads(), key=lambda event: event.pk)
    assert listed.detail["references"] == [transfer.case_reference]
    assert viewed.case_reference == transfer.case_reference


def test_staff_member_of_an_organisation_is_recorded_with_it_and_with_staff_rights(
    client, insurer
) -> None:
    staff = member(Role.MEDIATOR, insurer, is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_case"))
    case = CaseFactory()
    client.force_login(staff)

    response = client.get(reverse("admin:mediation_case_change", args=[case.pk]))

    assert response.status_code == 200
    (event,) = reads()
    assert event.role == AdminRole.STAFF  # Django's rights, not the mediator role
    assert event.organisation == insurer and event.organisation_label == str(insurer)


def test_refused_admin_pages_are_denied_events(client) -> None:
    staff = UserFactory(is_staff=True)  # no permission on cases
    case = CaseFactory()
    client.force_login(staff)

    change = client.get(reverse("admin:mediation_case_change", args=[case.pk]))
    listing = client.get(reverse("admin:mediation_case_changelist"))
    history = client.get(reverse("admin:mediation_case_history", args=[case.pk]))

    assert change.status_code == listing.status_code == history.status_code == 403
    events = sorted(
        AuditEvent.objects.filter(outcome=AuditOutcome.DENIED), key=lambda event: event.pk
    )
    assert [(e.action, e.object_type, e.object_id) for e in events] == [
        (AuditAction.VIEW, "mediation.case", str(case.pk)),
        (AuditAction.LIST, "mediation.case", ""),
        (AuditAction.VIEW, "mediation.case", str(case.pk)),
    ]
    assert [e.detail["page"] for e in events] == [
        "admin_change",
        "admin_changelist",
        "admin_history",
    ]
    # The refusal does not look the case up: no reference of it in the trail.
    assert all(event.case_reference == "" for event in events)
    assert all(event.role == AdminRole.STAFF and event.actor == staff for event in events)


def test_audit_trail_admin_is_itself_audited(admin_client, mediator) -> None:
    from accounts.actors import actor_for_user
    from accounts.services import audit_record

    seen = audit_record(actor=actor_for_user(mediator), action=AuditAction.VIEW)

    admin_client.get(reverse("admin:accounts_auditevent_changelist"))

    (event,) = reads(object_type="accounts.auditevent")
    assert event.action == AuditAction.LIST and str(seen.pk) in event.detail["objects"]
