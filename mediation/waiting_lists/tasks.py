"""Celery tasks of the waiting lists: the upload job, the scan's parts, the nightly scan,
invitation mails, reminders and lapse. Tasks take ids and are idempotent; the periodic ones are in
``CELERY_BEAT_SCHEDULE`` (and so run in the embedded beat too)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from accounts.actors import actor_for_user
from mediation.waiting_lists.emails import invitation_mail_send
from mediation.waiting_lists.invitations import invitations_lapse, invitations_remind
from mediation.waiting_lists.models import (
    InvitationMail,
    WaitingListUpload,
    WaitingListUploadStatus,
)
from mediation.waiting_lists.retention import waiting_list_anonymise_due
from mediation.waiting_lists.scan import (
    proactive_scan_part_run,
    proactive_scans_nightly,
    proactive_scans_pending_run,
)
from mediation.waiting_lists.uploads import waiting_list_upload_run as upload_run

MAIL_FLUSH_AFTER = timedelta(minutes=5)
MAIL_MAX_ATTEMPTS = 10


@shared_task(name="mediation.waiting_list_upload_run")
def waiting_list_upload_run(upload_id: int) -> str:
    upload = WaitingListUpload.objects.select_related("created_by__membership").get(pk=upload_id)
    return upload_run(upload_id=upload_id, actor=actor_for_user(upload.created_by))


@shared_task(name="mediation.proactive_scan_part", autoretry_for=(OperationalError,), max_retries=3)
def proactive_scan_part(part_id: int) -> str:
    return proactive_scan_part_run(part_id=part_id)


@shared_task(name="mediation.proactive_scans_nightly")
def proactive_scans_nightly_task() -> int:
    """Start tonight's scan for every insurer with open entries (once a day each)."""
    return proactive_scans_nightly(today=timezone.localdate())


@shared_task(name="mediation.invitation_mails_send")
def invitation_mails_send(mail_ids: list[int]) -> int:
    return sum(invitation_mail_send(mail_id=pk) == "sent" for pk in mail_ids)


@shared_task(name="mediation.invitations_housekeeping")
def invitations_housekeeping() -> dict[str, int]:
    """Remind, lapse, send mails the broker lost, run scan parts and uploads whose task was
    lost, and anonymise entries past the retention period."""
    now = timezone.now()
    reminded = invitations_remind(now=now)
    lapsed = invitations_lapse(now=now)
    pending = list(
        InvitationMail.objects.filter(
            sent_at__isnull=True,
            skipped=False,
            attempts__lt=MAIL_MAX_ATTEMPTS,
            created_at__lte=now - MAIL_FLUSH_AFTER,
        ).values_list("pk", flat=True)[:1000]
    )
    sent = sum(invitation_mail_send(mail_id=pk) == "sent" for pk in pending)
    parts = proactive_scans_pending_run()
    uploads = 0
    for pk in WaitingListUpload.objects.filter(
        status=WaitingListUploadStatus.PENDING, created_at__lte=now - timedelta(minutes=5)
    ).values_list("pk", flat=True)[:10]:
        waiting_list_upload_run(pk)
        uploads += 1
    anonymised = waiting_list_anonymise_due(today=timezone.localdate(now), now=now)
    return {
        "anonymised": anonymised,
        "reminded": reminded,
        "lapsed": lapsed,
        "mails": sent,
        "scan_parts": parts,
        "uploads": uploads,
    }
