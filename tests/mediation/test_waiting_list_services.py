"""Waiting-list upload, scan and invitations at the service level (issue 15)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import TestCase
from django.utils import timezone

from accounts.actors import actor_for_user
from mediation.models import Case, CaseStatus, Channel, MediationSettings
from mediation.waiting_lists.invitations import (
    access_invitation_for,
    invitation_accept,
    invitation_decline,
    invitations_lapse,
    invitations_remind,
)
from mediation.waiting_lists.models import (
    Invitation,
    InvitationChannel,
    InvitationMail,
    InvitationStatus,
    ScanStatus,
    ScanTrigger,
    WaitingListEntry,
    WaitingListUpload,
)
from mediation.waiting_lists.scan import entry_over_norm, proactive_scan_start
from mediation.waiting_lists.uploads import WaitingListErrors, waiting_list_upload
from tests.accounts.factories import ProviderOrganisationFactory, member
from tests.mediation.factories import CaseFactory
from tests.mediation.waiting_list_fixtures import entry_row
from tests.providers.factories import LocationFactory

pytestmark = pytest.mark.django_db


def committed():
    """Run what the services hand to ``on_commit`` (tasks, mails) when the block ends."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def upload(waiting, rows, *, planner=None):
    actor = actor_for_user(planner or waiting["planner"])
    with committed():
        return waiting_list_upload(actor=actor, rows=list(enumerate(rows, start=1)), source="api")


def scan(waiting, **kwargs):
    with committed():
        started = proactive_scan_start(
            insurer=waiting["insurer"],
            trigger=ScanTrigger.MANUAL,
            actor=actor_for_user(waiting["mediator"]),
            **kwargs,
        )
    started.refresh_from_db()
    return started


