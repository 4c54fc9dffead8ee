"""Celery tasks of the mediation app: the case mails (an outbox), offer expiry and retention.

Tasks take ids, re-read the database and call a service; all are idempotent, so a retried or
duplicated message changes nothing twice. The periodic ones are in ``CELERY_BEAT_SCHEDULE``.
"""

from __future__ import annotations

from datetime import timedelta
from smtplib import SMTPException

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from accounts.models import Notification
from mediation.emails import case_notification_send, staff_notification_send
from mediation.models import CaseNotification
from mediation.services.notifications import overdue_digest_send
from mediation.services.offers import offer_expire_due, offer_remind_expiring
from mediation.services.overrun_notifications import persistent_overruns_notify
from mediation.services.retention import case_anonymise_due

# An unsent mail older than this is sent again by the flush task (the broker lost its message).
MAIL_FLUSH_AFTER = timedelta(minutes=5)
MAIL_MAX_ATTEMPTS = 10


@shared_task(
    name="mediation.send_case_mail",
    autoretry_for=(SMTPException, OSError, OperationalError),
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    max_retries=5,
)
def send_case_mail(notification_id: int) -> str:
    """Send one outbox mail (at most once, whatever how often this runs)."""
    return case_notification_send(notification_id=notification_id)


@shared_task(
    name="mediation.send_staff_mail",
    autoretry_for=(SMTPException, OSError, OperationalError),
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    max_retries=5,
)
def send_staff_mail(notification_id: int) -> str:
    """Send one staff notification's mail (at most once, whatever how often this runs)."""
    return staff_notification_send(notification_id=notification_id)


@shared_task(name="mediation.case_mails_flush")
def case_mails_flush() -> int:
    """Queue the mails (to patients and to staff) that are still unsent some minutes after they
    were written."""
    cutoff = timezone.now() - MAIL_FLUSH_AFTER
    staff = list(
        Notification.objects.filter(
            emailed_at__isnull=True,
            email_skipped=False,
            email_attempts__lt=MAIL_MAX_ATTEMPTS,
            created_at__lte=cutoff,
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )
    for pk in staff:
        send_staff_mail.delay(pk)
    pending = list(
        CaseNotification.objects.filter(
            sent_at__isnull=True,
            skipped=False,
            attempts__lt=MAIL_MAX_ATTEMPTS,
            created_at__lte=cutoff,
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )
    for pk in pending:
        send_case_mail.delay(pk)
    return len(pending) + len(staff)


@shared_task(name="mediation.offers_expire", autoretry_for=(OperationalError,), max_retries=3)
def offers_expire() -> dict[str, int]:
    """Remind patients of offers that expire within a day; expire the ones past their time."""
    now = timezone.now()
    reminded = offer_remind_expiring(now=now)
    expired = offer_expire_due(now=now)
    return {"reminded": reminded, "expired": expired}


@shared_task(name="mediation.cases_anonymise", autoretry_for=(OperationalError,), max_retries=3)
def cases_anonymise() -> int:
    """Anonymise the personal data of cases finished longer ago than the retention period."""
    return case_anonymise_due(today=timezone.localdate())


@shared_task(name="mediation.overdue_digest", autoretry_for=(OperationalError,), max_retries=3)
def overdue_digest() -> int:
    """Each mediator's daily digest of overdue cases (once a day, whatever how often this runs)."""
    return overdue_digest_send(today=timezone.localdate())


@shared_task(
    name="mediation.persistent_overruns_notify", autoretry_for=(OperationalError,), max_retries=3
)
def persistent_overruns_notify_task() -> int:
    """Tell planners and contracting insurers about new persistent overruns and clearances."""
    return persistent_overruns_notify()


@shared_task(name="mediation.assignment_part_run")
def assignment_part_run(part_id: int) -> str:
    """Solve one specialism of an assignment run (idempotent: only a pending part is taken)."""
    from mediation.services.assignment import assignment_part_solve

    return assignment_part_solve(part_id=part_id)


@shared_task(name="mediation.assignment_parts_dispatch")
def assignment_parts_dispatch() -> int:
    """Queue again the assignment parts whose message was lost."""
    from mediation.services.assignment import assignment_parts_dispatch as dispatch

    return dispatch()
