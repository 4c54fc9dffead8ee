"""The waiting-list, scan and invitation endpoints and pages: contract, access and audit
(issue 15)."""

from __future__ import annotations

import io

import pytest
from django.core import mail
from django.test import TestCase
from django.urls import reverse

from accounts.models import AuditEvent, Role
from mediation.models import Case, Channel
from mediation.waiting_lists.models import Invitation, InvitationStatus, WaitingListEntry
from tests.accounts.factories import member
from tests.mediation.waiting_list_fixtures import entry_row

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/waiting-lists/"
IMPORT_URL = "/api/v1/waiting-lists/import/"
SCANS_URL = "/api/v1/proactive-scans/"


def committed():
    return TestCase.captureOnCommitCallbacks(execute=True)


def csv_of(rows):
    header = list(rows[0])
    lines = [",".join(header)]
    for row in rows:
        lines.append(",".join("" if row[name] is None else str(row[name]) for name in header))
    return io.BytesIO(("\n".join(lines) + "\n").encode())


def post_list(api_client, waiting, rows):
    api_client.force_authenticate(waiting["planner"])
    with committed():
        return api_client.post(LIST_URL, rows, format="json")


def scan_and_token(api_client, waiting):
    post_list(api_client, waiting, [entry_row(waiting)])
    api_client.force_authenticate(waiting["mediator"])
    with committed():
        response = api_client.post(SCANS_URL, {}, format="json")
    assert response.status_code == 202
    invitation = Invitation.objects.get()
    token = next(w for w in mail.outbox[-1].body.split() if "/uitnodiging/" in w).rstrip("/")
    api_client.force_authenticate(None)
    return invitation, token.split("/")[-1]


class TestUploadApi:
    def test_json_snapshot_answers_the_counts(self, api_client, waiting):
        response = post_list(api_client, waiting, [entry_row(waiting)])
        assert response.status_code == 201
        assert response.json() == {"entries": 1, "closed": 0, "duplicates": 0}

    def test_row_errors_and_nothing_stored(self, api_client, waiting):
        rows = [entry_row(waiting), entry_row(waiting, external_id="W-2", consent_date=None)]
        response = post_list(api_client, waiting, rows)
        assert response.status_code == 400
        errors = response.json()["errors"]
        assert [(e["row"], e["field"]) for e in errors] == [(2, "consent_date")]
        assert not WaitingListEntry.objects.exists()

    def test_not_a_list_is_400(self, api_client, waiting):
        response = post_list(api_client, waiting, entry_row(waiting))
        assert response.status_code == 400
        assert response.json()["errors"][0]["message"]

    def test_csv_import(self, api_client, waiting):
        api_client.force_authenticate(waiting["planner"])
        rows = [entry_row(waiting), entry_row(waiting, external_id="W-2", policy_number="P2")]
        response = api_client.post(IMPORT_URL, {"file": csv_of(rows)}, format="multipart")
        assert response.status_code == 201, response.content
        assert response.json()["entries"] == 2

    def test_csv_row_errors_name_the_line(self, api_client, waiting):
        api_client.force_authenticate(waiting["planner"])
        rows = [entry_row(waiting), entry_row(waiting, external_id="W-2", urgency_class=2)]
        response = api_client.post(IMPORT_URL, {"file": csv_of(rows)}, format="multipart")
        assert response.status_code == 400
        assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [(3, "urgency_class")]

    def test_csv_without_a_required_column(self, api_client, waiting):
        api_client.force_authenticate(waiting["planner"])
        row = entry_row(waiting)
        del row["consent_date"]
        response = api_client.post(IMPORT_URL, {"file": csv_of([row])}, format="multipart")
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "consent_date"


class TestReadAccess:
    def test_planner_sees_the_own_list_and_mediator_only_own_insured(
        self, api_client, waiting, other_insurer
    ):
        post_list(
            api_client,
            waiting,
            [
                entry_row(waiting),
                entry_row(
                    waiting, external_id="W-2", policy_number="P2", insurer=other_insurer.uzovi
                ),
            ],
        )
        response = api_client.get(LIST_URL)
        assert {r["external_id"] for r in response.json()["results"]} == {"W-1", "W-2"}
        assert response.headers["Cache-Control"].startswith("no-store") or (
            "no-store" in response.headers["Cache-Control"]
        )
        api_client.force_authenticate(waiting["mediator"])
        response = api_client.get(LIST_URL)
        assert [r["external_id"] for r in response.json()["results"]] == ["W-1"]
        assert AuditEvent.objects.filter(
            actor=waiting["mediator"], object_type="mediation.waitinglistentry"
        ).exists()
        api_client.force_authenticate(member(Role.MEDIATOR, other_insurer))
        assert [r["external_id"] for r in api_client.get(LIST_URL).json()["results"]] == ["W-2"]

    def test_other_provider_sees_nothing(self, api_client, waiting, other_provider_org):
        post_list(api_client, waiting, [entry_row(waiting)])
        api_client.force_authenticate(member(Role.PLANNER, other_provider_org))
        assert api_client.get(LIST_URL).json()["count"] == 0

    @pytest.mark.parametrize(
        ("role", "method", "url", "expected"),
        [
            (Role.MEDIATOR, "post", LIST_URL, 403),
            (Role.CONTRACT_MANAGER, "get", LIST_URL, 403),
            (Role.INSURER_ADMIN, "get", LIST_URL, 403),
            (Role.PROVIDER_ADMIN, "get", LIST_URL, 403),
            (Role.PLANNER, "post", SCANS_URL, 403),
            (Role.CONTRACT_MANAGER, "post", SCANS_URL, 403),
            (None, "get", LIST_URL, 401),
            (None, "post", SCANS_URL, 401),
        ],
    )
    def test_roles(self, api_client, waiting, role, method, url, expected):
        if role is not None:
            organisation = (
                waiting["provider_org"]
                if role in (Role.PLANNER, Role.PROVIDER_ADMIN)
                else waiting["insurer"]
            )
            api_client.force_authenticate(member(role, organisation))
        response = getattr(api_client, method)(url, [] if method == "post" else None, format="json")
        assert response.status_code == expected

    def test_regulator_sees_no_waiting_list(self, api_client, regulator):
        api_client.force_authenticate(regulator)
        assert api_client.get(LIST_URL).status_code == 403


