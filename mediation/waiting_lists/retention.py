"""Retention of waiting-list entries (issue 15), like cases (``mediation.services.retention``):
an entry that left the list longer ago than its insurer's ``retention_months`` is anonymised —
name, policy number, date of birth, email, phone erased, the postcode cut to its PC4 area, the
invitations' links and decline texts emptied. What statistics need survives."""

from __future__ import annotations

from datetime import date, datetime

from django.db.models.functions import Substr
from django.utils import timezone

from core.months import months_before
from mediation.models import MediationSettings
from mediation.waiting_lists.models import Invitation, InvitationMail, WaitingListEntry


def waiting_list_anonymise_due(*, today: date, now: datetime | None = None) -> int:
    """Anonymise every closed entry past its insurer's retention period; return how many.
    Idempotent (an anonymised entry is never touched again)."""
    now = now or timezone.now()
    default_months = MediationSettings._meta.get_field("retention_months").get_default()
    closed = WaitingListEntry.objects.filter(closed_on__isnull=False, anonymised_at__isnull=True)
    insurer_ids = set(closed.values_list("insurer_id", flat=True).distinct())
    months_by_insurer = dict(
        MediationSettings.objects.filter(insurer_id__in=insurer_ids).values_list(
            "insurer_id", "retention_months"
        )
    )
    total = 0
    for insurer_id in sorted(insurer_ids):
        cutoff = months_before(today, months_by_insurer.get(insurer_id, default_months))
        ids = list(
            closed.filter(insurer_id=insurer_id, closed_on__lt=cutoff).values_list("pk", flat=True)
        )
        for start in range(0, len(ids), 500):
            batch = ids[start : start + 500]
            total += WaitingListEntry.objects.filter(
                pk__in=batch, anonymised_at__isnull=True
            ).update(
                policy_number="",
                full_name="",
                birth_date=None,
                email="",
                phone="",
                postcode=Substr("postcode", 1, 4),
                anonymised_at=now,
                updated_at=now,
            )
            Invitation.objects.filter(entry_id__in=batch).update(
                access_token_hash="", reminder_token_hash="", decline_reason=""
            )
            InvitationMail.objects.filter(invitation__entry_id__in=batch).update(
                sent_to="", secret=""
            )
    return total