class TestUpload:
    def test_a_snapshot_creates_entries_with_a_summary(self, waiting):
        result = upload(
            waiting, [entry_row(waiting), entry_row(waiting, external_id="W-2", policy_number="P2")]
        )
        assert (result.entries, result.created, result.closed) == (2, 2, 0)
        assert WaitingListEntry.objects.filter(provider=waiting["location"].provider).count() == 2

    def test_an_entry_missing_from_the_next_snapshot_is_closed_with_the_date(self, waiting):
        upload(
            waiting, [entry_row(waiting), entry_row(waiting, external_id="W-2", policy_number="P2")]
        )
        second = upload(waiting, [entry_row(waiting, full_name="Jan J. Jansen")])
        assert (second.entries, second.created, second.closed) == (1, 0, 1)
        kept = WaitingListEntry.objects.get(external_id="W-1")
        gone = WaitingListEntry.objects.get(external_id="W-2")
        assert kept.full_name == "Jan J. Jansen" and kept.closed_on is None
        assert gone.closed_on == timezone.localdate()

    def test_an_entry_that_comes_back_is_opened_again(self, waiting):
        upload(
            waiting, [entry_row(waiting), entry_row(waiting, external_id="W-2", policy_number="P2")]
        )
        upload(waiting, [entry_row(waiting)])
        upload(
            waiting, [entry_row(waiting), entry_row(waiting, external_id="W-2", policy_number="P2")]
        )
        assert WaitingListEntry.objects.get(external_id="W-2").closed_on is None

    def test_no_entry_without_consent_and_nothing_is_stored(self, waiting):
        with pytest.raises(WaitingListErrors) as exc:
            upload(
                waiting,
                [entry_row(waiting), entry_row(waiting, external_id="W-2", consent_date="")],
            )
        assert [(e["row"], e["field"]) for e in exc.value.errors] == [(2, "consent_date")]
        assert not WaitingListEntry.objects.exists()
        assert not WaitingListUpload.objects.exists()

    @pytest.mark.parametrize("urgency", [1, 2, 6, "x"])
    def test_urgency_classes_3_to_5_only(self, waiting, urgency):
        with pytest.raises(WaitingListErrors) as exc:
            upload(waiting, [entry_row(waiting, urgency_class=urgency)])
        assert [e["field"] for e in exc.value.errors] == ["urgency_class"]

    def test_the_location_must_be_the_providers_own(self, waiting):
        foreign = LocationFactory()
        with pytest.raises(WaitingListErrors) as exc:
            upload(waiting, [entry_row(waiting, location=foreign.code)])
        assert [e["field"] for e in exc.value.errors] == ["location"]

    def test_plausibility_of_dates(self, waiting):
        today = timezone.localdate()
        rows = [
            entry_row(waiting, birth_date=(today + timedelta(days=1)).isoformat()),
            entry_row(
                waiting, external_id="W-2", waiting_since="1950-01-01", birth_date="1960-01-01"
            ),
            entry_row(
                waiting, external_id="W-3", waiting_since=(today + timedelta(days=3)).isoformat()
            ),
            entry_row(waiting, external_id="W-4", expected_date="2000-01-01"),
            entry_row(waiting, external_id="W-5", consent_date="01-01-2026"),
        ]
        with pytest.raises(WaitingListErrors) as exc:
            upload(waiting, rows)
        assert {(e["row"], e["field"]) for e in exc.value.errors} == {
            (1, "birth_date"),
            (1, "waiting_since"),
            (2, "waiting_since"),
            (3, "waiting_since"),
            (4, "expected_date"),
            (5, "consent_date"),
        }

    def test_an_external_id_twice_in_one_snapshot_is_an_error(self, waiting):
        with pytest.raises(WaitingListErrors) as exc:
            upload(waiting, [entry_row(waiting), entry_row(waiting, policy_number="P9")])
        assert exc.value.errors[0]["row"] == 2 and exc.value.errors[0]["field"] == "external_id"

    def test_duplicates_across_providers_are_flagged_on_both_lists(self, waiting):
        upload(waiting, [entry_row(waiting)])
        other_org = ProviderOrganisationFactory()
        other_location = LocationFactory(provider=other_org.provider)
        other_planner = member("planner", other_org)
        result = upload(
            waiting,
            [entry_row(waiting, external_id="X-1", location=other_location.code)],
            planner=other_planner,
        )
        assert result.duplicates == 1
        assert WaitingListEntry.objects.filter(is_duplicate=True).count() == 2

    def test_an_entry_of_a_patient_with_an_open_case_is_linked(self, waiting):
        case = CaseFactory(
            insurer=waiting["insurer"], policy_number="P100000001", specialism=waiting["specialism"]
        )
        result = upload(waiting, [entry_row(waiting)])
        assert result.linked == 1
        assert WaitingListEntry.objects.get().case == case

    def test_implausible_entries_are_stored_and_counted(self, waiting):
        result = upload(waiting, [entry_row(waiting, waiting_since="2020-01-01")])
        assert result.implausible == 1
        assert WaitingListEntry.objects.get().implausible == "wait_over_3_years"

    def test_only_planners_upload(self, waiting):
        from core.errors import ApplicationError

        with pytest.raises(ApplicationError):
            waiting_list_upload(
                actor=actor_for_user(waiting["mediator"]),
                rows=[(1, entry_row(waiting))],
                source="api",
            )


class TestOverNorm:
    """Rule 1 of mediation.waiting_lists.scan: the projected total wait against the maximum,
    with the look-ahead."""

    today = timezone.localdate()

    def over(self, *, waited, wait, look_ahead=14, expected_date=None):
        return entry_over_norm(
            today=self.today,
            waiting_since=self.today - timedelta(days=waited),
            expected_date=expected_date,
            current_wait_days=wait,
            norm_max_days=28,
            look_ahead_days=look_ahead,
        )

    def test_over_now(self):
        assert self.over(waited=40, wait=60) == (True, 60)

    def test_within_the_look_ahead(self):
        # Crosses the 28-day maximum on day 29: 14 days from now when waited 15 days.
        assert self.over(waited=15, wait=60)[0] is True
        assert self.over(waited=14, wait=60)[0] is False
        assert self.over(waited=14, wait=60, look_ahead=15)[0] is True

    def test_treated_within_the_norm_is_never_over(self):
        assert self.over(waited=20, wait=28) == (False, 28)

    def test_an_appointment_within_the_norm_counts(self):
        assert (
            self.over(waited=20, wait=60, expected_date=self.today + timedelta(days=5))[0] is False
        )

    def test_overdue_without_a_date_is_over(self):
        assert self.over(waited=90, wait=60) == (True, 90)


