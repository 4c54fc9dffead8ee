"""Invitation mails, sent from their outbox (:class:`InvitationMail`), in plain Dutch.

The mail names the wait and the best alternative in plain language ("U wacht al 19 weken op een
knieoperatie; bij X kunt u over 4 weken terecht") and carries the secret link; the token is only
kept in the outbox row until the mail has gone.
"""

from __future__ import annotations

import logging
import math

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from mediation.emails import MAIL_LANGUAGE, Mail, absolute_url
from mediation.waiting_lists.models import Invitation, InvitationMail

logger = logging.getLogger(__name__)


def weeks(days: int | None) -> int:
    """Days shown in weeks, rounded up (DESIGN §3.1)."""
    return 0 if not days else math.ceil(days / 7)


def invitation_url(*, reference: str, token: str) -> str:
    return absolute_url(
        reverse("mediation:invitation", kwargs={"reference": reference, "token": token})
    )


def invitation_subject_text(invitation: Invitation) -> str:
    """What the patient waits for, in words: the treatment, else the specialism."""
    entry = invitation.entry
    if entry.treatment is not None:
        return entry.treatment.name.lower()
    return entry.specialism.name.lower()


def invitation_context(invitation: Invitation, *, url: str = "") -> dict:
    alternatives = invitation.alternatives or []
    best = alternatives[0] if alternatives else None
    return {
        "invitation": invitation,
        "entry": invitation.entry,
        "insurer": invitation.insurer,
        "subject": invitation_subject_text(invitation),
        "waited_weeks": weeks(invitation.waited_days),
        "best": best,
        "best_weeks": weeks(best["expected_days"]) if best else 0,
        "url": url,
        "site_url": settings.SITE_URL,
    }


def invitation_mail_render(mail: InvitationMail) -> Mail | None:
    invitation = mail.invitation
    entry = invitation.entry
    if entry.anonymised_at is not None or not entry.email:
        return None
    url = invitation_url(reference=invitation.reference, token=mail.secret) if mail.secret else ""
    context = invitation_context(invitation, url=url)
    base = f"mediation/email/invitation_{mail.kind}"
    with translation.override(MAIL_LANGUAGE), timezone.override(settings.TIME_ZONE):
        subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
        body = render_to_string(f"{base}_body.txt", context).strip() + "\n"
    return Mail(subject=subject, body=body, to=entry.email)


def invitation_mail_send(*, mail_id: int) -> str:
    """Send one invitation mail at most once (the row locked meanwhile); ``sent``, ``skipped``,
    ``done``, ``missing``, or ``failed`` (recorded on the row; the flush task tries again)."""
    with transaction.atomic():
        mail = (
            InvitationMail.objects.select_for_update(of=("self",))
            .select_related(
                "invitation__entry__specialism",
                "invitation__entry__treatment",
                "invitation__insurer",
            )
            .filter(pk=mail_id)
            .first()
        )
        if mail is None:
            return "missing"
        if mail.is_done:
            return "done"
        rendered = invitation_mail_render(mail)
        if rendered is None:
            mail.skipped = True
            mail.secret = ""
            mail.save(update_fields=["skipped", "secret"])
            return "skipped"
        mail.attempts += 1
        try:
            send_mail(
                rendered.subject,
                rendered.body,
                settings.DEFAULT_FROM_EMAIL,
                [rendered.to],
                fail_silently=False,
            )
        except Exception as exc:  # SMTP and connection errors: record; the flush task retries
            mail.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            mail.save(update_fields=["attempts", "last_error"])
            logger.warning("Invitation mail %s failed: %s", mail_id, exc)
            return "failed"
        mail.sent_at = timezone.now()
        mail.sent_to = rendered.to
        mail.secret = ""
        mail.last_error = ""
        mail.save(update_fields=["attempts", "sent_at", "sent_to", "secret", "last_error"])
        return "sent"
