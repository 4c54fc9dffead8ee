"""Celery tasks of mediation: the mail outbox (once only, retried, flushed) and the beat tasks."""

from datetime import timedelta
from smtplib import SMTPException

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone, translation

from config.celery import app
from mediation.models import CaseNotification, CaseStatus, OfferStatus
from mediation.services.transitions import notification_queue
from mediation.tasks import (
    case_mails_flush,
    cases_anonymise,
    offers_expire,
    send_case_mail,
)
from tests.mediation.factories import CapacityOfferFactory, CaseFactory, OfferFactory

pytestmark = pytest.mark.django_db


def _notification(case, kind="request_received", recipient="patient", **kwargs):
    return CaseNotification.objects.create(case=case, kind=kind, recipient=recipient, **kwargs)


def test_a_mail_is_sent_once_however_often_the_task_runs(insurer):
    case = CaseFactory(insurer=insurer)
    notification = _notification(case, secret="geheim-token")
    assert send_case_mail(notification.pk) == "sent"
    assert send_case_mail(notification.pk) == "done"
    assert len(mail.outbox) == 1
    assert "geheim-token" in mail.outbox[0].body
    notification.refresh_from_db()
    assert notification.secret == "" and notification.sent_to == case.email
    assert notification.attempts == 1
    assert send_case_mail(10**9) == "missing"


def test_mails_are_written_in_dutch_whatever_the_active_language(insurer):
    case = CaseFactory(insurer=insurer)
    with translation.override("en"):
        send_case_mail(_notification(case, secret="t").pk)
        assert translation.get_language() == "en"  # the caller's language is restored
    [message] = mail.outbox
    assert case.reference in message.subject
    # The mail is rendered under Dutch; the rendered text contains no unrendered tags.
    assert "{%" not in message.body and "{{" not in message.body


def test_nobody_to_send_to_is_skipped(insurer):
    case = CaseFactory(insurer=insurer, email="", phone="0612345678")
    patient = _notification(case)
    mediator = _notification(case, kind="offer_declined", recipient="mediator")
    assert send_case_mail(patient.pk) == "skipped"
    assert send_case_mail(mediator.pk) == "skipped"  # no mediator assigned
    assert mail.outbox == []
    assert CaseNotification.objects.filter(skipped=True).count() == 2


def test_a_failed_send_is_recorded_and_retried(insurer, monkeypatch):
    case = CaseFactory(insurer=insurer)
    notification = _notification(case)

    def refuse(*args, **kwargs):
        raise SMTPException("mail server down")

    monkeypatch.setattr("mediation.emails.send_mail", refuse)
    with pytest.raises(SMTPException):
        send_case_mail.run(notification.pk)
    notification.refresh_from_db()
    assert notification.sent_at is None and notification.attempts == 1
    assert "mail server down" in notification.last_error
    monkeypatch.undo()
    assert send_case_mail.run(notification.pk) == "sent"
    notification.refresh_from_db()
    assert notification.attempts == 2 and notification.last_error == ""


def test_the_task_retries_on_smtp_and_connection_errors():
    assert SMTPException in send_case_mail.autoretry_for
    assert OSError in send_case_mail.autoretry_for
    assert send_case_mail.max_retries >= 3


def test_a_broker_outage_loses_no_mail(insurer, monkeypatch, django_capture_on_commit_callbacks):
    case = CaseFactory(insurer=insurer)

    def broker_down(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(send_case_mail, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        notification = notification_queue(case=case, kind="case_closed", recipient="patient")
    assert mail.outbox == []
    monkeypatch.undo()
    # Too fresh for the flush task: it may still be on its way.
    assert case_mails_flush() == 0
    CaseNotification.objects.filter(pk=notification.pk).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    assert case_mails_flush() == 1
    assert len(mail.outbox) == 1
    assert case_mails_flush() == 0


def test_the_mediator_mail_links_to_the_case(insurer, mediator):
    case = CaseFactory(insurer=insurer, assigned_to=mediator)
    offer = OfferFactory(case=case)
    send_case_mail(_notification(case, kind="offer_expired", recipient="mediator", offer=offer).pk)
    [message] = mail.outbox
    assert message.to == [mediator.email]
    assert settings.SITE_URL in message.body
    assert case.full_name not in message.body  # no patient data in a mediator's mail


def test_every_mail_template_renders(insurer, mediator):
    from mediation.models import NotificationKind

    case = CaseFactory(
        insurer=insurer, assigned_to=mediator, status=CaseStatus.CLOSED, outcome="withdrawn"
    )
    offer = OfferFactory(case=case, appointment_date=timezone.localdate())
    pairs = [
        ("patient", kind)
        for kind in NotificationKind.values
        if kind not in ("offer_declined", "case_withdrawn")
    ]
    pairs += [("mediator", kind) for kind in ("offer_expired", "offer_declined", "case_withdrawn")]
    for recipient, kind in pairs:
        assert (
            send_case_mail(_notification(case, kind=kind, recipient=recipient, offer=offer).pk)
            == "sent"
        )
    assert len(mail.outbox) == len(pairs)
    for message in mail.outbox:
        assert case.reference in message.subject, message.subject
        assert message.body.strip()


def test_offers_expire_task(insurer):
    case = CaseFactory(insurer=insurer, status=CaseStatus.OFFERED)
    capacity = CapacityOfferFactory(specialism=case.specialism, reserved_slots=1)
    offer = OfferFactory(
        case=case,
        capacity_offer=capacity,
        location=capacity.location,
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    soon = OfferFactory(case=case, expires_at=timezone.now() + timedelta(hours=3))
    assert offers_expire() == {"reminded": 1, "expired": 1}
    offer.refresh_from_db()
    capacity.refresh_from_db()
    soon.refresh_from_db()
    assert offer.status == OfferStatus.EXPIRED and capacity.reserved_slots == 0
    assert soon.status == OfferStatus.OPEN and soon.reminder_sent_at is not None
    assert offers_expire() == {"reminded": 0, "expired": 0}


def test_cases_anonymise_task(insurer):
    case = CaseFactory(
        insurer=insurer,
        status=CaseStatus.CLOSED,
        outcome="no_alternative",
        closed_at=timezone.now() - timedelta(days=400),
    )
    assert cases_anonymise() == 1
    case.refresh_from_db()
    assert case.anonymised_at is not None and case.full_name == ""
    assert cases_anonymise() == 0


def test_the_beat_schedule_runs_the_periodic_tasks():
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "mediation.offers_expire",
        "mediation.cases_anonymise",
        "mediation.case_mails_flush",
    } <= schedule
    app.loader.import_default_modules()
    for name in schedule:
        assert name in app.tasks, name