class TestScan:
    def test_an_entry_over_the_norm_with_a_better_alternative_is_invited(self, waiting):
        upload(waiting, [entry_row(waiting)])
        result = scan(waiting)
        assert result.status == ScanStatus.SUCCEEDED and result.progress == 100
        assert (result.scanned, result.over_norm, result.invited) == (1, 1, 1)
        invitation = Invitation.objects.get()
        assert invitation.channel == InvitationChannel.EMAIL
        assert invitation.alternatives[0]["location"] == waiting["alternative"].code
        assert invitation.alternatives[0]["days_gained"] == 40
        assert len(mail.outbox) == 1
        assert "U wacht al 9 weken" in mail.outbox[0].body
        assert "over 3 weken" in mail.outbox[0].body

    def test_reasons_are_counted(self, waiting):
        today = timezone.localdate()
        CaseFactory(
            insurer=waiting["insurer"], policy_number="OPEN1", specialism=waiting["specialism"]
        )
        rows = [
            entry_row(
                waiting, external_id="N-1", policy_number="IN1", waiting_since=today.isoformat()
            ),
            entry_row(waiting, external_id="N-2", policy_number="OPEN1"),
            entry_row(waiting, external_id="N-3", policy_number="FAR1", postcode="9711AA"),
        ]
        upload(waiting, rows)
        WaitingListEntry.objects.filter(external_id="N-3").update(consent_withdrawn_at=None)
        result = scan(waiting)
        assert result.scanned == 3
        assert result.not_invited == {
            "within_norm": 1,
            "no_alternative": 1,
            "duplicate": 0,
            "open_case": 1,
            "quiet_period": 0,
            "no_consent": 0,
        }

    def test_quiet_period_and_withdrawn_consent(self, waiting):
        upload(
            waiting, [entry_row(waiting), entry_row(waiting, external_id="W-2", policy_number="P2")]
        )
        scan(waiting)
        WaitingListEntry.objects.filter(external_id="W-2").update(
            consent_withdrawn_at=timezone.now()
        )
        again = scan(waiting)
        assert again.invited == 0
        assert again.not_invited["quiet_period"] == 1
        assert again.not_invited["no_consent"] == 1
        MediationSettings.objects.create(insurer=waiting["insurer"], invitation_quiet_days=0)
        assert scan(waiting).invited == 1

    def test_duplicates_are_not_invited(self, waiting):
        upload(waiting, [entry_row(waiting)])
        WaitingListEntry.objects.update(is_duplicate=True)
        assert scan(waiting).not_invited["duplicate"] == 1

    def test_a_part_runs_once(self, waiting):
        from mediation.waiting_lists.scan import proactive_scan_part_run

        upload(waiting, [entry_row(waiting)])
        result = scan(waiting)
        part = result.parts.get()
        assert proactive_scan_part_run(part_id=part.pk) == "done"
        assert Invitation.objects.count() == 1

    def test_an_entry_without_email_gets_a_letter(self, waiting):
        upload(waiting, [entry_row(waiting, email="")])
        scan(waiting)
        assert Invitation.objects.get().channel == InvitationChannel.LETTER
        assert len(mail.outbox) == 0

    def test_only_open_entries_of_the_insurer(self, waiting, other_insurer):
        upload(waiting, [entry_row(waiting, insurer=other_insurer.uzovi)])
        assert scan(waiting).scanned == 0


def invited(waiting, **row):
    upload(waiting, [entry_row(waiting, **row)])
    scan(waiting)
    invitation = Invitation.objects.get()
    message = mail.outbox[-1].body if row.get("email", "x") else ""
    token = ""
    for word in message.split():
        if "/uitnodiging/" in word:
            token = word.rstrip("/").split("/")[-1]
    return invitation, token


