"""Demo waiting lists (issue 15): lists for the demo providers, a scan already run per demo
insurer, and invitations in every state."""

from __future__ import annotations

import random

import pytest
from django.utils import timezone

from mediation.models import Case, Channel
from mediation.waiting_lists.models import (
    Invitation,
    InvitationStatus,
    ProactiveScan,
    ScanStatus,
    WaitingListEntry,
)
from portal.demo.accounts import seed_demo_logins, seed_demo_organisations
from portal.demo.providers import seed_demo_providers, seed_demo_waiting_times
from portal.demo.waiting_lists import seed_demo_waiting_lists

pytestmark = pytest.mark.django_db


def test_demo_waiting_lists_scans_and_invitations_in_every_state() -> None:
    rng = random.Random(1)
    providers = seed_demo_providers(rng=rng)
    organisations = seed_demo_organisations(providers=providers)
    seed_demo_logins(organisations=organisations)
    today = timezone.localdate()
    seed_demo_waiting_times(rng=rng, today=today)
    insurers = [o for o in organisations.values() if o.kind == "insurer"]

    entries = seed_demo_waiting_lists(rng=random.Random(2), today=today, insurers=insurers)

    assert entries == WaitingListEntry.objects.count() > 50
    scans = ProactiveScan.objects.filter(insurer__in=insurers)
    assert scans.count() == len(insurers)
    assert all(scan.status == ScanStatus.SUCCEEDED and scan.scanned for scan in scans)
    statuses = set(Invitation.objects.values_list("status", flat=True))
    assert statuses == set(InvitationStatus.values)
    assert Invitation.objects.filter(status="invited", opened_at__isnull=False).exists()
    assert Invitation.objects.filter(reminded_at__isnull=False).exists()
    assert Case.objects.filter(channel=Channel.PROACTIVE).count() == (
        Invitation.objects.filter(status=InvitationStatus.OPTED_IN).count()
    )
    # Run again: replaced, not added to.
    assert seed_demo_waiting_lists(rng=random.Random(2), today=today, insurers=insurers) == entries
    assert ProactiveScan.objects.filter(insurer__in=insurers).count() == len(insurers)
