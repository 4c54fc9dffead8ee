"""Notifications of persistent overruns (issue 14): the provider's planners and the mediators and
contract managers of the insurers that contract the provider this year are told once, in the
in-app list and by mail; other insurers and other providers are not; a clearance is told once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Notification, Role
from finance.models import Contract
from mediation.services.overrun_notifications import (
    SERIES_OVERRUN,
    SERIES_OVERRUN_CLEARED,
    persistent_overruns_notify,
)
from mediation.tasks import persistent_overruns_notify_task
from providers.models import PersistentOverrun
from tests.accounts.factories import InsurerFactory, ProviderOrganisationFactory, member
from tests.finance.factories import ContractFactory
from tests.providers.factories import LocationFactory, WaitingTimeSeriesFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """A flagged series at a provider with a planner, contracted this year by one insurer (a
    mediator, a contract manager and an admin), last year by another; a third insurer and another
    provider's planner have nothing to do with it."""
    today = timezone.localdate()
    provider_org = ProviderOrganisationFactory()
    other_provider = ProviderOrganisationFactory()
    location = LocationFactory(provider=provider_org.provider, name="Hoofdlocatie Noord")
    series = WaitingTimeSeriesFactory(location=location, current_days=40)
    contracting = InsurerFactory()
    last_year = InsurerFactory()
    stranger = InsurerFactory()
    ContractFactory(insurer=contracting, provider=provider_org.provider, year=today.year)
    ContractFactory(insurer=last_year, provider=provider_org.provider, year=today.year - 1)
    people = {
        "planner": member(Role.PLANNER, provider_org, email="planner@noord.example"),
        "mediator": member(Role.MEDIATOR, contracting, email="bemiddelaar@verzekeraar.example"),
        "contract_manager": member(Role.CONTRACT_MANAGER, contracting),
        "insurer_admin": member(Role.INSURER_ADMIN, contracting),
        "last_year": member(Role.MEDIATOR, last_year),
        "stranger": member(Role.MEDIATOR, stranger),
        "other_planner": member(Role.PLANNER, other_provider),
        "inactive_planner": member(Role.PLANNER, provider_org, is_active=False),
    }
    flag = PersistentOverrun.objects.create(
        series=series,
        since=today - timedelta(days=28),
        latest_reference_date=today,
        cycles=3,
        days=40,
        max_days=28,
    )
    return flag, people


def recipients(kind: str) -> set[int]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient_id", flat=True))


def test_a_flag_is_told_to_the_planners_and_the_contracting_insurers_staff(
    world, django_capture_on_commit_callbacks
):
    flag, people = world
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        written = persistent_overruns_notify()

    expected = {people[name].pk for name in ("planner", "mediator", "contract_manager")}
    assert written == 3
    assert recipients(SERIES_OVERRUN) == expected
    flag.refresh_from_db()
    assert flag.notified_at is not None
    # By mail too (the outbox), in Dutch, naming the location and the figures.
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        people[name].email for name in ("planner", "mediator", "contract_manager")
    )
    body = mail.outbox[0].body
    assert "Hoofdlocatie Noord" in body
    assert "langdurig" in body.lower() or "boven de treeknorm" in body.lower()
    planner_note = Notification.objects.get(recipient=people["planner"])
    assert planner_note.link.endswith(f"/{flag.series_id}/")


def test_each_flag_is_told_once(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        persistent_overruns_notify()
        persistent_overruns_notify_task.apply().get()
        # Even when the flag's record of it is lost, nobody hears it twice.
        PersistentOverrun.objects.update(notified_at=None)
        second = persistent_overruns_notify()

    assert second == 0
    assert Notification.objects.filter(kind=SERIES_OVERRUN).count() == 3


def test_a_clearance_is_told_once(world, django_capture_on_commit_callbacks):
    flag, people = world
    persistent_overruns_notify()
    flag.refresh_from_db()
    flag.cleared_at = timezone.now()
    flag.cleared_reference_date = timezone.localdate()
    flag.save()

    assert persistent_overruns_notify() == 3
    assert persistent_overruns_notify() == 0

    expected = {people[name].pk for name in ("planner", "mediator", "contract_manager")}
    assert recipients(SERIES_OVERRUN_CLEARED) == expected


def test_a_flag_cleared_before_anyone_was_told_is_closed_silently(world):
    flag, _people = world
    flag.cleared_at = timezone.now()
    flag.save()

    assert persistent_overruns_notify() == 0
    flag.refresh_from_db()
    assert flag.notified_at is not None and flag.clear_notified_at is not None
    assert not Notification.objects.exists()


def test_the_refresh_and_the_notifications_are_periodic_jobs() -> None:
    """In CELERY_BEAT_SCHEDULE, so that the embedded beat runs them too."""
    from django.conf import settings

    from config.celery import app

    app.loader.import_default_modules()
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    for name in ("providers.series_overruns_refresh", "mediation.persistent_overruns_notify"):
        assert name in tasks
        assert name in app.tasks


def test_many_flags_of_one_run_are_one_digest_per_provider_and_per_insurer(
    world, django_capture_on_commit_callbacks
):
    """A first run over national data flags thousands of series: each planner and each insurer's
    staff member gets one message per run, not one per series."""
    flag, people = world
    today = timezone.localdate()
    location = flag.series.location
    second_provider = ProviderOrganisationFactory()
    contracting = Contract.objects.get(provider=location.provider, year=today.year).insurer
    ContractFactory(insurer=contracting, provider=second_provider.provider, year=today.year)
    second_planner = member(Role.PLANNER, second_provider)
    series = [
        WaitingTimeSeriesFactory(location=location, kind="diagnostics", current_days=50),
        WaitingTimeSeriesFactory(
            location=LocationFactory(provider=second_provider.provider), current_days=60
        ),
    ]
    for item in series:
        PersistentOverrun.objects.create(
            series=item,
            since=today - timedelta(days=28),
            latest_reference_date=today,
            cycles=3,
            days=item.current_days,
            max_days=28,
        )

    with django_capture_on_commit_callbacks(execute=True):
        written = persistent_overruns_notify()

    notes = Notification.objects.filter(kind=SERIES_OVERRUN)
    # The first provider's planner: one digest of its two series; the second's: its one series
    # in full; the insurer's mediator and contract manager: one digest of all three each.
    assert written == 4 == notes.count()
    planner_note = notes.get(recipient=people["planner"])
    assert planner_note.params["count"] == 2
    assert "2 reeksen" in planner_note.text
    assert notes.get(recipient=second_planner).params["count"] == 1
    mediator_note = notes.get(recipient=people["mediator"])
    assert mediator_note.params["count"] == 3 and mediator_note.params["providers"] == 2
    assert mediator_note.link.endswith("/rapportages/landelijk/")
    assert PersistentOverrun.objects.filter(notified_at__isnull=True).count() == 0

    # Told once, also when the flags' record of it is lost.
    PersistentOverrun.objects.update(notified_at=None)
    assert persistent_overruns_notify() == 0
