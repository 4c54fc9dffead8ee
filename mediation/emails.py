"""Emails about a case, sent from the outbox (:class:`mediation.models.CaseNotification`).

Mails are written in Dutch (the patient's language on the public site), from the translatable
templates ``templates/mediation/email/<recipient>_<kind>_subject.txt`` and ``…_body.txt``.
They carry as little personal data as possible: the reference, the offered location and dates —
never the date of birth, policy number or anything medical beyond the specialism. The first mail
holds the link to the patient's status page; the token in it is only kept in the outbox row until
that mail has gone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from accounts.models import Notification
from mediation.models import (
    CaseNotification,
    NotificationRecipient,
    mediation_settings_for,
)

logger = logging.getLogger(__name__)
MAIL_LANGUAGE = "nl"


@dataclass(frozen=True)
class Mail:
    subject: str
    body: str
    to: str


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def case_status_url(*, reference: str, token: str) -> str:
    """The patient's status page (``mediation:request-status``) as an absolute URL."""
    try:
        path = reverse("mediation:request-status", kwargs={"reference": reference, "token": token})
    except NoReverseMatch:
        path = f"/bemiddeling/status/{reference}/{token}/"
    return absolute_url(path)


def case_staff_url(*, reference: str) -> str:
    """The mediator's case page, or the work queue while no case page is named."""
    for name, kwargs in (
        ("mediation:case-detail", {"reference": reference}),
        ("mediation:case-list", {}),
    ):
        try:
            return absolute_url(reverse(name, kwargs=kwargs))
        except NoReverseMatch:
            continue
    return absolute_url("/")


def _recipient_address(notification: CaseNotification) -> str:
    case = notification.case
    if notification.recipient == NotificationRecipient.PATIENT:
        return "" if case.anonymised_at else case.email
    mediator = case.assigned_to
    if mediator is None or not mediator.is_active:
        return ""
    return mediator.email


def case_mail_render(notification: CaseNotification) -> Mail | None:
    """The mail of an outbox row, or ``None`` when there is nobody to send it to."""
    to = _recipient_address(notification)
    if not to:
        return None
    case = notification.case
    offer = notification.offer
    context = {
        "case": case,
        "offer": offer,
        "location": offer.location if offer else None,
        "provider": offer.location.provider if offer else None,
        "status_url": (
            case_status_url(reference=case.reference, token=notification.secret)
            if notification.secret
            else ""
        ),
        "case_url": case_staff_url(reference=case.reference),
        "site_url": settings.SITE_URL,
        "expiry_working_days": mediation_settings_for(case.insurer).offer_expiry_working_days,
        "insurer": case.insurer,
    }
    base = f"mediation/email/{notification.recipient}_{notification.kind}"
    with translation.override(MAIL_LANGUAGE), timezone.override(settings.TIME_ZONE):
        subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
        body = render_to_string(f"{base}_body.txt", context).strip() + "\n"
    return Mail(subject=subject, body=body, to=to)


def case_notification_send(*, notification_id: int) -> str:
    """Send one outbox mail, at most once; return ``sent``, ``skipped``, ``done`` or ``missing``.

    The row is locked while the mail goes out, so two workers never send it twice. A failure is
    recorded on the row and raised again (the task retries; the beat task picks up what is left).
    """
    failure: Exception | None = None
    with transaction.atomic():
        notification = (
            CaseNotification.objects.select_for_update(of=("self",))
            .select_related("case__insurer", "case__assigned_to", "offer__location__provider")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None:
            return "missing"
        if notification.is_done:
            return "done"
        mail = case_mail_render(notification)
        if mail is None:
            notification.skipped = True
            notification.secret = ""
            notification.save(update_fields=["skipped", "secret"])
            return "skipped"
        notification.attempts += 1
        try:
            send_mail(
                mail.subject,
                mail.body,
                settings.DEFAULT_FROM_EMAIL,
                [mail.to],
                fail_silently=False,
            )
        except Exception as exc:  # SMTP and connection errors: record, then retry
            notification.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            notification.save(update_fields=["attempts", "last_error"])
            failure = exc
        else:
            notification.sent_at = timezone.now()
            notification.sent_to = mail.to
            notification.secret = ""
            notification.last_error = ""
            notification.save(
                update_fields=["attempts", "sent_at", "sent_to", "secret", "last_error"]
            )
            return "sent"
    logger.warning("Mail %s failed: %s", notification_id, failure)
    assert failure is not None
    raise failure


# --- Staff notifications (``accounts.models.Notification``) ---------------------------------------
def staff_mail_render(notification: Notification) -> Mail | None:
    """The mail of a staff notification, in Dutch: its text as the subject and the body, with the
    link to the page it is about; ``None`` when the user has no address or is inactive."""
    user = notification.recipient
    if not user.is_active or not user.email:
        return None
    with translation.override(MAIL_LANGUAGE), timezone.override(settings.TIME_ZONE):
        text = notification.text
        body = render_to_string(
            "mediation/email/staff_notification_body.txt",
            {
                "text": text,
                "url": absolute_url(notification.link) if notification.link else "",
                "notifications_url": absolute_url(reverse("accounts:notifications")),
            },
        )
    return Mail(subject=" ".join(text.split()), body=body.strip() + "\n", to=user.email)


def staff_notification_send(*, notification_id: int) -> str:
    """Send one staff notification's mail, at most once (the row locked meanwhile); return
    ``sent``, ``skipped``, ``done`` or ``missing``. A failure is recorded and raised again."""
    failure: Exception | None = None
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None:
            return "missing"
        if notification.is_mail_done:
            return "done"
        mail = staff_mail_render(notification)
        if mail is None:
            notification.email_skipped = True
            notification.save(update_fields=["email_skipped"])
            return "skipped"
        notification.email_attempts += 1
        try:
            send_mail(
                mail.subject, mail.body, settings.DEFAULT_FROM_EMAIL, [mail.to], fail_silently=False
            )
        except Exception as exc:  # SMTP and connection errors: record, then retry
            notification.email_error = f"{type(exc).__name__}: {exc}"[:2000]
            notification.save(update_fields=["email_attempts", "email_error"])
            failure = exc
        else:
            notification.emailed_at = timezone.now()
            notification.email_error = ""
            notification.save(update_fields=["email_attempts", "emailed_at", "email_error"])
            return "sent"
    logger.warning("Staff mail %s failed: %s", notification_id, failure)
    assert failure is not None
    raise failure