class TestInvitation:
    def test_the_link_in_the_mail_opens_the_invitation_and_only_it(self, waiting):
        invitation, token = invited(waiting)
        assert access_invitation_for(reference=invitation.reference, token=token) == invitation
        from django.http import Http404

        with pytest.raises(Http404):
            access_invitation_for(reference=invitation.reference, token=token + "x")
        assert InvitationMail.objects.get().secret == ""

    def test_opt_in_opens_a_proactive_case_already_matched(self, waiting):
        invitation, token = invited(waiting)
        case = invitation_accept(invitation=invitation, token=token)
        assert case.channel == Channel.PROACTIVE and case.status == CaseStatus.SUBMITTED
        assert case.current_location == waiting["location"]
        assert case.first_contact_due > timezone.localdate()
        invitation.refresh_from_db()
        assert invitation.status == InvitationStatus.OPTED_IN
        assert invitation.case == case and invitation.chosen_location == waiting["alternative"]
        assert WaitingListEntry.objects.get().case == case
        assert waiting["alternative"].code in case.events.filter(kind="note").get().note
        # The same token reads the case.
        from mediation.permissions import access_patient_case_for

        assert access_patient_case_for(reference=case.reference, token=token) == case

    def test_opt_in_twice_is_refused(self, waiting):
        from core.errors import ApplicationError

        invitation, token = invited(waiting)
        invitation_accept(invitation=invitation, token=token)
        with pytest.raises(ApplicationError):
            invitation_accept(invitation=invitation, token=token)
        assert Case.objects.count() == 1

    def test_decline_with_a_reason_and_no_contact(self, waiting):
        invitation, _token = invited(waiting)
        invitation_decline(invitation=invitation, reason="Te ver", no_contact=True)
        invitation.refresh_from_db()
        assert invitation.status == InvitationStatus.DECLINED
        assert invitation.decline_reason == "Te ver"
        assert WaitingListEntry.objects.get().consent_withdrawn_at is not None

    def test_one_reminder_then_lapse(self, waiting):
        invitation, token = invited(waiting)
        now = timezone.now()
        with committed():
            assert invitations_remind(now=now + timedelta(days=6)) == 0
            assert invitations_remind(now=now + timedelta(days=7, minutes=1)) == 1
            assert invitations_remind(now=now + timedelta(days=8)) == 0
        assert len(mail.outbox) == 2
        assert "herinnering" in mail.outbox[1].subject.lower()
        assert invitations_lapse(now=now + timedelta(days=13)) == 0
        assert invitations_lapse(now=now + timedelta(days=14, minutes=1)) == 1
        invitation.refresh_from_db()
        assert invitation.status == InvitationStatus.LAPSED
        # The first link still opens the (lapsed) invitation.
        assert access_invitation_for(reference=invitation.reference, token=token) == invitation

    def test_a_lapsed_invitation_cannot_be_accepted(self, waiting):
        from core.errors import ApplicationError

        invitation, token = invited(waiting)
        with pytest.raises(ApplicationError):
            invitation_accept(
                invitation=invitation, token=token, now=timezone.now() + timedelta(days=15)
            )


def test_a_large_specialism_is_scanned_in_parts_with_the_same_result(waiting, monkeypatch):
    from mediation.waiting_lists import scan as scan_module

    rows = [
        entry_row(waiting, external_id=f"W-{n}", policy_number=f"P{n}", email=f"p{n}@example.org")
        for n in range(5)
    ]
    upload(waiting, rows)
    whole = scan(waiting)
    assert whole.parts.count() == 1
    Invitation.objects.all().delete()
    monkeypatch.setattr(scan_module, "PART_ENTRIES", 2)
    split = scan(waiting)
    assert split.parts.count() == 3
    assert sorted(split.parts.values_list("entries", flat=True)) == [1, 2, 2]
    assert (split.scanned, split.invited) == (whole.scanned, whole.invited) == (5, 5)
    assert Invitation.objects.filter(scan=split).values("entry").distinct().count() == 5


