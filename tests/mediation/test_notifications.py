"""Notifications to staff (issue 13): who is told of what, in the in-app list and by mail through
the outbox (once, also after a broker outage), the daily digest of overdue cases, and the page with
its unread count in the navigation bar."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification, Role
from accounts.selectors import notification_unread_count
from mediation.models import CaseStatus
from mediation.services.cases import case_withdraw
from mediation.services.notifications import overdue_digest_send
from mediation.services.offers import offer_accept, offer_decline, offer_remind_expiring
from mediation.tasks import case_mails_flush, overdue_digest, send_staff_mail
from tests.accounts.factories import ProviderOrganisationFactory, member
from tests.mediation.factories import CaseFactory, OfferFactory
from tests.providers.factories import LocationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def offered(insurer, mediator):
    """An open offer at a location of a provider with two planners (one inactive)."""
    receiving = ProviderOrganisationFactory()
    location = LocationFactory(provider=receiving.provider, name="Kliniek Oost")
    case = CaseFactory(
        insurer=insurer,
        status=CaseStatus.OFFERED,
        assigned_to=mediator,
        full_name="Geheime Naam",
        first_contact_at=timezone.now(),
    )
    offer = OfferFactory(case=case, location=location)
    planner = member(Role.PLANNER, receiving, email="planner@kliniek.example")
    member(Role.PLANNER, receiving, is_active=False)
    return case, offer, planner


def test_acceptance_tells_the_receiving_planners_and_the_assigned_mediator(
    offered, mediator, planner, django_capture_on_commit_callbacks
):
    case, offer, receiving_planner = offered  # ``planner`` is another provider's
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        offer_accept(case=case, offer=offer)

    by_user = {n.recipient_id: n for n in Notification.objects.all()}
    assert set(by_user) == {receiving_planner.pk, mediator.pk}
    assert by_user[receiving_planner.pk].kind == "patient_incoming"
    assert by_user[receiving_planner.pk].link == reverse("mediation:incoming-list")
    assert by_user[mediator.pk].kind == "offer_accepted"
    assert by_user[mediator.pk].link == reverse("mediation:case-detail", args=[case.reference])
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        ["planner@kliniek.example", mediator.email]
    )
    for message in mail.outbox:
        assert case.reference in message.subject
        assert "Kliniek Oost" in message.body
        # Patient data stays out of the mail: the reference, never the name.
        assert "Geheime Naam" not in message.subject + message.body
    assert all(n.emailed_at is not None for n in Notification.objects.all())


def test_the_notification_text_follows_the_readers_language(offered):
    case, offer, _planner = offered
    offer_accept(case=case, offer=offer)
    notification = Notification.objects.get(kind="offer_accepted")

    from django.utils import translation

    with translation.override("en"):
        english = notification.text
    with translation.override("nl"):
        dutch = notification.text

    assert english == f"Case {case.reference}: the patient accepted the offer at Kliniek Oost."
    assert dutch != english and case.reference in dutch


def test_decline_and_withdrawal_are_listed_for_the_mediator_and_mailed_once(
    offered, mediator, django_capture_on_commit_callbacks
):
    case, offer, _planner = offered
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        offer_decline(case=case, offer=offer, reason="")
    with django_capture_on_commit_callbacks(execute=True):
        case_withdraw(case=case)

    kinds = list(Notification.objects.filter(recipient=mediator).values_list("kind", flat=True))
    assert sorted(kinds) == ["case_withdrawn", "offer_declined"]
    # One mail each (from the case outbox), not a second one from the staff list.
    assert len([m for m in mail.outbox if m.to == [mediator.email]]) == 2


def test_an_unassigned_case_tells_no_mediator(insurer):
    case = CaseFactory(insurer=insurer, status=CaseStatus.OFFERED)
    offer = OfferFactory(case=case)

    offer_decline(case=case, offer=offer, reason="")

    assert not Notification.objects.exists()


def test_the_mediator_is_told_once_when_an_offer_is_about_to_expire(offered, mediator):
    case, offer, _planner = offered
    now = timezone.now()
    offer.expires_at = now + timedelta(hours=6)
    offer.save()

    assert offer_remind_expiring(now=now) == 1
    offer.reminder_sent_at = None  # even if the patient's reminder were sent again
    offer.save()
    offer_remind_expiring(now=now + timedelta(hours=1))

    [notification] = Notification.objects.filter(recipient=mediator)
    assert notification.kind == "offer_expiring"
    assert case.reference in notification.text


def test_the_mediator_sees_in_the_list_that_an_offer_expired_once(offered, mediator):
    from mediation.services.offers import offer_expire_due

    case, offer, _planner = offered
    now = timezone.now()
    offer.expires_at = now - timedelta(minutes=5)
    offer.save()

    assert offer_expire_due(now=now) == 1
    assert offer_expire_due(now=now + timedelta(minutes=10)) == 0  # the job again: told once

    [notification] = Notification.objects.filter(recipient=mediator, kind="offer_expired")
    assert case.reference in notification.text and "verlopen zonder antwoord" in notification.text
    assert notification.email_skipped  # the case outbox mails the mediator already


# --- The daily digest -----------------------------------------------------------------------------
def test_overdue_digest_per_mediator_once_a_day(insurer, other_insurer, mediator):
    today = timezone.localdate()
    late = today - timedelta(days=3)
    colleague = member(Role.MEDIATOR, insurer)
    member(Role.MEDIATOR, insurer, is_active=False)
    stranger = member(Role.MEDIATOR, other_insurer)
    mine = CaseFactory(insurer=insurer, assigned_to=mediator, first_contact_due=late)
    unassigned = CaseFactory(insurer=insurer, first_contact_due=late)
    CaseFactory(insurer=insurer, assigned_to=mediator)  # not overdue
    CaseFactory(
        insurer=insurer,
        assigned_to=mediator,
        first_contact_due=late,
        first_contact_at=timezone.now(),
    )  # contacted
    mail.outbox.clear()

    assert overdue_digest_send(today=today) == 2
    assert overdue_digest_send(today=today) == 0  # once a day

    digest = Notification.objects.get(recipient=mediator)
    assert digest.params["mine"] == 1 and digest.params["unassigned"] == 1
    assert mine.reference in digest.text and unassigned.reference in digest.text
    theirs = Notification.objects.get(recipient=colleague)
    assert theirs.params == {**theirs.params, "mine": 0, "unassigned": 1}
    assert not Notification.objects.filter(recipient=stranger).exists()
    assert digest.link == reverse("mediation:case-list") + "?overdue=1"
    assert overdue_digest_send(today=today + timedelta(days=1)) == 2  # the next day again


def test_overdue_digest_is_a_beat_task():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert "mediation.overdue_digest" in tasks
    assert overdue_digest() == 0


# --- The mail outbox ------------------------------------------------------------------------------
def test_a_broker_outage_loses_no_staff_mail(
    offered, monkeypatch, django_capture_on_commit_callbacks
):
    case, offer, _planner = offered

    def broker_down(*args, **kwargs):
        raise OSError("broker unreachable")

    monkeypatch.setattr(send_staff_mail, "delay", broker_down)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        offer_accept(case=case, offer=offer)
    assert mail.outbox == []
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 2

    monkeypatch.undo()
    Notification.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    case_mails_flush()

    assert len(mail.outbox) == 2
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
    # Sent once: running the task again sends nothing.
    assert send_staff_mail(Notification.objects.first().pk) == "done"
    assert len(mail.outbox) == 2


def test_a_user_without_an_address_gets_the_notification_but_no_mail(
    insurer, django_capture_on_commit_callbacks
):
    mediator = member(Role.MEDIATOR, insurer, email="")
    case = CaseFactory(insurer=insurer, status=CaseStatus.OFFERED, assigned_to=mediator)
    offer = OfferFactory(case=case)
    with django_capture_on_commit_callbacks(execute=True):
        offer_accept(case=case, offer=offer)

    notification = Notification.objects.get(recipient=mediator)
    assert notification.email_skipped and notification.emailed_at is None


# --- The page and the navigation bar --------------------------------------------------------------
def _notify(user, **kwargs):
    defaults = {
        "kind": "offer_accepted",
        "message": "Case %(reference)s: test.",
        "params": {"reference": "ZB-2026-000001"},
        "link": "/bemiddeling/zaken/",
    }
    return Notification.objects.create(recipient=user, **{**defaults, **kwargs})


def test_page_lists_own_notifications_with_the_unread_count(english, mediator, insurer):
    _notify(mediator)
    _notify(mediator, read_at=timezone.now(), params={"reference": "ZB-2026-000002"})
    _notify(member(Role.MEDIATOR, insurer), params={"reference": "ZB-2026-000999"})
    english.force_login(mediator)

    html = english.get(reverse("accounts:notifications")).content.decode()

    assert "ZB-2026-000001" in html and "ZB-2026-000002" in html
    assert "ZB-2026-000999" not in html
    assert 'id="unread-notifications">1<' in html


def test_the_unread_count_is_on_every_staff_page_at_the_cost_of_one_query(
    english, planner, mediator
):
    _notify(planner)
    _notify(planner)
    english.force_login(planner)
    url = reverse("mediation:incoming-list")
    english.get(url)  # warm the session and caches

    with CaptureQueriesContext(connection) as queries:
        html = english.get(url).content.decode()

    assert 'id="unread-notifications">2<' in html
    counting = [q["sql"] for q in queries if "accounts_notification" in q["sql"]]
    assert len(counting) == 1 and "COUNT" in counting[0].upper()


def test_mark_one_as_read_and_open_its_link(english, mediator):
    first = _notify(mediator)
    second = _notify(mediator)
    english.force_login(mediator)

    response = english.post(
        reverse("accounts:notifications-read"), {"notification": first.pk, "open": "1"}
    )

    assert response.status_code == 302 and response["Location"] == "/bemiddeling/zaken/"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None
    assert notification_unread_count(user=mediator) == 1


def test_mark_all_as_read(english, mediator, insurer):
    _notify(mediator)
    _notify(mediator)
    others = _notify(member(Role.MEDIATOR, insurer))
    english.force_login(mediator)

    english.post(reverse("accounts:notifications-read"), {"all": "1"})

    assert notification_unread_count(user=mediator) == 0
    others.refresh_from_db()
    assert others.read_at is None


def test_another_users_notification_is_404(client, mediator, insurer):
    others = _notify(member(Role.MEDIATOR, insurer))
    client.force_login(mediator)

    response = client.post(reverse("accounts:notifications-read"), {"notification": others.pk})

    assert response.status_code == 404
    others.refresh_from_db()
    assert others.read_at is None


def test_the_page_needs_a_login(client):
    response = client.get(reverse("accounts:notifications"))

    assert response.status_code == 302 and "/login/" in response["Location"]
