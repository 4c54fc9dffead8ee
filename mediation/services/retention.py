"""Retention of patients' personal data (DESIGN §7, issue 4; AVG/GDPR storage limitation).

A case that has been completed or closed for longer than the insurer's ``retention_months``
(default 12) is anonymised: name, policy number, date of birth, email address, phone number and
the access token are erased, the postcode is cut to its PC4 area, and free texts that may name the
patient (timeline notes, offer notes and reasons, mail addresses of sent notifications) are
emptied. What the statistics need survives: insurer, channel, status, outcome, specialism,
treatment, kind, urgency class, locations, dates, days gained and the offers' figures.
"""

from __future__ import annotations

from datetime import date, datetime, time

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Substr
from django.utils import timezone

from core.months import months_before
from mediation.models import (
    FINISHED_STATUSES,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseNotification,
    MediationSettings,
    Offer,
)
from mediation.services.transitions import SYSTEM_LABEL

BATCH_SIZE = 500


def retention_cutoff(*, today: date, months: int) -> datetime:
    """Cases finished before this moment are due: the start of the day ``months`` ago."""
    return timezone.make_aware(datetime.combine(months_before(today, months), time.min))


def _due(*, insurer_id: int, cutoff: datetime) -> list[int]:
    return list(
        Case.objects.filter(
            insurer_id=insurer_id, status__in=FINISHED_STATUSES, anonymised_at__isnull=True
        )
        .filter(Q(completed_at__lt=cutoff) | Q(completed_at__isnull=True, closed_at__lt=cutoff))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def _anonymise_batch(*, case_ids: list[int], now: datetime) -> int:
    ids = list(
        Case.objects.select_for_update()
        .filter(pk__in=case_ids, anonymised_at__isnull=True)
        .values_list("pk", flat=True)
    )
    if not ids:
        return 0
    Case.objects.filter(pk__in=ids).update(
        policy_number="",
        full_name="",
        birth_date=None,
        email="",
        phone="",
        postcode=Substr("postcode", 1, 4),
        access_token_hash="",
        anonymised_at=now,
        updated_at=now,
    )
    CaseEvent.objects.filter(case_id__in=ids).exclude(note="").update(note="")
    Offer.objects.filter(case_id__in=ids).update(note="", decline_reason="")
    CaseNotification.objects.filter(case_id__in=ids).update(sent_to="", secret="")
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(case_id=pk, at=now, actor_label=SYSTEM_LABEL, kind=CaseEventKind.ANONYMISED)
            for pk in ids
        ]
    )
    return len(ids)


def case_anonymise_due(*, today: date, now: datetime | None = None) -> int:
    """Anonymise every finished case past its insurer's retention period; return how many.

    Idempotent: an anonymised case is never touched again. Works in batches, each its own
    transaction, so a long backlog does not hold locks for long."""
    now = now or timezone.now()
    insurer_ids = set(
        Case.objects.filter(status__in=FINISHED_STATUSES, anonymised_at__isnull=True)
        .values_list("insurer_id", flat=True)
        .distinct()
    )
    months_by_insurer = dict(
        MediationSettings.objects.filter(insurer_id__in=insurer_ids).values_list(
            "insurer_id", "retention_months"
        )
    )
    default_months = MediationSettings._meta.get_field("retention_months").get_default()
    total = 0
    for insurer_id in sorted(insurer_ids):
        months = months_by_insurer.get(insurer_id, default_months)
        due = _due(insurer_id=insurer_id, cutoff=retention_cutoff(today=today, months=months))
        for start in range(0, len(due), BATCH_SIZE):
            total += _anonymise_batch(case_ids=due[start : start + BATCH_SIZE], now=now)
    return total
