"""The mediator's assignment-run screens (issue 16): start a dry run, see the comparison with
first come, first served, untick a proposal, apply; access (403 for other roles, 404 for a run
of another insurer) and the audit of the proposals shown."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, Role
from mediation.models import AssignmentProposal, AssignmentRun, Offer
from tests.accounts.factories import member
from tests.mediation.test_assignment_api import scarce_fixture  # noqa: F401 - "scarce"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("celery_eager")]


def _start(client, django_capture_on_commit_callbacks, **data):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mediation:assignment-run-list"), data)
    assert response.status_code == 302, response.content
    return AssignmentRun.objects.latest("id")


def test_a_mediator_starts_reviews_and_applies_a_run(
    client,
    mediator,
    scarce,
    django_capture_on_commit_callbacks,
):
    client.force_login(mediator)
    page = client.get(reverse("mediation:assignment-run-list"))
    assert page.status_code == 200
    assert b"0305" in page.content
    run = _start(client, django_capture_on_commit_callbacks, scope="some", specialisms=["0305"])
    assert run.specialisms == ["0305"] and run.dry_run

    detail = client.get(reverse("mediation:assignment-run-detail", args=[run.pk]))
    html = detail.content.decode()
    assert 'data-figure="class3_inside_window">1<' in html
    assert 'data-baseline="class3_inside_window">0<' in html
    assert scarce["urgent"].reference in html
    assert AuditEvent.objects.filter(detail__page="assignment_run").exists()

    first = AssignmentProposal.objects.get(run=run, case=scarce["first"])
    urgent = AssignmentProposal.objects.get(run=run, case=scarce["urgent"])
    response = client.post(
        reverse("mediation:assignment-run-apply", args=[run.pk]),
        {"shown": [first.pk, urgent.pk], "selected": [urgent.pk], "action": "apply"},
    )
    assert response.status_code == 302
    assert Offer.objects.filter(case=scarce["urgent"]).exists()
    assert not Offer.objects.filter(case=scarce["first"]).exists()
    after = client.get(reverse("mediation:assignment-run-detail", args=[run.pk])).content.decode()
    assert "offers-made" in after


def test_progress_fragment_for_htmx(client, mediator, insurer):
    run = AssignmentRun.objects.create(insurer=insurer, status="running", progress=40)
    client.force_login(mediator)
    response = client.get(
        reverse("mediation:assignment-run-detail", args=[run.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert b'value="40"' in response.content and b"hx-get" in response.content
    run.status = "succeeded"
    run.save()
    done = client.get(
        reverse("mediation:assignment-run-detail", args=[run.pk]), HTTP_HX_REQUEST="true"
    )
    assert done.headers["HX-Refresh"] == "true"


@pytest.mark.parametrize("role", [Role.CONTRACT_MANAGER, Role.INSURER_ADMIN])
def test_other_roles_may_not(client, insurer, role):
    client.force_login(member(role, insurer))
    assert client.get(reverse("mediation:assignment-run-list")).status_code == 403


def test_planner_may_not(client, planner):
    client.force_login(planner)
    assert client.get(reverse("mediation:assignment-run-list")).status_code == 403


def test_a_run_of_another_insurer_is_not_found(client, insurer, other_insurer):
    run = AssignmentRun.objects.create(insurer=insurer, status="succeeded")
    client.force_login(member(Role.MEDIATOR, other_insurer))
    assert client.get(reverse("mediation:assignment-run-detail", args=[run.pk])).status_code == 404
    response = client.post(
        reverse("mediation:assignment-run-apply", args=[run.pk]), {"action": "apply"}
    )
    assert response.status_code == 404