class TestScanApi:
    def test_start_and_read_the_report(self, api_client, waiting):
        post_list(api_client, waiting, [entry_row(waiting)])
        api_client.force_authenticate(waiting["mediator"])
        with committed():
            response = api_client.post(SCANS_URL, {"specialisms": []}, format="json")
        assert response.status_code == 202
        scan = api_client.get(f"{SCANS_URL}{response.json()['id']}/").json()
        assert scan["status"] == "succeeded" and scan["progress"] == 100
        assert (scan["scanned"], scan["over_norm"], scan["invited"]) == (1, 1, 1)
        assert set(scan["not_invited"]) == {
            "within_norm",
            "no_alternative",
            "duplicate",
            "open_case",
            "quiet_period",
            "no_consent",
        }

    def test_unknown_specialism_is_400(self, api_client, waiting):
        api_client.force_authenticate(waiting["mediator"])
        response = api_client.post(SCANS_URL, {"specialisms": ["9999"]}, format="json")
        assert response.status_code == 400
        assert "specialisms" in response.json()

    def test_another_insurers_scan_is_404(self, api_client, waiting, other_insurer):
        api_client.force_authenticate(waiting["mediator"])
        scan_id = api_client.post(SCANS_URL, {}, format="json").json()["id"]
        api_client.force_authenticate(member(Role.MEDIATOR, other_insurer))
        assert api_client.get(f"{SCANS_URL}{scan_id}/").status_code == 404


class TestInvitationApi:
    def test_read_then_opt_in_then_the_token_reads_the_case(self, api_client, waiting):
        invitation, token = scan_and_token(api_client, waiting)
        url = f"/api/v1/invitations/{invitation.reference}/"
        response = api_client.get(url, HTTP_X_ACCESS_TOKEN=token)
        assert response.status_code == 200
        body = response.json()
        assert body["alternatives"][0]["location"] == waiting["alternative"].code
        assert body["status"] == "invited"
        assert "no-store" in response.headers["Cache-Control"]
        with committed():
            accepted = api_client.post(
                f"{url}accept/", {}, format="json", HTTP_X_ACCESS_TOKEN=token
            )
        assert accepted.status_code == 201
        reference = accepted.json()["case"]
        case = Case.objects.get(reference=reference)
        assert case.channel == Channel.PROACTIVE
        status = api_client.get(
            f"/api/v1/mediation-requests/{reference}/", HTTP_X_ACCESS_TOKEN=token
        )
        assert status.status_code == 200
        again = api_client.post(f"{url}accept/", {}, format="json", HTTP_X_ACCESS_TOKEN=token)
        assert again.status_code == 400

    def test_wrong_or_missing_token(self, api_client, waiting):
        invitation, token = scan_and_token(api_client, waiting)
        url = f"/api/v1/invitations/{invitation.reference}/"
        assert api_client.get(url, HTTP_X_ACCESS_TOKEN=token + "x").status_code == 404
        assert api_client.get(url).status_code == 401
        assert (
            api_client.get(
                "/api/v1/invitations/UN-XXXX-XXXX/", HTTP_X_ACCESS_TOKEN=token
            ).status_code
            == 404
        )

    def test_decline_with_reason(self, api_client, waiting):
        invitation, token = scan_and_token(api_client, waiting)
        response = api_client.post(
            f"/api/v1/invitations/{invitation.reference}/decline/",
            {"reason": "Te ver", "no_contact": True},
            format="json",
            HTTP_X_ACCESS_TOKEN=token,
        )
        assert response.status_code == 200
        assert response.json()["status"] == "declined"
        invitation.refresh_from_db()
        assert invitation.status == InvitationStatus.DECLINED


