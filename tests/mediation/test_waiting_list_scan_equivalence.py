"""The proactive scan's shortcuts change no result (issue 15, scan speed).

The scan pre-selects each entry's supply by the distances measured once per PC4 area and builds
full candidates only for the (up to) 3 it keeps (``mediation.matching.top_candidates``). On a
small generated world (locations at several distances, stale and insufficient figures, urgency
classes refused, contracted or not; entries with every kind of wait) the same scan is run again
with single-case matching over **every** row of each entry's subject
(``mediation.matching.match``): the same entries must be invited with the same alternatives and
figures, and every reason counted the same. On PostgreSQL this also runs the COPY write path.
"""

from __future__ import annotations

import hashlib
import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import TestCase
from django.utils import timezone

from mediation.matching import match
from mediation.waiting_lists import scan as scan_module
from mediation.waiting_lists.models import (
    Invitation,
    InvitationChannel,
    InvitationMail,
    InvitationMailKind,
    InvitationStatus,
    ScanTrigger,
    WaitingListEntry,
)
from tests.finance.factories import ContractFactory
from tests.providers.factories import (
    LocationFactory,
    ProviderFactory,
    SpecialismFactory,
    WaitingTimeSeriesFactory,
)

pytestmark = pytest.mark.django_db

# PC4 areas of the reference data around Utrecht and farther away.
POSTCODES = ["3511AB", "3581CD", "3431EF", "3701GH", "3811AA", "3441KL", "1011AB", "3012CD"]


def _world(insurer) -> None:
    rng = random.Random(15)
    today = timezone.localdate()
    specialism = SpecialismFactory()
    locations = []
    for number in range(14):
        provider = ProviderFactory(kind=rng.choice(["umc", "hospital", "zbc"]))
        if rng.random() < 0.5:
            ContractFactory(insurer=insurer, provider=provider, year=today.year)
        location = LocationFactory(
            provider=provider,
            latitude=Decimal(f"{52.09 + rng.uniform(-0.35, 0.35):.6f}"),
            longitude=Decimal(f"{5.12 + rng.uniform(-0.5, 0.5):.6f}"),
            accepted_urgency_classes=rng.choice([[1, 2, 3, 4, 5], [3, 4, 5], [4, 5]]),
        )
        locations.append(location)
        for kind in ("first_visit", "diagnostics"):
            if rng.random() < 0.85:
                WaitingTimeSeriesFactory(
                    location=location,
                    specialism=specialism,
                    kind=kind,
                    current_days=rng.choice([5, 10, 14, 20, 20, 35, 60, 120]),
                    current_insufficient_observations=rng.random() < 0.1,
                    current_reference_date=today - timedelta(days=rng.choice([0, 3, 40])),
                )
        del number
    for number in range(120):
        location = rng.choice(locations)
        WaitingListEntry.objects.create(
            provider=location.provider,
            external_id=f"EQ-{number}",
            location=location,
            insurer=insurer,
            policy_number=f"P{number:06d}",
            full_name="Test Patiënt",
            email="" if rng.random() < 0.2 else f"p{number}@example.org",
            phone="0612345678",
            postcode=rng.choice(POSTCODES),
            specialism=specialism,
            kind=rng.choice(["first_visit", "diagnostics"]),
            urgency_class=rng.choice([3, 4, 5]),
            waiting_since=today - timedelta(days=rng.randint(0, 200)),
            expected_date=(
                today + timedelta(days=rng.randint(-10, 90)) if rng.random() < 0.15 else None
            ),
            consent_date=today - timedelta(days=30),
            consent_withdrawn_at=timezone.now() if rng.random() < 0.05 else None,
            is_duplicate=rng.random() < 0.05,
        )


def _scan(insurer, *, send: bool = True):
    """Scan the insurer's entries (the parts one after the other); with ``send=False`` the
    mails stay in the outbox (their hand-over waits for a commit that never comes)."""
    with TestCase.captureOnCommitCallbacks(execute=send):
        scan = scan_module.proactive_scan_start(
            insurer=insurer, trigger=ScanTrigger.MANUAL, dispatch=False
        )
    scan.refresh_from_db()
    rows = Invitation.objects.filter(scan=scan).values_list(
        "entry_id",
        "channel",
        "alternatives",
        "waited_days",
        "projected_total_days",
        "norm_max_days",
    )
    return scan, {entry_id: tuple(rest) for entry_id, *rest in rows}


def _full_match(monkeypatch) -> None:
    """Single-case matching over every row of the entry's subject: no pre-selection by
    distance, every candidate built with its reasons, then the first 3."""

    def every_row(self, *, treatment_id, kind, pc4, distances):
        subject = self.subjects.get((treatment_id, kind))
        if subject is None:
            return []
        return [row for rows in subject.by_location.values() for row in rows]

    def first_of_match(need, rows, *, limit, distances=None):
        return match(need, rows)[:limit]

    monkeypatch.setattr(scan_module._SpecialismSupply, "nearby", every_row)
    monkeypatch.setattr(scan_module, "top_candidates", first_of_match)


def test_the_scan_invites_exactly_as_full_matching_would(insurer, monkeypatch):
    _world(insurer)
    fast, fast_invitations = _scan(insurer)
    Invitation.objects.all().delete()  # the quiet period would leave the second run nothing
    _full_match(monkeypatch)
    full, full_invitations = _scan(insurer)

    assert fast.scanned == full.scanned == 120
    # The world exercises the rules: invited, over the norm without an alternative, within it.
    assert fast.invited > 10
    assert fast.not_invited["no_alternative"] > 0 and fast.not_invited["within_norm"] > 0
    assert (fast.over_norm, fast.invited, fast.not_invited) == (
        full.over_norm,
        full.invited,
        full.not_invited,
    )
    assert fast_invitations == full_invitations
    assert any(len(found[1]) == 3 for found in fast_invitations.values())


def test_every_emailed_invitation_has_one_mail_with_its_secret(insurer):
    _world(insurer)
    scan, _invitations = _scan(insurer, send=False)
    invitations = Invitation.objects.filter(scan=scan)
    assert invitations.count() == scan.invited > 0
    assert {i.status for i in invitations} == {InvitationStatus.INVITED}
    assert {i.reminder_token_hash for i in invitations} == {""}
    mails = InvitationMail.objects.filter(invitation__scan=scan).select_related("invitation")
    emailed = invitations.filter(channel=InvitationChannel.EMAIL)
    assert sorted(m.invitation_id for m in mails) == sorted(emailed.values_list("pk", flat=True))
    assert invitations.filter(channel=InvitationChannel.LETTER).exists()
    for found in mails:
        assert found.kind == InvitationMailKind.INVITATION
        assert (found.sent_at, found.skipped, found.attempts) == (None, False, 0)
        assert hashlib.sha256(found.secret.encode()).hexdigest() == (
            found.invitation.access_token_hash
        )
        assert found.invitation.entry.email