class TestPeriodicJobs:
    def test_the_nightly_scan_runs_once_a_day_per_insurer(self, waiting):
        from mediation.waiting_lists.models import ProactiveScan
        from mediation.waiting_lists.scan import proactive_scans_nightly

        upload(waiting, [entry_row(waiting)])
        with committed():
            assert proactive_scans_nightly() == 1
            assert proactive_scans_nightly() == 0
        nightly = ProactiveScan.objects.get(trigger=ScanTrigger.NIGHTLY)
        assert nightly.insurer == waiting["insurer"] and nightly.invited == 1

    def test_the_nightly_scan_is_in_the_beat_schedule(self):
        from django.conf import settings

        tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
        assert {"mediation.proactive_scans_nightly", "mediation.invitations_housekeeping"} <= tasks

    def test_housekeeping_reminds_lapses_and_sends_lost_mails(self, waiting):
        from mediation.waiting_lists.tasks import invitations_housekeeping

        upload(waiting, [entry_row(waiting)])
        scan(waiting)
        Invitation.objects.update(created_at=timezone.now() - timedelta(days=8))
        with committed():
            result = invitations_housekeeping()
        assert result["reminded"] == 1 and result["lapsed"] == 0
        Invitation.objects.update(created_at=timezone.now() - timedelta(days=15))
        assert invitations_housekeeping()["lapsed"] == 1
        assert Invitation.objects.get().status == InvitationStatus.LAPSED

    def test_closed_entries_are_anonymised_after_the_retention_period(self, waiting):
        from mediation.waiting_lists.retention import waiting_list_anonymise_due

        upload(
            waiting, [entry_row(waiting), entry_row(waiting, external_id="W-2", policy_number="P2")]
        )
        scan(waiting)
        upload(waiting, [entry_row(waiting)])  # W-2 leaves the list
        today = timezone.localdate()
        assert waiting_list_anonymise_due(today=today) == 0
        assert waiting_list_anonymise_due(today=today + timedelta(days=400)) == 1
        gone = WaitingListEntry.objects.get(external_id="W-2")
        assert (gone.full_name, gone.policy_number, gone.email, gone.birth_date) == (
            "",
            "",
            "",
            None,
        )
        assert gone.postcode == "3511"
        assert not Invitation.objects.filter(entry=gone).exclude(access_token_hash="").exists()
        assert WaitingListEntry.objects.get(external_id="W-1").full_name == "Jan Jansen"

    def test_an_unchanged_entry_is_not_rewritten(self, waiting):
        first = upload(waiting, [entry_row(waiting)])
        second = upload(waiting, [entry_row(waiting)])
        entry = WaitingListEntry.objects.get()
        assert entry.last_upload == first and second.created == 0


def test_a_case_opened_after_the_upload_counts_as_open_case(waiting):
    upload(waiting, [entry_row(waiting)])
    CaseFactory(
        insurer=waiting["insurer"], policy_number="P100000001", specialism=waiting["specialism"]
    )
    result = scan(waiting)
    assert result.invited == 0 and result.not_invited["open_case"] == 1


def test_an_entry_needs_an_email_address_or_a_phone_number(waiting):
    with pytest.raises(WaitingListErrors) as exc:
        upload(waiting, [entry_row(waiting, email="", phone="")])
    assert [(e["row"], e["field"]) for e in exc.value.errors] == [(1, "phone")]


def test_an_opt_in_the_rules_refuse_now_asks_the_patient_to_call(waiting):
    from core.errors import ApplicationError

    invitation, token = invited(waiting)
    waiting["location"].is_active = False
    waiting["location"].save()
    with pytest.raises(ApplicationError) as exc:
        invitation_accept(invitation=invitation, token=token)
    assert exc.value.field == "status"
    assert not Case.objects.exists()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.INVITED


def test_progress_is_the_share_of_entries_done(waiting, monkeypatch):
    from mediation.waiting_lists import scan as scan_module

    rows = [
        entry_row(waiting, external_id=f"W-{n}", policy_number=f"P{n}", email=f"p{n}@example.org")
        for n in range(5)
    ]
    upload(waiting, rows)
    monkeypatch.setattr(scan_module, "PART_ENTRIES", 2)
    started = scan_module.proactive_scan_start(
        insurer=waiting["insurer"], trigger=ScanTrigger.MANUAL
    )  # its tasks wait for a commit that this test never makes
    first = started.parts.order_by("-entries", "first_entry_id").first()
    scan_module.proactive_scan_part_run(part_id=first.pk)
    started.refresh_from_db()
    assert (started.progress, started.parts_done, started.status) == (40, 1, ScanStatus.RUNNING)


def test_invitation_references_carry_sixty_random_bits():
    """Half a million invitations a night must not clash with the references kept before: twelve
    characters of a 32-letter alphabet (60 bits), not eight (40 bits, a clash within days)."""
    import re

    from mediation.waiting_lists.scan import invitation_reference

    references = {invitation_reference() for _ in range(2000)}
    assert len(references) == 2000
    assert all(re.fullmatch(r"UN(-[A-HJ-NP-Z2-9]{4}){3}", reference) for reference in references)