class TestPages:
    def test_planner_uploads_a_list_on_the_page(self, client, waiting):
        client.force_login(waiting["planner"])
        rows = [entry_row(waiting)]
        file = csv_of(rows)
        file.name = "lijst.csv"
        with committed():
            response = client.post(reverse("mediation:waiting-list-upload"), {"file": file})
        assert response.status_code == 302
        page = client.get(response["Location"])
        html = page.content.decode()
        assert page.status_code == 200
        assert "1 patiënten op de lijst" in html
        listing = client.get(reverse("mediation:waiting-list")).content.decode()
        assert "Jan Jansen" in listing

    def test_a_failed_upload_shows_row_errors(self, client, waiting):
        client.force_login(waiting["planner"])
        file = csv_of([entry_row(waiting, consent_date=None)])
        file.name = "lijst.csv"
        with committed():
            response = client.post(reverse("mediation:waiting-list-upload"), {"file": file})
        html = client.get(response["Location"]).content.decode()
        assert "<code>consent_date</code>" in html
        assert "Er is niets geïmporteerd." in html
        assert not WaitingListEntry.objects.exists()

    def test_mediator_runs_a_scan_and_sees_the_cohort(self, client, api_client, waiting):
        post_list(api_client, waiting, [entry_row(waiting)])
        client.force_login(waiting["mediator"])
        with committed():
            response = client.post(reverse("mediation:scan-list"), {})
        assert response.status_code == 302
        html = client.get(response["Location"]).content.decode()
        assert Invitation.objects.get().reference in html
        assert "1 uitgenodigd" in html

    def test_patient_opts_in_on_the_page(self, client, api_client, waiting):
        invitation, token = scan_and_token(api_client, waiting)
        url = reverse("mediation:invitation", args=[invitation.reference, token])
        page = client.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        assert "U wacht al 9 weken" in html and "Kliniek Amersfoort" in html
        assert page.headers["X-Robots-Tag"] == "noindex, nofollow"
        with committed():
            response = client.post(
                reverse("mediation:invitation-accept", args=[invitation.reference, token]),
                {"location": waiting["alternative"].code},
            )
        case = Case.objects.get(channel=Channel.PROACTIVE)
        assert response["Location"] == reverse(
            "mediation:request-status", args=[case.reference, token]
        )
        client.force_login(waiting["mediator"])
        queue = client.get(reverse("mediation:case-list")).content.decode()
        assert case.reference in queue

    def test_wrong_token_page_is_404(self, client, api_client, waiting):
        invitation, _token = scan_and_token(api_client, waiting)
        assert (
            client.get(
                reverse("mediation:invitation", args=[invitation.reference, "x" * 40])
            ).status_code
            == 404
        )

    def test_letter_for_an_invitation_without_email(self, client, api_client, waiting):
        post_list(api_client, waiting, [entry_row(waiting, email="")])
        client.force_login(waiting["mediator"])
        with committed():
            client.post(reverse("mediation:scan-list"), {})
        invitation = Invitation.objects.get()
        url = reverse("mediation:invitation-letter", args=[invitation.reference])
        html = client.post(url).content.decode()
        assert "/uitnodiging/" in html and "U wacht al" in html
        invitation.refresh_from_db()
        assert invitation.letter_printed_at is not None

    def test_pages_refuse_other_roles(self, client, waiting):
        client.force_login(waiting["mediator"])
        assert client.get(reverse("mediation:waiting-list")).status_code == 403
        client.force_login(waiting["planner"])
        assert client.get(reverse("mediation:scan-list")).status_code == 403


def test_the_reminder_must_go_before_the_lapse(client, insurer_admin):
    client.force_login(insurer_admin)
    response = client.post(
        reverse("mediation:settings"),
        {
            "first_contact_working_days": "2",
            "match_margin_days": "14",
            "offer_expiry_working_days": "5",
            "retention_months": "12",
            "scan_look_ahead_days": "14",
            "scan_distance_km": "25",
            "invitation_quiet_days": "60",
            "invitation_reminder_days": "14",
            "invitation_lapse_days": "14",
        },
    )
    assert response.status_code == 400


def test_outcomes_count_the_proactive_channel_apart(client, api_client, waiting):
    invitation, token = scan_and_token(api_client, waiting)
    from mediation.waiting_lists.invitations import invitation_accept

    with committed():
        invitation_accept(invitation=invitation, token=token)
    from tests.mediation.factories import CaseFactory

    CaseFactory(insurer=waiting["insurer"])
    client.force_login(waiting["mediator"])
    response = client.get(reverse("mediation:outcomes"))
    rows = {row.key: row for row in response.context["channels"]}
    assert (rows["proactive"].invitations, rows["proactive"].opted_in) == (1, 1)
    assert rows["proactive"].cases == 1 and rows["reactive"].cases == 1
    assert rows["proactive"].opt_in_percentage == 100
    assert 'id="outcomes-channels"' in response.content.decode()


def test_the_case_page_names_the_chosen_alternative(client, api_client, waiting):
    invitation, token = scan_and_token(api_client, waiting)
    from mediation.waiting_lists.invitations import invitation_accept

    with committed():
        case = invitation_accept(invitation=invitation, token=token)
    client.force_login(waiting["mediator"])
    html = client.get(reverse("mediation:case-detail", args=[case.reference])).content.decode()
    assert 'id="case-chosen-alternative"' in html
    assert waiting["alternative"].name in html
