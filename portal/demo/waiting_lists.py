"""Demo consented waiting lists (issue 15): for the demo providers' locations with a current
figure, a few dozen patients each, uploaded as a snapshot by the provider's planner; then a scan
per demo insurer, and its invitations put in every state (waiting, opened, reminded, opted in,
declined, lapsed). Small on purpose: seed_demo runs in the tests."""

from __future__ import annotations

import random
import secrets
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import Organisation, Role
from mediation.models import CaseNotification, Channel
from mediation.waiting_lists.invitations import (
    invitation_accept,
    invitation_decline,
    invitations_lapse,
)
from mediation.waiting_lists.models import (
    Invitation,
    InvitationMail,
    InvitationStatus,
    ProactiveScan,
    ScanTrigger,
    WaitingListEntry,
    WaitingListUpload,
)
from mediation.waiting_lists.scan import invitation_token_digest, proactive_scan_start
from mediation.waiting_lists.uploads import waiting_list_upload
from providers.models import WaitingTimeSeries

ENTRIES_PER_PROVIDER = 24
MAX_PROVIDERS = 8
FIRST_NAMES = ["Anna", "Bram", "Cor", "Daan", "Eva", "Fleur", "Gijs", "Hanna", "Ilse", "Joost"]
LAST_NAMES = ["de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "Bos"]


def _rows(
    *,
    rng: random.Random,
    series: list[WaitingTimeSeries],
    insurers: list[Organisation],
    today: date,
) -> list[dict]:
    rows = []
    for number in range(ENTRIES_PER_PROVIDER):
        figure = rng.choice(series)
        location = figure.location
        waited = rng.randint(5, 160)
        birth = today.replace(year=today.year - rng.randint(25, 85)) - timedelta(
            days=rng.randint(0, 300)
        )
        rows.append(
            {
                "external_id": f"DEMO-{location.code}-{number:03d}",
                "location": location.code,
                "insurer": rng.choice(insurers).uzovi,
                "policy_number": f"D{rng.randint(10_000_000, 99_999_999)}",
                "full_name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                "birth_date": birth.isoformat(),
                "email": "" if number % 6 == 0 else f"wachtlijst{number}@demo.invalid",
                "phone": "0612345678",
                "postcode": location.postcode,
                "specialism": figure.specialism.code,
                "treatment": figure.treatment.code if figure.treatment else None,
                "kind": figure.kind,
                "urgency_class": rng.choice([3, 4, 4, 5]),
                "waiting_since": (today - timedelta(days=waited)).isoformat(),
                "expected_date": None,
                "consent_date": (today - timedelta(days=rng.randint(0, waited))).isoformat(),
            }
        )
    return rows


def _answer(invitation: Invitation, *, state: str, now: datetime) -> None:
    token = secrets.token_urlsafe(32)
    Invitation.objects.filter(pk=invitation.pk).update(
        access_token_hash=invitation_token_digest(token)
    )
    invitation.refresh_from_db()
    if state == "opened":
        Invitation.objects.filter(pk=invitation.pk).update(opened_at=now)
    elif state == "reminded":
        Invitation.objects.filter(pk=invitation.pk).update(
            created_at=now - timedelta(days=8), reminded_at=now - timedelta(days=1)
        )
    elif state == "opted_in":
        invitation_accept(invitation=invitation, token=token, now=now)
    elif state == "declined":
        invitation_decline(invitation=invitation, reason="Ik blijf liever in mijn eigen ziekenhuis")
    elif state == "lapsed":
        Invitation.objects.filter(pk=invitation.pk).update(created_at=now - timedelta(days=15))
        invitations_lapse(now=now, invitation=invitation)


STATES = ["opted_in", "declined", "lapsed", "reminded", "opened", "waiting"]


@transaction.atomic
def seed_demo_waiting_lists(
    *, rng: random.Random, today: date, insurers: list[Organisation], now: datetime | None = None
) -> int:
    """Replace the demo waiting lists, scans and invitations; return the number of entries.

    One transaction: the demo's mails (to addresses that do not exist) are marked as skipped
    before it commits, so the mail tasks queued on commit find nothing to send."""
    now = now or timezone.now()
    ProactiveScan.objects.filter(insurer__in=insurers).delete()
    WaitingListEntry.objects.filter(provider__is_demo=True).delete()
    WaitingListUpload.objects.filter(provider__is_demo=True).delete()
    if not insurers:
        return 0
    providers = (
        Organisation.objects.filter(provider__is_demo=True)
        .select_related("provider")
        .order_by("provider__agb_code")
    )
    entries = 0
    for organisation in providers[:MAX_PROVIDERS]:
        series = list(
            WaitingTimeSeries.objects.filter(
                location__provider=organisation.provider,
                location__is_active=True,
                current_days__gte=20,
            ).select_related("location", "specialism", "treatment")
        )
        if not series:
            continue
        planner = organisation.memberships.filter(role=Role.PLANNER).first()
        actor = Actor(
            organisation=organisation,
            roles=frozenset({Role.PLANNER}),
            user=planner.user if planner else None,
        )
        upload = waiting_list_upload(
            actor=actor,
            rows=list(enumerate(_rows(rng=rng, series=series, insurers=insurers, today=today), 1)),
            source="api",
            today=today,
        )
        entries += upload.entries
    for insurer in insurers:
        scan = proactive_scan_start(
            insurer=insurer, trigger=ScanTrigger.NIGHTLY, today=today, dispatch=False
        )
        for number, invitation in enumerate(
            Invitation.objects.filter(scan=scan).select_related("insurer").order_by("pk")
        ):
            state = STATES[number % len(STATES)]
            if state != "waiting" and invitation.status == InvitationStatus.INVITED:
                _answer(invitation, state=state, now=now)
    InvitationMail.objects.filter(invitation__insurer__in=insurers, sent_at__isnull=True).update(
        skipped=True, secret=""
    )
    CaseNotification.objects.filter(
        case__insurer__in=insurers, case__channel=Channel.PROACTIVE, sent_at__isnull=True
    ).update(skipped=True, secret="")
    return entries
