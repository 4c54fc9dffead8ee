"""Notifications of persistent overruns (DESIGN §3.8; issue 14): a series above the Treeknorm
maximum for three cycles in a row, and its return within the norm.

Who is told (in the in-app list and by mail, through ``accounts.Notification``'s outbox):

* the **planners of the provider** of the series (their own waiting times);
* the **mediators and contract managers of the insurers that contract the provider** this year
  (a ``finance.Contract`` for the provider and the current year) — no other insurer.

Exactly once per flag and once per clearance: the flag rows record when they were notified
(``notified_at``, ``clear_notified_at``) and each notification has a ``dedupe_key`` per flag, so a
retried or concurrent run writes nothing twice. A flag that cleared before it was ever notified is
closed silently (nobody heard of it). The texts name the location, the subject and the figures:
no patient data.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from accounts.models import Role, User
from finance.models import Contract
from mediation.services.notifications import staff_notify
from providers.models import PersistentOverrun

SERIES_OVERRUN = "series_overrun"
SERIES_OVERRUN_CLEARED = "series_overrun_cleared"
# Insurer staff told about a contracted provider's overrun.
INSURER_RECIPIENT_ROLES = (Role.MEDIATOR, Role.CONTRACT_MANAGER)


def overrun_recipients(*, provider_id: int, year: int) -> tuple[list[User], list[User]]:
    """(the provider's active planners, the active mediators and contract managers of the
    insurers holding a contract with the provider for ``year``)."""
    planners = list(
        User.objects.filter(
            is_active=True,
            membership__role=Role.PLANNER,
            membership__organisation__provider_id=provider_id,
        )
    )
    insurer_ids = Contract.objects.filter(provider_id=provider_id, year=year).values("insurer_id")
    insurer_staff = list(
        User.objects.filter(
            is_active=True,
            membership__role__in=INSURER_RECIPIENT_ROLES,
            membership__organisation_id__in=insurer_ids,
        )
    )
    return planners, insurer_staff


def _in_site_language(label: Callable[[], object]) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(label())


def _params(flag: PersistentOverrun) -> dict[str, str | int]:
    series = flag.series
    location = series.location
    subject = series.treatment.name if series.treatment else series.specialism.name
    return {
        "provider": location.provider.name,
        "location": location.name,
        "subject": subject,
        # The kind's name is stored as text: in the site's language, as the mail is.
        "kind": _in_site_language(series.get_kind_display),
        "cycles": flag.cycles,
        "days": flag.days,
        "max_days": flag.max_days,
        "since": flag.since.isoformat(),
    }


Recipients = dict[int, tuple[list[User], list[User]]]


def _notify(
    flag: PersistentOverrun, *, kind: str, message: str, today: date, recipients: Recipients
) -> int:
    series = flag.series
    provider_id = series.location.provider_id
    if provider_id not in recipients:  # one lookup per provider and run
        recipients[provider_id] = overrun_recipients(provider_id=provider_id, year=today.year)
    planners, insurer_staff = recipients[provider_id]
    params = _params(flag)
    region_code = series.location.provider.region.code
    created = staff_notify(
        users=planners,
        kind=kind,
        message=message,
        params=params,
        link=reverse("providers:waiting-time-series", args=[series.pk]),
        dedupe_key=f"{kind}:{flag.pk}",
    )
    created += staff_notify(
        users=insurer_staff,
        kind=kind,
        message=message,
        params=params,
        link=reverse("providers:regional-report", args=[region_code]),
        dedupe_key=f"{kind}:{flag.pk}",
    )
    return len(created)


def persistent_overruns_notify(*, today: date | None = None) -> int:
    """Notify the flags and clearances not notified yet (see the module docstring); return how
    many notifications were written."""
    today = today or timezone.localdate()
    written = 0
    recipients: Recipients = {}
    related = ("series__location__provider__region", "series__specialism", "series__treatment")
    pending = list(
        PersistentOverrun.objects.filter(notified_at__isnull=True).values_list("pk", flat=True)
    )
    pending += list(
        PersistentOverrun.objects.filter(
            cleared_at__isnull=False, clear_notified_at__isnull=True
        ).values_list("pk", flat=True)
    )
    for pk in sorted(set(pending)):
        with transaction.atomic():
            flag = (
                PersistentOverrun.objects.select_for_update(of=("self",))
                .select_related(*related)
                .filter(pk=pk)
                .first()
            )
            if flag is None:
                continue
            now = timezone.now()
            if flag.notified_at is None:
                if flag.cleared_at is not None:
                    # Flagged and cleared between two runs: nobody was told, nothing to undo.
                    flag.notified_at = flag.clear_notified_at = now
                    flag.save(update_fields=["notified_at", "clear_notified_at"])
                    continue
                written += _notify(
                    flag,
                    kind=SERIES_OVERRUN,
                    message=gettext_noop(
                        "Persistently over the norm: %(kind)s %(subject)s at %(location)s "
                        "(%(provider)s) has been above the Treeknorm maximum of %(max_days)s days "
                        "for %(cycles)s cycles in a row since %(since)s (latest: %(days)s days)."
                    ),
                    today=today,
                    recipients=recipients,
                )
                flag.notified_at = now
                flag.save(update_fields=["notified_at"])
            elif flag.cleared_at is not None and flag.clear_notified_at is None:
                written += _notify(
                    flag,
                    kind=SERIES_OVERRUN_CLEARED,
                    message=gettext_noop(
                        "Back within the norm: %(kind)s %(subject)s at %(location)s "
                        "(%(provider)s) is within the Treeknorm maximum of %(max_days)s days "
                        "again."
                    ),
                    today=today,
                    recipients=recipients,
                )
                flag.clear_notified_at = now
                flag.save(update_fields=["clear_notified_at"])
    return written
